package securitylake

import (
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// binder sets OCSF Go types (the ocsf package's, by their json tags) from generic values.
// What a type has no field for, or a value of a type the field cannot take, is left over:
// the caller keeps it in unmapped under its attribute path, so nothing is dropped.
type binder struct {
	mu    sync.Mutex
	plans map[reflect.Type]*plan
	dt    map[reflect.Type]*dtPlan
}

// plan is how to set the fields of one struct type.
type plan struct {
	fields map[string]fieldPlan
}

type fieldPlan struct {
	index []int
	typ   reflect.Type
}

var timeType = reflect.TypeFor[time.Time]()

func (b *binder) planOf(t reflect.Type) *plan {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.plans == nil {
		b.plans = map[reflect.Type]*plan{}
	}
	if p, ok := b.plans[t]; ok {
		return p
	}
	p := &plan{fields: map[string]fieldPlan{}}
	for _, f := range reflect.VisibleFields(t) {
		if f.Anonymous || !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		if _, dup := p.fields[name]; !dup {
			p.fields[name] = fieldPlan{index: f.Index, typ: f.Type}
		}
	}
	b.plans[t] = p
	return p
}

// leftover is a value the target has no place for, at its attribute path.
type leftover struct {
	path  string
	value any
}

// bind sets the struct dst (addressable) from the object m, appending what it cannot set to
// rest.
func (b *binder) bind(dst reflect.Value, m map[string]any, prefix string, rest *[]leftover) {
	p := b.planOf(dst.Type())
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := m[k]
		if v == nil {
			continue
		}
		f, ok := p.fields[k]
		if !ok {
			*rest = append(*rest, leftover{prefix + k, v})
			continue
		}
		fv := dst.FieldByIndex(f.index)
		if !b.set(fv, v, prefix+k, rest) {
			*rest = append(*rest, leftover{prefix + k, v})
		}
	}
}

// set sets fv from v, reporting false when v does not fit (its leftovers inside a struct or
// a list are appended to rest as they are found).
func (b *binder) set(fv reflect.Value, v any, path string, rest *[]leftover) bool {
	t := fv.Type()
	switch {
	case t == timeType:
		switch v := v.(type) {
		case time.Time:
			fv.Set(reflect.ValueOf(v.UTC()))
			return true
		case int64:
			fv.Set(reflect.ValueOf(time.UnixMilli(v).UTC()))
			return true
		}
		return false
	case t.Kind() == reflect.Pointer:
		nv := reflect.New(t.Elem())
		if !b.set(nv.Elem(), v, path, rest) {
			return false
		}
		fv.Set(nv)
		return true
	}
	switch t.Kind() {
	case reflect.String:
		s, ok := v.(string)
		if ok {
			fv.SetString(s)
		}
		return ok
	case reflect.Bool:
		x, ok := v.(bool)
		if ok {
			fv.SetBool(x)
		}
		return ok
	case reflect.Int32, reflect.Int64, reflect.Int:
		var x int64
		switch v := v.(type) {
		case int64:
			x = v
		case time.Time:
			if t.Kind() != reflect.Int64 {
				return false
			}
			x = v.UnixMilli()
		case float64:
			if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
				return false
			}
			x = int64(v)
		default:
			return false
		}
		if fv.OverflowInt(x) {
			return false
		}
		fv.SetInt(x)
		return true
	case reflect.Float32, reflect.Float64:
		switch v := v.(type) {
		case float64:
			fv.SetFloat(v)
		case int64:
			fv.SetFloat(float64(v))
		default:
			return false
		}
		return true
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		b.bind(fv, m, path+".", rest)
		return true
	case reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			return false
		}
		out := reflect.MakeSlice(t, 0, len(list))
		elem := reflect.New(t.Elem()).Elem()
		for _, e := range list {
			if e == nil {
				continue
			}
			elem.SetZero()
			if !b.set(elem, e, path+"[]", rest) {
				*rest = append(*rest, leftover{path + "[]", e})
				continue
			}
			out = reflect.Append(out, elem)
		}
		if out.Len() > 0 {
			fv.Set(out)
		}
		return true
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok || t.Key().Kind() != reflect.String || t.Elem().Kind() != reflect.String {
			return false
		}
		out := reflect.MakeMapWithSize(t, len(m))
		for k, e := range m {
			if e == nil {
				continue
			}
			out.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), reflect.ValueOf(text(e)).Convert(t.Elem()))
		}
		if out.Len() > 0 {
			fv.Set(out)
		}
		return true
	}
	return false
}

// text is a generic leaf as unmapped text.
func text(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	}
	return ""
}

// flattenLeftovers flattens leftovers into unmapped entries: "path" -> value, the leaves of
// objects under their dotted paths, the values of a path within lists joined with commas,
// as Security Lake flattens what it does not map.
func flattenLeftovers(rest []leftover) map[string]string {
	vals := map[string][]string{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				walk(path+"."+k, e)
			}
		case []any:
			for _, e := range v {
				walk(path+"[]", e)
			}
		case nil:
		default:
			vals[path] = append(vals[path], text(v))
		}
	}
	for _, l := range rest {
		walk(l.path, l.value)
	}
	out := make(map[string]string, len(vals))
	for k, v := range vals {
		out[k] = strings.Join(v, ",")
	}
	return out
}
