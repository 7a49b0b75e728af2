package securitylake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/ocsf/schema"
)

// flat is an event flattened to its leaf attributes: "connection_info.boundary_id" -> values
// (several for a list or a path inside lists), every value as text; datetimes as the UTC
// instant in milliseconds.
type flat map[string][]string

// flattenEvent flattens ev through its OCSF JSON encoding.
func flattenEvent(t testing.TB, ev any) flat {
	t.Helper()
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	out := flat{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				key := k
				if prefix != "" {
					key = prefix + "." + k
				}
				if prefix == "unmapped" {
					key = "unmapped." + k
				}
				walk(key, e)
			}
		case []any:
			for _, e := range v {
				walk(prefix, e)
			}
		case nil:
		default:
			s := fmt.Sprint(v)
			if strings.HasSuffix(prefix, "_dt") {
				if ts, err := time.Parse(time.RFC3339Nano, s); err == nil {
					s = ts.UTC().Format("2006-01-02T15:04:05.000Z")
				}
			}
			out[prefix] = append(out[prefix], s)
		}
	}
	walk("", v)
	return out
}

// flattenParquet reads the single row of a Security Lake Parquet file with parquet-go's
// generic reader (not this package's assembler) and flattens it like flattenEvent: the
// elements of legacy lists ("profiles.array") are the list's values, map entries
// ("unmapped.map.key"/"value") are "unmapped.<key>", FLOAT values are printed as float32,
// TIMESTAMP_MILLIS columns as datetimes.
func flattenParquet(t testing.TB, path string) flat {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	if pf.NumRows() != 1 {
		t.Fatalf("%s: %d rows, want 1", path, pf.NumRows())
	}
	cols := pf.Schema().Columns()
	rows := make([]parquet.Row, 1)
	if n, _ := parquet.NewReader(pf).ReadRows(rows); n != 1 {
		t.Fatalf("%s: read %d rows", path, n)
	}
	out := flat{}
	var mapKeys, mapValues []string
	for _, v := range rows[0] {
		if v.IsNull() {
			continue
		}
		key := strings.ReplaceAll(strings.Join(cols[v.Column()], "."), ".array", "")
		var val string
		switch v.Kind() {
		case parquet.ByteArray:
			val = string(v.ByteArray())
		case parquet.Int32:
			val = strconv.Itoa(int(v.Int32()))
		case parquet.Int64:
			val = strconv.FormatInt(v.Int64(), 10)
			if strings.HasSuffix(key, "_dt") {
				val = time.UnixMilli(v.Int64()).UTC().Format("2006-01-02T15:04:05.000Z")
			}
		case parquet.Float:
			val = strconv.FormatFloat(float64(v.Float()), 'g', -1, 32)
		case parquet.Double:
			val = strconv.FormatFloat(v.Double(), 'g', -1, 64)
		case parquet.Boolean:
			val = strconv.FormatBool(v.Boolean())
		default:
			t.Fatalf("%s: unexpected %v in %s", path, v.Kind(), key)
		}
		switch key {
		case "unmapped.map.key":
			mapKeys = append(mapKeys, val)
		case "unmapped.map.value":
			mapValues = append(mapValues, val)
		default:
			out[key] = append(out[key], val)
		}
	}
	for i, k := range mapKeys {
		out["unmapped."+k] = []string{mapValues[i]}
	}
	return out
}

// difference is an intentional difference between our event and the reference.
type difference struct {
	ref, ours []string
	reason    string
}

// compareFlat compares ours with ref attribute by attribute, allowing only the listed
// differences, each of which must occur.
func compareFlat(t *testing.T, ours, ref flat, diffs map[string]difference) {
	t.Helper()
	keys := map[string]bool{}
	for k := range ours {
		keys[k] = true
	}
	for k := range ref {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		o, r := ours[k], ref[k]
		if d, ok := diffs[k]; ok {
			if !reflect.DeepEqual(o, d.ours) || !reflect.DeepEqual(r, d.ref) {
				t.Errorf("%s: ours %q, reference %q; the listed difference (%s) is ours %q, reference %q",
					k, o, r, d.reason, d.ours, d.ref)
			}
			continue
		}
		if !reflect.DeepEqual(o, r) {
			t.Errorf("%s: ours %q, reference %q", k, o, r)
		}
	}
	for k := range diffs {
		if !keys[k] {
			t.Errorf("%s: listed as a difference but in neither event", k)
		}
	}
}

func vals(v ...string) []string { return v }

// renamed returns ref with the attributes that OCSF 1.1.0 renamed under their new names, so
// that the comparison with our 1.1.0 event is attribute by attribute.
func renamed(ref flat, renames map[string]string) flat {
	out := flat{}
	for k, v := range ref {
		if n, ok := renames[k]; ok {
			k = n
		}
		out[k] = append(out[k], v...)
	}
	return out
}

// validate checks ev against the OCSF 1.1.0 schema.
func validate(t testing.TB, ev ocsf.Event) {
	t.Helper()
	if err := schema.Validate(ev); err != nil {
		t.Errorf("invalid OCSF 1.1.0: %v", err)
	}
	h := ev.Header()
	if h.Metadata.Version != ocsf.Version || h.TypeUID != ocsf.TypeUID(h.ClassUID, h.ActivityID) || h.TimeDT.UnixMilli() != h.Time {
		t.Errorf("header %+v", h)
	}
}
