package intel

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testNow is the time validity is checked against in these tests.
var testNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// lineOf returns the 1-based line of the first occurrence of s in the file, or fails.
func lineOf(t *testing.T, data []byte, s string) int {
	t.Helper()
	i := bytes.Index(data, []byte(s))
	if i < 0 {
		t.Fatalf("%q not in the test file", s)
	}
	return bytes.Count(data[:i], []byte("\n")) + 1
}

// objectLine returns the line of the '{' that opens the JSON object holding s.
func objectLine(t *testing.T, data []byte, s string) int {
	t.Helper()
	i := bytes.Index(data, []byte(s))
	if i < 0 {
		t.Fatalf("%q not in the test file", s)
	}
	j := bytes.LastIndexByte(data[:i], '{')
	return bytes.Count(data[:j], []byte("\n")) + 1
}

type wantEntry struct {
	indicator string
	line      int
	label     string
}

type wantErr struct {
	line int
	err  error
}

func TestFormats(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ipXML, entXML, bundle := read("guardduty-ip.xml"), read("guardduty-entity.xml"), read("stix21-bundle.json")
	tests := []struct {
		file    string
		format  string
		entries []wantEntry
		errs    []wantErr
	}{
		{"guardduty-entity.txt", "txt", []wantEntry{
			{"192.0.2.1/32", 1, ""}, {"192.0.2.0/24", 2, ""}, {"example.com", 3, ""}, {"example.org", 4, ""}, {"*.example.org", 5, ""},
		}, nil},
		{"guardduty-ip.xml", "stix", []wantEntry{
			{"192.0.2.0/24", lineOf(t, ipXML, "192.0.2.0##comma##"), "example:observable-80b26f43-dc41-43ff-861d-19aff31e0236"},
			{"198.51.100.1/32", lineOf(t, ipXML, ">198.51.100.1<"), "example:observable-b442b399-aea4-436f-bb34-b9ef6c5ed8ab"},
			{"203.0.113.1/32", lineOf(t, ipXML, ">203.0.113.1<"), "example:observable-1742fa06-8b5e-4449-9d89-6f9f32595784"},
		}, nil},
		{"guardduty-entity.xml", "stix", []wantEntry{
			{"bad.example.com", lineOf(t, entXML, "bad.example.com"), "Malicious domain observed Example"},
			{"198.51.100.7/32", lineOf(t, entXML, "198.51.100.7##"), "Shadow MCP relays"},
			{"198.51.100.8/32", lineOf(t, entXML, "198.51.100.7##"), "Shadow MCP relays"},
		}, []wantErr{
			{lineOf(t, entXML, "198.51.100.7##"), ErrBadAddress},
			{lineOf(t, entXML, "phish@"), ErrUnsupported},
		}},
		{"stix21-bundle.json", "stix", []wantEntry{
			{"198.51.100.77/32", objectLine(t, bundle, "indicator--8e2e2d2b"), "Shadow MCP relay"},
			{"exfil.example.net", objectLine(t, bundle, "indicator--a932fcc6"), "Exfiltration endpoints"},
			{"drop.example.net", objectLine(t, bundle, "indicator--a932fcc6"), "Exfiltration endpoints"},
			{"2001:db8:bad::/48", objectLine(t, bundle, "indicator--a932fcc6"), "Exfiltration endpoints"},
			{"203.0.113.5/32", objectLine(t, bundle, "indicator--1ed8caa7"), "indicator--1ed8caa7-a708-4706-b651-f1186ede6ca1"},
			{"203.0.113.0/28", objectLine(t, bundle, "indicator--1ed8caa7"), "indicator--1ed8caa7-a708-4706-b651-f1186ede6ca1"},
		}, []wantErr{
			{objectLine(t, bundle, "indicator--6b49ca6e"), ErrExpired},
			{objectLine(t, bundle, "indicator--0d1c1a2b"), ErrRevoked},
			{objectLine(t, bundle, "indicator--c5a6a1b3"), ErrUnsupported},
			{objectLine(t, bundle, "indicator--f1e2d3c4"), ErrPatternType},
			{objectLine(t, bundle, "indicator--11111111"), ErrBadPattern},
			{objectLine(t, bundle, "indicator--99999999"), ErrNotYetValid},
		}},
		{"otx.csv", "otx_csv", []wantEntry{
			{"192.0.2.0/24", 2, "example"}, {"198.51.100.1/32", 3, "example"}, {"203.0.113.1/32", 4, "example"},
			{"example.net", 5, "example"}, {"mcp-relay.example.net", 6, "relay, seen 2026-11"}, {"2001:db8::7/128", 7, "v6 example"},
		}, []wantErr{{8, ErrUnsupported}, {9, ErrUnsupported}, {10, ErrBadAddress}}},
		{"fireeye.csv", "fire_eye", []wantEntry{
			{"192.0.2.0/24", 3, "Ursnif (report 01-00000001)"},
			{"198.51.100.1/32", 5, "Ursnif (report 01-00000002)"},
			{"203.0.113.1/32", 7, "Ursnif (report 01-00000003)"},
			{"203.0.113.0/24", 9, "Ursnif (report 01-00000002)"},
			{"203.0.113.0/32", 9, "Ursnif (report 01-00000002)"},
			{"example.com", 9, "Ursnif (report 01-00000002)"},
		}, []wantErr{{10, ErrBadRecord}}},
		{"proofpoint-ip.csv", "proof_point", []wantEntry{
			{"198.51.100.1/32", 2, "ET category 1, score 100"}, {"203.0.113.1/32", 3, "ET category 1, score 100"},
		}, nil},
		{"proofpoint-domain.csv", "proof_point", []wantEntry{
			{"198.51.100.1/32", 2, "ET category 1, score 100"}, {"mcp-exfil.example.net", 3, "ET category 5, score 127"},
		}, []wantErr{{4, ErrBadDomain}}},
		{"alienvault.data", "alien_vault", []wantEntry{
			{"192.0.2.1/32", 1, "Malicious Host"}, {"192.0.2.2/32", 2, "Scanning Host"}, {"192.0.2.3/32", 3, ""},
			{"www.test.org", 4, "Malicious Host"}, {"www.example.com", 5, "Malicious Host"},
		}, []wantErr{{6, ErrBadRecord}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := read(tt.file)
			if f := Detect(data); f.Name() != tt.format {
				t.Errorf("Detect = %s, want %s", f.Name(), tt.format)
			}
			set, perrs, err := LoadWith(tt.file, bytes.NewReader(data), Options{Now: testNow})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			got := set.Entries()
			if len(got) != len(tt.entries) {
				t.Errorf("got %d entries, want %d:", len(got), len(tt.entries))
				for _, e := range got {
					t.Logf("  %v", e)
				}
			}
			for i := 0; i < len(got) && i < len(tt.entries); i++ {
				g, w := got[i], tt.entries[i]
				if g.Indicator() != w.indicator || g.Line != w.line || g.Label != w.label || g.Source != tt.file {
					t.Errorf("entry %d = %q line %d label %q source %q; want %q line %d label %q",
						i, g.Indicator(), g.Line, g.Label, g.Source, w.indicator, w.line, w.label)
				}
			}
			if len(perrs) != len(tt.errs) {
				t.Errorf("got %d errors, want %d:", len(perrs), len(tt.errs))
				for _, pe := range perrs {
					t.Logf("  %v", &pe)
				}
			}
			for i := 0; i < len(perrs) && i < len(tt.errs); i++ {
				if perrs[i].Line != tt.errs[i].line || !errors.Is(&perrs[i], tt.errs[i].err) || perrs[i].Source != tt.file {
					t.Errorf("error %d = %v; want line %d: %v", i, &perrs[i], tt.errs[i].line, tt.errs[i].err)
				}
			}
			// The explicit format reads the same.
			f, _ := FormatByName(tt.format)
			set2, perrs2, err := LoadWith(tt.file, bytes.NewReader(data), Options{Format: f, Now: testNow})
			if err != nil || set2.Len() != set.Len() || len(perrs2) != len(perrs) {
				t.Errorf("explicit format: %d entries, %d errors, %v", set2.Len(), len(perrs2), err)
			}
		})
	}
}

func TestSTIXValidity(t *testing.T) {
	data, err := os.ReadFile("testdata/stix21-bundle.json")
	if err != nil {
		t.Fatal(err)
	}
	set, _, err := LoadWith("b.json", bytes.NewReader(data), Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	e, ok := set.LookupDomain("exfil.example.net")
	if !ok || !e.ValidUntil.Equal(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)) || !e.ValidFrom.Equal(time.Date(2024, 1, 10, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("validity of %v: %v to %v", e, e.ValidFrom, e.ValidUntil)
	}
	if !e.ValidAt(testNow) || e.ValidAt(e.ValidUntil) || e.ValidAt(e.ValidFrom.Add(-time.Second)) {
		t.Error("ValidAt")
	}
	// In 2023 the retired C2 was valid and the other indicators not yet.
	old, perrs, err := LoadWith("b.json", bytes.NewReader(data), Options{Now: time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := old.Lookup(netip.MustParseAddr("192.0.2.99")); !ok || old.Len() != 1 {
		t.Errorf("2023 set: %v", old.Entries())
	}
	notYet := 0
	for _, pe := range perrs {
		if errors.Is(&pe, ErrNotYetValid) {
			notYet++
		}
	}
	if notYet != 7 {
		t.Errorf("%d not-yet-valid errors, want 7: %v", notYet, perrs)
	}
}

func TestLookupDomain(t *testing.T) {
	set, _, err := Load("d.txt", strings.NewReader("Evil.Example.\n*.relay.example.net # wildcard\n198.51.100.1\nevil.example # duplicate\n"))
	if err != nil {
		t.Fatal(err)
	}
	if set.Len() != 3 || set.NumDomains() != 2 {
		t.Fatalf("Len %d, NumDomains %d", set.Len(), set.NumDomains())
	}
	for _, tt := range []struct {
		name string
		want string
	}{
		{"evil.example", "evil.example"},
		{"EVIL.EXAMPLE.", "evil.example"},
		{"www.evil.example", ""}, // exact names do not cover subdomains
		{"a.relay.example.net", "*.relay.example.net"},
		{"a.b.relay.example.net", "*.relay.example.net"},
		{"relay.example.net", ""},
		{"example.net", ""},
		{"198.51.100.1", ""},
		{"", ""},
	} {
		e, ok := set.LookupDomain(tt.name)
		if ok != (tt.want != "") || e.Domain != tt.want {
			t.Errorf("LookupDomain(%q) = %q, %v; want %q", tt.name, e.Domain, ok, tt.want)
		}
	}
	if e, _ := set.LookupDomain("a.relay.example.net"); e.Label != "wildcard" || e.Line != 2 || e.String() != "*.relay.example.net (d.txt:2 wildcard)" {
		t.Errorf("entry %v", e)
	}
	var empty *Set
	if empty.ContainsDomain("evil.example") || empty.NumDomains() != 0 {
		t.Error("nil set matched a domain")
	}
	if n := testing.AllocsPerRun(100, func() { set.LookupDomain("x.relay.example.net") }); n != 0 {
		t.Errorf("LookupDomain hit allocates %v", n)
	}
	if n := testing.AllocsPerRun(100, func() { set.LookupDomain("www.ordinary.example.com") }); n != 0 {
		t.Errorf("LookupDomain miss allocates %v", n)
	}
	// Merge keeps the first set's domain entry.
	other, _, _ := Load("o.txt", strings.NewReader("evil.example # other\nnew.example\n"))
	m := Merge(set, other)
	if e, _ := m.LookupDomain("evil.example"); e.Source != "d.txt" || m.NumDomains() != 3 {
		t.Errorf("Merge: %v, %d domains", e, m.NumDomains())
	}
}

func TestPlainTextDomains(t *testing.T) {
	for line, want := range map[string]error{
		"example.com":              nil,
		"*.example.com":            nil,
		"*.com":                    ErrWholeTLD,
		"a.*.example.com":          ErrBadDomain,
		"bad_label..example.com":   ErrBadDomain,
		"exa mple.com":             ErrBadAddress,
		"example.com extra":        ErrTrailingText,
		"localhost":                ErrBadAddress,
		"1.2.3.4.5":                ErrBadAddress,
		"example.123":              ErrBadAddress,
		"ünicode.example":          ErrBadDomain,
		"https://evil.example/x":   ErrBadAddress,
		"evil.example # C2 domain": nil,
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

func TestFormatNames(t *testing.T) {
	for _, n := range FormatNames() {
		f, err := FormatByName(strings.ToUpper(n))
		if err != nil || f.Name() != n {
			t.Errorf("FormatByName(%q) = %v, %v", strings.ToUpper(n), f, err)
		}
	}
	for alias, want := range map[string]string{"OTX_CSV": "otx_csv", "otx-csv": "otx_csv", "PROOF_POINT": "proof_point",
		"FIRE_EYE": "fire_eye", "ALIEN_VAULT": "alien_vault", "TXT": "txt", "stix2": "stix", "plain": "txt"} {
		if f, err := FormatByName(alias); err != nil || f.Name() != want {
			t.Errorf("FormatByName(%q) = %v, %v", alias, f, err)
		}
	}
	if _, err := FormatByName("csv"); err == nil || !strings.Contains(err.Error(), "otx_csv") {
		t.Errorf("unknown format error: %v", err)
	}
	for spec, want := range map[string][2]string{
		"stix:feed.json":       {"stix", "feed.json"},
		"OTX_CSV:/tmp/a:b.csv": {"otx_csv", "/tmp/a:b.csv"},
		"feed.txt":             {"", "feed.txt"},
		"C:\\intel\\feed.txt":  {"", "C:\\intel\\feed.txt"},
		"unknown:feed.txt":     {"", "unknown:feed.txt"},
	} {
		f, path := SplitSpec(spec)
		name := ""
		if f != nil {
			name = f.Name()
		}
		if name != want[0] || path != want[1] {
			t.Errorf("SplitSpec(%q) = %q, %q", spec, name, path)
		}
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	// A header-less Proofpoint file is detected by its rows; the same bytes forced as plain
	// text are all errors.
	p := filepath.Join(dir, "et.csv")
	if err := os.WriteFile(p, []byte("198.51.100.1,1,100,2026-01-01,2026-11-01,80\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	set, _, err := LoadFile(p, Options{})
	if err != nil || set.Len() != 1 || set.Entries()[0].Source != p {
		t.Fatalf("LoadFile(%s) = %v, %v", p, set.Entries(), err)
	}
	if _, _, err := LoadFile("txt:"+p, Options{}); !errors.Is(err, ErrNoEntries) {
		t.Errorf("forced txt: %v", err)
	}
	if _, _, err := LoadFile(filepath.Join(dir, "missing.txt"), Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestDetect(t *testing.T) {
	for in, want := range map[string]string{
		"":                                      "txt",
		"# comment only\n":                      "txt",
		"\xef\xbb\xbf  \n{\"type\":\"bundle\"}": "stix",
		"[{}]":                                  "stix",
		"<?xml version=\"1.0\"?><x/>":           "stix",
		"# feed\nIndicator type,Indicator,Description\n":              "otx_csv",
		"\"Indicator type\",\"Indicator\",\"Description\"\n":          "otx_csv",
		"reportId,title,ip\n":                                         "fire_eye",
		"domain,category,score,first_seen,last_seen,ports (|)\n":      "proof_point",
		"1.2.3.4#4#2#Malicious Host#US##0.0,0.0#3\n":                  "alien_vault",
		"1.2.3.4 # comment with # signs\n":                            "txt",
		"1.2.3.4#no#space\n":                                          "txt",
		"192.0.2.200#no space before comment\n":                       "txt",
		"203.0.113.0/24\n198.51.100.1\n":                              "txt",
		"1.2.3.4,5,127,2014-09-26,2016-06-13,22|80\n":                 "proof_point",
		"ip,category\n":                                               "txt",
		"evil.example\n":                                              "txt",
		"\n\n\nIndicator type, Indicator, Description\nIPv4, 1.2.3.4": "otx_csv",
	} {
		if got := Detect([]byte(in)).Name(); got != want {
			t.Errorf("Detect(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestStructuredErrors(t *testing.T) {
	for _, f := range []Format{STIX{}, OTXCSV{}, FireEye{}, ProofPoint{}, AlienVault{}} {
		if _, _, err := LoadFormat(f, "x", failReader{}); err == nil || !strings.Contains(err.Error(), "disk on fire") {
			t.Errorf("%s: read error = %v", f.Name(), err)
		}
		if _, _, err := LoadFormat(f, "x", strings.NewReader("")); !errors.Is(err, ErrNoEntries) {
			t.Errorf("%s: empty file = %v", f.Name(), err)
		}
	}
	big := io.MultiReader(strings.NewReader("{\"objects\":["), io.LimitReader(zeros{}, MaxFileBytes))
	if _, _, err := LoadFormat(STIX{}, "big.json", big); !errors.Is(err, ErrTooLarge) {
		t.Errorf("large file: %v", err)
	}
	for _, in := range []string{
		`{"objects": {}}`, `{"objects": [1, 2`, `"just a string"`, `{"type":"indicator"} trailing`, `<a><b>`,
	} {
		_, perrs, err := LoadFormat(STIX{}, "bad", strings.NewReader(in))
		if !errors.Is(err, ErrNoEntries) || len(perrs) == 0 || !errors.Is(&perrs[0], ErrBadRecord) {
			t.Errorf("STIX %q: %v, %v", in, perrs, err)
		}
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

func TestSTIXPattern(t *testing.T) {
	tests := []struct {
		pattern string
		want    string // path op values, joined; or the error
	}{
		{"[ipv4-addr:value = '1.2.3.4']", "ipv4-addr:value = 1.2.3.4"},
		{"[ipv4-addr:value != '1.2.3.4']", "ipv4-addr:value != 1.2.3.4"},
		{"[ipv4-addr:value NOT IN ('1.2.3.4','5.6.7.8')]", "!ipv4-addr:value IN 1.2.3.4,5.6.7.8"},
		{"[file:hashes.'SHA-256' = 'abc' AND file:size > 10]", "file:hashes.'SHA-256' = abc; file:size >"},
		{"[email-message:to_refs[*].value = 'a@b.c']", "email-message:to_refs[*].value = a@b.c"},
		{"[domain-name:value = 'it\\'s.example'] REPEATS 5 TIMES", "domain-name:value = it's.example"},
		{"[network-traffic:start > t'2016-01-01T00:00:00Z']", "network-traffic:start >"},
		{"[domain-name:value MATCHES '^evil']", "domain-name:value MATCHES ^evil"},
		{"[ipv4-addr:value = '1.2.3.4'", "unbalanced"},
		{"ipv4-addr:value = '1.2.3.4']", "unbalanced"},
		{"[ipv4-addr:value = ]", "has no value"},
		{"[ipv4-addr:value]", "has no operator"},
		{"[ipv4-addr:value = 'x\\q']", "bad escape"},
		{"[ipv4-addr:value = '1.2.3.4' ! ]", "stray"},
		{"[]", "no comparison"},
		{"[ a:b IN ('x', ]", "bad set"},
		{"[ a:b IN ('x'", "unterminated set"},
		{"[a:b = 'x'] { }", "unexpected"},
	}
	for _, tt := range tests {
		comps, err := parseSTIXPattern(tt.pattern)
		var got string
		if err != nil {
			got = err.Error()
			if !errors.Is(err, ErrBadPattern) {
				t.Errorf("%q: error %v is not ErrBadPattern", tt.pattern, err)
			}
		} else {
			var parts []string
			for _, c := range comps {
				s := c.path + " " + c.op
				if c.negated {
					s = "!" + s
				}
				if len(c.values) > 0 {
					s += " " + strings.Join(c.values, ",")
				}
				parts = append(parts, s)
			}
			got = strings.Join(parts, "; ")
		}
		if !strings.Contains(got, tt.want) {
			t.Errorf("parseSTIXPattern(%q) = %q, want %q", tt.pattern, got, tt.want)
		}
	}
}

func TestRangePrefixes(t *testing.T) {
	tests := []struct {
		lo, hi string
		want   string
	}{
		{"192.0.2.0", "192.0.2.255", "192.0.2.0/24"},
		{"192.0.2.7", "192.0.2.7", "192.0.2.7/32"},
		{"10.0.0.1", "10.0.0.6", "10.0.0.1/32 10.0.0.2/31 10.0.0.4/31 10.0.0.6/32"},
		{"0.0.0.0", "127.255.255.255", "0.0.0.0/1"},
		{"255.255.255.254", "255.255.255.255", "255.255.255.254/31"},
		{"2001:db8::", "2001:db8::ffff", "2001:db8::/112"},
		{"::", "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/1"},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"},
		{"0.0.0.0", "255.255.255.255", "error"},
		{"10.0.0.2", "10.0.0.1", "error"},
		{"10.0.0.1", "::1", "error"},
	}
	for _, tt := range tests {
		ps, err := rangePrefixes(netip.MustParseAddr(tt.lo), netip.MustParseAddr(tt.hi))
		got := "error"
		if err == nil {
			var s []string
			for _, p := range ps {
				s = append(s, p.String())
			}
			got = strings.Join(s, " ")
		}
		if got != tt.want {
			t.Errorf("rangePrefixes(%s, %s) = %s, want %s", tt.lo, tt.hi, got, tt.want)
		}
	}
}

// BenchmarkLookupDomain looks names up in a set of 10,000 domain indicators, a tenth of them
// wildcards, as the DNS rule does for every query.
func BenchmarkLookupDomain(b *testing.B) {
	var sb strings.Builder
	for i := 0; i < 10000; i++ {
		if i%10 == 0 {
			sb.WriteString("*.")
		}
		sb.WriteString("host")
		sb.WriteString(strings.Repeat("x", i%5))
		sb.WriteString(string(rune('a' + i%26)))
		sb.WriteString(".bad")
		sb.WriteString(strconv.Itoa(i))
		sb.WriteString(".example\n")
	}
	set, _, err := Load("bench.txt", strings.NewReader(sb.String()))
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, q string }{
		{"exact", "HOSTXB.bad1.example."},
		{"wildcard", "www.hostk.bad10.example"},
		{"miss", "www.ordinary-site.example.com"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := set.LookupDomain(bc.q); ok != (bc.name != "miss") {
					b.Fatal("unexpected result")
				}
			}
		})
	}
}
