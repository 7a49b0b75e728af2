package securitylake

import (
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
)

// errRow is why a row cannot be assembled (its levels contradict the schema).
var errRow = errors.New("malformed row")

// assembler turns parquet.Rows into generic values: groups are map[string]any, lists []any,
// maps map[string]any, leaves bool, int64, float64, string or time.Time; a null is absent.
// It is used by one goroutine.
type assembler struct {
	s *pqSchema
	// counters[r] is the index of the current element of the repeated field at repetition
	// level r, for the column being placed.
	counters []int
}

func newAssembler(s *pqSchema) *assembler {
	maxRep := 0
	for _, c := range s.columns {
		if n := c.path[len(c.path)-1]; n.repLevel > maxRep {
			maxRep = n.repLevel
		}
	}
	return &assembler{s: s, counters: make([]int, maxRep+1)}
}

// assemble returns the generic value of row.
func (a *assembler) assemble(row parquet.Row) (map[string]any, error) {
	raw := map[string]any{}
	col, first := -1, true
	for _, v := range row {
		c := v.Column()
		if c < 0 || c >= len(a.s.columns) {
			return nil, fmt.Errorf("%w: value of column %d in a schema of %d columns", errRow, c, len(a.s.columns))
		}
		if c != col {
			col, first = c, true
		}
		if err := a.place(raw, a.s.columns[c].path, v, first); err != nil {
			return nil, err
		}
		first = false
	}
	if shapeGroup(a.s.root, raw) == nil {
		return map[string]any{}, nil
	}
	return raw, nil
}

// place puts one value of a column into raw, which mirrors the physical schema (groups are
// maps, repeated fields slices).
func (a *assembler) place(raw map[string]any, path []*node, v parquet.Value, first bool) error {
	r, d := v.RepetitionLevel(), v.DefinitionLevel()
	leaf := path[len(path)-1]
	if r < 0 || d < 0 || r > leaf.repLevel || d > leaf.defLevel || first && r != 0 || !first && r == 0 {
		return fmt.Errorf("%w: levels %d/%d in column %s", errRow, r, d, pathName(path))
	}
	if first {
		clear(a.counters)
	} else {
		a.counters[r]++
		for j := r + 1; j < len(a.counters); j++ {
			a.counters[j] = 0
		}
	}
	container := raw
	for _, n := range path {
		if d < n.defLevel { // n is null here, or an empty list: absent
			return nil
		}
		if n.kind == kindLeaf {
			val, err := leafValue(n, v)
			if err != nil {
				return fmt.Errorf("column %s: %w", pathName(path), err)
			}
			if !n.repeated {
				container[n.name] = val
				return nil
			}
			list, _ := container[n.name].([]any)
			if idx := a.counters[n.repLevel]; idx != len(list) {
				return fmt.Errorf("%w: element %d of %d in column %s", errRow, idx, len(list), pathName(path))
			}
			container[n.name] = append(list, val)
			return nil
		}
		if n.repeated {
			list, ok := container[n.name].([]any)
			if !ok && container[n.name] != nil {
				return fmt.Errorf("%w: column %s", errRow, pathName(path))
			}
			idx := a.counters[n.repLevel]
			switch {
			case idx == len(list):
				list = append(list, map[string]any{})
				container[n.name] = list
			case idx > len(list):
				return fmt.Errorf("%w: element %d of %d in column %s", errRow, idx, len(list), pathName(path))
			}
			m, ok := list[idx].(map[string]any)
			if !ok {
				return fmt.Errorf("%w: column %s", errRow, pathName(path))
			}
			container = m
			continue
		}
		m, ok := container[n.name].(map[string]any)
		if !ok {
			if container[n.name] != nil {
				return fmt.Errorf("%w: column %s", errRow, pathName(path))
			}
			m = map[string]any{}
			container[n.name] = m
		}
		container = m
	}
	return nil
}

func pathName(path []*node) string {
	s := ""
	for i, n := range path {
		if i > 0 {
			s += "."
		}
		s += n.name
	}
	return s
}

// shape turns the physical value v of node n into its logical value: LIST groups become
// slices of their elements, MAP groups maps, empty groups nil.
func shape(n *node, v any) any {
	switch n.kind {
	case kindLeaf:
		if n.repeated {
			return v // a slice of leaves
		}
		return v
	case kindList:
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		elems, _ := m[n.children[0].name].([]any)
		if n.elem != n.children[0] { // three-level: unwrap the element
			inner := elems
			elems = make([]any, 0, len(inner))
			for _, w := range inner {
				if wm, ok := w.(map[string]any); ok {
					elems = append(elems, wm[n.elem.name])
				}
			}
		}
		out := make([]any, 0, len(elems))
		for _, e := range elems {
			if n.elem.kind == kindLeaf {
				out = append(out, e)
				continue
			}
			if n.elem.repeated && n.elem == n.children[0] {
				out = append(out, shapeGroup(n.elem, e))
				continue
			}
			out = append(out, shape(n.elem, e))
		}
		return out
	case kindMap:
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		kvs, _ := m[n.elem.name].([]any)
		out := make(map[string]any, len(kvs))
		key, val := n.elem.children[0], n.elem.children[1]
		for _, kv := range kvs {
			kvm, ok := kv.(map[string]any)
			if !ok {
				continue
			}
			k := kvm[key.name]
			if k == nil {
				continue
			}
			out[keyString(k)] = shape(val, kvm[val.name])
		}
		return out
	}
	if n.repeated { // a repeated group outside a LIST annotation: a list of groups
		list, _ := v.([]any)
		out := make([]any, 0, len(list))
		for _, e := range list {
			out = append(out, shapeGroup(n, e))
		}
		return out
	}
	return shapeGroup(n, v)
}

// shapeGroup shapes the fields of one group value, in place.
func shapeGroup(n *node, v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	for _, c := range n.children {
		if cv, ok := m[c.name]; ok {
			if c.kind == kindLeaf && !c.repeated {
				continue // already its value
			}
			if sv := shape(c, cv); sv != nil {
				m[c.name] = sv
			} else {
				delete(m, c.name)
			}
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

func keyString(k any) string {
	switch k := k.(type) {
	case string:
		return k
	case int64:
		return strconv.FormatInt(k, 10)
	case float64:
		return strconv.FormatFloat(k, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(k)
	case time.Time:
		return k.Format(time.RFC3339Nano)
	}
	return fmt.Sprint(k)
}

// julianUnixEpoch is the Julian day number of 1970-01-01.
const julianUnixEpoch = 2440588

// errText is returned for text columns whose value is not UTF-8.
var errText = errors.New("text that is not UTF-8")

// leafValue converts a non-null leaf value.
func leafValue(n *node, v parquet.Value) (any, error) {
	switch n.typ {
	case leafBool:
		return v.Boolean(), nil
	case leafInt:
		switch v.Kind() {
		case parquet.Int32:
			return int64(v.Int32()), nil
		case parquet.Int64:
			return v.Int64(), nil
		}
	case leafFloat:
		switch v.Kind() {
		case parquet.Float:
			f := float64(v.Float())
			// A FLOAT column holds a float32: print it as its shortest decimal (4.7, not
			// 4.699999809265137), which is what the writer meant.
			if g, err := strconv.ParseFloat(strconv.FormatFloat(float64(v.Float()), 'g', -1, 32), 64); err == nil {
				f = g
			}
			return f, nil
		case parquet.Double:
			return v.Double(), nil
		}
	case leafTime:
		if v.Kind() == parquet.Int64 {
			x := v.Int64()
			switch n.unit {
			case time.Millisecond:
				return time.UnixMilli(x).UTC(), nil
			case time.Microsecond:
				return time.UnixMicro(x).UTC(), nil
			default:
				return time.Unix(0, x).UTC(), nil
			}
		}
	case leafInt96:
		if v.Kind() == parquet.Int96 {
			// Nanoseconds of the day in the first 8 bytes, the Julian day in the last 4.
			b := v.Int96()
			nanos := int64(uint64(b[1])<<32 | uint64(b[0]))
			day := int64(b[2]) - julianUnixEpoch
			if nanos < 0 || nanos >= int64(24*time.Hour) {
				return nil, fmt.Errorf("%w: INT96 timestamp with %d ns in a day", errRow, nanos)
			}
			return time.Unix(day*86400, nanos).UTC(), nil
		}
	case leafString, leafBytes:
		switch v.Kind() {
		case parquet.ByteArray, parquet.FixedLenByteArray:
			b := v.ByteArray()
			if !utf8.Valid(b) {
				return nil, errText
			}
			return string(b), nil
		}
	}
	return nil, fmt.Errorf("%w: a %v value in a column of another type", errRow, v.Kind())
}
