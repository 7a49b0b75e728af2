package schema

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// record is what a test expects of one Result.
type record struct {
	line  int
	valid bool
	msg   string // a substring of the first error, when invalid
}

func eventJSON(t testing.TB, indent bool, mutate func(map[string]any)) string {
	t.Helper()
	m := toMap(t, validEvents()["NetworkActivity"])
	if mutate != nil {
		mutate(m)
	}
	var b []byte
	var err error
	if indent {
		b, err = json.MarshalIndent(m, "", "  ")
	} else {
		b, err = json.Marshal(m)
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestValidateStream(t *testing.T) {
	s := mustDefault(t)
	line := eventJSON(t, false, nil)
	pretty := eventJSON(t, true, nil)
	prettyLines := strings.Count(pretty, "\n") + 1
	bogus := eventJSON(t, false, func(m map[string]any) { m["bogus"] = true })
	prettyBogus := eventJSON(t, true, func(m map[string]any) { m["bogus"] = true })

	tests := []struct {
		name    string
		input   string
		maxLine int
		want    []record
		wantErr string // a substring of the returned error, or ""
	}{
		{"empty", "", 0, nil, ""},
		{"blank", " \n\r\n\t\n", 0, nil, ""},
		{"one line object", line, 0, []record{{1, true, ""}}, ""},
		{"one line object and newline", line + "\n", 0, []record{{1, true, ""}}, ""},
		{"pretty object after blank lines", "\n\n" + pretty + "\n", 0, []record{{3, true, ""}}, ""},
		{"pretty objects", pretty + "\n" + prettyBogus, 0,
			[]record{{1, true, ""}, {1 + prettyLines, false, "bogus: attribute is not defined"}}, ""},
		{"byte order mark", "\xef\xbb\xbf" + line, 0, []record{{1, true, ""}}, ""},
		{"ndjson", line + "\n\n" + bogus + "\nnot json\r\n" + line + "\r\n{\"class_uid\": 4001}", 0,
			[]record{{1, true, ""}, {3, false, "bogus"}, {4, false, "not JSON: invalid character 'o'"},
				{5, true, ""}, {6, false, "required attribute is missing"}}, ""},
		{"ndjson first line not JSON", "hello\n" + line + "\n", 0,
			[]record{{1, false, "not JSON"}, {2, true, ""}}, ""},
		{"ndjson scalar", "42\n\"x\"\nnull\n[1]\n", 0,
			[]record{{1, false, "a JSON number, not an object"}, {2, false, "a JSON string, not an object"},
				{3, false, "a JSON null, not an object"}, {4, false, "a JSON array, not an object"}}, ""},
		{"ndjson two values on a line", line + " {}\n" + line, 0,
			[]record{{1, false, "more than one value"}, {2, true, ""}}, ""},
		{"ndjson line too long", "{\"" + strings.Repeat("a", 100) + "\":1}\n" + `{"class_uid": 1}` + "\n", 64,
			[]record{{1, false, "line longer than 64 bytes"}, {2, false, "not an event class"}}, ""},
		{"ndjson truncated last line", line + "\n{\"class_uid\":", 0,
			[]record{{1, true, ""}, {2, false, "not JSON"}}, ""},
		{"array", "[" + line + ",\n" + bogus + "\n]", 0,
			[]record{{1, true, ""}, {2, false, "bogus"}}, ""},
		{"pretty array", "\n[\n" + pretty + ",\n" + prettyBogus + "\n]\n", 0,
			[]record{{3, true, ""}, {3 + prettyLines, false, "bogus"}}, ""},
		{"empty array", "[]", 0, nil, ""},
		{"array of scalars", `[42, "x", null, [], {"class_uid": 4001.5}]`, 0,
			[]record{{1, false, "a JSON number"}, {1, false, "a JSON string"}, {1, false, "a JSON null"},
				{1, false, "a JSON array"}, {1, false, "class_uid: expected integer"}}, ""},
		{"array with malformed JSON", "[\n" + line + ",\n{\"a\": ]\n, " + line + "]", 0,
			[]record{{2, true, ""}, {3, false, "not JSON: invalid character ']'"}}, "line 3: malformed JSON"},
		{"truncated array", "[" + line + ",", 0,
			[]record{{1, true, ""}, {1, false, "unexpected end of input"}}, "malformed JSON"},
		{"data after the array", "[" + line + "] {}", 0,
			[]record{{1, true, ""}, {1, false, "after the array"}}, "malformed JSON"},
		{"truncated pretty object", pretty[:len(pretty)/2], 0,
			[]record{{1, false, "unexpected end of input"}}, "malformed JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			maxLine := tt.maxLine
			if maxLine == 0 {
				maxLine = MaxLineSize
			}
			var got []record
			var results []Result
			sum, err := validateStream(t.Context(), strings.NewReader(tt.input),
				func(map[string]any) *Schema { return s }, func(r Result) error {
					rec := record{line: r.Line, valid: r.Valid()}
					if !rec.valid {
						rec.msg = r.Errors[0].Error()
					}
					got = append(got, rec)
					results = append(results, r)
					return nil
				}, maxLine)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d records %v, want %v", len(got), got, tt.want)
			}
			valid := 0
			for i, g := range got {
				w := tt.want[i]
				if g.line != w.line || g.valid != w.valid || !strings.Contains(g.msg, w.msg) {
					t.Errorf("record %d = %+v, want %+v", i, g, w)
				}
				if results[i].Index != i {
					t.Errorf("record %d has index %d", i, results[i].Index)
				}
				if g.valid {
					valid++
				}
			}
			if want := (Summary{Records: len(got), Valid: valid, Invalid: len(got) - valid}); sum != want {
				t.Errorf("summary = %+v, want %+v", sum, want)
			}
		})
	}
}

func TestValidateStreamResultFields(t *testing.T) {
	s := mustDefault(t)
	input := eventJSON(t, false, nil) + "\n" + eventJSON(t, false, func(m map[string]any) { m["time"] = "now" })
	var results []Result
	sum, err := s.ValidateStream(t.Context(), strings.NewReader(input), func(r Result) error {
		results = append(results, r)
		return nil
	})
	if err != nil || sum != (Summary{Records: 2, Valid: 1, Invalid: 1}) {
		t.Fatalf("ValidateStream = %+v, %v", sum, err)
	}
	r := results[1]
	if r.Index != 1 || r.Line != 2 || r.UID != "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" ||
		len(r.Errors) != 1 || r.Errors[0].Path != "time" || r.Errors[0].Kind != KindType {
		t.Errorf("result = %+v", r)
	}
	// A nil fn only counts.
	if sum, err := s.ValidateStream(t.Context(), strings.NewReader(input), nil); err != nil || sum.Records != 2 {
		t.Errorf("ValidateStream(nil fn) = %+v, %v", sum, err)
	}
}

func TestValidateStreamStops(t *testing.T) {
	s := mustDefault(t)
	input := strings.Repeat(eventJSON(t, false, nil)+"\n", 5)
	stop := errors.New("stop")
	n := 0
	sum, err := s.ValidateStream(t.Context(), strings.NewReader(input), func(Result) error {
		if n++; n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || sum.Records != 2 {
		t.Errorf("ValidateStream = %+v, %v; want 2 records and the fn's error", sum, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	sum, err = s.ValidateStream(ctx, strings.NewReader(input), nil)
	if !errors.Is(err, context.Canceled) || sum.Records != 0 {
		t.Errorf("ValidateStream(cancelled) = %+v, %v", sum, err)
	}
	failing := io.MultiReader(strings.NewReader(input[:10]), iotestErrReader{})
	if _, err := s.ValidateStream(t.Context(), failing, nil); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("ValidateStream(failing reader) = %v", err)
	}
}

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, errors.New("boom") }

// countingReader serves n copies of a record and counts the bytes read.
type countingReader struct {
	r    io.Reader
	read int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += n
	return n, err
}

// TestValidateStreamStreams checks that records are validated as they are read, not after
// the whole input is: the first result comes while most of the input is still unread.
func TestValidateStreamStreams(t *testing.T) {
	s := mustDefault(t)
	rec := eventJSON(t, false, nil)
	const n = 2000
	inputs := map[string]string{
		"ndjson": strings.Repeat(rec+"\n", n),
		"array":  "[" + strings.TrimSuffix(strings.Repeat(rec+",", n), ",") + "]",
		"pretty": strings.Repeat(eventJSON(t, true, nil)+"\n", n),
	}
	for name, input := range inputs {
		t.Run(name, func(t *testing.T) {
			cr := &countingReader{r: strings.NewReader(input)}
			readAtFirst := -1
			sum, err := s.ValidateStream(t.Context(), cr, func(Result) error {
				if readAtFirst < 0 {
					readAtFirst = cr.read
				}
				return nil
			})
			if err != nil || sum.Valid != n {
				t.Fatalf("ValidateStream = %+v, %v", sum, err)
			}
			if readAtFirst > len(input)/10 {
				t.Errorf("%d of %d bytes read before the first result", readAtFirst, len(input))
			}
		})
	}
}

// TestValidateStreamVersions checks that the package-level ValidateStream picks the schema of
// each event's metadata.version.
func TestValidateStreamVersions(t *testing.T) {
	root := filepath.Join(sharedData(t), "ocsf-examples", "aws")
	var input bytes.Buffer
	for _, f := range []string{"v1.0.0-rc.2/VPC Flowlogs/samples/vpcflowlog.ocsf", "v1.1.0/VPC Flowlogs/samples/vpcflowlog.ocsf"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		m, err := decodeObject(b)
		if err != nil {
			t.Fatal(err)
		}
		line, _ := json.Marshal(m)
		fmt.Fprintf(&input, "%s\n", line)
	}
	sum, err := ValidateStream(t.Context(), bytes.NewReader(input.Bytes()), nil)
	if err != nil || sum != (Summary{Records: 2, Valid: 2}) {
		t.Errorf("ValidateStream = %+v, %v; want both valid", sum, err)
	}
	// Against 1.1.0 only, the 1.0.0-rc.2 event fails.
	var first Errors
	sum, err = mustDefault(t).ValidateStream(t.Context(), bytes.NewReader(input.Bytes()), func(r Result) error {
		if r.Index == 0 {
			first = r.Errors
		}
		return nil
	})
	if err != nil || sum.Invalid != 1 || !strings.Contains(first.Error(), `metadata.version: "1.0.0-rc.2" is not the version of the schema, 1.1.0`) {
		t.Errorf("1.1.0 ValidateStream = %+v, %v\n%v", sum, err, first)
	}
}
