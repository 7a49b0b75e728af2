// Package sourcetest holds what the tests of the source readers (vpcflow, cloudtrail, route53,
// securityhub, guardduty, securitylake) share to compare their events with the AWS samples in
// ../shared/data: where the samples are, reading them, events and Security Lake Parquet rows
// flattened to their leaf attributes, and the attribute-by-attribute comparison that allows
// only listed differences. It is a normal package so that the test files of every reader can
// import it, but only tests import it.
package sourcetest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// DataDir is ../shared/data from the module root (the directory holding go.mod).
func DataDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "data")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the package directory")
		}
		dir = parent
	}
}

// ReadFile returns the content of a file.
func ReadFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ReadGzip returns the decompressed content of a gzip file.
func ReadGzip(t testing.TB, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Flat is an event flattened to its leaf attributes: "actor.user.uid" -> values (one for a
// scalar, several for a list or a path inside lists). A whole number is an int64, any other
// number a float64, everything else a string (booleans "true" or "false"). Nulls are left out.
type Flat map[string][]any

// Option changes how an event is flattened.
type Option func(*options)

type options struct {
	utcDatetimes bool
}

// UTCDatetimes writes the value of every attribute whose name ends in "_dt" (the datetime
// profile) as its UTC instant in milliseconds, "2006-01-02T15:04:05.000Z", so that events
// writing the same instants in different offsets or precisions compare equal. In Parquet an
// int64 _dt column (TIMESTAMP_MILLIS) is written the same way.
func UTCDatetimes() Option { return func(o *options) { o.utcDatetimes = true } }

func newOptions(opts []Option) options {
	var o options
	for _, f := range opts {
		f(&o)
	}
	return o
}

const utcMillis = "2006-01-02T15:04:05.000Z"

// FlattenEvent flattens ev through its OCSF JSON encoding.
func FlattenEvent(t testing.TB, ev any, opts ...Option) Flat {
	t.Helper()
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return FlattenJSON(t, b, opts...)
}

// FlattenJSON flattens the JSON object b (an OCSF event as an example or a reference writes it).
func FlattenJSON(t testing.TB, b []byte, opts ...Option) Flat {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	out := Flat{}
	FlattenValue(out, "", v, opts...)
	return out
}

// FlattenValue adds the leaves of v, a value decoded from JSON (numbers as float64 or
// json.Number), to out under prefix.
func FlattenValue(out Flat, prefix string, v any, opts ...Option) {
	flattenValue(out, prefix, v, newOptions(opts))
}

func flattenValue(out Flat, prefix string, v any, o options) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			flattenValue(out, key, e, o)
		}
	case []any:
		for _, e := range v {
			flattenValue(out, prefix, e, o)
		}
	case nil:
	case json.Number:
		if n, err := v.Int64(); err == nil {
			out[prefix] = append(out[prefix], n)
			return
		}
		f, err := v.Float64()
		if err != nil {
			out[prefix] = append(out[prefix], v.String())
			return
		}
		out[prefix] = append(out[prefix], number(f))
	case float64:
		out[prefix] = append(out[prefix], number(v))
	default:
		s := fmt.Sprint(v)
		if o.utcDatetimes && strings.HasSuffix(prefix, "_dt") {
			if ts, err := time.Parse(time.RFC3339Nano, s); err == nil {
				s = ts.UTC().Format(utcMillis)
			}
		}
		out[prefix] = append(out[prefix], s)
	}
}

// number is f as an int64 when it is whole, else f.
func number(f float64) any {
	if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
		return int64(f)
	}
	return f
}

// FlattenParquet reads the single row of a Security Lake Parquet file with parquet-go's generic
// reader and flattens it like FlattenEvent: the elements of legacy lists ("profiles.array")
// are the list's values, map entries ("unmapped.map.key"/"value") are "unmapped.<key>", FLOAT
// values are taken as the float32 they are (37.751, not 37.750999450683594).
func FlattenParquet(t testing.TB, path string, opts ...Option) Flat {
	t.Helper()
	o := newOptions(opts)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
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
	out := Flat{}
	var mapKeys, mapValues []string
	for _, v := range rows[0] {
		if v.IsNull() {
			continue
		}
		key := strings.ReplaceAll(strings.Join(cols[v.Column()], "."), ".array", "")
		var val any
		switch v.Kind() {
		case parquet.ByteArray:
			val = string(v.ByteArray())
		case parquet.Int32:
			val = int64(v.Int32())
		case parquet.Int64:
			val = v.Int64()
			if o.utcDatetimes && strings.HasSuffix(key, "_dt") {
				val = time.UnixMilli(v.Int64()).UTC().Format(utcMillis)
			}
		case parquet.Float:
			f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(v.Float()), 'g', -1, 32), 64)
			val = number(f)
		case parquet.Double:
			val = number(v.Double())
		case parquet.Boolean:
			val = strconv.FormatBool(v.Boolean())
		default:
			t.Fatalf("%s: unexpected %v in %s", path, v.Kind(), key)
		}
		switch key {
		case "unmapped.map.key":
			mapKeys = append(mapKeys, fmt.Sprint(val))
		case "unmapped.map.value":
			mapValues = append(mapValues, fmt.Sprint(val))
		default:
			out[key] = append(out[key], val)
		}
	}
	for i, k := range mapKeys {
		out["unmapped."+k] = []any{mapValues[i]}
	}
	return out
}

// SortObservables puts the observables of fl in a canonical order, so that two events listing
// the same observables in different orders compare equal.
func SortObservables(fl Flat) {
	names, types, ids, values := fl["observables.name"], fl["observables.type"], fl["observables.type_id"], fl["observables.value"]
	if len(names) == 0 || len(types) != len(names) || len(ids) != len(names) || len(values) != len(names) {
		return
	}
	idx := make([]int, len(names))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool {
		return fmt.Sprint(names[idx[a]], values[idx[a]]) < fmt.Sprint(names[idx[b]], values[idx[b]])
	})
	pick := func(vs []any) []any {
		out := make([]any, len(vs))
		for i, j := range idx {
			out[i] = vs[j]
		}
		return out
	}
	fl["observables.name"], fl["observables.type"], fl["observables.type_id"], fl["observables.value"] =
		pick(names), pick(types), pick(ids), pick(values)
}

// Difference is an intentional difference between our event and a reference, with its reason.
type Difference struct {
	Ref    []any // the reference's values; nil when the reference lacks the attribute
	Ours   []any // our values; nil when we lack the attribute
	Reason string
}

// Diff is what CompareFlat takes for a Difference: Difference itself or, as the readers' tests
// have it, a type defined in the test's package as
//
//	type difference sourcetest.Difference
//
// so that its tables may list differences as unkeyed {ref, ours, reason} literals (go vet
// reports unkeyed literals of another package's struct type).
type Diff interface {
	~struct {
		Ref    []any
		Ours   []any
		Reason string
	}
}

// CompareFlat compares ours with ref attribute by attribute, allowing only the listed
// differences, each of which must actually occur: it fails on an attribute that differs
// without being listed, on a listed one whose values are not the listed ones, and on a listed
// one in neither event.
func CompareFlat[D Diff](t testing.TB, ours, ref Flat, diffs map[string]D) {
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
		if dd, ok := diffs[k]; ok {
			d := Difference(dd)
			if !reflect.DeepEqual(o, d.Ours) || !reflect.DeepEqual(r, d.Ref) {
				t.Errorf("%s: ours %s, reference %s; the listed difference (%s) is ours %s, reference %s",
					k, show(o), show(r), d.Reason, show(d.Ours), show(d.Ref))
			}
			continue
		}
		if !reflect.DeepEqual(o, r) {
			t.Errorf("%s: ours %s, reference %s", k, show(o), show(r))
		}
	}
	for k := range diffs {
		if !keys[k] {
			t.Errorf("%s: listed as a difference but in neither event", k)
		}
	}
}

// show writes vs with its strings quoted, so that "1" and 1 tell apart.
func show(vs []any) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, v := range vs {
		if i > 0 {
			b.WriteByte(' ')
		}
		if s, ok := v.(string); ok {
			b.WriteString(strconv.Quote(s))
		} else {
			fmt.Fprint(&b, v)
		}
	}
	b.WriteByte(']')
	return b.String()
}

// Vals is its arguments, for the values of a Difference.
func Vals(v ...any) []any { return v }
