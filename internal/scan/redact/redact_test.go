package redact

import (
	"strings"
	"testing"
)

func TestArgs(t *testing.T) {
	tests := []struct{ in, want string }{
		{"npx -y @modelcontextprotocol/server-github", "npx -y @modelcontextprotocol/server-github"},
		{"docker run -i --rm -e GITHUB_PERSONAL_ACCESS_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz012345 ghcr.io/github/github-mcp-server",
			"docker run -i --rm -e GITHUB_PERSONAL_ACCESS_TOKEN=<redacted> ghcr.io/github/github-mcp-server"},
		{"docker run -i --rm -e GITHUB_PERSONAL_ACCESS_TOKEN mcp/github", "docker run -i --rm -e GITHUB_PERSONAL_ACCESS_TOKEN mcp/github"},
		{"mcp-server --api-key abc123 --port 8080", "mcp-server --api-key <redacted> --port 8080"},
		{"mcp-server --api-key=abc123 --verbose", "mcp-server --api-key=<redacted> --verbose"},
		{"server --token --debug", "server --token --debug"},
		{"uvx mcp-server-postgres postgresql://admin:hunter2@db.internal:5432/prod",
			"uvx mcp-server-postgres postgresql://admin:REDACTED@db.internal:5432/prod"},
		{"npx mcp-remote https://mcp.example.com/sse?key=s3cr3t&team=x --header Authorization:Bearer",
			"npx mcp-remote https://mcp.example.com/sse?key=REDACTED&team=REDACTED --header Authorization: <redacted>"},
		{"npx mcp-remote https://actions.zapier.com/mcp/sk-ak-AbCdEfGhIjKlMnOpQrStUvWx12/sse",
			"npx mcp-remote https://actions.zapier.com/mcp/REDACTED/sse"},
		{"node index.js sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAA", "node index.js <redacted>"},
		{"node index.js AKIAIOSFODNN7EXAMPLE", "node index.js <redacted>"},
		{"python -m mcp_server_fetch /home/alice/projects/some-long-directory-name/with/paths",
			"python -m mcp_server_fetch /home/alice/projects/some-long-directory-name/with/paths"},
		{"server x9Kq2LmZ8vR4tY7wE1uI3oP6aS5dF0gH", "server <redacted>"},
		{"env SLACK_BOT_TOKEN=xoxb-1234-5678-abcdef npx @modelcontextprotocol/server-slack",
			"env SLACK_BOT_TOKEN=<redacted> npx @modelcontextprotocol/server-slack"},
	}
	for _, tt := range tests {
		if got := Text(tt.in); got != tt.want {
			t.Errorf("Text(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestNamesAndValues(t *testing.T) {
	for _, n := range []string{"GITHUB_TOKEN", "api_key", "X-API-Key", "Authorization", "DB_PASSWORD", "client_secret", "OPENAI_API_KEY", "key"} {
		if !IsSecretName(n) {
			t.Errorf("%s is a secret's name", n)
		}
	}
	for _, n := range []string{"PORT", "LOG_LEVEL", "HOME", "ALLOWED_DIRECTORIES", "region"} {
		if IsSecretName(n) {
			t.Errorf("%s is not a secret's name", n)
		}
	}
	for _, v := range []string{"@modelcontextprotocol/server-everything", "2026.8.31", "/usr/local/lib/node_modules/x/dist/index.js", "streamableHttp",
		"mcp-server-fetch", "https://mcp.atlassian.com/v1/sse"} {
		if IsSecretValue(v) {
			t.Errorf("%s is not a secret", v)
		}
	}
}

// FuzzText checks that a secret given in any of the forms Args redacts never survives,
// whatever surrounds it, and that redaction never panics.
func FuzzText(f *testing.F) {
	f.Add("docker run -i --rm", "ghp_abcdefghijklmnopqrstuvwxyz012345")
	f.Add("%zz://\x00 -=--= ==", "hunter22")
	f.Add("npx mcp-remote https://h/sse", "s3cr3tvalue")
	f.Fuzz(func(t *testing.T, prefix, secret string) {
		if len(secret) < 6 || strings.HasPrefix(secret, "--") || strings.ContainsAny(secret, " \t\n\r\v\f\x85\xa0=&#%?/@:") || strings.Contains(prefix, secret) ||
			strings.Contains(Mask+"REDACTED", secret) || strings.ContainsFunc(secret, func(r rune) bool { return r > 0x7e || r < 0x21 }) {
			return
		}
		for _, form := range []string{"-e GITHUB_TOKEN=" + secret, "--api-key " + secret, "--password=" + secret,
			"https://user:" + secret + "@example.com/mcp", "https://example.com/mcp?x=" + secret} {
			out := Text(prefix + " " + form)
			if strings.Contains(out, secret) {
				t.Fatalf("Text(%q) = %q keeps the secret", prefix+" "+form, out)
			}
		}
	})
}
