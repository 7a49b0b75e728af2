package route53

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
	event  *ocsf.DNSActivity // a copy, for Event
	dead   string            // the raw record, for DeadLetter
	reason string            // for DeadLetter
}

// recordingSink keeps a copy of every event, as a lake writer would, and every dead letter,
// checks that positions grow by one from 1, and validates every event.
type recordingSink struct {
	t      testing.TB
	out    []outcome
	failAt int // return an error from the failAt-th call (1-based); 0 never
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
	e, ok := ev.(*ocsf.DNSActivity)
	if !ok {
		s.t.Fatalf("event of type %T", ev)
	}
	c := *e
	validate(s.t, &c)
	return s.add(outcome{pos: pos, event: &c})
}

func (s *recordingSink) DeadLetter(raw []byte, pos int64, reason string) error {
	return s.add(outcome{pos: pos, dead: string(raw), reason: reason})
}

func (s *recordingSink) Skip(pos int64, reason string) error {
	s.t.Errorf("record %d skipped (%s): Route 53 records are never skipped", pos, reason)
	return s.add(outcome{pos: pos, reason: reason})
}

func (s *recordingSink) events() []*ocsf.DNSActivity {
	var evs []*ocsf.DNSActivity
	for _, o := range s.out {
		if o.event != nil {
			evs = append(evs, o.event)
		}
	}
	return evs
}

// kinds summarizes outcomes: "E" for an event, "D" for a dead letter.
func kinds(s *recordingSink) string {
	var b []string
	for _, o := range s.out {
		if o.event != nil {
			b = append(b, "E")
		} else {
			b = append(b, "D")
		}
	}
	return strings.Join(b, " ")
}

// read reads text through Format.Read into a recordingSink.
func read(t testing.TB, f Format, text string) (*recordingSink, error) {
	t.Helper()
	s := &recordingSink{t: t}
	err := f.Read(context.Background(), source.Input{Name: "test", R: strings.NewReader(text),
		Region: "eu-west-1", Account: "999999999999"}, s)
	return s, err
}

// validate checks ev against the OCSF 1.1.0 schema. The one error it tolerates is a query name
// that is not a host name as the validator's hostname_t has it (the root "." and names with
// other characters than letters, digits, '-' and '_', which DNS allows and Resolver logs as
// asked): the event keeps the name as Security Lake does.
func validate(t testing.TB, ev *ocsf.DNSActivity) {
	t.Helper()
	err := schema.Validate(ev)
	var errs schema.Errors
	if errors.As(err, &errs) && !isHostname(ev.Query.Hostname) {
		var rest schema.Errors
		for _, e := range errs {
			if e.Path != "query.hostname" || e.Kind != schema.KindValue {
				rest = append(rest, e)
			}
		}
		err = nil
		if len(rest) > 0 {
			err = rest
		}
	}
	if err != nil {
		b, _ := json.Marshal(ev)
		t.Errorf("invalid OCSF 1.1.0: %v\n%s", err, b)
	}
	if ev.TimeDT.UnixMilli() != ev.Time || ev.TypeUID != 400306 || ev.Action != actionNames[ev.ActionID] {
		t.Errorf("event %+v", ev)
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

// flat is an event flattened to its leaf attributes: "query.hostname" -> values (one for a
// scalar, several for a list). Numbers are int64, everything else a string.
type flat map[string][]any

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
// flattenEvent: legacy list elements ("answers.array.rdata") become the list's values, map
// entries ("unmapped.map.key"/"value") become "unmapped.<key>".
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

// sortObservables puts the observables of fl in a canonical order.
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
