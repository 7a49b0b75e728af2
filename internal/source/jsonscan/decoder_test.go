package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// walk decodes the value d is at into what encoding/json (with UseNumber) makes of it.
func walk(d *Decoder) any {
	switch d.Peek() {
	case Object:
		d.Object()
		m := map[string]any{}
		for {
			k, ok := d.Key()
			if !ok {
				break
			}
			m[k] = walk(d)
		}
		return m
	case Array:
		d.Array()
		a := []any{}
		for d.Elem() {
			a = append(a, walk(d))
		}
		return a
	case String:
		return d.Str()
	case Number:
		return json.Number(d.Num())
	case True, False:
		return d.Bool()
	case Null:
		d.Null()
		return nil
	}
	return nil
}

// decodeAll decodes s with a Decoder, then checks that nothing follows.
func decodeAll(s string) (any, error) {
	var d Decoder
	d.Reset(s)
	v := walk(&d)
	return v, d.End()
}

// stdDecode decodes s with encoding/json.
func stdDecode(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if strings.TrimLeft(s[dec.InputOffset():], " \t\r\n") != "" {
		return nil, errors.New("data after the value")
	}
	if !utf8.ValidString(s) {
		// encoding/json replaces invalid UTF-8; a Decoder refuses it.
		return nil, errors.New("invalid UTF-8")
	}
	return v, nil
}

func TestDecoderAgreesWithEncodingJSON(t *testing.T) {
	docs := []string{
		`{}`, `[]`, `""`, `0`, `-0`, `1.5e-3`, `-12.25E+4`, `true`, `false`, `null`,
		` { "a" : [ 1 , 2 , { "b" : null } ] , "c" : "d" } `,
		`{"esc":"a\"b\\c\/d\be\ff\ng\rh\ti","u":"\u00e9\u4e2d\ud83d\ude00","lone":"\ud800x","lone2":"\udc00"}`,
		`{"utf8":"héllo 中文 😀","k\u0065y":1}`,
		`[[[[[]]]],{"":""}]`,
		`{"Records":[{"eventVersion":"1.08","userIdentity":{"type":"IAMUser"},"requestParameters":null}]}`,
		// Invalid documents.
		`{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[1 2]`, `{"a":1 "b":2}`, `{a:1}`, `'a'`,
		`01`, `1.`, `.5`, `1e`, `-`, `+1`, `tru`, `nul`, `"abc`, `"a\x"`, `"\u12"`, `"\u12g4"`,
		"\"a\tb\"", "\"\x01\"", "\"\xff\"", "\"\xc3\"", `{"a":1}x`, `{"a":1}}`, `]`, ``, `   `,
	}
	for _, doc := range docs {
		got, gerr := decodeAll(doc)
		want, werr := stdDecode(doc)
		if (gerr == nil) != (werr == nil) {
			t.Errorf("%q: error %v, encoding/json %v", doc, gerr, werr)
			continue
		}
		if gerr == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("%q: %#v, encoding/json %#v", doc, got, want)
		}
		var se *SyntaxError
		if gerr != nil && !errors.As(gerr, &se) {
			t.Errorf("%q: error %T, want *SyntaxError", doc, gerr)
		}
	}
}

func TestDecoderErrors(t *testing.T) {
	tests := []struct{ doc, msg string }{
		{`{"a":1,}`, `invalid JSON at byte 8: expected a member name, found '}'`},
		{`{"a" 1}`, `invalid JSON at byte 6: expected ':' after a member name`},
		{`[1 2]`, `invalid JSON at byte 4: expected ',' or ']' after an array element, found '2'`},
		{"\"a\x01\"", `invalid JSON at byte 3: control character 0x1 in a string`},
		{"\"a\xffb\"", `invalid JSON at byte 3: invalid UTF-8 in a string`},
		{`"\q"`, `invalid JSON at byte 2: invalid escape \q`},
		{`{"a":tru}`, `invalid JSON at byte 6: invalid literal (want true)`},
		{`{"a":1}x`, `invalid JSON at byte 8: unexpected 'x' after the value`},
		{`{"a":"b`, `invalid JSON at byte 8: unexpected end of input in a string`},
		{`1.e5`, `invalid JSON at byte 3: invalid number: no digit after '.'`},
	}
	for _, tt := range tests {
		_, err := decodeAll(tt.doc)
		if err == nil || err.Error() != tt.msg {
			t.Errorf("%q: error %v, want %s", tt.doc, err, tt.msg)
		}
	}
}

func TestDecoderDepth(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	if _, err := decodeAll(deep); err != nil {
		t.Errorf("depth %d: %v", MaxDepth, err)
	}
	var d Decoder
	d.Reset(deep)
	if _, c := d.Raw(); d.Err() != nil || !c {
		t.Errorf("Raw at depth %d: %v", MaxDepth, d.Err())
	}
	deeper := "[" + deep + "]"
	if _, err := decodeAll(deeper); err == nil || !strings.Contains(err.Error(), "nesting deeper than") {
		t.Errorf("depth %d: %v", MaxDepth+1, err)
	}
	d.Reset(deeper)
	if d.Raw(); d.Err() == nil {
		t.Errorf("Raw at depth %d: no error", MaxDepth+1)
	}
}

func TestRawAndCompact(t *testing.T) {
	var d Decoder
	d.Reset(`{"a": {"b" : [1, "x y", {"c":"\" }"}]}, "n": null, "s":"t"}`)
	d.Object()
	k, _ := d.Key()
	raw, compact := d.Raw()
	if k != "a" || raw != `{"b" : [1, "x y", {"c":"\" }"}]}` || compact {
		t.Fatalf("Raw = %q, %v", raw, compact)
	}
	if got := Compact(raw); got != `{"b":[1,"x y",{"c":"\" }"}]}` {
		t.Errorf("Compact = %q", got)
	}
	d.Key()
	if !d.Null() {
		t.Error("Null = false")
	}
	d.Key()
	if raw, compact := d.Raw(); raw != `"t"` || !compact {
		t.Errorf("Raw = %q, %v", raw, compact)
	}
	if _, more := d.Key(); more || d.End() != nil {
		t.Errorf("end: more %v, %v", more, d.Err())
	}
}

func TestScalarAndFail(t *testing.T) {
	var d Decoder
	d.Reset(`[ "a\nb", -1.5, true, false, null, {} ]`)
	d.Array()
	var got []string
	for d.Elem() {
		if s, ok := d.Scalar(); ok {
			got = append(got, s)
		} else {
			d.Skip()
		}
	}
	if want := []string{"a\nb", "-1.5", "true", "false"}; !reflect.DeepEqual(got, want) || d.End() != nil {
		t.Errorf("Scalar: %q, %v", got, d.Err())
	}
	d.Reset(`{"a":1}`)
	d.Object()
	d.Key()
	d.Fail("a is not a string")
	if d.Num() != "" || d.Err() == nil || d.Err().Error() != "invalid JSON at byte 6: a is not a string" {
		t.Errorf("after Fail: %v", d.Err())
	}
}

func TestSpecialBytes(t *testing.T) {
	for c := 0; c < 256; c++ {
		for pos := range 8 {
			w := bytes.Repeat([]byte{'a'}, 8)
			w[pos] = byte(c)
			want := c < 0x20 || c >= 0x80 || c == '"' || c == '\\'
			m := specialBytes(load64(string(w), 0))
			if (m != 0) != want || want && bits.TrailingZeros64(m)>>3 != pos || special[c] != want {
				t.Fatalf("byte 0x%x at %d: mask %x", c, pos, m)
			}
			// The first special byte is found whatever follows it.
			for c2 := 0; c2 < 256; c2 += 7 {
				if pos < 7 && want {
					w[pos+1] = byte(c2)
					if m := specialBytes(load64(string(w), 0)); bits.TrailingZeros64(m)>>3 != pos {
						t.Fatalf("byte 0x%x at %d then 0x%x: mask %x", c, pos, c2, m)
					}
				}
			}
		}
	}
}

func BenchmarkDecoderRaw(b *testing.B) {
	doc := strings.Repeat(`{"eventVersion":"1.08","userAgent":"aws-cli/2.13.5 Python/3.11.4 Linux/6.1 exe/x86_64.amzn.2","requestParameters":{"instancesSet":{"items":[{"instanceId":"i-0123456789abcdef0"}]},"filterSet":{}},"n":12345}`, 1)
	b.SetBytes(int64(len(doc)))
	var d Decoder
	for b.Loop() {
		d.Reset(doc)
		d.Skip()
		if d.Err() != nil {
			b.Fatal(d.Err())
		}
	}
}

// TestDecoderShortPrefixes cuts valid objects and arrays everywhere: a Decoder must report
// every prefix as ending too early (an error at the prefix's end), which is how a Reader knows
// to read more.
func TestDecoderShortPrefixes(t *testing.T) {
	docs := []string{
		`{"a":[1,-2.5e+3,true,false,null,"x\"y\u00e9\ud83d\ude00"],"b":{"c":{}},"d":"é中😀"}`,
		`[{"eventVersion":"1.08"}, 12345, "s" ]`,
	}
	for _, doc := range docs {
		for k := range len(doc) {
			var d Decoder
			d.Reset(doc[:k])
			d.Skip()
			var se *SyntaxError
			if err := d.Err(); !errors.As(err, &se) || se.Offset < k {
				t.Errorf("%q cut at %d: error %v, want one at the end", doc, k, err)
			}
		}
	}
}

func TestFrame(t *testing.T) {
	tests := []struct {
		doc, frame, err string
	}{
		{`{"a":{"b":[1,"}]\"",{}]},"c":2}`, `{"b":[1,"}]\"",{}]}`, ""},
		{`{"a":[1,2,3],"c":2}`, `[1,2,3]`, ""},
		{`{"a":"x\"y","c":2}`, `"x\"y"`, ""},
		{`{"a":{"b":tru,"x":[]},"c":2}`, `{"b":tru,"x":[]}`, ""}, // not validated
		{`{"a":{"b":1,"x":]},"c":2}`, "", "invalid JSON at byte 17: unexpected ']'"},
		{`{"a":[{"b":1}}`, "", "invalid JSON at byte 14: unexpected '}'"},
		{`{"a":{"b":"` + strings.Repeat("é", 20) + `"}}`, `{"b":"` + strings.Repeat("é", 20) + `"}`, ""},
		{`{"a":{"b":[`, "", "invalid JSON at byte 12: unexpected end of input"},
		{`{"a":{"b":"\`, "", "invalid JSON at byte 13: unexpected end of input"},
		{`{"a":tru}`, "", "invalid JSON at byte 6: invalid literal (want true)"},
	}
	for _, tt := range tests {
		var d Decoder
		d.Reset(tt.doc)
		d.Object()
		d.Key()
		sp := d.Frame()
		if tt.err != "" {
			if d.Err() == nil || d.Err().Error() != tt.err {
				t.Errorf("%q: error %v, want %s", tt.doc, d.Err(), tt.err)
			}
			continue
		}
		if d.Err() != nil || tt.doc[sp.Start:sp.End] != tt.frame {
			t.Errorf("%q: frame %q, %v", tt.doc, tt.doc[sp.Start:sp.End], d.Err())
		}
	}
	// Frame finds the same end as a validating read, on valid values.
	doc := `{"a":[{"b":"c\\\"}{","d":[[],{}]},"x"],"e":{}}`
	for _, frame := range []bool{false, true} {
		var d Decoder
		d.Reset(doc)
		d.Object()
		var got []string
		for {
			_, ok := d.Key()
			if !ok {
				break
			}
			var sp Span
			if frame {
				sp = d.Frame()
			} else {
				sp, _ = d.RawSpan()
			}
			got = append(got, doc[sp.Start:sp.End])
		}
		if d.End() != nil || len(got) != 2 || got[0] != `[{"b":"c\\\"}{","d":[[],{}]},"x"]` || got[1] != "{}" {
			t.Errorf("frame %v: %q %v", frame, got, d.Err())
		}
	}
}

func TestKeyIs(t *testing.T) {
	var d Decoder
	d.Reset(`{ "a" : 1 , "bc":"x","d\u0065":2,"f":3}`)
	d.Object()
	if d.KeyIs("b") || d.KeyIs("ab") || !d.KeyIs("a") || d.Num() != "1" {
		t.Fatalf("first member: %v", d.Err())
	}
	if d.KeyIs("b") || !d.KeyIs("bc") || d.Str() != "x" {
		t.Fatalf("second member: %v", d.Err())
	}
	// An escaped name is no match; Key reads it.
	if d.KeyIs("de") {
		t.Fatal("escaped name matched")
	}
	if k, ok := d.Key(); !ok || k != "de" || d.Num() != "2" {
		t.Fatalf("third member %q: %v", k, d.Err())
	}
	if !d.KeyIs("f") || d.Num() != "3" || d.KeyIs("g") {
		t.Fatalf("last member: %v", d.Err())
	}
	if _, more := d.Key(); more || d.End() != nil {
		t.Fatalf("end: %v", d.Err())
	}
	d.Reset(`{"a"`)
	d.Object()
	if d.KeyIs("a") || d.Err() != nil {
		t.Fatal("a name without colon matched")
	}
}

// TestParseTimeFastPath checks the fast path of ParseTime against time.Parse on every day of
// years around leap rules and on impossible dates and times.
func TestParseTimeFastPath(t *testing.T) {
	check := func(s string) {
		t.Helper()
		want, err := time.Parse(time.RFC3339Nano, s)
		got, ok := ParseTime(s)
		if ok != (err == nil) || ok && got != want { // the same instant, location and representation
			t.Errorf("ParseTime(%q) = %v, %v; time.Parse: %v, %v", s, got, ok, want, err)
		}
	}
	for _, y := range []int{0, 1, 1600, 1899, 1900, 1969, 1970, 2000, 2023, 2024, 2100, 2400, 9999} {
		for m := 0; m <= 13; m++ {
			for d := 0; d <= 32; d++ {
				check(fmt.Sprintf("%04d-%02d-%02dT12:34:56Z", y, m, d))
			}
		}
	}
	for _, s := range []string{"2025-03-04T00:00:00Z", "2025-03-04T23:59:59Z", "2025-03-04T24:00:00Z",
		"2025-03-04T23:60:00Z", "2025-03-04T23:59:60Z", "2025-03-04T2a:00:00Z", "2025-03-04T09:15:27.5Z",
		"2025-03-04T09:15:27+02:00", "2025-03-04 09:15:27Z", "-025-03-04T09:15:27Z", "2025-+3-04T09:15:27Z"} {
		check(s)
	}
}
