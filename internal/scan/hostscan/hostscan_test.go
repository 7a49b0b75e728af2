package hostscan

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ocsf/schema"
	"github.com/mcpwatch/mcpwatch/internal/scan/inventory"
)

// want is one server a fixture declares: client, scope, config path, name, and what the
// scan must say about it.
type want struct {
	client, scope, path, name, transport string
	pkg, url, cmd                        string
	env, headers                         string // comma-separated names
	project                              string
	disabled                             bool
}

// fixtureSecrets are values in the fixtures that must never come out of a scan.
var fixtureSecrets = []string{"ghp_R2d2", "patAbCdEf", "s3cretpass", "ctx7sk-", "BSAb4Gf7", "MY_ENV_VALUE", "corp-secret-token",
	"ghp_Z9y8", "my_env_var_value", "MY_API_KEY", "zed-ext-secret", "sk_test_51H8", "DB_CONNECTION_STRING", "EXTERNAL_API_KEY",
	"postgres@localhost", "<token>"}

func TestScanFixtures(t *testing.T) {
	tests := []struct {
		os        string
		wants     []want
		problems  []string
		notClient string
	}{
		{os: "linux", wants: []want{
			{client: "claude-code", scope: "managed", path: "/etc/claude-code/managed-mcp.json", name: "company-internal", transport: "streamable-http", url: "https://mcp.corp.example.com/mcp"},
			{client: "gemini-cli", scope: "managed", path: "/etc/gemini-cli/settings.json", name: "corp-search", transport: "streamable-http", url: "https://search.corp.example.com/mcp", headers: "Authorization"},
			{client: "cursor", scope: "user", path: "/root/.cursor/mcp.json", name: "sqlite", transport: "stdio", pkg: "mcp-server-sqlite", cmd: "uvx mcp-server-sqlite --db-path /root/test.db"},
			{client: "claude-desktop", scope: "user", path: "/home/alice/.config/Claude/claude_desktop_config.json", name: "filesystem", transport: "stdio", pkg: "@modelcontextprotocol/server-filesystem"},
			{client: "claude-desktop", scope: "user", path: "/home/alice/.config/Claude/claude_desktop_config.json", name: "github", transport: "stdio", pkg: "ghcr.io/github/github-mcp-server", env: "GITHUB_PERSONAL_ACCESS_TOKEN",
				cmd: "docker run -i --rm -e GITHUB_PERSONAL_ACCESS_TOKEN ghcr.io/github/github-mcp-server"},
			{client: "claude-code", scope: "user", path: "/home/alice/.claude.json", name: "sentry", transport: "streamable-http", url: "https://mcp.sentry.dev/mcp"},
			{client: "claude-code", scope: "user", path: "/home/alice/.claude.json", name: "airtable", transport: "stdio", pkg: "airtable-mcp-server", env: "AIRTABLE_API_KEY"},
			{client: "claude-code", scope: "local", path: "/home/alice/.claude.json", name: "postgres", transport: "stdio", pkg: "@modelcontextprotocol/server-postgres", project: "/home/alice/src/webapp",
				cmd: "npx -y @modelcontextprotocol/server-postgres postgresql://app:REDACTED@localhost:5432/app"},
			{client: "claude-code", scope: "project", path: "/home/alice/src/webapp/.mcp.json", name: "playwright", transport: "stdio", pkg: "@playwright/mcp", project: "/home/alice/src/webapp"},
			{client: "claude-code", scope: "project", path: "/home/alice/src/webapp/.mcp.json", name: "api-server", transport: "sse", url: "${API_BASE_URL:-https://api.example.com}/sse", headers: "X-API-Key", project: "/home/alice/src/webapp"},
			{client: "cursor", scope: "project", path: "/home/alice/src/webapp/.cursor/mcp.json", name: "context7", transport: "http", url: "https://mcp.context7.com/mcp", headers: "CONTEXT7_API_KEY", project: "/home/alice/src/webapp"},
			{client: "vscode", scope: "project", path: "/home/alice/src/webapp/.vscode/mcp.json", name: "Perplexity", transport: "stdio", pkg: "server-perplexity-ask", env: "PERPLEXITY_API_KEY", project: "/home/alice/src/webapp"},
			{client: "cursor", scope: "user", path: "/home/alice/.cursor/mcp.json", name: "linear", transport: "stdio", pkg: "mcp-remote", url: "https://mcp.linear.app/sse"},
			{client: "vscode", scope: "user", path: "/home/alice/.config/Code/User/mcp.json", name: "github", transport: "streamable-http", url: "https://api.githubcopilot.com/mcp/"},
			{client: "vscode", scope: "user", path: "/home/alice/.config/Code/User/mcp.json", name: "fetch", transport: "stdio", pkg: "mcp-server-fetch"},
			{client: "vscode", scope: "user", path: "/home/alice/.config/Code/User/settings.json", name: "time", transport: "stdio", pkg: "mcp-server-time"},
			{client: "windsurf", scope: "user", path: "/home/alice/.codeium/windsurf/mcp_config.json", name: "figma", transport: "sse", url: "https://mcp.figma.com/sse"},
			{client: "windsurf", scope: "user", path: "/home/alice/.codeium/windsurf/mcp_config.json", name: "brave-search", transport: "stdio", pkg: "@modelcontextprotocol/server-brave-search", env: "BRAVE_API_KEY"},
			{client: "gemini-cli", scope: "user", path: "/home/alice/.gemini/settings.json", name: "pythonTools", transport: "stdio", pkg: "my_mcp_server", env: "API_KEY,DATABASE_URL", cmd: "python -m my_mcp_server --port 8080"},
			{client: "gemini-cli", scope: "user", path: "/home/alice/.gemini/settings.json", name: "httpServer", transport: "streamable-http", url: "http://localhost:3000/mcp"},
			{client: "gemini-cli", scope: "user", path: "/home/alice/.gemini/settings.json", name: "sseServer", transport: "sse", url: "http://localhost:8081/events"},
			{client: "codex", scope: "user", path: "/home/alice/.codex/config.toml", name: "context7", transport: "stdio", pkg: "@upstash/context7-mcp", env: "MY_ENV_VAR"},
			{client: "codex", scope: "user", path: "/home/alice/.codex/config.toml", name: "figma", transport: "streamable-http", url: "https://mcp.figma.com/mcp", env: "FIGMA_OAUTH_TOKEN", headers: "Authorization,X-Figma-Region"},
			{client: "codex", scope: "user", path: "/home/alice/.codex/config.toml", name: "sqlite", transport: "stdio", pkg: "mcp-server-sqlite", disabled: true},
			{client: "kiro", scope: "user", path: "/home/alice/.kiro/settings/mcp.json", name: "aws-docs", transport: "stdio", pkg: "awslabs.aws-documentation-mcp-server", env: "FASTMCP_LOG_LEVEL"},
			{client: "amazon-q", scope: "user", path: "/home/bob/.aws/amazonq/mcp.json", name: "git", transport: "stdio", pkg: "mcp-server-git"},
			{client: "amazon-q", scope: "user", path: "/home/bob/.aws/amazonq/cli-agents/ops.json", name: "aws-ccapi", transport: "stdio", pkg: "awslabs.ccapi-mcp-server", env: "AWS_PROFILE"},
			{client: "cline", scope: "user", path: "/home/bob/.config/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json",
				name: "github.com/modelcontextprotocol/servers/tree/main/src/github", transport: "stdio", pkg: "github-server", env: "GITHUB_PERSONAL_ACCESS_TOKEN"},
			{client: "opencode", scope: "user", path: "/home/bob/.config/opencode/opencode.json", name: "jira", transport: "http", url: "https://jira.example.com/mcp", headers: "Authorization"},
			{client: "opencode", scope: "user", path: "/home/bob/.config/opencode/opencode.json", name: "mcp-everything", transport: "stdio", pkg: "@modelcontextprotocol/server-everything", env: "MY_ENV_VAR"},
			{client: "zed", scope: "user", path: "/home/bob/.config/zed/settings.json", name: "mcp-server-context7"},
			{client: "zed", scope: "user", path: "/home/bob/.config/zed/settings.json", name: "local-server", transport: "stdio", pkg: "some-mcp-command", cmd: "some-mcp-command arg-1 arg-2"},
			{client: "zed", scope: "user", path: "/home/bob/.config/zed/settings.json", name: "remote-server", transport: "http", url: "https://mcp.example.com/mcp", headers: "Authorization"},
			{client: "vscode", scope: "remote", path: "/home/bob/.vscode-server/data/User/mcp.json", name: "remote-db", transport: "stdio", pkg: "@modelcontextprotocol/server-postgres"},
			{client: "roo-code", scope: "remote", path: "/home/bob/.vscode-server/data/User/globalStorage/rooveterinaryinc.roo-cline/settings/mcp_settings.json", name: "puppeteer", transport: "stdio", pkg: "@modelcontextprotocol/server-puppeteer", disabled: true},
			{client: "kiro", scope: "project", path: "/home/bob/work/api/.kiro/settings/mcp.json", name: "fetch", transport: "stdio", pkg: "mcp-server-fetch", project: "/home/bob/work/api"},
			{client: "opencode", scope: "project", path: "/home/bob/work/api/opencode.jsonc", name: "local-api", transport: "stdio", pkg: "my-api-mcp", project: "/home/bob/work/api"},
		}, problems: []string{"/home/bob/work/api/.gemini/settings.json"}},
		{os: "darwin", wants: []want{
			{client: "claude-code", scope: "managed", path: "/Library/Application Support/ClaudeCode/managed-mcp.json", name: "approved-docs", transport: "streamable-http", url: "https://docs.corp.example.com/mcp"},
			{client: "claude-desktop", scope: "user", path: "/Users/carol/Library/Application Support/Claude/claude_desktop_config.json", name: "memory", transport: "stdio", pkg: "@modelcontextprotocol/server-memory"},
			{client: "vscode", scope: "user", path: "/Users/carol/Library/Application Support/Code/User/mcp.json", name: "playwright", transport: "stdio", pkg: "@microsoft/mcp-server-playwright"},
			{client: "zed", scope: "user", path: "/Users/carol/.config/zed/settings.json", name: "postgres-context-server", transport: "stdio", pkg: "postgres-context-server", env: "DATABASE_URL", cmd: "/opt/homebrew/bin/postgres-context-server"},
		}},
		{os: "windows", wants: []want{
			{client: "claude-code", scope: "managed", path: `C:\ProgramData\ClaudeCode\managed-mcp.json`, name: "corp-wiki", transport: "sse", url: "https://wiki.corp.example.com/sse"},
			{client: "claude-desktop", scope: "user", path: `C:\Users\dave\AppData\Roaming\Claude\claude_desktop_config.json`, name: "filesystem", transport: "stdio", pkg: "@modelcontextprotocol/server-filesystem"},
			{client: "vscode", scope: "user", path: `C:\Users\dave\AppData\Roaming\Code\User\mcp.json`, name: "azure", transport: "stdio", pkg: "@azure/mcp"},
			{client: "zed", scope: "user", path: `C:\Users\dave\AppData\Roaming\Zed\settings.json`, name: "browser-tools", transport: "stdio", pkg: "@agentdeskai/browser-tools-mcp"},
			{client: "cursor", scope: "user", path: `C:\Users\dave\.cursor\mcp.json`, name: "stripe", transport: "stdio", pkg: "@stripe/mcp",
				cmd: "cmd /c npx -y @stripe/mcp --tools=all --api-key=<redacted>"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.os, func(t *testing.T) {
			res, err := Scan(context.Background(), Options{Root: "testdata/" + tt.os, OS: tt.os, AllUsers: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Records) != len(tt.wants) {
				for _, r := range res.Records {
					t.Logf("found %s %s %s", r.Client, r.ConfigPath, r.Name)
				}
				t.Fatalf("%d servers found, want %d", len(res.Records), len(tt.wants))
			}
			for _, w := range tt.wants {
				i := slices.IndexFunc(res.Records, func(r inventory.Record) bool {
					return r.Client == w.client && r.ConfigPath == w.path && r.Name == w.name
				})
				if i < 0 {
					t.Errorf("not found: %s %s in %s", w.client, w.name, w.path)
					continue
				}
				r := res.Records[i]
				if r.Source != inventory.SourceConfig || r.Scope != w.scope || r.Transport != w.transport || r.Package != w.pkg ||
					r.URL != w.url || strings.Join(r.EnvNames, ",") != w.env || strings.Join(r.HeaderNames, ",") != w.headers ||
					r.Project != w.project || r.Disabled != w.disabled || w.cmd != "" && r.CmdLine != w.cmd {
					t.Errorf("%s %s:\n got scope %q transport %q package %q url %q env %v headers %v project %q disabled %v cmd %q\nwant %+v",
						w.client, w.name, r.Scope, r.Transport, r.Package, r.URL, r.EnvNames, r.HeaderNames, r.Project, r.Disabled, r.CmdLine, w)
				}
				if w.scope == "managed" && r.User != "" || w.scope != "managed" && r.User == "" {
					t.Errorf("%s %s: user %q", w.client, w.name, r.User)
				}
			}
			var got []string
			for _, p := range res.Problems {
				got = append(got, p.Path)
			}
			if !slices.Equal(got, tt.problems) {
				t.Errorf("problems %v, want %v", res.Problems, tt.problems)
			}
			out, _ := json.Marshal(res)
			for _, s := range append(fixtureSecrets, "should-not-appear") {
				if strings.Contains(string(out), s) {
					t.Errorf("the scan's output holds %q", s)
				}
			}
			d := inventory.Device{Hostname: "fixture-" + tt.os, OS: tt.os}
			for i := range res.Records {
				ev := inventory.Event(&res.Records[i], d, time.Now(), "test")
				if err := schema.Validate(&ev); err != nil {
					t.Fatalf("%s: invalid OCSF: %v", res.Records[i].Name, err)
				}
				b, _ := json.Marshal(ev)
				for _, s := range fixtureSecrets {
					if strings.Contains(string(b), s) {
						t.Errorf("event of %s holds %q", res.Records[i].Name, s)
					}
				}
			}
		})
	}
}

// TestScanOneUser scans given homes only: other users' files and managed files stay, other
// homes go.
func TestScanOneUser(t *testing.T) {
	res, err := Scan(context.Background(), Options{Root: "testdata/linux", OS: "linux", Homes: []Home{{User: "bob", Dir: "home/bob"}}, ProjectDepth: -1})
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]int{}
	for _, r := range res.Records {
		users[r.User]++
		if r.Scope == "project" {
			t.Errorf("project %s searched with ProjectDepth -1", r.Project)
		}
	}
	if users["alice"] != 0 || users["root"] != 0 || users["bob"] != 10 || users[""] != 2 {
		t.Fatalf("servers by user %v", users)
	}
}

// TestProjectDirs finds project files in a directory given explicitly.
func TestProjectDirs(t *testing.T) {
	res, err := Scan(context.Background(), Options{Root: "testdata/linux", OS: "linux", Homes: []Home{}, ProjectDirs: []string{"/home/alice/src/webapp"}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range res.Records {
		if r.Scope == "project" {
			names = append(names, r.Client+"/"+r.Name)
		}
	}
	slices.Sort(names)
	if strings.Join(names, " ") != "claude-code/api-server claude-code/playwright cursor/context7 vscode/Perplexity" {
		t.Fatalf("project servers %v", names)
	}
}
