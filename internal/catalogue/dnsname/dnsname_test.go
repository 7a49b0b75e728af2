package dnsname

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{"Example.COM.", "example.com", nil},
		{"  mcp.atlassian.com ", "mcp.atlassian.com", nil},
		{"_dmarc.example.com", "_dmarc.example.com", nil},
		{"a", "a", nil},
		{"", "", ErrEmpty},
		{".", "", ErrEmpty},
		{"a..b", "", ErrLabel},
		{".a", "", ErrLabel},
		{"a.b..", "", ErrLabel},
		{strings.Repeat("x", 64) + ".com", "", ErrLabel},
		{strings.Repeat("abcdefghi.", 26), "", ErrTooLong},
		{"bad host.com", "", ErrChar},
		{"héllo.com", "", ErrChar},
		{"192.0.2.1:443", "", ErrChar},
		{"*.example.com", "", ErrWild},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.in)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("Normalize(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
	if p, err := NormalizePattern("*.Gateway.bedrock-agentcore.*.AMAZONAWS.com."); err != nil || p != "*.gateway.bedrock-agentcore.*.amazonaws.com" {
		t.Errorf("NormalizePattern = %q, %v", p, err)
	}
}

func TestTableLookup(t *testing.T) {
	var tab Table
	names := []string{
		"mcp.atlassian.com",                           // 0
		"*.mcp.cloudflare.com",                        // 1
		"*.gateway.bedrock-agentcore.*.amazonaws.com", // 2
		"bedrock-agentcore.*.amazonaws.com",           // 3
		"*-mcp-server.klavis.ai",                      // 4
		"*.example.org",                               // 5
		"deep.sub.example.org",                        // 6
		"*.sub.example.org",                           // 7
		"aws-mcp.*.api.aws",                           // 8
	}
	for i, n := range names {
		if ok, err := tab.Add(n, int32(i)); err != nil || !ok {
			t.Fatalf("Add(%q) = %v, %v", n, ok, err)
		}
	}
	if ok, err := tab.Add("MCP.Atlassian.com.", 99); ok || err != nil {
		t.Errorf("duplicate Add = %v, %v", ok, err)
	}
	if ok, _ := tab.Add("*.example.org", 99); ok {
		t.Error("duplicate pattern added")
	}
	if _, err := tab.Add("bad name", 0); !errors.Is(err, ErrChar) {
		t.Errorf("Add(bad) err = %v", err)
	}
	if tab.Len() != len(names) {
		t.Errorf("Len = %d", tab.Len())
	}
	tests := []struct {
		name string
		want int32 // -1: no match
	}{
		{"mcp.atlassian.com", 0},
		{"MCP.ATLASSIAN.COM.", 0},
		{"x.mcp.atlassian.com", -1},
		{"atlassian.com", -1},
		{"docs.mcp.cloudflare.com", 1},
		{"a.b.mcp.cloudflare.com", 1},
		{"mcp.cloudflare.com", -1}, // a leading * needs at least one label
		{"abc123.gateway.bedrock-agentcore.us-east-1.amazonaws.com", 2},
		{"gateway.bedrock-agentcore.us-east-1.amazonaws.com", -1},
		{"abc.gateway.bedrock-agentcore.amazonaws.com", -1},
		{"bedrock-agentcore.eu-west-1.amazonaws.com", 3},
		{"bedrock-agentcore-control.eu-west-1.amazonaws.com", -1},
		{"x.bedrock-agentcore.eu-west-1.amazonaws.com", -1},
		{"gmail-mcp-server.klavis.ai", 4},
		{"-mcp-server.klavis.ai", 4},
		{"mcp-server.klavis.ai", -1},
		{"a.gmail-mcp-server.klavis.ai", -1},
		{"api.klavis.ai", -1},
		{"www.example.org", 5},
		{"deep.sub.example.org", 6},  // exact beats patterns
		{"other.sub.example.org", 7}, // the longer pattern is more specific
		{"sub.example.org", 5},
		{"aws-mcp.us-east-1.api.aws", 8},
		{"aws-mcp.api.aws", -1},
		{"", -1},
		{".", -1},
		{strings.Repeat("a.", 200) + "example.org", -1}, // too long to be a name
	}
	for _, tt := range tests {
		v, ok := tab.Lookup(tt.name)
		if ok != (tt.want >= 0) || ok && v != tt.want {
			t.Errorf("Lookup(%q) = %d, %v; want %d", tt.name, v, ok, tt.want)
		}
	}
	if got := tab.AppendMatches(nil, "deep.sub.example.org"); !slices.Equal(got, []int32{6, 7, 5}) {
		t.Errorf("AppendMatches = %v, want [6 7 5]", got)
	}
	if got := tab.AppendMatches([]int32{42}, "nothing.test"); !slices.Equal(got, []int32{42}) {
		t.Errorf("AppendMatches miss = %v", got)
	}
}

func TestTableEverything(t *testing.T) {
	var tab Table
	tab.Add("*", 1)
	tab.Add("mcp.*", 2)
	for _, n := range []string{"a", "a.b", "mcp.example"} {
		if _, ok := tab.Lookup(n); !ok {
			t.Errorf("* did not match %q", n)
		}
	}
	if v, _ := tab.Lookup("mcp.example"); v != 2 {
		t.Errorf("mcp.* not preferred over *: %d", v)
	}
	if v, _ := tab.Lookup("mcp.example.com"); v != 1 {
		t.Errorf("mcp.* matched two labels: %d", v)
	}
	var empty Table
	if _, ok := empty.Lookup("example.com"); ok {
		t.Error("empty table matched")
	}
}

func TestMatch(t *testing.T) {
	for _, tt := range []struct {
		pat, name string
		want      bool
	}{
		{"*.example.com", "A.Example.com", true},
		{"*.example.com", "example.com", false},
		{"ex*le.com", "example.com", true},
		{"ex*le.com", "exle.com", true},
		{"ex*le.com", "exam.ple.com", false},
		{"*x*", "abxcd", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbY", false},
		{"bad pattern", "bad pattern", false},
	} {
		if got := Match(tt.pat, tt.name); got != tt.want {
			t.Errorf("Match(%q, %q) = %v", tt.pat, tt.name, got)
		}
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	var tab Table
	for i, n := range []string{"mcp.atlassian.com", "*.mcp.cloudflare.com", "*.gateway.bedrock-agentcore.*.amazonaws.com"} {
		tab.Add(n, int32(i))
	}
	var dst [8]int32
	for _, name := range []string{"MCP.atlassian.com.", "x.gateway.bedrock-agentcore.us-east-1.amazonaws.com", "www.example.com"} {
		if n := testing.AllocsPerRun(100, func() { tab.Lookup(name) }); n != 0 {
			t.Errorf("Lookup(%q) allocates %v times", name, n)
		}
		if n := testing.AllocsPerRun(100, func() { tab.AppendMatches(dst[:0], name) }); n != 0 {
			t.Errorf("AppendMatches(%q) allocates %v times", name, n)
		}
	}
}

func BenchmarkLookup(b *testing.B) {
	var tab Table
	for i := 0; i < 500; i++ {
		tab.Add("mcp"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+".example"+string(rune('a'+i/26))+".com", int32(i))
	}
	tab.Add("*.mcp.cloudflare.com", 1000)
	tab.Add("*.gateway.bedrock-agentcore.*.amazonaws.com", 1001)
	for _, bc := range []struct{ name, host string }{
		{"exact", "MCPa.exampleA.com"},
		{"pattern", "abc.gateway.bedrock-agentcore.us-east-1.amazonaws.com"},
		{"miss", "www.some-ordinary-site.example.net."},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tab.Lookup(bc.host)
			}
		})
	}
}

func FuzzTable(f *testing.F) {
	f.Add("*.example.com", "a.example.com")
	f.Add("a*b.*.c", "axb.y.c")
	f.Add("*", "x")
	f.Fuzz(func(t *testing.T, pat, name string) {
		var tab Table
		if _, err := tab.Add(pat, 7); err != nil {
			return
		}
		v, ok := tab.Lookup(name)
		if ok && v != 7 {
			t.Fatalf("value %d", v)
		}
		// Case and a trailing dot never change the answer.
		if _, ok2 := tab.Lookup(asciiUpper(name) + "."); ok2 != ok && !strings.HasSuffix(name, ".") {
			t.Fatalf("Lookup(%q) = %v but upper-cased with dot = %v", name, ok, ok2)
		}
		if got := tab.AppendMatches(nil, name); (len(got) == 1) != ok {
			t.Fatalf("AppendMatches = %v, Lookup ok = %v", got, ok)
		}
		// An exact (wildcard-free) pattern matches only itself.
		if !IsPattern(pat) && ok {
			n1, _ := Normalize(pat)
			n2, err := Normalize(name)
			if err != nil || n1 != n2 {
				t.Fatalf("exact %q matched %q", pat, name)
			}
		}
	})
}

// asciiUpper upper-cases ASCII letters only (strings.ToUpper would rewrite invalid UTF-8).
func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
