package schema

import (
	"encoding/json"
	"os"
	"path/filepath"
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
