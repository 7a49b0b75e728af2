package vpcflow

import (
	"bytes"
	"context"
	"math/bits"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/sourcetest"
)

// FuzzParseHeader checks that any line either fails to parse as a header or yields a layout
// of distinct known fields that reads back the same from its own text.
func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{
		header(DefaultFields()...),
		header(KnownFields()...),
		"version account_id log-status\r",
		"version account-id encryption-status",
		"version version",
		"  \t ",
		"pkt-src-aws-service\tflow-direction  traffic-path",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		l, err := ParseHeader(line)
		if err != nil {
			return
		}
		fields := l.Fields()
		if len(fields) == 0 || FieldSetOf(fields...) != l.Set() || bits.OnesCount64(uint64(l.Set())) != len(fields) {
			t.Fatalf("ParseHeader(%q): fields %v, set %b", line, fields, l.Set())
		}
		again, err := ParseHeader(l.String())
		if err != nil || !equalFields(again.Fields(), fields) {
			t.Fatalf("ParseHeader(%q) = %v, its text %q reads as %v, %v", line, fields, l.String(), again.Fields(), err)
		}
	})
}

// FuzzParseRecord parses any line in the default format and in the all-fields format: it
// must fail cleanly or give a record whose "-" set matches its tokens, and whose
// normalization fails cleanly or gives a valid event.
func FuzzParseRecord(f *testing.F) {
	all := KnownFields()
	f.Add("2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK")
	f.Add("2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA")
	f.Add("2 1 eni-1 2001:db8::1 fe80::1%eth0 65535 0 255 0 9223372036854775807 253402300799 0 REJECT SKIPDATA")
	f.Add(line(all))
	f.Add(line(all, FieldPktSrcAddr, "192.0.2.1", FieldFlowDirection, "ingress", FieldTrafficPath, "9"))
	f.Add(strings.TrimSpace(strings.Repeat("- ", len(all))))
	f.Add("2 123 eni-\xff 1.1.1.1 2.2.2.2 1 2 6 1 1 1 2 ACCEPT OK")
	f.Add("2 123 eni-\t 1.1.1.1 2.2.2.2 1 2 6 1 1 1 2 ACCEPT OK\r")
	layouts := []Layout{DefaultLayout(), mustLayout(f, all)}
	f.Fuzz(func(t *testing.T, line string) {
		printable := utf8.ValidString(line)
		for _, r := range line {
			if r < 0x20 || r == 0x7f {
				printable = false
			}
		}
		for _, l := range layouts {
			var r Record
			if err := l.Parse(line, &r); err != nil {
				if _, ok := err.(*ParseError); !ok {
					t.Fatalf("error %T %v", err, err)
				}
				continue
			}
			if !printable {
				t.Fatalf("Parse accepted %q, which is not printable UTF-8", line)
			}
			toks := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' })
			for i, f := range l.fields {
				if got := r.Dash.Has(f); got != (toks[i] == "-") {
					t.Fatalf("%v: dash %v for token %q", f, got, toks[i])
				}
				if f.Kind() == KindString && r.String(f) != toks[i] {
					t.Fatalf("%v: %q for token %q", f, r.String(f), toks[i])
				}
			}
			ev, err := Normalize(&r)
			if err != nil {
				if _, ok := err.(*NormalizeError); !ok {
					t.Fatalf("error %T %v", err, err)
				}
				continue
			}
			validate(t, ev)
		}
	})
}

// FuzzSplitTokens compares splitTokens, which looks at eight bytes at a time, with
// strings.Split.
func FuzzSplitTokens(f *testing.F) {
	for _, s := range []string{"", "eni-0a1b2c3d4e5f67890 x", "abcdefgh\x1f ", "abcdefg\x7f", "abcdefgh\x80 é",
		"0123456789abcdef\t", "\xff\xff\xff\xff\xff\xff\xff~ ", "!!!!!!! !!!!!!!! ! ", "        ", " a  b   c    d "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want []string
		for _, tok := range strings.Split(s, " ") {
			if tok != "" {
				want = append(want, tok)
			}
		}
		wantPrintable := true
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] > 0x7e {
				wantPrintable = false
			}
		}
		var toks [maxTokens]span
		n, printable := splitTokens(s, &toks)
		if n != len(want) || printable != wantPrintable {
			t.Fatalf("splitTokens(%q) = %d, %v; want %d, %v", s, n, printable, len(want), wantPrintable)
		}
		for k := 0; k < min(n, maxTokens); k++ {
			if got := s[toks[k].start:toks[k].end]; got != want[k] {
				t.Fatalf("splitTokens(%q): token %d is %q, want %q", s, k, got, want[k])
			}
		}
	})
}

// FuzzIsIPv4 checks the IPv4 fast path against net/netip: it accepts exactly the dotted
// quads netip.ParseAddr accepts.
func FuzzIsIPv4(f *testing.F) {
	for _, s := range []string{"10.0.1.5", "255.255.255.255", "256.1.1.1", "01.2.3.4", "0.0.0.0", "1.2.3", "1.2.3.4.5", "1..2.3", "::ffff:1.2.3.4", "1.2.3.4 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := netip.ParseAddr(s)
		want := err == nil && a.Is4() && strings.Trim(s, "0123456789.") == ""
		if got := isIPv4(s); got != want {
			t.Fatalf("isIPv4(%q) = %v, want %v", s, got, want)
		}
	})
}

func mustLayout(f *testing.F, fields []Field) Layout {
	l, err := NewLayout(fields...)
	if err != nil {
		f.Fatal(err)
	}
	return l
}

// FuzzRead reads any text through Format.Read with a small line limit: every line that is
// neither blank nor a header gets exactly one sink call, at its line number, and events are
// valid.
func FuzzRead(f *testing.F) {
	all := KnownFields()
	f.Add([]byte("2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n"))
	f.Add([]byte(header(all...) + "\r\n" + line(all) + "\r\n\r\n" + line(all, FieldAction, "REJECT")))
	f.Add([]byte("version srcaddr bogus\n2 1.1.1.1 x\n" + header(DefaultFields()...) + "\n2 1 eni-1 1.1.1.1 2.2.2.2 1 2 6 1 1 1 2 ACCEPT OK\n"))
	f.Add([]byte(strings.Repeat("x", 300) + "\n2 1 eni-1 1.1.1.1 2.2.2.2 1 2 6 1 1 1 2 ACCEPT OK"))
	f.Add([]byte("2024-05-01T12:00:00.000Z 2 1 eni-1 1.1.1.1 2.2.2.2 1 2 6 1 1 1 2 ACCEPT OK\n\xff\xfe\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const maxLine = 256
		s := &recordingSink{t: t}
		in := source.Input{Name: "fuzz", R: bytes.NewReader(data), Region: "us-east-1"}
		err := Format{MaxLineBytes: maxLine}.Read(context.Background(), in, s)
		if err != nil && !strings.Contains(err.Error(), "header on line") {
			t.Fatalf("Read: %v", err)
		}
		want := map[int64]bool{}
		for i, l := range bytes.Split(data, []byte("\n")) {
			l = bytes.TrimSuffix(l, []byte("\r"))
			if len(l) <= maxLine && (isBlank(l) || looksLikeHeader(trimLine(string(l)))) {
				continue
			}
			want[int64(i+1)] = true
		}
		got := map[int64]bool{}
		for _, p := range s.pos {
			got[p] = true
		}
		for _, d := range s.dead {
			got[d.pos] = true
			if len(d.raw) > maxLine || d.reason == "" {
				t.Fatalf("dead letter at line %d: %d bytes, reason %q", d.pos, len(d.raw), d.reason)
			}
		}
		if len(got) != len(s.pos)+len(s.dead) || len(got) != len(want) {
			t.Fatalf("sink calls at lines %v, want one at each of %v", got, want)
		}
		for p := range want {
			if !got[p] {
				t.Fatalf("no sink call for line %d", p)
			}
		}
		for i := range s.events {
			validate(t, &s.events[i])
		}
	})
}

// FuzzReadParquet reads any bytes as a Parquet delivery, seeded with the real samples: the
// reader fails with an error or reads rows, and never panics.
func FuzzReadParquet(f *testing.F) {
	dir := filepath.Join(sourcetest.DataDir(f), "security-lake-samples", "samples", "1.0.0-rc.2", "VPC_FLOW", "inputs")
	for _, name := range []string{"vpc_flow-input0.json.parquet", "vpc_flow-input3.parquet"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !bytes.HasPrefix(data, parquetMagic) {
			return
		}
		s := &recordingSink{t: t}
		in := source.Input{Name: "fuzz.parquet", ReaderAt: bytes.NewReader(data), Size: int64(len(data))}
		_ = Format{}.Read(context.Background(), in, s) // any error is fine; a panic is not
		for i := range s.events {
			validate(t, &s.events[i])
		}
	})
}
