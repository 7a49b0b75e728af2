package guardduty

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/ocsf/schema"
	"github.com/mcpwatch/mcpwatch/internal/source"
)

// recordingSink keeps everything a Format hands it.
type recordingSink struct {
	t       testing.TB
	events  []*ocsf.ImportedFinding
	dead    []string
	skipped []string
}

func (s *recordingSink) Event(ev ocsf.Event, pos int64) error {
	f, ok := ev.(*ocsf.ImportedFinding)
	if !ok {
		s.t.Fatalf("event of type %T", ev)
	}
	s.events = append(s.events, f)
	return nil
}

func (s *recordingSink) DeadLetter(raw []byte, pos int64, reason string) error {
	s.dead = append(s.dead, reason)
	return nil
}

func (s *recordingSink) Skip(pos int64, reason string) error {
	s.skipped = append(s.skipped, reason)
	return nil
}

func read(t testing.TB, f source.Format, text string) (*recordingSink, error) {
	t.Helper()
	s := &recordingSink{t: t}
	err := f.Read(context.Background(), source.Input{Name: "test", R: strings.NewReader(text)}, s)
	return s, err
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

func readTestFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// flat is an event flattened to its leaf attributes, every value as text (datetimes as the
// UTC instant in milliseconds).
type flat map[string][]string

func flattenJSON(t testing.TB, b []byte) flat {
	t.Helper()
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
				walk(key, e)
			}
		case []any:
			for _, e := range v {
				walk(prefix, e)
			}
		case nil:
		default:
			s := leafString(v)
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

func flattenEvent(t testing.TB, ev any) flat {
	t.Helper()
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return flattenJSON(t, b)
}

// difference is an intentional difference between our event and a reference.
type difference struct {
	ref, ours []string
	reason    string
}

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

// validate checks ev against the OCSF 1.1.0 schema.
func validate(t testing.TB, ev *ocsf.ImportedFinding) {
	t.Helper()
	if err := schema.Validate(ev); err != nil {
		t.Errorf("invalid OCSF 1.1.0: %v", err)
	}
	if ev.ClassUID != ocsf.ClassDetectionFinding || ev.Metadata.Product.Name != "GuardDuty" {
		t.Errorf("class %d product %q", ev.ClassUID, ev.Metadata.Product.Name)
	}
}
