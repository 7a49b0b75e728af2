package intel

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
)

func TestLoadPlainText(t *testing.T) {
	const file = "\xef\xbb\xbf# GuardDuty ThreatIntelSet\n" + // 1 (BOM + comment)
		"\n" + // 2
		"  198.51.100.7  \n" + // 3
		"203.0.113.0/24 # botnet C2 range\n" + // 4
		"2001:db8:bad::/48\r\n" + // 5
		"2001:db8::1\n" + // 6
		"10.1.2.3/8\n" + // 7: host bits set, masked
		"::ffff:192.0.2.9\n" + // 8: IPv4-mapped
		"not-an-ip\n" + // 9
		"1.2.3.4 5.6.7.8\n" + // 10
		"fe80::1%eth0\n" + // 11
		"0.0.0.0/0\n" + // 12
		"300.1.1.1\n" + // 13
		"\t# indented comment\n" + // 14
		"192.0.2.200#no space before comment" // 15, no final newline

	set, perrs, err := Load("feed.txt", strings.NewReader(file))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	wantEntries := []Entry{
		{Prefix: netip.MustParsePrefix("198.51.100.7/32"), Source: "feed.txt", Line: 3, Label: ""},
		{Prefix: netip.MustParsePrefix("203.0.113.0/24"), Source: "feed.txt", Line: 4, Label: "botnet C2 range"},
		{Prefix: netip.MustParsePrefix("2001:db8:bad::/48"), Source: "feed.txt", Line: 5, Label: ""},
		{Prefix: netip.MustParsePrefix("2001:db8::1/128"), Source: "feed.txt", Line: 6, Label: ""},
		{Prefix: netip.MustParsePrefix("10.0.0.0/8"), Source: "feed.txt", Line: 7, Label: ""},
		{Prefix: netip.MustParsePrefix("192.0.2.9/32"), Source: "feed.txt", Line: 8, Label: ""},
		{Prefix: netip.MustParsePrefix("192.0.2.200/32"), Source: "feed.txt", Line: 15, Label: "no space before comment"},
	}
	got := set.Entries()
	if len(got) != len(wantEntries) {
		t.Fatalf("entries = %v, want %v", got, wantEntries)
	}
	for i := range got {
		if got[i] != wantEntries[i] {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], wantEntries[i])
		}
	}
	wantErrs := []struct {
		line int
		err  error
	}{{9, ErrBadAddress}, {10, ErrTrailingText}, {11, ErrZone}, {12, ErrEverything}, {13, ErrBadAddress}}
	if len(perrs) != len(wantErrs) {
		t.Fatalf("parse errors = %v, want %d", perrs, len(wantErrs))
	}
	for i, w := range wantErrs {
		if perrs[i].Line != w.line || !errors.Is(&perrs[i], w.err) || perrs[i].Source != "feed.txt" {
			t.Errorf("parse error %d = %v, want line %d: %v", i, &perrs[i], w.line, w.err)
		}
	}
	if msg := perrs[0].Error(); msg != `feed.txt:9: not an IP address or CIDR block: "not-an-ip"` {
		t.Errorf("message = %s", msg)
	}
}

func TestLoadNoValidEntry(t *testing.T) {
	for _, in := range []string{"", "# only comments\n\n", "bogus\nalso bogus\n"} {
		_, perrs, err := Load("x.txt", strings.NewReader(in))
		if !errors.Is(err, ErrNoEntries) {
			t.Errorf("Load(%q) err = %v, want ErrNoEntries", in, err)
		}
		if strings.Count(in, "bogus") != len(perrs) {
			t.Errorf("Load(%q) parse errors = %v", in, perrs)
		}
	}
}

type failReader struct{}

func (failReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestLoadReadError(t *testing.T) {
	_, _, err := Load("x.txt", failReader{})
	if err == nil || !strings.Contains(err.Error(), "disk on fire") || !strings.Contains(err.Error(), "x.txt") {
		t.Fatalf("err = %v", err)
	}
}

func TestLoadLongLine(t *testing.T) {
	in := "192.0.2.1\n" + strings.Repeat("9", 3*MaxLineBytes) + "\n192.0.2.2\n" + strings.Repeat("#", MaxLineBytes+1)
	set, perrs, err := Load("long.txt", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if set.Len() != 2 {
		t.Errorf("Len = %d, want 2", set.Len())
	}
	if len(perrs) != 2 || perrs[0].Line != 2 || perrs[1].Line != 4 || !errors.Is(&perrs[0], ErrLineTooLong) {
		t.Errorf("parse errors = %v", perrs)
	}
	if len(perrs[0].Text) > 80 {
		t.Errorf("error text not shortened: %d bytes", len(perrs[0].Text))
	}
}

func TestLookup(t *testing.T) {
	set := New([]Entry{
		{Prefix: netip.MustParsePrefix("10.0.0.0/8"), Label: "ten"},
		{Prefix: netip.MustParsePrefix("10.1.0.0/16"), Label: "ten-one"},
		{Prefix: netip.MustParsePrefix("10.1.2.3/32"), Label: "host"},
		{Prefix: netip.MustParsePrefix("10.1.255.0/24"), Label: "ten-one-top"},
		{Prefix: netip.MustParsePrefix("192.0.2.0/25"), Label: "low half"},
		{Prefix: netip.MustParsePrefix("255.255.255.0/24"), Label: "top"},
		{Prefix: netip.MustParsePrefix("0.0.0.0/8"), Label: "bottom"},
		{Prefix: netip.MustParsePrefix("2001:db8::/32"), Label: "doc6"},
		{Prefix: netip.MustParsePrefix("2001:db8:1::/48"), Label: "doc6-1"},
		{Prefix: netip.MustParsePrefix("ffff::/16"), Label: "top6"},
		{Prefix: netip.MustParsePrefix("2001:db8::5/128"), Label: "host6"},
		{Prefix: netip.MustParsePrefix("10.0.0.0/8"), Label: "duplicate, ignored"},
	})
	tests := []struct {
		addr  string
		label string // "" = no match
	}{
		{"10.0.0.0", "ten"},
		{"10.255.255.255", "ten"},
		{"10.1.0.0", "ten-one"},
		{"10.1.2.2", "ten-one"},
		{"10.1.2.3", "host"},
		{"10.1.2.4", "ten-one"},
		{"10.1.254.255", "ten-one"},
		{"10.1.255.7", "ten-one-top"},
		{"10.2.0.0", "ten"},
		{"11.0.0.0", ""},
		{"9.255.255.255", ""},
		{"192.0.2.127", "low half"},
		{"192.0.2.128", ""},
		{"255.255.255.255", "top"},
		{"0.0.0.1", "bottom"},
		{"::ffff:10.1.2.3", "host"},
		{"2001:db8::1", "doc6"},
		{"2001:db8::5", "host6"},
		{"2001:db8:1::9", "doc6-1"},
		{"2001:db8:2::9", "doc6"},
		{"2001:db9::", ""},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "top6"},
		{"fe80::1%eth0", ""},
		{"::a01:203", ""}, // IPv4-compatible, not mapped: IPv6
	}
	for _, tt := range tests {
		e, ok := set.Lookup(netip.MustParseAddr(tt.addr))
		if ok != (tt.label != "") || e.Label != tt.label {
			t.Errorf("Lookup(%s) = %q, %v; want %q", tt.addr, e.Label, ok, tt.label)
		}
	}
	if set.Len() != 11 {
		t.Errorf("Len = %d, want 11 (duplicate dropped)", set.Len())
	}
	var empty *Set
	if _, ok := empty.Lookup(netip.MustParseAddr("10.0.0.1")); ok || empty.Len() != 0 {
		t.Error("nil set matched")
	}
	if _, ok := set.Lookup(netip.Addr{}); ok {
		t.Error("invalid address matched")
	}
}

func TestMerge(t *testing.T) {
	a, _, _ := Load("a.txt", strings.NewReader("192.0.2.1 # from a\n198.51.100.0/24\n"))
	b, _, _ := Load("b.txt", strings.NewReader("192.0.2.1 # from b\n2001:db8::/32\n"))
	m := Merge(a, nil, b)
	if m.Len() != 3 {
		t.Fatalf("Len = %d, want 3", m.Len())
	}
	e, ok := m.Lookup(netip.MustParseAddr("192.0.2.1"))
	if !ok || e.Source != "a.txt" || e.Label != "from a" {
		t.Errorf("duplicate resolved to %v, want the first set's", e)
	}
	e6, ok := m.Lookup(netip.MustParseAddr("2001:db8::77"))
	if !ok || e6.Source != "b.txt" || e6.Line != 2 {
		t.Errorf("Lookup v6 = %v %v", e6, ok)
	}
	if e6.String() != "2001:db8::/32 (b.txt:2)" || e.String() != "192.0.2.1/32 (a.txt:1 from a)" {
		t.Errorf("String = %q, %q", e6.String(), e.String())
	}
}

// naiveLookup is the reference: the longest prefix containing a, first entry on ties.
func naiveLookup(entries []Entry, a netip.Addr) (Entry, bool) {
	best, found := Entry{}, false
	for _, e := range entries {
		if e.Prefix.Contains(a) && (!found || e.Prefix.Bits() > best.Prefix.Bits()) {
			best, found = e, true
		}
	}
	return best, found
}

func TestLookupMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 50; round++ {
		var entries []Entry
		for i := 0; i < 60; i++ {
			entries = append(entries, randomEntry(r, i))
		}
		set := New(entries)
		canon := set.Entries()
		for q := 0; q < 2000; q++ {
			a := randomAddr(r, entries)
			got, gok := set.Lookup(a)
			want, wok := naiveLookup(canon, a)
			if gok != wok || got != want {
				t.Fatalf("round %d: Lookup(%s) = %v %v, want %v %v", round, a, got, gok, want, wok)
			}
		}
	}
}

// randomEntry draws prefixes from a small space so that they nest and collide often.
func randomEntry(r *rand.Rand, line int) Entry {
	var a netip.Addr
	var bits int
	if r.IntN(2) == 0 {
		a = netip.AddrFrom4([4]byte{byte(r.IntN(4)), byte(r.IntN(4)), byte(r.IntN(256)), byte(r.IntN(256))})
		bits = []int{1, 6, 8, 14, 16, 22, 24, 30, 32}[r.IntN(9)]
	} else {
		var b [16]byte
		b[0], b[1], b[15] = 0x20, byte(r.IntN(3)), byte(r.IntN(256))
		if r.IntN(4) == 0 {
			b = [16]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, byte(r.IntN(256))}
		}
		a = netip.AddrFrom16(b)
		bits = []int{1, 8, 15, 16, 64, 65, 120, 127, 128}[r.IntN(9)]
	}
	return Entry{Prefix: netip.PrefixFrom(a, bits).Masked(), Source: "rand", Line: line}
}

func randomAddr(r *rand.Rand, entries []Entry) netip.Addr {
	if r.IntN(3) > 0 {
		// Near a boundary of a random entry.
		p := entries[r.IntN(len(entries))].Prefix
		lo, hi := prefixRange(p)
		x := lo
		switch r.IntN(4) {
		case 0:
			x = lo.dec()
		case 1:
			x = hi
		case 2:
			x = hi.inc()
		}
		return u128Addr(x, p.Addr().Is4())
	}
	return randomEntry(r, 0).Prefix.Addr()
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte("192.0.2.1\n203.0.113.0/24 # c2\n2001:db8::/32\n"))
	f.Add([]byte("# comment\n\n  ::ffff:1.2.3.4/120  \nbad line\n0.0.0.0/0\n"))
	f.Add([]byte("10.0.0.0/8\n10.1.0.0/16\n10.1.1.1\n255.255.255.255/32\nffff::/1\n"))
	f.Add([]byte("\xef\xbb\xbf1.1.1.1#\r\n#\n%\n/\n1.1.1.1/33\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		set, perrs, err := Load("fuzz.txt", strings.NewReader(string(data)))
		checkLoaded(t, "fuzz.txt", set, perrs, err)
	})
}

func lastAddr(p netip.Prefix) netip.Addr {
	_, hi := prefixRange(p)
	return u128Addr(hi, p.Addr().Is4())
}

// benchSet builds a set of n indicators: three quarters single addresses, the rest blocks.
func benchSet(n int) *Set {
	r := rand.New(rand.NewPCG(7, 7))
	var sb strings.Builder
	for i := 0; i < n; i++ {
		a := netip.AddrFrom4([4]byte{byte(r.IntN(223) + 1), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
		if i%4 == 0 {
			fmt.Fprintf(&sb, "%s\n", netip.PrefixFrom(a, 16+r.IntN(13)).Masked())
		} else {
			fmt.Fprintf(&sb, "%s\n", a)
		}
	}
	set, _, err := Load("bench.txt", strings.NewReader(sb.String()))
	if err != nil {
		panic(err)
	}
	return set
}

func BenchmarkLookup10k(b *testing.B) {
	set := benchSet(10000)
	entries := set.Entries()
	hit := entries[len(entries)/2+1].Prefix.Addr() // a single address
	inBlock := entries[0].Prefix.Addr().Next()     // inside a block
	miss := netip.MustParseAddr("224.1.2.3")
	for _, bc := range []struct {
		name string
		a    netip.Addr
	}{{"exact", hit}, {"block", inBlock}, {"miss", miss}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := set.Lookup(bc.a); ok != (bc.name != "miss") {
					b.Fatal("unexpected result")
				}
			}
		})
	}
}

// FuzzLookup builds a set from prefixes drawn from the input and compares Lookup with the
// naive longest-prefix search on addresses at and around every block boundary.
func FuzzLookup(f *testing.F) {
	f.Add([]byte{10, 0, 0, 0, 8, 10, 1, 0, 0, 16, 10, 1, 2, 3, 32, 255, 255, 255, 255, 1})
	f.Add([]byte{0, 0, 0, 0, 1, 128, 0, 0, 0, 1, 0, 0, 0, 0, 2})
	f.Fuzz(func(t *testing.T, data []byte) {
		var entries []Entry
		for i := 0; i+5 <= len(data) && len(entries) < 64; i += 5 {
			a := netip.AddrFrom4([4]byte{data[i], data[i+1], data[i+2], data[i+3]})
			bits := int(data[i+4]%32) + 1
			if data[i+4] >= 128 { // an IPv6 block built from the same bytes
				var b [16]byte
				copy(b[:4], data[i:i+4])
				copy(b[12:], data[i:i+4])
				a, bits = netip.AddrFrom16(b), int(data[i+4]%128)+1
			}
			entries = append(entries, Entry{Prefix: netip.PrefixFrom(a, bits).Masked(), Line: i})
		}
		set := New(entries)
		canon := set.Entries()
		for _, e := range canon {
			lo, hi := prefixRange(e.Prefix)
			for _, x := range []u128{lo, lo.dec(), hi, hi.inc()} {
				a := u128Addr(x, e.Prefix.Addr().Is4())
				got, gok := set.Lookup(a)
				want, wok := naiveLookup(canon, a)
				if gok != wok || got != want {
					t.Fatalf("Lookup(%s) = %v %v, want %v %v", a, got, gok, want, wok)
				}
			}
		}
	})
}

func u128Addr(x u128, is4 bool) netip.Addr {
	if is4 {
		return netip.AddrFrom4([4]byte{byte(x.lo >> 24), byte(x.lo >> 16), byte(x.lo >> 8), byte(x.lo)})
	}
	var b [16]byte
	for i := 0; i < 8; i++ {
		b[i] = byte(x.hi >> (56 - 8*i))
		b[8+i] = byte(x.lo >> (56 - 8*i))
	}
	return netip.AddrFrom16(b)
}

func TestParseLineReasons(t *testing.T) {
	for line, want := range map[string]error{
		"not an address":      ErrBadAddress,
		"192.0.2.1 extra":     ErrTrailingText,
		"192.0.2.0/24\tmore":  ErrTrailingText,
		"192.0.2.0/33":        ErrBadAddress,
		"::/0":                ErrEverything,
		"::ffff:0.0.0.0/96":   ErrEverything,
		"fe80::1%25eth0":      ErrZone,
		"192.0.2.1/24 # ok":   nil,
		"::ffff:0:0/95 # six": nil,
	} {
		_, perr, _ := parseLine([]byte(line))
		switch {
		case want == nil && perr != nil:
			t.Errorf("%q: %v", line, perr)
		case want != nil && (perr == nil || !errors.Is(perr.Err, want)):
			t.Errorf("%q: got %v, want %v", line, perr, want)
		}
	}
}
