package athena

import (
	"fmt"
	"strings"
)

// Type is a column type parsed from its text: a Glue/Hive type such as
// struct<ip:string,port:int> or a DuckDB type such as STRUCT(ip VARCHAR, port INTEGER)[].
// The two spellings describe the same trees, so one parser serves Glue catalogs and the
// local engine alike.
type Type struct {
	// Kind is "struct", "array", "map" or "scalar".
	Kind string
	// Name is the scalar type's name as written (string, VARCHAR, DECIMAL(10,2), ...).
	Name string
	// Fields are a struct's fields, in order.
	Fields []Field
	// Elem is an array's element type, or a map's value type.
	Elem *Type
	// Key is a map's key type.
	Key *Type
}

// Field is one field of a struct type.
type Field struct {
	Name string
	Type *Type
}

// ParseType parses a Glue (Hive) or DuckDB type text.
func ParseType(s string) (*Type, error) {
	p := &typeParser{s: s}
	t, err := p.parse()
	if err != nil {
		return nil, fmt.Errorf("athena: type %q: %w", s, err)
	}
	p.space()
	if p.i != len(p.s) {
		return nil, fmt.Errorf("athena: type %q: unexpected %q at %d", s, p.s[p.i:], p.i)
	}
	return t, nil
}

// Paths returns the dotted paths of every field reachable from t through structs only
// (arrays and maps stop the walk, since SQL reaches into them differently), each prefixed by
// prefix. A struct path is listed as well as its leaves.
func (t *Type) Paths(prefix string) []string {
	var out []string
	var walk func(t *Type, p string)
	walk = func(t *Type, p string) {
		if t.Kind != "struct" {
			return
		}
		for _, f := range t.Fields {
			fp := p + "." + strings.ToLower(f.Name)
			out = append(out, fp)
			walk(f.Type, fp)
		}
	}
	walk(t, prefix)
	return out
}

// Hive renders t as Glue writes column types (struct<a:string>, array<bigint>, ...), mapping
// DuckDB's scalar names to Hive's.
func (t *Type) Hive() string {
	switch t.Kind {
	case "struct":
		parts := make([]string, len(t.Fields))
		for i, f := range t.Fields {
			parts[i] = strings.ToLower(f.Name) + ":" + f.Type.Hive()
		}
		return "struct<" + strings.Join(parts, ",") + ">"
	case "array":
		return "array<" + t.Elem.Hive() + ">"
	case "map":
		return "map<" + t.Key.Hive() + "," + t.Elem.Hive() + ">"
	}
	return HiveScalar(t.Name)
}

// HiveScalar maps a scalar type name of DuckDB to Glue's (VARCHAR → string, INTEGER → int,
// TIMESTAMP WITH TIME ZONE → timestamp, ...); Glue names pass through in lower case.
func HiveScalar(name string) string {
	n := strings.ToUpper(strings.TrimSpace(name))
	switch {
	case n == "VARCHAR" || n == "STRING" || n == "UUID" || n == "JSON":
		return "string"
	case n == "BIGINT" || n == "LONG" || n == "INT64" || n == "UBIGINT" || n == "HUGEINT":
		return "bigint"
	case n == "INTEGER" || n == "INT" || n == "INT32" || n == "UINTEGER":
		return "int"
	case n == "SMALLINT" || n == "USMALLINT":
		return "smallint"
	case n == "TINYINT" || n == "UTINYINT":
		return "tinyint"
	case n == "BOOLEAN" || n == "BOOL":
		return "boolean"
	case n == "DOUBLE" || n == "FLOAT8":
		return "double"
	case n == "FLOAT" || n == "REAL" || n == "FLOAT4":
		return "float"
	case strings.HasPrefix(n, "TIMESTAMP"):
		return "timestamp"
	case n == "DATE":
		return "date"
	case n == "BLOB" || n == "BINARY":
		return "binary"
	case strings.HasPrefix(n, "DECIMAL"):
		return strings.ToLower(n)
	}
	return strings.ToLower(n)
}

type typeParser struct {
	s string
	i int
}

func (p *typeParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n') {
		p.i++
	}
}

// prefix consumes word (case-insensitive) followed by open when present.
func (p *typeParser) prefix(word string, open byte) bool {
	p.space()
	n := len(word)
	if p.i+n < len(p.s) && strings.EqualFold(p.s[p.i:p.i+n], word) {
		j := p.i + n
		for j < len(p.s) && p.s[j] == ' ' {
			j++
		}
		if j < len(p.s) && p.s[j] == open {
			p.i = j + 1
			return true
		}
	}
	return false
}

func (p *typeParser) expect(c byte) error {
	p.space()
	if p.i >= len(p.s) || p.s[p.i] != c {
		return fmt.Errorf("want %q at %d", c, p.i)
	}
	p.i++
	return nil
}

func (p *typeParser) peek() byte {
	p.space()
	if p.i >= len(p.s) {
		return 0
	}
	return p.s[p.i]
}

// parse parses one type and any DuckDB list suffixes ([] or [N]) after it.
func (p *typeParser) parse() (*Type, error) {
	t, err := p.parseBase()
	if err != nil {
		return nil, err
	}
	for p.peek() == '[' {
		j := strings.IndexByte(p.s[p.i:], ']')
		if j < 0 {
			return nil, fmt.Errorf("unclosed [ at %d", p.i)
		}
		p.i += j + 1
		t = &Type{Kind: "array", Elem: t}
	}
	return t, nil
}

func (p *typeParser) parseBase() (*Type, error) {
	switch {
	case p.prefix("struct", '<'):
		return p.fields('>', ':')
	case p.prefix("struct", '('):
		return p.fields(')', ' ')
	case p.prefix("array", '<'):
		e, err := p.parse()
		if err != nil {
			return nil, err
		}
		return &Type{Kind: "array", Elem: e}, p.expect('>')
	case p.prefix("map", '<'):
		return p.mapType('>')
	case p.prefix("map", '('):
		return p.mapType(')')
	}
	// A scalar: a name of letters, digits, spaces (TIMESTAMP WITH TIME ZONE) and underscores,
	// with an optional parenthesized argument list (DECIMAL(10,2), varchar(20)).
	p.space()
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '(' {
			j := strings.IndexByte(p.s[p.i:], ')')
			if j < 0 {
				return nil, fmt.Errorf("unclosed ( at %d", p.i)
			}
			p.i += j + 1
			continue
		}
		if c == ',' || c == ')' || c == '>' || c == '[' || c == '<' {
			break
		}
		p.i++
	}
	name := strings.TrimSpace(p.s[start:p.i])
	if name == "" {
		return nil, fmt.Errorf("missing type at %d", start)
	}
	return &Type{Kind: "scalar", Name: name}, nil
}

func (p *typeParser) mapType(closer byte) (*Type, error) {
	k, err := p.parse()
	if err != nil {
		return nil, err
	}
	if err := p.expect(','); err != nil {
		return nil, err
	}
	v, err := p.parse()
	if err != nil {
		return nil, err
	}
	return &Type{Kind: "map", Key: k, Elem: v}, p.expect(closer)
}

// fields parses struct fields up to closer; sep separates a field's name from its type
// (':' for Hive, a space for DuckDB).
func (p *typeParser) fields(closer, sep byte) (*Type, error) {
	t := &Type{Kind: "struct"}
	if p.peek() == closer {
		p.i++
		return t, nil
	}
	for {
		name, err := p.fieldName(sep)
		if err != nil {
			return nil, err
		}
		if sep == ':' {
			if err := p.expect(':'); err != nil {
				return nil, err
			}
		}
		ft, err := p.parse()
		if err != nil {
			return nil, err
		}
		t.Fields = append(t.Fields, Field{Name: name, Type: ft})
		switch p.peek() {
		case ',':
			p.i++
		case closer:
			p.i++
			return t, nil
		default:
			return nil, fmt.Errorf("want ',' or %q at %d", closer, p.i)
		}
	}
}

func (p *typeParser) fieldName(sep byte) (string, error) {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '"' {
		var b strings.Builder
		p.i++
		for p.i < len(p.s) {
			c := p.s[p.i]
			p.i++
			if c == '"' {
				if p.i < len(p.s) && p.s[p.i] == '"' {
					b.WriteByte('"')
					p.i++
					continue
				}
				return b.String(), nil
			}
			b.WriteByte(c)
		}
		return "", fmt.Errorf("unclosed quoted name")
	}
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != sep && p.s[p.i] != ' ' && p.s[p.i] != ':' {
		p.i++
	}
	if p.i == start {
		return "", fmt.Errorf("missing field name at %d", start)
	}
	return p.s[start:p.i], nil
}
