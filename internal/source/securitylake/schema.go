package securitylake

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// kind is what a schema node becomes in the generic value of a row.
type kind uint8

const (
	kindLeaf  kind = iota // a value
	kindGroup             // map[string]any
	kindList              // []any (a LIST-annotated group, or a legacy unannotated "array" wrapper)
	kindMap               // map[string]any from key/value pairs (MAP, MAP_KEY_VALUE)
)

// leafType is how a leaf column's values are converted.
type leafType uint8

const (
	leafBool leafType = iota
	leafInt
	leafFloat
	leafString
	leafBytes // BYTE_ARRAY without a string annotation: kept as text when it is UTF-8
	leafTime  // a timestamp; unit says its unit
	leafInt96 // legacy Impala/Hive timestamp
)

// node is one node of a Parquet schema, as this package walks it. It is built from the
// footer's flat list of schema elements, so that legacy encodings (two-level lists,
// MAP_KEY_VALUE) are read as their writers meant them, whatever parquet-go makes of them.
type node struct {
	name     string
	repeated bool
	optional bool
	children []*node
	kind     kind
	// defLevel and repLevel are the definition and repetition levels at which this node is
	// present (counting itself).
	defLevel, repLevel int
	// leaf nodes
	col  int
	typ  leafType
	unit time.Duration
	// elem is, for a kindList node, the node whose values are the list's elements (the
	// repeated child itself for two-level lists, its only child for three-level ones); for a
	// kindMap node the repeated key/value group.
	elem *node
}

// column is one leaf column: its path of nodes from the top-level field.
type column struct {
	path []*node
}

// pqSchema is a file's schema: top-level fields and leaf columns in column order.
type pqSchema struct {
	root    *node
	columns []column
	byName  map[string]*node // top-level fields
}

// errSchema is why a schema cannot be read.
var errSchema = errors.New("unsupported Parquet schema")

// maxSchemaDepth bounds the nesting of a schema (OCSF objects nest a handful of levels).
const maxSchemaDepth = 32

// buildSchema builds the schema tree of a file from its footer's schema elements.
func buildSchema(elems []format.SchemaElement) (*pqSchema, error) {
	if len(elems) == 0 {
		return nil, fmt.Errorf("%w: no schema", errSchema)
	}
	s := &pqSchema{byName: map[string]*node{}}
	pos := 0
	var build func(depth, def, rep int) (*node, error)
	build = func(depth, def, rep int) (*node, error) {
		if pos >= len(elems) {
			return nil, fmt.Errorf("%w: schema ends inside a group", errSchema)
		}
		if depth > maxSchemaDepth {
			return nil, fmt.Errorf("%w: nested deeper than %d", errSchema, maxSchemaDepth)
		}
		e := &elems[pos]
		pos++
		n := &node{name: e.Name}
		if depth > 0 {
			rt, ok := e.RepetitionType.Get()
			if !ok {
				rt = format.Required
			}
			switch rt {
			case format.Optional:
				n.optional = true
				def++
			case format.Repeated:
				n.repeated = true
				def++
				rep++
			}
		}
		n.defLevel, n.repLevel = def, rep
		nc, hasChildren := e.NumChildren.Get()
		if _, typed := e.Type.Get(); !hasChildren || nc == 0 && typed {
			if depth == 0 {
				return nil, fmt.Errorf("%w: the root is a column", errSchema)
			}
			n.kind = kindLeaf
			n.col = len(s.columns)
			if err := leafOf(n, e); err != nil {
				return nil, err
			}
			s.columns = append(s.columns, column{})
			return n, nil
		}
		if nc < 0 || int(nc) > len(elems)-pos {
			return nil, fmt.Errorf("%w: group %q claims %d children", errSchema, e.Name, nc)
		}
		n.kind = kindGroup
		for range nc {
			c, err := build(depth+1, def, rep)
			if err != nil {
				return nil, err
			}
			n.children = append(n.children, c)
		}
		classify(n, e)
		return n, nil
	}
	root, err := build(0, 0, 0)
	if err != nil {
		return nil, err
	}
	if pos != len(elems) {
		return nil, fmt.Errorf("%w: %d schema elements after the root's children", errSchema, len(elems)-pos)
	}
	s.root = root
	var walk func(n *node, path []*node)
	walk = func(n *node, path []*node) {
		path = append(path[:len(path):len(path)], n)
		if n.kind == kindLeaf {
			s.columns[n.col].path = path
			return
		}
		for _, c := range n.children {
			walk(c, path)
		}
	}
	for _, c := range root.children {
		s.byName[c.name] = c
		walk(c, nil)
	}
	return s, nil
}

// classify marks LIST and MAP groups, following the Parquet format's backward-compatibility
// rules for lists: a repeated child that is a leaf, a group of several fields, or a group
// named "array" or "<list>_tuple" is the element itself (two-level lists, as Security Lake's
// parquet-mr files write them); a repeated group of one field wraps the element (three-level
// lists). An unannotated group whose only child is a repeated field named "array" is read as
// a list too.
func classify(n *node, e *format.SchemaElement) {
	if n.repeated || len(n.children) != 1 || !n.children[0].repeated {
		return
	}
	ct, hasCT := e.ConvertedType.Get()
	r := n.children[0]
	lt := e.LogicalType.Value
	_, ltList := lt.(*format.ListType)
	_, ltMap := lt.(*format.MapType)
	isList := hasCT && ct == deprecated.List || ltList || !hasCT && lt == nil && r.name == "array"
	isMap := hasCT && (ct == deprecated.Map || ct == deprecated.MapKeyValue) || ltMap
	switch {
	case isMap && r.kind == kindGroup && len(r.children) == 2:
		n.kind, n.elem = kindMap, r
	case isList:
		n.kind, n.elem = kindList, r
		if r.kind == kindGroup && len(r.children) == 1 && r.name != "array" && r.name != n.name+"_tuple" {
			n.elem = r.children[0]
		}
	}
}

// leafOf sets how a leaf's values are converted.
func leafOf(n *node, e *format.SchemaElement) error {
	t, ok := e.Type.Get()
	if !ok {
		return fmt.Errorf("%w: column %q has no type", errSchema, e.Name)
	}
	ct, hasCT := e.ConvertedType.Get()
	lt := e.LogicalType.Value
	switch t {
	case format.Boolean:
		n.typ = leafBool
	case format.Int32:
		n.typ = leafInt
	case format.Int64:
		n.typ = leafInt
		ts, isTS := lt.(*format.TimestampType)
		switch {
		case isTS:
			n.typ, n.unit = leafTime, time.Nanosecond
			if ts.Unit.Value != nil {
				n.unit = ts.Unit.Value.Duration()
			}
		case hasCT && ct == deprecated.TimestampMillis:
			n.typ, n.unit = leafTime, time.Millisecond
		case hasCT && ct == deprecated.TimestampMicros:
			n.typ, n.unit = leafTime, time.Microsecond
		}
	case format.Int96:
		n.typ = leafInt96
	case format.Float, format.Double:
		n.typ = leafFloat
	case format.ByteArray, format.FixedLenByteArray:
		n.typ = leafBytes
		switch lt.(type) {
		case *format.StringType, *format.EnumType, *format.JsonType:
			n.typ = leafString
		}
		if hasCT && (ct == deprecated.UTF8 || ct == deprecated.Enum || ct == deprecated.Json) {
			n.typ = leafString
		}
	default:
		return fmt.Errorf("%w: column %q has type %v", errSchema, e.Name, t)
	}
	return nil
}

// hasColumn reports whether the schema has the column at the dotted path (top-level fields
// and groups by name).
func (s *pqSchema) hasColumn(path string) bool {
	parts := strings.Split(path, ".")
	n := s.byName[parts[0]]
	for _, p := range parts[1:] {
		if n == nil {
			return false
		}
		var next *node
		for _, c := range n.children {
			if c.name == p {
				next = c
			}
		}
		n = next
	}
	return n != nil
}
