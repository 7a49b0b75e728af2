package jsonscan

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// rec is a record as tests compare them: its text, envelope and error message.
type rec struct {
	raw, env, err string
}

// readAll reads every record of in, with a reader of one byte at a time when slow is set.
func readAll(t *testing.T, in string, max int, slow bool, envelopes ...string) ([]rec, error) {
	t.Helper()
	var r io.Reader = strings.NewReader(in)
	if slow {
		r = iotest.OneByteReader(r)
	}
	rd := NewReader(r, max, envelopes...)
	var out []rec
	for range 10000 {
		rc, err := rd.Next(nil)
		if err != nil {
			return out, err
		}
		e := ""
		if rc.Err != nil {
			e = rc.Err.Error()
		}
		out = append(out, rec{string(rc.Raw), rc.Envelope, e})
	}
	t.Fatal("too many records")
	return nil, nil
}

func TestReader(t *testing.T) {
	tests := []struct {
		name, in string
		max      int
		want     []rec
		err      string // the error Next ends with; "" for io.EOF
	}{
		{name: "ndjson", in: "{\"a\":1}\n{\"b\":\"}\"}\n\n{\"c\":[{}]}",
			want: []rec{{`{"a":1}`, "", ""}, {`{"b":"}"}`, "", ""}, {`{"c":[{}]}`, "", ""}}},
		{name: "concatenated", in: `{"a":1}{"b":"\"{"}  {"c":2}`,
			want: []rec{{`{"a":1}`, "", ""}, {`{"b":"\"{"}`, "", ""}, {`{"c":2}`, "", ""}}},
		{name: "pretty", in: "{\n  \"a\": {\n    \"b\": 1\n  }\n}\n{\n\"c\": 2\n}\n",
			want: []rec{{"{\n  \"a\": {\n    \"b\": 1\n  }\n}", "", ""}, {"{\n\"c\": 2\n}", "", ""}}},
		{name: "envelope", in: `{"Records":[{"a":1},{"b":[2]} , {"c":"]"}]}`,
			want: []rec{{`{"a":1}`, "Records", ""}, {`{"b":[2]}`, "Records", ""}, {`{"c":"]"}`, "Records", ""}}},
		{name: "envelope pretty, then more", in: "{ \"Records\" :\n [\n  {\"a\":1}\n ] , \"x\": {\"y\": [1]}, \"z\": 2 }\n{\"d\":4}",
			want: []rec{{`{"a":1}`, "Records", ""}, {`{"d":4}`, "", ""}}},
		{name: "empty envelope", in: `{"Records":[]}`, want: nil},
		{name: "not an envelope", in: `{"Other":[{"a":1}]}`, want: []rec{{`{"Other":[{"a":1}]}`, "", ""}}},
		{name: "envelope key not first", in: `{"x":1,"Records":[{"a":1}]}`, want: []rec{{`{"x":1,"Records":[{"a":1}]}`, "", ""}}},
		{name: "top-level array", in: ` [ {"a":1}, 2 , 12345,678,"s", [3], null ]`,
			want: []rec{{`{"a":1}`, "[", ""}, {`2`, "[", ""}, {`12345`, "[", ""}, {`678`, "[", ""}, {`"s"`, "[", ""}, {`[3]`, "[", ""}, {`null`, "[", ""}}},
		{name: "export timestamps", in: "2024-05-01T12:00:00.000Z {\"a\":1}\n2024-05-01T12:00:01Z {\"b\":2}\n",
			want: []rec{{`{"a":1}`, "", ""}, {`{"b":2}`, "", ""}}},
		{name: "byte-order mark", in: "\xef\xbb\xbf{\"a\":1}", want: []rec{{`{"a":1}`, "", ""}}},
		{name: "not json lines", in: "hello world\n{\"a\":1}\n2024-13-01 x\n",
			want: []rec{{"hello world", "", ErrNotJSON.Error()}, {`{"a":1}`, "", ""}, {"2024-13-01 x", "", ErrNotJSON.Error()}}},
		{name: "truncated record", in: `{"a":1}` + "\n" + `{"b":"xx`,
			want: []rec{{`{"a":1}`, "", ""}, {`{"b":"xx`, "", ErrTruncated.Error()}}},
		{name: "truncated envelope element", in: `{"Records":[{"a":1},{"b":`,
			want: []rec{{`{"a":1}`, "Records", ""}, {`{"b":`, "Records", ErrTruncated.Error()}},
			err:  `input ends inside its "Records" array (truncated)`},
		{name: "truncated envelope between elements", in: `{"Records":[{"a":1},`,
			want: []rec{{`{"a":1}`, "Records", ""}},
			err:  `input ends inside its "Records" array (truncated)`},
		{name: "truncated envelope object", in: `{"Records":[{"a":1}]`,
			want: []rec{{`{"a":1}`, "Records", ""}},
			err:  `input ends inside its "Records" array (truncated)`},
		{name: "broken envelope", in: `{"Records":[{"a":1} x {"b":2}]}` + "\n" + `{"c":3}`,
			want: []rec{{`{"a":1}`, "Records", ""}, {`x {"b":2}]}`, "Records", `expected ',' or ']' after an element of the "Records" array, found 'x'`}, {`{"c":3}`, "", ""}}},
		{name: "bad element start", in: `[{"a":1},}]` + "\n" + `{"c":3}`,
			want: []rec{{`{"a":1}`, "[", ""}, {`}]`, "[", `unexpected '}' in the top-level array`}, {`{"c":3}`, "", ""}}},
		{name: "too long", in: `{"a":"0123456789"}{"b":1}{"c":"0123456789012345678901234567890123456789"}`, max: 12,
			want: []rec{{`{"a":"012345`, "", "record longer than 12 bytes"}, {`{"b":1}`, "", ""},
				{`{"c":"012345`, "", "record longer than 12 bytes"}}},
		{name: "too long and truncated", in: `{"a":"0123456789`, max: 4,
			want: []rec{{`{"a"`, "", "record longer than 4 bytes"}}},
		{name: "too long line", in: "xxxxxxxxxxxxxxxxxxxxxxxx\n{}", max: 5,
			want: []rec{{"xxxxx", "", ErrNotJSON.Error()}, {"{}", "", ""}}},
	}
	for _, tt := range tests {
		for _, slow := range []bool{false, true} {
			got, err := readAll(t, tt.in, tt.max, slow, "Records")
			wantErr := tt.err
			if wantErr == "" {
				wantErr = io.EOF.Error()
			}
			if err == nil || err.Error() != wantErr {
				t.Errorf("%s (slow %v): ends with %v, want %s", tt.name, slow, err, wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s (slow %v):\n got %q\nwant %q", tt.name, slow, got, tt.want)
			}
		}
	}
}

func TestReaderReadError(t *testing.T) {
	boom := errors.New("boom")
	rd := NewReader(io.MultiReader(strings.NewReader(`{"a":1}{"b"`), iotest.ErrReader(boom)), 0)
	if r, err := rd.Next(nil); err != nil || string(r.Raw) != `{"a":1}` {
		t.Fatalf("first record %q, %v", r.Raw, err)
	}
	r, err := rd.Next(nil)
	if err != nil {
		t.Fatalf("second: %v", err)
	}
	if !errors.Is(r.Err, ErrTruncated) {
		t.Errorf("second record err %v", r.Err)
	}
	if _, err := rd.Next(nil); !errors.Is(err, boom) {
		t.Errorf("then %v, want boom", err)
	}
}

// TestReaderBoundedMemory reads a 64 MiB envelope of small records: the reader's buffer must
// stay near its read size, never near the input's size.
func TestReaderBoundedMemory(t *testing.T) {
	const n = 400_000
	elem := `{"eventVersion":"1.08","eventName":"DescribeInstances","requestParameters":{"a":"` + strings.Repeat("x", 100) + `"}}`
	r := io.MultiReader(strings.NewReader(`{"Records":[`), &repeatReader{s: elem + ",", n: n - 1},
		strings.NewReader(elem+"]}"))
	rd := NewReader(r, 0, "Records")
	count := 0
	for {
		rec, err := rd.Next(nil)
		if err == io.EOF {
			break
		}
		if err != nil || rec.Err != nil || string(rec.Raw) != elem {
			t.Fatalf("record %d: %q, %v, %v", count, rec.Raw, rec.Err, err)
		}
		count++
	}
	if count != n {
		t.Errorf("%d records, want %d", count, n)
	}
	if len(rd.buf) > 2*readSize {
		t.Errorf("buffer grew to %d bytes", len(rd.buf))
	}
}

// repeatReader reads s n times.
type repeatReader struct {
	s   string
	n   int
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	m := 0
	for m < len(p) && r.n > 0 {
		c := copy(p[m:], r.s[r.off:])
		m += c
		r.off += c
		if r.off == len(r.s) {
			r.off = 0
			r.n--
		}
	}
	if m == 0 {
		return 0, io.EOF
	}
	return m, nil
}

func TestFirstRecord(t *testing.T) {
	tests := []struct {
		head string
		ok   bool
		env  string
		keys []string
		strs map[string]string
		full bool
	}{
		{head: `{"Records":[{"eventVersion":"1.08","userIdentity":{"type":"Root"},"eventSource":"s3.amazonaws.com"`, ok: true,
			env: "Records", keys: []string{"eventVersion", "userIdentity", "eventSource"},
			strs: map[string]string{"eventVersion": "1.08", "eventSource": "s3.amazonaws.com"}},
		{head: `{"a":1,"b":"c"}` + "\n" + `{"x"`, ok: true, keys: []string{"a", "b"}, strs: map[string]string{"b": "c"}, full: true},
		{head: "2024-05-01T12:00:00Z {\"a\":\"x\"}", ok: true, keys: []string{"a"}, strs: map[string]string{"a": "x"}, full: true},
		{head: `{"a":"trunc`, ok: true, keys: []string{"a"}, strs: map[string]string{}},
		{head: `{"a`, ok: false},
		{head: `[1,2]`, ok: false},
		{head: `version account-id interface-id`, ok: false},
		{head: "PAR1\x00\x00", ok: false},
		{head: ``, ok: false},
	}
	for _, tt := range tests {
		f, ok := FirstRecord([]byte(tt.head), "Records")
		if ok != tt.ok {
			t.Errorf("%q: ok %v", tt.head, ok)
			continue
		}
		if !ok {
			continue
		}
		if f.Envelope != tt.env || !reflect.DeepEqual(f.Keys, tt.keys) || !reflect.DeepEqual(f.Strings, tt.strs) || f.Complete != tt.full {
			t.Errorf("%q: %+v", tt.head, f)
		}
		if len(tt.keys) > 0 && (!f.Has(tt.keys[0]) || f.Has("nope")) {
			t.Errorf("%q: Has", tt.head)
		}
	}
}

func BenchmarkReaderEnvelope(b *testing.B) {
	elem := `{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:i-0123","arn":"arn:aws:sts::123456789012:assumed-role/r/i-0123"},"eventTime":"2024-01-01T00:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","requestParameters":{"filterSet":{"items":[{"name":"tag:Name","valueSet":{"items":[{"value":"x\"y"}]}}]}}}`
	in := `{"Records":[` + strings.Repeat(elem+",", 999) + elem + `]}`
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		rd := NewReader(bytes.NewReader([]byte(in)), 0, "Records")
		for {
			if _, err := rd.Next(nil); err != nil {
				break
			}
		}
	}
}

// TestReaderResync checks how a Reader resumes after a record it cannot read: at the next line
// when the record breaks on its first line (NDJSON), after its brackets otherwise.
func TestReaderResync(t *testing.T) {
	in := "{\"a\":\"x,\"b\":1}\n{\"c\":2}\n{\n \"d\": tru,\n \"e\": \"}\"\n}\n{\"f\":3}"
	got, err := readAll(t, in, 0, false)
	want := []rec{
		{`{"a":"x,"b":1}`, "", `invalid JSON at byte 10: expected ',' or '}', found 'b'`},
		{`{"c":2}`, "", ""},
		{"{\n \"d\": tru,\n \"e\": \"}\"\n}", "", "invalid JSON at byte 9: invalid literal (want true)"},
		{`{"f":3}`, "", ""},
	}
	if err != io.EOF || !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, %v\nwant %q", got, err, want)
	}
}
