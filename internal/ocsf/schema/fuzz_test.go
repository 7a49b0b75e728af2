package schema

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// FuzzValidateStream checks that no input makes ValidateStream panic, and that its counts
// agree with the results it reports.
func FuzzValidateStream(f *testing.F) {
	// Events of every class mcpwatch emits, as one line, pretty, and in an array.
	for _, event := range validEvents() {
		line, _ := json.Marshal(event)
		pretty, _ := json.MarshalIndent(event, "", "  ")
		f.Add(line)
		f.Add(pretty)
		f.Add([]byte("[" + string(line) + ",\n" + string(pretty) + "]"))
		f.Add([]byte(string(line) + "\n" + string(line[:len(line)/2]) + "\n" + string(line) + "\n"))
	}
	// AWS's OCSF examples, when the shared reference data is there.
	if data, ok := sharedDataDir(); ok {
		files, _ := filepath.Glob(filepath.Join(data, "ocsf-examples", "aws", "v1.*", "*", "*", "*.ocsf"))
		more, _ := filepath.Glob(filepath.Join(data, "ocsf-examples", "aws", "v1.*", "*", "*", "*", "*.ocsf"))
		for _, name := range append(files, more...) {
			if b, err := os.ReadFile(name); err == nil {
				f.Add(b)
			}
		}
	}
	for _, s := range []string{
		"", "\n", "{}", "[]", "[{}]", "42", "null", "[1, {", "{\"class_uid\": 4001}\n{\"class_uid\": 1e99}\n",
		"{\n\"class_uid\": 4001,\n\"metadata\": {\"profiles\": [\"cloud\", 7], \"version\": 1}}",
		`{"class_uid": 4001, "observables": [{"name": "a.b[0].c", "type_id": "2"}], "src_endpoint": []}`,
		`{"class_uid": 2003, "type_uid": -1, "activity_id": 99, "category_uid": 2.5, "unmapped": {"x": [null]}}`,
		`{"class_uid": 3003, "privileges": [1], "group": null, "user": {"groups": [{"name": 1}]}}`,
		"\xef\xbb\xbf[\n{\"class_uid\":0}\n]\n[]", "{\"a\":\"\xff\"}\n",
	} {
		f.Add([]byte(s))
	}
	s, err := Default()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var results int
		sum, _ := ValidateStream(t.Context(), strings.NewReader(string(data)), func(r Result) error {
			if r.Index != results {
				t.Fatalf("result %d has index %d", results, r.Index)
			}
			if r.Line < 1 {
				t.Fatalf("result %d has line %d", results, r.Line)
			}
			for _, e := range r.Errors {
				if e.Kind == 0 || e.Msg == "" {
					t.Fatalf("error without kind or message: %+v", e)
				}
			}
			results++
			return nil
		})
		if sum.Records != results || sum.Valid+sum.Invalid != sum.Records {
			t.Fatalf("summary %+v for %d results", sum, results)
		}
		// The same bytes as one event.
		if event, err := decodeObject(data); err == nil {
			_ = s.Validate(event)
		}
	})
}

// FuzzValidate puts a fuzzed JSON value at a fuzzed path of a valid event of each class, so
// that every attribute meets values of every shape. Validate must not panic and must report
// sorted, well-formed errors.
func FuzzValidate(f *testing.F) {
	events := validEvents()
	names := sortedKeys(events)
	for i := range names {
		f.Add(uint8(i), "src_endpoint.port", []byte(`"443"`))
		f.Add(uint8(i), "observables.0.type_id", []byte(`11`))
		f.Add(uint8(i), "metadata.profiles", []byte(`["cloud", 7, null]`))
		f.Add(uint8(i), "class_uid", []byte(`3003`))
		f.Add(uint8(i), "actor.user", []byte(`{"groups": [{"name": {}}], "account": []}`))
		f.Add(uint8(i), "answers.0.flag_ids", []byte(`[1, "x", 99, 1e400]`))
	}
	s, err := Default()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, class uint8, path string, value []byte) {
		v, err := decodeValue(value)
		if err != nil {
			return
		}
		m := toMap(t, events[names[int(class)%len(names)]])
		// Walk the path ("a.0.b": index 0 of array a), creating objects on the way.
		var cur any = m
		parts := strings.Split(path, ".")
		for i, p := range parts {
			last := i == len(parts)-1
			switch c := cur.(type) {
			case map[string]any:
				if last {
					c[p] = v
				} else if _, ok := c[p]; !ok {
					c[p] = map[string]any{}
				}
				cur = c[p]
			case []any:
				n, err := strconv.Atoi(p)
				if err != nil || n < 0 || n >= len(c) {
					return
				}
				if last {
					c[n] = v
				}
				cur = c[n]
			default:
				return
			}
		}
		errs := s.Validate(m)
		for i, e := range errs {
			if e.Kind == 0 || e.Kind == KindSyntax || e.Msg == "" {
				t.Fatalf("bad error %+v", e)
			}
			if i > 0 && comparePaths(errs[i-1].Path, e.Path) > 0 {
				t.Fatalf("errors not sorted: %q before %q", errs[i-1].Path, e.Path)
			}
		}
	})
}

// decodeValue decodes one JSON value, numbers as json.Number.
func decodeValue(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}
