// Package fields reads OCSF attributes of mcpwatch's typed events by attribute path
// ("dst_endpoint.port", "api.request.data", "answers.rdata") without reflection or maps:
// every path of every event type has a generated accessor (zz_generated.go, written by
// `go generate` from the types of package ocsf), so that a detection rule's field compiles
// once to a direct function call on the event's Go struct.
//
// A path names lists without brackets ("answers.rdata"; "answers[].rdata" is accepted too):
// such a field is multi-valued and yields the attribute of every element. A zero value of an
// attribute OCSF omits when empty (omitzero in package ocsf) reads as absent; attributes
// whose zero is meaningful (ports, ids the schema requires) read as present. Unmapped
// attributes are read by key: "unmapped.mcp.url" is the value of key "mcp.url".
package fields

import (
	"slices"
	"strings"
	"sync"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

//go:generate go run ./gen

// Type identifies one Go event type of package ocsf (several OCSF classes may share one:
// ImportedFinding holds classes 2002, 2003 and 2004).
type Type uint8

// NumTypes is one more than the largest Type.
const NumTypes = int(numTypes)

// Types returns every type.
func Types() []Type {
	out := make([]Type, 0, NumTypes-1)
	for t := Type(1); t < numTypes; t++ {
		out = append(out, t)
	}
	return out
}

// String returns the Go type's name ("NetworkActivity"), or "" for an unknown type.
func (t Type) String() string {
	if t == 0 || t >= numTypes {
		return ""
	}
	return typeInfo[t].name
}

// Classes returns the OCSF class uids the type holds.
func (t Type) Classes() []int32 {
	if t == 0 || t >= numTypes {
		return nil
	}
	return slices.Clone(typeInfo[t].classes)
}

// TypeOfClass returns the type holding OCSF class uid, or 0.
func TypeOfClass(uid int32) Type {
	for t := Type(1); t < numTypes; t++ {
		if slices.Contains(typeInfo[t].classes, uid) {
			return t
		}
	}
	return 0
}

// Kind is what a field holds.
type Kind uint8

// The kinds of fields.
const (
	String Kind = iota + 1 // text
	Int                    // an integer (int32, int64, a port, a timestamp in ms)
	Bool                   // a boolean
	JSON                   // JSON text (OCSF json_t: api.request.data, ...)
	Map                    // a map of strings (unmapped)
)

var kindNames = [...]string{String: "string", Int: "integer", Bool: "boolean", JSON: "json", Map: "map"}

// String returns the kind's name.
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "unknown"
}

// Field reads one attribute path of one event type. Exactly the functions of its Kind and
// multiplicity are set; each must be given an event of the Field's Type. They do not
// allocate (the Strs and Ints forms append to the caller's buffer).
type Field struct {
	Path  string
	Kind  Kind
	Multi bool // the path crosses a list: zero or more values

	Str  func(ev ocsf.Event) string                 // String, JSON
	Int  func(ev ocsf.Event) (v int64, ok bool)     // Int
	Bool func(ev ocsf.Event) (v bool, ok bool)      // Bool
	Strs func(ev ocsf.Event, dst []string) []string // String, JSON with Multi
	Ints func(ev ocsf.Event, dst []int64) []int64   // Int with Multi
	Map  func(ev ocsf.Event) map[string]string      // Map
	Key  string                                     // for a key of a Map: the key
}

// typeData is the static description of a Type.
type typeData struct {
	name    string
	classes []int32
	fields  func() map[string]*Field
}

// tables holds each type's accessors by path, built on first use and never modified.
var tables = sync.OnceValue(func() [numTypes]map[string]*Field {
	var out [numTypes]map[string]*Field
	for t := Type(1); t < numTypes; t++ {
		m := typeInfo[t].fields()
		for p, f := range m {
			f.Path = p
		}
		out[t] = m
	}
	return out
})

// Lookup returns the accessor of path for events of type t. "unmapped.<key>" reads one
// key of the unmapped map (a String field). ok is false when t has no such attribute.
func Lookup(t Type, path string) (*Field, bool) {
	if t == 0 || t >= numTypes {
		return nil, false
	}
	path = Normalize(path)
	m := tables()[t]
	if f, ok := m[path]; ok {
		return f, true
	}
	if key, ok := strings.CutPrefix(path, "unmapped."); ok && key != "" {
		if mf, ok := m["unmapped"]; ok {
			get := mf.Map
			return &Field{Path: path, Kind: String, Key: key,
				Str: func(ev ocsf.Event) string { return get(ev)[key] }}, true
		}
	}
	return nil, false
}

// Paths returns every path of type t, sorted.
func Paths(t Type) []string {
	if t == 0 || t >= numTypes {
		return nil
	}
	m := tables()[t]
	out := make([]string, 0, len(m))
	for p := range m {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// Normalize removes list brackets from a path: "answers[].rdata" and "answers[0].rdata"
// become "answers.rdata".
func Normalize(path string) string {
	if strings.IndexByte(path, '[') < 0 {
		return path
	}
	var b strings.Builder
	for i := 0; i < len(path); i++ {
		if path[i] == '[' {
			j := strings.IndexByte(path[i:], ']')
			if j < 0 {
				b.WriteString(path[i:])
				break
			}
			i += j
			continue
		}
		b.WriteByte(path[i])
	}
	return b.String()
}

// Constructors used by the generated accessors.

func strField[T any](f func(*T) string) *Field {
	return &Field{Kind: String, Str: func(ev ocsf.Event) string { return f(any(ev).(*T)) }}
}

func jsonField[T any](f func(*T) string) *Field {
	return &Field{Kind: JSON, Str: func(ev ocsf.Event) string { return f(any(ev).(*T)) }}
}

func intField[T any](f func(*T) (int64, bool)) *Field {
	return &Field{Kind: Int, Int: func(ev ocsf.Event) (int64, bool) { return f(any(ev).(*T)) }}
}

func boolField[T any](f func(*T) (bool, bool)) *Field {
	return &Field{Kind: Bool, Bool: func(ev ocsf.Event) (bool, bool) { return f(any(ev).(*T)) }}
}

func mapField[T any](f func(*T) map[string]string) *Field {
	return &Field{Kind: Map, Map: func(ev ocsf.Event) map[string]string { return f(any(ev).(*T)) }}
}

func strsField[T any](f func(*T, []string) []string) *Field {
	return &Field{Kind: String, Multi: true, Strs: func(ev ocsf.Event, dst []string) []string { return f(any(ev).(*T), dst) }}
}

func jsonsField[T any](f func(*T, []string) []string) *Field {
	return &Field{Kind: JSON, Multi: true, Strs: func(ev ocsf.Event, dst []string) []string { return f(any(ev).(*T), dst) }}
}

func intsField[T any](f func(*T, []int64) []int64) *Field {
	return &Field{Kind: Int, Multi: true, Ints: func(ev ocsf.Event, dst []int64) []int64 { return f(any(ev).(*T), dst) }}
}

func appendStr(dst []string, s string) []string {
	if s == "" {
		return dst
	}
	return append(dst, s)
}

func appendStrs(dst []string, ss []string) []string {
	for _, s := range ss {
		dst = appendStr(dst, s)
	}
	return dst
}

func appendInts(dst []int64, vs []int32) []int64 {
	for _, v := range vs {
		dst = append(dst, int64(v))
	}
	return dst
}
