package securityhub

import (
	"encoding/json"
	"sort"
	"strings"
)

// tree is one ASFF finding decoded generically (objects are map[string]any, numbers
// json.Number) together with the attribute paths the mapping used. What the mapping did not
// use goes to unmapped, flattened as Amazon Security Lake flattens it: "Severity.Normalized",
// "FindingProviderFields.Types[]", "ProductFields.aws/guardduty/service/count", the values of
// a path inside arrays joined with commas.
//
// A value of an unexpected JSON type is not an error: the getters report it absent and it
// stays in unmapped, as Security Lake keeps such values (the rc.2 samples hold a
// Compliance.SecurityControlId that is an array instead of a string).
type tree struct {
	root map[string]any
	used map[string]bool
	// details holds the JSON of each Resources[i].Details as written, when known.
	details []json.RawMessage
	// extra are unmapped entries the mapping adds itself (whole objects it cannot map).
	extra map[string]string
}

func newTree(root map[string]any) *tree { return &tree{root: root, used: map[string]bool{}} }

// use marks a flattened path as mapped.
func (t *tree) use(path string) { t.used[path] = true }

// lookup returns the value at the object path keys (no arrays), or nil.
func lookup(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = o[k]
	}
	return v
}

// str returns the string at keys of m and marks prefix+path used when it is one.
func (t *tree) str(m map[string]any, prefix string, keys ...string) string {
	s, ok := lookup(m, keys...).(string)
	if ok {
		t.use(prefix + strings.Join(keys, "."))
	}
	return s
}

// num returns the number at keys of m and marks it used when it is one.
func (t *tree) num(m map[string]any, prefix string, keys ...string) (json.Number, bool) {
	n, ok := lookup(m, keys...).(json.Number)
	if ok {
		t.use(prefix + strings.Join(keys, "."))
	}
	return n, ok
}

// strs returns the strings of the array at keys of m and marks it used when every element
// is a string.
func (t *tree) strs(m map[string]any, prefix string, keys ...string) []string {
	a, ok := lookup(m, keys...).([]any)
	if !ok || len(a) == 0 {
		return nil
	}
	out := make([]string, 0, len(a))
	for _, e := range a {
		s, ok := e.(string)
		if !ok {
			return nil
		}
		out = append(out, s)
	}
	t.use(prefix + strings.Join(keys, ".") + "[]")
	return out
}

// objects returns the objects of the array at keys of m (elements that are not objects are
// skipped and stay unmapped).
func objects(m map[string]any, keys ...string) []map[string]any {
	a, _ := lookup(m, keys...).([]any)
	var out []map[string]any
	for _, e := range a {
		if o, ok := e.(map[string]any); ok {
			out = append(out, o)
		}
	}
	return out
}

// object returns the object at keys of m, or nil.
func object(m map[string]any, keys ...string) map[string]any {
	o, _ := lookup(m, keys...).(map[string]any)
	return o
}

// productFields returns the ProductFields of the finding: a map of strings (values of another
// type are left out and stay unmapped).
func (t *tree) productFields() map[string]string {
	o := object(t.root, "ProductFields")
	out := make(map[string]string, len(o))
	for k, v := range o {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// unmapped flattens every leaf of the finding whose path was not used. It returns nil when
// nothing is left.
func (t *tree) unmapped() map[string]string {
	vals := map[string][]string{}
	var order []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		if t.used[path] {
			return
		}
		switch v := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				p := k
				if path != "" {
					p = path + "." + k
				}
				walk(p, v[k])
			}
		case []any:
			for _, e := range v {
				walk(path+"[]", e)
			}
		case nil:
		default:
			if _, ok := vals[path]; !ok {
				order = append(order, path)
			}
			vals[path] = append(vals[path], leafString(v))
		}
	}
	walk("", t.root)
	if len(order) == 0 {
		return nil
	}
	out := make(map[string]string, len(order))
	for _, p := range order {
		out[p] = strings.Join(vals[p], ",")
	}
	return out
}

// leafString is the text of a JSON leaf in unmapped: strings as they are, numbers as written,
// booleans true/false.
func leafString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		if v {
			return "true"
		}
		return "false"
	}
	return ""
}
