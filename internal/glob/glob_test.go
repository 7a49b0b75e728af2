package glob

import "testing"

func TestMatchFold(t *testing.T) {
	for _, tc := range []struct {
		pat, s string
		want   bool
	}{
		{"", "", true}, {"", "a", false}, {"*", "", true}, {"*", "anything/at.all", true},
		{"mcp.*.example.com", "MCP.eu.Example.com", true}, {"mcp.*.example.com", "mcp.example.com", false},
		{"@modelcontextprotocol/server-*", "@modelcontextprotocol/server-filesystem", true},
		{"*-mcp", "github-MCP", true}, {"*-mcp", "mcp-github", false}, {"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXcYYb", false}, {"**", "x", true}, {"abc", "ab", false}, {"ab", "abc", false},
		{"a?c", "abc", false}, // '?' is literal
	} {
		if got := MatchFold(tc.pat, tc.s); got != tc.want {
			t.Errorf("MatchFold(%q, %q) = %v, want %v", tc.pat, tc.s, got, tc.want)
		}
		if got := MatchFold(tc.pat, []byte(tc.s)); got != tc.want {
			t.Errorf("MatchFold(%q, []byte(%q)) = %v, want %v", tc.pat, tc.s, got, tc.want)
		}
	}
}
