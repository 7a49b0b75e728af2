package output

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

func TestParseFormat(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Format
	}{
		{"table", Table}, {"JSON", JSON}, {" ndjson ", NDJSON}, {"Csv", CSV},
	} {
		got, err := ParseFormat(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseFormat(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if again, _ := ParseFormat(got.String()); again != got {
			t.Errorf("ParseFormat(%v.String()) = %v", got, again)
		}
	}
	for _, in := range []string{"", "xml", "tables", "json,csv"} {
		_, err := ParseFormat(in)
		if err == nil {
			t.Errorf("ParseFormat(%q) succeeded", in)
			continue
		}
		for _, name := range FormatNames() {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("ParseFormat(%q) error %q does not list %q", in, err, name)
			}
		}
	}
	// *Format is a flag value.
	var f Format
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(&bytes.Buffer{})
	fs.Var(&f, "format", "output format")
	if err := fs.Parse([]string{"--format", "ndjson"}); err != nil || f != NDJSON {
		t.Errorf("flag --format ndjson = %v, %v", f, err)
	}
	if err := fs.Parse([]string{"--format", "yaml"}); err == nil {
		t.Errorf("flag --format yaml accepted")
	}
	if got := Format(9).String(); got != "Format(9)" {
		t.Errorf("Format(9).String() = %q", got)
	}
}

var (
	when    = time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("CEST", 2*3600))
	whenUTC = "2024-01-02T01:04:05Z"
	nanos   = time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC)
)

// sample has unicode, a string that needs quoting and escaping, numbers (one NaN), times in
// another zone and with nanoseconds, nils, and nested maps and slices.
var sampleColumns = []string{"name", "n", "when", "nested", "note"}

func sampleRows() [][]any {
	return [][]any{
		{"é日本", int64(42), when, map[string]any{"b": []any{int64(1), "x"}, "a": nil}, nil},
		{"a,b \"q\"\nline", 1.5, nanos, []any{}, "ok"},
		{"", math.NaN(), nil, map[string]any{"t": when}, true},
	}
}

func TestWrite(t *testing.T) {
	for _, tc := range []struct {
		format Format
		want   string
	}{
		{Table, "" +
			"name             n  when                            nested                        note\n" +
			"-------------  ---  ------------------------------  ----------------------------  ----\n" +
			"é日本           42  2024-01-02T01:04:05Z            {\"a\":null,\"b\":[1,\"x\"]}        NULL\n" +
			"a,b \"q\"\\nline  1.5  2024-01-02T03:04:05.123456789Z  []                            ok\n" +
			"               NaN  NULL                            {\"t\":\"2024-01-02T01:04:05Z\"}  true\n"},
		{JSON, `[
  {
    "name": "é日本",
    "n": 42,
    "when": "2024-01-02T01:04:05Z",
    "nested": {
      "a": null,
      "b": [
        1,
        "x"
      ]
    },
    "note": null
  },
  {
    "name": "a,b \"q\"\nline",
    "n": 1.5,
    "when": "2024-01-02T03:04:05.123456789Z",
    "nested": [],
    "note": "ok"
  },
  {
    "name": "",
    "n": "NaN",
    "when": null,
    "nested": {
      "t": "2024-01-02T01:04:05Z"
    },
    "note": true
  }
]
`},
		{NDJSON, `{"name":"é日本","n":42,"when":"2024-01-02T01:04:05Z","nested":{"a":null,"b":[1,"x"]},"note":null}
{"name":"a,b \"q\"\nline","n":1.5,"when":"2024-01-02T03:04:05.123456789Z","nested":[],"note":"ok"}
{"name":"","n":"NaN","when":null,"nested":{"t":"2024-01-02T01:04:05Z"},"note":true}
`},
		{CSV, "name,n,when,nested,note\r\n" +
			"é日本,42,2024-01-02T01:04:05Z,\"{\"\"a\"\":null,\"\"b\"\":[1,\"\"x\"\"]}\",\r\n" +
			"\"a,b \"\"q\"\"\nline\",1.5,2024-01-02T03:04:05.123456789Z,[],ok\r\n" +
			",NaN,,\"{\"\"t\"\":\"\"2024-01-02T01:04:05Z\"\"}\",true\r\n"},
	} {
		t.Run(tc.format.String(), func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, tc.format, sampleColumns, sampleRows()); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestTableAlignment(t *testing.T) {
	var buf bytes.Buffer
	rows := [][]any{{nil, int64(1), nil, "x"}, {nil, nil, 2.5, int64(10)}}
	if err := Write(&buf, Table, []string{"nulls", "ints", "floats", "mixed"}, rows); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"nulls  ints  floats  mixed\n" +
		"-----  ----  ------  -----\n" +
		"NULL      1    NULL  x\n" +
		"NULL   NULL     2.5  10\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestWriteEmpty(t *testing.T) {
	for _, tc := range []struct {
		format  Format
		columns []string
		want    string
	}{
		{Table, []string{"a", "bb"}, "a  bb\n-  --\n"},
		{Table, nil, ""},
		{Table, []string{"a", "b"}, "a  b\n-  -\n"},
		{JSON, []string{"a"}, "[]\n"},
		{NDJSON, []string{"a"}, ""},
		{CSV, []string{"a", "b"}, "a,b\r\n"},
	} {
		var buf bytes.Buffer
		if err := Write(&buf, tc.format, tc.columns, nil); err != nil {
			t.Errorf("%v: %v", tc.format, err)
		}
		if buf.String() != tc.want {
			t.Errorf("%v with no rows = %q, want %q", tc.format, buf.String(), tc.want)
		}
	}
	if err := Write(&bytes.Buffer{}, CSV, []string{"a", "b"}, [][]any{{1}}); err == nil {
		t.Errorf("a row shorter than the columns was accepted")
	}
	if err := Write(&bytes.Buffer{}, Format(7), []string{"a"}, nil); err == nil {
		t.Errorf("an unknown format was accepted")
	}
}

// TestCSVReadsBack checks the CSV against an RFC 4180 reader: every field comes back as
// written, quotes, commas and line breaks included.
func TestCSVReadsBack(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, CSV, sampleColumns, sampleRows()); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		sampleColumns,
		{"é日本", "42", whenUTC, `{"a":null,"b":[1,"x"]}`, ""},
		{"a,b \"q\"\nline", "1.5", "2024-01-02T03:04:05.123456789Z", "[]", "ok"},
		{"", "NaN", "", `{"t":"2024-01-02T01:04:05Z"}`, "true"},
	}
	if !reflect.DeepEqual(records, want) {
		t.Errorf("read back\n%q\nwant\n%q", records, want)
	}
}

// TestJSONColumnOrder checks that objects keep the columns' order (not the alphabetical
// order of maps) and that the output is valid JSON.
func TestJSONColumnOrder(t *testing.T) {
	cols := []string{"z", "a", "m"}
	rows := [][]any{{1, 2, 3}}
	for _, f := range []Format{JSON, NDJSON} {
		var buf bytes.Buffer
		if err := Write(&buf, f, cols, rows); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if !(strings.Index(out, `"z"`) < strings.Index(out, `"a"`) && strings.Index(out, `"a"`) < strings.Index(out, `"m"`)) {
			t.Errorf("%v: columns out of order: %s", f, out)
		}
		var v any
		if f == NDJSON {
			out = strings.TrimSuffix(out, "\n")
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Errorf("%v: invalid JSON %q: %v", f, out, err)
		}
	}
}

func TestTableCells(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value any
		max   int
		want  string // the cell, as the only line after the header and rule
	}{
		{"cut ascii", "abcdefghijklmnop", 10, "abcdefghi…"},
		{"fits", "abcdefghij", 10, "abcdefghij"},
		{"cut wide", "日本語日本語", 5, "日本…"},
		{"wide does not split", "日本語日本語", 6, "日本…"},
		{"combining marks are zero width", "e\u0301e\u0301e\u0301e\u0301", 3, "e\u0301e\u0301…"},
		{"no limit", strings.Repeat("x", 100), 0, strings.Repeat("x", 100)},
		{"control characters", "a\tb\x00c\u0085", 0, `a\tb\x00c\x85`},
		{"nested cut", map[string]any{"key": strings.Repeat("v", 20)}, 12, `{"key":"vvv…`},
		{"time", when, 0, whenUTC},
		{"bool", false, 0, "false"},
		{"bytes as json", []byte("hi"), 0, `"aGk="`},
		{"stringer", time.Duration(90) * time.Second, 0, "1m30s"},
		{"struct as json", struct{ A int }{1}, 0, `{"A":1}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, Table, []string{"c"}, [][]any{{tc.value}}, WithMaxWidth(tc.max)); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
			if len(lines) != 3 {
				t.Fatalf("got %d lines: %q", len(lines), buf.String())
			}
			if got := strings.TrimRight(lines[2], " "); got != tc.want {
				t.Errorf("cell = %q, want %q", got, tc.want)
			}
			if tc.max > 0 && width(lines[2]) > tc.max {
				t.Errorf("cell %q is %d columns wide, more than %d", lines[2], width(lines[2]), tc.max)
			}
		})
	}
}

func TestWidth(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want int
	}{
		{"", 0}, {"abc", 3}, {"é", 1}, {"e\u0301", 1}, {"日本", 4}, {"한국", 4}, {"ｶ", 1}, {"Ａ", 2},
		{"🙂", 2}, {"a\u200bb", 2},
	} {
		if got := width(tc.s); got != tc.want {
			t.Errorf("width(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
}

// failWriter fails every write.
type failWriter struct{}

var errWrite = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestEncoder(t *testing.T) {
	var f ocsf.DetectionFinding
	f.Classify(ocsf.ClassDetectionFinding, 1)
	f.SetTime(when)
	f.FindingInfo = ocsf.FindingInfo{UID: "F-1", Title: "Shadow MCP <server> & co"}
	values := []any{f, map[string]any{"t": when, "inf": math.Inf(1)}}

	t.Run("ndjson", func(t *testing.T) {
		var buf bytes.Buffer
		enc := NewEncoder(&buf, NDJSON)
		for i, v := range values {
			if err := enc.Encode(v); err != nil {
				t.Fatal(err)
			}
			// Each value is on the output as soon as it is encoded.
			if n := strings.Count(buf.String(), "\n"); n != i+1 {
				t.Errorf("after %d values, %d lines", i+1, n)
			}
		}
		if err := enc.Close(); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		if len(lines) != 2 {
			t.Fatalf("lines = %q", lines)
		}
		var got ocsf.DetectionFinding
		if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
			t.Fatal(err)
		}
		if got.ClassUID != ocsf.ClassDetectionFinding || got.FindingInfo.Title != f.FindingInfo.Title || got.Time != f.Time {
			t.Errorf("finding read back = %+v", got)
		}
		if !strings.Contains(lines[0], "<server> & co") {
			t.Errorf("HTML characters escaped: %s", lines[0])
		}
		if lines[1] != `{"inf":"Infinity","t":"2024-01-02T01:04:05Z"}` {
			t.Errorf("second line = %s", lines[1])
		}
	})

	t.Run("json array", func(t *testing.T) {
		for n := 0; n <= len(values); n++ {
			var buf bytes.Buffer
			enc := NewEncoder(&buf, JSON)
			for _, v := range values[:n] {
				if err := enc.Encode(v); err != nil {
					t.Fatal(err)
				}
			}
			if err := enc.Close(); err != nil {
				t.Fatal(err)
			}
			var got []json.RawMessage
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil || len(got) != n {
				t.Errorf("%d values: %d read back, %v: %s", n, len(got), err, buf.String())
			}
			if err := enc.Encode(1); err == nil {
				t.Errorf("Encode after Close succeeded")
			}
		}
	})

	t.Run("write error", func(t *testing.T) {
		enc := NewEncoder(failWriter{}, NDJSON)
		if err := enc.Encode(1); !errors.Is(err, errWrite) {
			t.Errorf("Encode = %v, want %v", err, errWrite)
		}
		if err := enc.Close(); !errors.Is(err, errWrite) {
			t.Errorf("Close = %v, want %v", err, errWrite)
		}
		for _, f := range []Format{Table, JSON, NDJSON, CSV} {
			if err := Write(failWriter{}, f, sampleColumns, sampleRows()); !errors.Is(err, errWrite) {
				t.Errorf("Write(%v) = %v, want %v", f, err, errWrite)
			}
		}
	})

	t.Run("unencodable", func(t *testing.T) {
		enc := NewEncoder(&bytes.Buffer{}, NDJSON)
		if err := enc.Encode(make(chan int)); err == nil {
			t.Errorf("a channel was encoded")
		}
	})
}

// TestMarshalMatchesEncodingJSON checks the fast path of marshal against encoding/json (with
// HTML escaping off) for the values query results hold.
func TestMarshalMatchesEncodingJSON(t *testing.T) {
	for _, v := range []any{
		nil, true, false, "", "plain", `quote " backslash \ slash /`, "<html> & more", "tab\tnl\ncr\rbs\bff\f",
		"\x00\x01\x1f\x7f", "é日本🙂", "bad utf8 \xff\xfe end", "line sep \u2028 para sep \u2029",
		int64(0), int64(-42), int64(math.MaxInt64), int(7),
		0.0, 1.5, -2.25, 1e20, 1e21, 123456789012345678.0, 1e-6, 1e-7, 5e-324, math.MaxFloat64, -1e-300,
		time.Date(2024, 1, 2, 3, 4, 5, 120000000, time.UTC),
		[]any{int64(1), "x", nil, []any{}, map[string]any{}},
		map[string]any{"b": int64(1), "a": []any{2.5}, "é": nil, "": "empty key", "<": ">"},
		[]any(nil), map[string]any(nil),
	} {
		got, err := marshal(v)
		if err != nil {
			t.Errorf("marshal(%#v): %v", v, err)
			continue
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		if string(got) != strings.TrimSuffix(want.String(), "\n") {
			t.Errorf("marshal(%#v) = %s, encoding/json says %s", v, got, want.String())
		}
	}
}
