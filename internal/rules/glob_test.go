package rules

import "testing"

func TestGlob(t *testing.T) {
	tests := []struct {
		pat   string
		cased bool
		s     string
		want  bool
	}{
		{"mcp.atlassian.com", false, "MCP.Atlassian.com", true},
		{"mcp.atlassian.com", true, "MCP.Atlassian.com", false},
		{"mcp.atlassian.com", false, "mcp.atlassian.co", false},
		{"*.amazonaws.com", false, "bedrock.us-east-1.AMAZONAWS.com", true},
		{"*.amazonaws.com", false, "amazonaws.com", false},
		{"npx*", false, "NPX -y foo", true},
		{"*mcp*", false, "uvx Mcp-server-fetch", true},
		{"*mcp*", false, "uvx server-fetch", false},
		{"*--port*", false, "a --PORT 8000", true},
		{"a?c", false, "abc", true},
		{"a?c", false, "ac", false},
		{"a?c", false, "aéc", true},
		{"*a*b*c*", false, "xxAyyByyCzz", true},
		{"*a*b*c", false, "xxAyyByyCzz", false},
		{"a*c", false, "abcbc", true},
		{`a\*c`, false, "a*c", true},
		{`a\*c`, false, "abc", false},
		{"*", false, "", true},
		{"ÉTÉ*", false, "été 2026", true},
		{"*server-?ithub", false, "@modelcontextprotocol/server-github", true},
	}
	for _, tc := range tests {
		if got := compileGlob(tc.pat, tc.cased).match(tc.s); got != tc.want {
			t.Errorf("glob %q (cased %v) on %q = %v, want %v", tc.pat, tc.cased, tc.s, got, tc.want)
		}
	}
}
