package cloudtrail

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/ocsf/schema"
	"github.com/mcpwatch/mcpwatch/internal/source"
)

// outcome is what the sink was told about one record.
type outcome struct {
	pos    int64
	event  ocsf.Event // a copy, for Event
	dead   string     // the raw record, for DeadLetter
	reason string     // for DeadLetter and Skip
	skip   bool
}

// recordingSink keeps a copy of every event, as a lake writer would, and every dead letter and
// skip, and checks that positions grow by one from 1.
type recordingSink struct {
	t        testing.TB
	out      []outcome
	failAt   int // return an error from the failAt-th call (1-based); 0 never
	validate bool
}

var errSinkFull = errors.New("sink full")

func (s *recordingSink) add(o outcome) error {
	s.t.Helper()
	if want := int64(len(s.out) + 1); o.pos != want {
		s.t.Errorf("position %d, want %d", o.pos, want)
	}
	s.out = append(s.out, o)
	if s.failAt > 0 && len(s.out) == s.failAt {
		return errSinkFull
	}
	return nil
}

func (s *recordingSink) Event(ev ocsf.Event, pos int64) error {
	s.t.Helper()
	var cp ocsf.Event
	switch e := ev.(type) {
	case *ocsf.APIActivity:
		c := *e
		cp = &c
	case *ocsf.Authentication:
		c := *e
		cp = &c
	case *ocsf.AccountChange:
		c := *e
		cp = &c
	default:
		s.t.Fatalf("event of type %T", ev)
	}
	if s.validate {
		validate(s.t, cp)
	}
	return s.add(outcome{pos: pos, event: cp})
}

func (s *recordingSink) DeadLetter(raw []byte, pos int64, reason string) error {
	return s.add(outcome{pos: pos, dead: string(raw), reason: reason})
}

func (s *recordingSink) Skip(pos int64, reason string) error {
	return s.add(outcome{pos: pos, reason: reason, skip: true})
}

func (s *recordingSink) events() []ocsf.Event {
	var evs []ocsf.Event
	for _, o := range s.out {
		if o.event != nil {
			evs = append(evs, o.event)
		}
	}
	return evs
}

// read reads text through Format.Read into a validating recordingSink.
func read(t testing.TB, f Format, text string) (*recordingSink, error) {
	t.Helper()
	s := &recordingSink{t: t, validate: true}
	err := f.Read(context.Background(), source.Input{Name: "test", R: strings.NewReader(text),
		Region: "eu-west-1", Account: "999999999999"}, s)
	return s, err
}

// validate checks ev against the OCSF 1.1.0 schema and the invariants of CloudTrail events.
func validate(t testing.TB, ev ocsf.Event) {
	t.Helper()
	if err := schema.Validate(ev); err != nil {
		b, _ := json.Marshal(ev)
		t.Errorf("invalid OCSF 1.1.0: %v\n%s", err, b)
	}
	h := ev.Header()
	if h.TypeUID != ocsf.TypeUID(h.ClassUID, h.ActivityID) || h.ActivityName != ocsf.ActivityName(h.ClassUID, h.ActivityID) ||
		h.TypeName != ocsf.ClassName(h.ClassUID)+": "+h.ActivityName {
		t.Errorf("classification %d/%d/%d %q %q", h.ClassUID, h.ActivityID, h.TypeUID, h.ActivityName, h.TypeName)
	}
	if h.TimeDT.UnixMilli() != h.Time || h.Cloud.Provider != "AWS" || h.Metadata.Product.Name != "CloudTrail" {
		t.Errorf("header %+v", h)
	}
}

// dataDir is ../shared/data from the module root (the directory holding go.mod).
func dataDir(t testing.TB) string {
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

// readGzip returns the decompressed content of a gzip file.
func readGzip(t testing.TB, path string) string {
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

// flat is an event flattened to its leaf attributes: "actor.user.uid" -> values (one for a
// scalar, several for a list). Numbers are int64, everything else a string.
type flat map[string][]any

// flattenEvent flattens ev through its OCSF JSON encoding.
func flattenEvent(t testing.TB, ev any) flat {
	t.Helper()
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	out := flat{}
	flattenJSON(out, "", m)
	return out
}

func flattenJSON(out flat, prefix string, v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			flattenJSON(out, key, e)
		}
	case []any:
		for _, e := range v {
			flattenJSON(out, prefix, e)
		}
	case float64:
		out[prefix] = append(out[prefix], int64(v))
	default:
		out[prefix] = append(out[prefix], fmt.Sprint(v))
	}
}

// flattenParquet reads the single row of a Security Lake Parquet file and flattens it like
// flattenEvent: legacy list elements ("profiles.array") become the list's values, map entries
// ("unmapped.map.key"/"value") become "unmapped.<key>", booleans "true" or "false".
func flattenParquet(t testing.TB, path string) flat {
	t.Helper()
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
	out := flat{}
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
		case parquet.Boolean:
			val = fmt.Sprint(v.Boolean())
		default:
			t.Fatalf("%s: unexpected %v in %s", path, v.Kind(), key)
		}
		switch key {
		case "unmapped.map.key":
			mapKeys = append(mapKeys, val.(string))
		case "unmapped.map.value":
			mapValues = append(mapValues, val.(string))
		default:
			out[key] = append(out[key], val)
		}
	}
	for i, k := range mapKeys {
		out["unmapped."+k] = []any{mapValues[i]}
	}
	return out
}

// sortObservables puts the observables of fl in a canonical order, so that two events listing
// the same observables in different orders compare equal.
func sortObservables(fl flat) {
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

// difference is an intentional difference between our events and a reference.
type difference struct {
	ref    []any // the reference's value; nil when the reference lacks the attribute
	ours   []any // our value; nil when we lack the attribute
	reason string
}

// compareFlat compares ours with ref attribute by attribute, allowing only the listed
// differences, each of which must actually occur.
func compareFlat(t testing.TB, ours, ref flat, diffs map[string]difference) {
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
				t.Errorf("%s: ours %v, reference %v; the listed difference (%s) is ours %v, reference %v",
					k, o, r, d.reason, d.ours, d.ref)
			}
			continue
		}
		if !reflect.DeepEqual(o, r) {
			t.Errorf("%s: ours %v, reference %v", k, o, r)
		}
	}
	for k := range diffs {
		if !keys[k] {
			t.Errorf("%s: listed as a difference but in neither event", k)
		}
	}
}

func vals(v ...any) []any { return v }
