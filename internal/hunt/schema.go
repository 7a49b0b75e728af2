package hunt

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/lake"
	"github.com/mcpwatch/mcpwatch/internal/rules/fields"
)

// source is where the events of a logsource are: the view (Glue table name without
// Security Lake's prefix and version), the OCSF event type of package fields, and the extra
// predicates on the table's rows that select the logsource's events (constant SQL).
type source struct {
	view   string
	typ    fields.Type
	filter string
}

// logsource maps a rule's logsource service (and category, for CloudTrail) to its source.
func logsource(service, category string) (source, error) {
	switch strings.ToLower(service) {
	case "vpcflow":
		return source{view: "vpc_flow", typ: fields.NetworkActivity}, nil
	case "route53":
		return source{view: "route53", typ: fields.DNSActivity}, nil
	case "cloudtrail":
		switch strings.ToLower(category) {
		case "":
			return source{view: "cloud_trail_mgmt", typ: fields.APIActivity, filter: `"class_uid" = 6003`}, nil
		case "authentication":
			return source{view: "cloud_trail_mgmt", typ: fields.Authentication, filter: `"class_uid" = 3002`}, nil
		case "account_change":
			return source{view: "cloud_trail_mgmt", typ: fields.AccountChange, filter: `"class_uid" = 3001`}, nil
		}
		return source{}, fmt.Errorf("logsource cloudtrail: category %q: want none, authentication or account_change", category)
	case "securityhub":
		return source{view: "sh_findings", typ: fields.ImportedFinding}, nil
	case "guardduty":
		return source{view: "sh_findings", typ: fields.ImportedFinding, filter: `"metadata"."product"."name" = 'GuardDuty'`}, nil
	case "mcp_inventory":
		return source{view: "mcp_inventory", typ: fields.InventoryInfo}, nil
	}
	return source{}, fmt.Errorf("logsource service %q: want vpcflow, route53, cloudtrail, securityhub, guardduty or mcp_inventory", service)
}

// colKind is what a lake column holds.
type colKind uint8

const (
	kString colKind = iota + 1
	kInt
	kFloat
	kBool
	kTime
	kMap
	kJSON // a string column holding JSON text
)

// column is a leaf of a lake table's Parquet schema.
type column struct {
	segs []string // the path's segments
	kind colKind
	// list is the number of leading segments that name a list column (0: none): "answers.rdata"
	// has list 1 (answers is a list of structs); "finding_info.types" has list 2 (a list of
	// strings).
	list int
}

// schemas holds, per view, the leaf columns of its lake table by dotted path. Computed once
// from the lake's row types, never modified.
var schemas = sync.OnceValue(func() map[string]map[string]column {
	out := map[string]map[string]column{}
	for _, t := range lake.DefaultTables() {
		m := map[string]column{}
		walkRow(t.RowType(), nil, 0, m)
		out[strings.ToLower(t.Name())] = m
	}
	return out
})

var timeType = reflect.TypeFor[time.Time]()

// walkRow adds the leaf columns of struct type t (as parquet-go names them) under prefix.
func walkRow(t reflect.Type, prefix []string, list int, out map[string]column) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("parquet")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if f.Anonymous && name == "" {
			walkRow(f.Type, prefix, list, out)
			continue
		}
		if name == "" {
			name = f.Name
		}
		walkField(f.Type, append(append([]string(nil), prefix...), name), list, out)
	}
}

func walkField(ft reflect.Type, segs []string, list int, out map[string]column) {
	for ft.Kind() == reflect.Pointer {
		ft = ft.Elem()
	}
	path := strings.Join(segs, ".")
	switch {
	case ft == timeType:
		out[path] = column{segs: segs, kind: kTime, list: list}
	case ft.Kind() == reflect.Struct:
		walkRow(ft, segs, list, out)
	case ft.Kind() == reflect.Map:
		out[path] = column{segs: segs, kind: kMap, list: list}
	case ft.Kind() == reflect.Slice && ft.Elem().Kind() != reflect.Uint8:
		if list != 0 {
			return // a list in a list: not addressed by rules
		}
		walkField(ft.Elem(), segs, len(segs), out)
	default:
		k := kString
		switch ft.Kind() {
		case reflect.Bool:
			k = kBool
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			k = kInt
		case reflect.Float32, reflect.Float64:
			k = kFloat
		}
		out[path] = column{segs: segs, kind: k, list: list}
	}
}

// field is a rule's field resolved against a lake table.
type field struct {
	path string
	col  column
	// json is the JSON path inside the column's JSON text ("userData", "parameters.commands"),
	// nil when the field is the column itself.
	json []string
	// key is the key of a map column ("unmapped.<key>").
	key string
}

// multi reports whether the field has zero or more values: it crosses a list, or reads into
// JSON (where any value may be an array, whose every element counts).
func (f field) multi() bool { return f.col.list > 0 || f.json != nil }

// kind is the kind of the field's values.
func (f field) kind() colKind {
	if f.json != nil || f.key != "" {
		return kString
	}
	return f.col.kind
}

// jsonKey is what the JSON path and map keys may hold: they are written into the SQL text.
var jsonKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
var mapKey = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.:/-]*$`)

// resolve finds path in the table of src: a column, a key of a map column, or a JSON path
// below a column holding JSON.
func resolve(src source, path string) (field, error) {
	path = fields.Normalize(path)
	cols := schemas()[src.view]
	if c, ok := cols[path]; ok {
		if c.kind == kString {
			if f, ok := fields.Lookup(src.typ, path); ok && f.Kind == fields.JSON {
				c.kind = kJSON
			}
		}
		return field{path: path, col: c}, nil
	}
	segs := strings.Split(path, ".")
	for n := len(segs) - 1; n > 0; n-- {
		c, ok := cols[strings.Join(segs[:n], ".")]
		if !ok {
			continue
		}
		rest := segs[n:]
		switch c.kind {
		case kMap:
			key := strings.Join(rest, ".")
			if !mapKey.MatchString(key) {
				return field{}, fmt.Errorf("field %s: map key %q: want letters, digits and _.:/-", path, key)
			}
			return field{path: path, col: c, key: key}, nil
		case kString:
			f, ok := fields.Lookup(src.typ, strings.Join(segs[:n], "."))
			if !ok || f.Kind != fields.JSON {
				break
			}
			if c.list > 0 {
				return field{}, fmt.Errorf("field %s: %w: JSON inside a list", path, ErrUnsupported)
			}
			for _, k := range rest {
				if !jsonKey.MatchString(k) {
					return field{}, fmt.Errorf("field %s: JSON key %q: want letters, digits and _", path, k)
				}
			}
			c.kind = kJSON
			return field{path: path, col: c, json: rest}, nil
		}
		break
	}
	return field{}, fmt.Errorf("field %s: no such column in table %s", path, src.view)
}
