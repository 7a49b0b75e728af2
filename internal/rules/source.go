package rules

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/rules/fields"
)

// source reads the values of one field path from events of one type: a generated accessor,
// and for a path that continues past a JSON attribute, the path into its text.
type source struct {
	path  string
	field *fields.Field
	json  *jsonPath // nil: the field's own values
	// kind is the kind of the values: String (JSON text and members included), Int or Bool.
	kind fields.Kind
	// slot is the source's place in a match's per-event cache.
	slot int
}

// resolveSource resolves path for events of type t.
func resolveSource(t fields.Type, path string) (*source, error) {
	norm := fields.Normalize(strings.TrimSpace(path))
	if f, ok := fields.Lookup(t, norm); ok {
		switch f.Kind {
		case fields.Map:
			return nil, fmt.Errorf("field %s is a map: name one of its keys (%s.KEY)", path, norm)
		case fields.JSON:
			return &source{path: path, field: f, kind: fields.String}, nil
		}
		return &source{path: path, field: f, kind: f.Kind}, nil
	}
	segs := strings.Split(norm, ".")
	for i := len(segs) - 1; i > 0; i-- {
		f, ok := fields.Lookup(t, strings.Join(segs[:i], "."))
		if !ok {
			continue
		}
		if f.Kind != fields.JSON {
			break
		}
		for _, s := range segs[i:] {
			if s == "" {
				return nil, fmt.Errorf("field %s: empty member name", path)
			}
		}
		return &source{path: path, field: f, json: newJSONPath(segs[i:]), kind: fields.String}, nil
	}
	return nil, fmt.Errorf("%s has no field %s", typeDesc(t), path)
}

// typeDesc describes an event type for errors: "NetworkActivity events (class 4001)".
func typeDesc(t fields.Type) string {
	cl := t.Classes()
	parts := make([]string, len(cl))
	for i, c := range cl {
		parts[i] = strconv.Itoa(int(c))
	}
	return fmt.Sprintf("%s events (class %s)", t, strings.Join(parts, ", "))
}

// appendStrs appends the values of a String or Bool source ("true", "false") to dst.
func (s *source) appendStrs(ev ocsf.Event, dst []string) []string {
	f := s.field
	switch {
	case s.json != nil:
		if !f.Multi {
			if text := f.Str(ev); text != "" {
				dst = s.json.appendValues(dst, text)
			}
			return dst
		}
		// The texts go to dst first, their members after them; the members then move down
		// over the texts.
		n0 := len(dst)
		dst = f.Strs(ev, dst)
		n1 := len(dst)
		for i := n0; i < n1; i++ {
			dst = s.json.appendValues(dst, dst[i])
		}
		n := copy(dst[n0:], dst[n1:])
		clear(dst[n0+n:])
		return dst[:n0+n]
	case s.kind == fields.Bool:
		if v, ok := f.Bool(ev); ok {
			return append(dst, strconv.FormatBool(v))
		}
		return dst
	case f.Multi:
		return f.Strs(ev, dst)
	}
	if v := f.Str(ev); v != "" {
		dst = append(dst, v)
	}
	return dst
}

// appendInts appends the values of an Int source to dst.
func (s *source) appendInts(ev ocsf.Event, dst []int64) []int64 {
	f := s.field
	if f.Multi {
		return f.Ints(ev, dst)
	}
	if v, ok := f.Int(ev); ok {
		dst = append(dst, v)
	}
	return dst
}

// appendText appends the values of any source as text to dst.
func (s *source) appendText(ev ocsf.Event, dst []string) []string {
	if s.kind != fields.Int {
		return s.appendStrs(ev, dst)
	}
	var buf [8]int64
	for _, v := range s.appendInts(ev, buf[:0]) {
		dst = append(dst, strconv.FormatInt(v, 10))
	}
	return dst
}
