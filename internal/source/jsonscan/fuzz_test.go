package jsonscan

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

// FuzzDecoder checks the Decoder against encoding/json: the same documents are valid (but for
// invalid UTF-8, which a Decoder refuses) and decode to the same values.
func FuzzDecoder(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,2.5e3,"x\u00e9\ud83d\ude00",{"b":null}]}`, `[true,false]`,
		`"\ud800"`, `-0.0e-0`, `{"a":1,}`, "\"\xff\"", `[[[]]]`, `{"Records":[{"eventVersion":"1.08"}]}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, gerr := decodeAll(s)
		want, werr := stdDecode(s)
		if gerr == nil && !utf8.ValidString(s) {
			t.Fatalf("%q: accepted invalid UTF-8", s)
		}
		if (gerr == nil) != (werr == nil) {
			if werr != nil && strings.Contains(werr.Error(), "exceeded max depth") {
				return // encoding/json nests deeper than MaxDepth is refused by both, differently
			}
			t.Fatalf("%q: error %v, encoding/json %v", s, gerr, werr)
		}
		if gerr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: %#v, encoding/json %#v", s, got, want)
		}
		if gerr != nil {
			var se *SyntaxError
			if !errors.As(gerr, &se) || se.Offset < 0 || se.Offset > len(s) {
				t.Fatalf("%q: error %v", s, gerr)
			}
		}
	})
}

// FuzzReader checks that a Reader frames the same records whatever the sizes of its reads,
// keeps them within its limit, and returns only valid JSON values as records without error.
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		"{\"a\":1}\n{\"b\":2}", `{"Records":[{"a":1},{"b":"]"}]}`, `[1, 23, {"x":[]}]`,
		"2024-05-01T12:00:00Z {\"a\":1}\nnot json\n", `{"Records":[{"a":1} x`, `{"Records":[`,
		`{"a":"0123456789012345678901234567890123456789"}{"b":1}`, "\xef\xbb\xbf{}", `{"Records":[],"x":{"y":1}}`,
	} {
		f.Add(s, uint8(16))
	}
	f.Fuzz(func(t *testing.T, s string, max uint8) {
		limit := int(max) + 1
		read := func(r io.Reader) ([]rec, error) {
			rd := NewReader(r, limit, "Records")
			var out []rec
			for range len(s) + 2 {
				rc, err := rd.Next(nil)
				if err != nil {
					return out, err
				}
				if len(rc.Raw) > limit {
					t.Fatalf("record of %d bytes, limit %d", len(rc.Raw), limit)
				}
				e := ""
				if rc.Err != nil {
					e = rc.Err.Error()
				} else if _, err := decodeAll(string(rc.Raw)); err != nil {
					t.Fatalf("record %q without error is invalid: %v", rc.Raw, err)
				}
				out = append(out, rec{string(rc.Raw), rc.Envelope, e})
			}
			t.Fatalf("more records than bytes in %q", s)
			return nil, nil
		}
		fast, ferr := read(strings.NewReader(s))
		slow, serr := read(iotest.OneByteReader(strings.NewReader(s)))
		if !reflect.DeepEqual(fast, slow) || ferr.Error() != serr.Error() {
			t.Fatalf("%q: reads of any size differ:\n%q %v\n%q %v", s, fast, ferr, slow, serr)
		}
	})
}
