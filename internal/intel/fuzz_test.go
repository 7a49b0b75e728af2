package intel

import (
	"bytes"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/catalogue/dnsname"
)

// checkLoaded checks what a loader returned: well-formed errors, well-formed entries, and a
// set whose lookups find every entry.
func checkLoaded(t *testing.T, name string, set *Set, perrs []ParseError, err error) {
	t.Helper()
	for _, pe := range perrs {
		if pe.Line < 1 || pe.Err == nil || len(pe.Text) > 80 || pe.Source != name {
			t.Fatalf("bad parse error %+v", pe)
		}
	}
	if err != nil {
		if set != nil {
			t.Fatal("set returned with error")
		}
		return
	}
	entries := set.Entries()
	if len(entries) == 0 {
		t.Fatal("empty set without error")
	}
	for _, e := range entries {
		if e.Source != name || e.Line < 1 {
			t.Fatalf("bad entry origin %+v", e)
		}
		if e.IsDomain() {
			if e.Prefix.IsValid() {
				t.Fatalf("domain entry with a prefix %+v", e)
			}
			base := strings.TrimPrefix(e.Domain, "*.")
			if n, err := dnsname.Normalize(base); err != nil || n != base || strings.Count(base, ".") < 1 {
				t.Fatalf("bad domain entry %+v", e)
			}
			probe := base
			if base != e.Domain {
				probe = "x." + base
			}
			if got, ok := set.LookupDomain(strings.ToUpper(probe) + "."); !ok || got.Domain != e.Domain {
				t.Fatalf("LookupDomain(%s) = %v %v, want %v", probe, got, ok, e)
			}
			continue
		}
		if !e.Prefix.IsValid() || e.Prefix != e.Prefix.Masked() || e.Prefix.Bits() == 0 || e.Prefix.Addr().Is4In6() {
			t.Fatalf("bad entry %+v", e)
		}
		for _, a := range []netip.Addr{e.Prefix.Addr(), lastAddr(e.Prefix)} {
			got, ok := set.Lookup(a)
			want, _ := naiveLookup(entries, a)
			if !ok || got != want {
				t.Fatalf("Lookup(%s) = %v %v, want %v", a, got, ok, want)
			}
		}
	}
}

// fuzzFormat fuzzes one format with the test files of testdata as seeds.
func fuzzFormat(f *testing.F, format Format, seeds ...string) {
	for _, s := range seeds {
		if data, err := os.ReadFile("testdata/" + s); err == nil {
			f.Add(data)
		} else {
			f.Add([]byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		set, perrs, err := LoadWith("fuzz", bytes.NewReader(data), Options{Format: format, Now: testNow})
		checkLoaded(t, "fuzz", set, perrs, err)
	})
}

func FuzzSTIXJSON(f *testing.F) {
	fuzzFormat(f, STIX{}, "stix21-bundle.json", `[{"type":"indicator","pattern":"[ipv6-addr:value = '::1']"}]`,
		`{"type":"indicator","name":"x","pattern":"[domain-name:value IN ('a.b','c.d')]","valid_until":"2030-01-01T00:00:00Z"}`)
}

func FuzzSTIXXML(f *testing.F) {
	fuzzFormat(f, STIX{}, "guardduty-ip.xml", "guardduty-entity.xml",
		`<a><Indicator><Title>t</Title><Properties category="ipv6-addr"><Address_Value condition="InclusiveBetween">::1##comma##::ff</Address_Value></Properties></Indicator></a>`)
}

func FuzzOTXCSV(f *testing.F) {
	fuzzFormat(f, OTXCSV{}, "otx.csv", "IPv4,1.2.3.4,x\nhostname,\"a.b\",\"q\"\"\"\n")
}

func FuzzFireEye(f *testing.F) {
	fuzzFormat(f, FireEye{}, "fireeye.csv", "reportId,ip,domain,cidr\n1,1.2.3.4,a.example,10.0.0.0/8\n")
}

func FuzzProofPoint(f *testing.F) {
	fuzzFormat(f, ProofPoint{}, "proofpoint-ip.csv", "proofpoint-domain.csv", "1.2.3.4,1,2\n")
}

func FuzzAlienVault(f *testing.F) {
	fuzzFormat(f, AlienVault{}, "alienvault.data", "#comment\n1.2.3.4#1#2#x\n")
}

// FuzzSTIXPattern checks that the pattern parser never panics and that what it returns is
// well-formed.
func FuzzSTIXPattern(f *testing.F) {
	for _, s := range []string{
		"[ipv4-addr:value = '1.2.3.4']",
		"[domain-name:value IN ('a.b', 'c.d')] AND [file:hashes.'SHA-256' = 'x'] WITHIN 5 SECONDS",
		"[email-message:to_refs[*].value NOT LIKE 'x%']",
		"([a:b = t'2016-01-01T00:00:00Z'] FOLLOWEDBY [c:d != 'it\\'s'])",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		comps, err := parseSTIXPattern(p)
		if err != nil {
			if comps != nil {
				t.Fatal("comparisons with an error")
			}
			return
		}
		for _, c := range comps {
			if !strings.Contains(c.path, ":") || c.op == "" {
				t.Fatalf("bad comparison %+v", c)
			}
		}
	})
}
