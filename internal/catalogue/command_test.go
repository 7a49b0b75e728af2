package catalogue

import (
	"slices"
	"strings"
	"testing"
)

func TestMatchCommand(t *testing.T) {
	c := Builtin()
	tests := []struct {
		cmd      string
		conf     Confidence
		basis    Basis
		pkg      string // normalized package found
		launcher string
		kind     Kind
	}{
		// npm runners, known packages.
		{"npx -y @modelcontextprotocol/server-filesystem /home/dev/projects", High, BasisPackage, "@modelcontextprotocol/server-filesystem", "npx", KindReference},
		{"npx @modelcontextprotocol/server-github@2025.4.8", High, BasisPackage, "@modelcontextprotocol/server-github", "npx", KindReference},
		{"/usr/local/bin/npx --yes @playwright/mcp@latest --headless", High, BasisPackage, "@playwright/mcp", "npx", KindVendorLocal},
		{"npx -y --package=task-master-ai task-master-ai", High, BasisPackage, "task-master-ai", "npx", KindCommunity},
		{"npx -p @upstash/context7-mcp context7-mcp --transport stdio", High, BasisPackage, "@upstash/context7-mcp", "npx", KindVendorLocal},
		{"npm exec -y -- @notionhq/notion-mcp-server", High, BasisPackage, "@notionhq/notion-mcp-server", "npm exec", KindVendorLocal},
		{"pnpm dlx @sentry/mcp-server@latest", High, BasisPackage, "@sentry/mcp-server", "pnpm dlx", KindVendorLocal},
		{"bunx firecrawl-mcp", High, BasisPackage, "firecrawl-mcp", "bunx", KindVendorLocal},
		{`"C:\Program Files\nodejs\npx.cmd" -y @modelcontextprotocol/server-memory`, High, BasisPackage, "@modelcontextprotocol/server-memory", "npx", KindReference},
		{"npx @modelcontextprotocol/inspector node build/index.js", High, BasisPackage, "@modelcontextprotocol/inspector", "npx", KindDevTool},
		// npm naming patterns and heuristics.
		{"npx -y @modelcontextprotocol/server-weather", Medium, BasisPackagePattern, "@modelcontextprotocol/server-weather", "npx", KindReference},
		{"npx -y @acme/mcp", Medium, BasisPackagePattern, "@acme/mcp", "npx", KindCommunity},
		{"npx -y weather-mcp-server", Medium, BasisPackagePattern, "weather-mcp-server", "npx", KindCommunity},
		{"npx -y jira-mcp", Medium, BasisPackagePattern, "jira-mcp", "npx", KindCommunity},
		{"npx mcp-hello-world", Medium, BasisPackagePattern, "mcp-hello-world", "npx", KindCommunity},
		{"npx -y @acme/jira-mcp", Medium, BasisPackagePattern, "@acme/jira-mcp", "npx", KindCommunity},
		{"npx -y my_mcp_tools", Low, BasisHeuristic, "my_mcp_tools", "npx", ""},
		// Python runners.
		{"uvx mcp-server-fetch", High, BasisPackage, "mcp-server-fetch", "uvx", KindReference},
		{"uvx mcp-server-git --repository /src/app", High, BasisPackage, "mcp-server-git", "uvx", KindReference},
		{"uvx awslabs.aws-documentation-mcp-server@latest", High, BasisPackage, "awslabs-aws-documentation-mcp-server", "uvx", KindAWS},
		{"uvx awslabs.cloudwatch-mcp-server@latest", Medium, BasisPackagePattern, "awslabs-cloudwatch-mcp-server", "uvx", KindAWS},
		{"uvx --from git+https://github.com/acme/weather-mcp.git weather", Medium, BasisPackagePattern, "weather-mcp", "uvx", KindCommunity},
		{"uv tool run --python 3.12 mcp-server-time --local-timezone=UTC", High, BasisPackage, "mcp-server-time", "uvx", KindReference},
		{"uvx --from mcp-atlassian==0.11.0 mcp-atlassian", High, BasisPackage, "mcp-atlassian", "uvx", KindCommunity},
		{"pipx run --spec mcp-server-sqlite mcp-server-sqlite --db-path x.db", High, BasisPackage, "mcp-server-sqlite", "pipx run", KindReference},
		{"python -m mcp_server_fetch", High, BasisPackage, "mcp-server-fetch", "python -m", KindReference},
		{"/usr/bin/python3.12 -u -m awslabs.core_mcp_server.server", High, BasisPackage, "awslabs-core-mcp-server", "python -m", KindAWS},
		{"python3 -mmcp_server_time", High, BasisPackage, "mcp-server-time", "python -m", KindReference},
		{"fastmcp run server.py:mcp --transport http --port 8000", High, BasisPackage, "fastmcp", "fastmcp run", KindFramework},
		{"mcp dev server.py", High, BasisPackage, "mcp", "mcp dev", KindFramework},
		{"uv run --with mcp mcp run server.py", High, BasisPackage, "mcp", "mcp run", KindFramework},
		{"uv run mcp-server-fetch", High, BasisPackage, "mcp-server-fetch", "exec", KindReference},
		{"python /opt/tools/weather_mcp/server.py", Low, BasisHeuristic, "/opt/tools/weather_mcp/server.py", "python", ""},
		// JavaScript runtimes.
		{"node /usr/lib/node_modules/@modelcontextprotocol/server-everything/dist/index.js sse", High, BasisPackage, "@modelcontextprotocol/server-everything", "node", KindReference},
		{"node --enable-source-maps /srv/app/node_modules/mcp-server-kubernetes/dist/index.js", High, BasisPackage, "mcp-server-kubernetes", "node", KindCommunity},
		{"node /home/dev/github-mcp/build/index.js", Low, BasisHeuristic, "/home/dev/github-mcp/build/index.js", "node", ""},
		{"deno run -A npm:@playwright/mcp", High, BasisPackage, "@playwright/mcp", "deno", KindVendorLocal},
		// Containers.
		{"docker run -i --rm -e GITHUB_PERSONAL_ACCESS_TOKEN ghcr.io/github/github-mcp-server", High, BasisPackage, "ghcr.io/github/github-mcp-server", "docker run", KindVendorLocal},
		{"docker run -i --rm --name=fetch -v /tmp:/tmp mcp/fetch:latest", Medium, BasisPackagePattern, "mcp/fetch", "docker run", KindCommunity},
		{"podman container run --rm docker.io/mcp/postgres@sha256:0123abcd", Medium, BasisPackagePattern, "mcp/postgres", "podman run", KindCommunity},
		{"docker run -d -p 8080:8080 hashicorp/terraform-mcp-server:0.2", High, BasisPackage, "hashicorp/terraform-mcp-server", "docker run", KindVendorLocal},
		{"docker run --rm -it acme/billing-mcp-server", Medium, BasisPackagePattern, "acme/billing-mcp-server", "docker run", KindCommunity},
		// Executables and wrappers.
		{"github-mcp-server stdio --toolsets repos", High, BasisPackage, "github-mcp-server", "exec", KindVendorLocal},
		{"/home/dev/.local/bin/mcp-server-fetch", High, BasisPackage, "mcp-server-fetch", "exec", KindReference},
		{"FOO=1 BAR=x sudo -u svc env -u HOME TOKEN=y nohup mcp-grafana -t sse", High, BasisPackage, "mcp-grafana", "exec", KindVendorLocal},
		{"bash -c 'exec npx -y @modelcontextprotocol/server-postgres postgres://db/app'", High, BasisPackage, "@modelcontextprotocol/server-postgres", "npx", KindReference},
		{`cmd /c npx -y @azure/mcp@latest server start`, High, BasisPackage, "@azure/mcp", "npx", KindVendorLocal},
		{"claude mcp serve", High, BasisPackage, "@anthropic-ai/claude-code", "claude mcp serve", KindVendorLocal},
		{"/opt/bin/acme-mcp-server --port 3000", Medium, BasisPackagePattern, "acme-mcp-server", "exec", KindCommunity},
	}
	for _, tt := range tests {
		m := c.MatchCommand(tt.cmd)
		if m.Confidence != tt.conf || m.Basis != tt.basis || m.Package != tt.pkg || m.Launcher != tt.launcher || m.Kind() != tt.kind {
			t.Errorf("MatchCommand(%q)\n  = %v, package %q, launcher %q, kind %q\n want %v %v, package %q, launcher %q, kind %q",
				tt.cmd, m.Match, m.Package, m.Launcher, m.Kind(), tt.conf, tt.basis, tt.pkg, tt.launcher, tt.kind)
		}
	}
}

func TestMatchCommandNegative(t *testing.T) {
	c := Builtin()
	for _, cmd := range []string{
		"",
		"ls -la /tmp/mcp-server-notes",
		"cat mcp-server-fetch.txt",
		"npm install mcpherson",
		"npx -y create-react-app my-app",
		"npx mcpherson-cli",
		"uvx ruff check .",
		"python -m http.server 8000",
		"python -c 'import mcp_server_fetch'",
		"python3 manage.py runserver",
		"node /home/mcpherson/app/server.js",
		"node server.js",
		"docker run --rm -it ubuntu:24.04 bash",
		"docker ps",
		"docker run --rm --name mcp-server postgres:16",
		"fastmcp version",
		"mcp --help",
		"claude --print hello",
		"/usr/sbin/sshd -D",
		"java -jar smcp.jar",
		"sudo -u root",
		"env",
		"sh -c",
		"npx",
		"npx -y",
		"uvx --from",
		"python -m",
		"docker run",
		"docker run -e X",
	} {
		if m := c.MatchCommand(cmd); m.OK() {
			t.Errorf("MatchCommand(%q) = %v, package %q", cmd, m.Match, m.Package)
		}
	}
}

func TestBridges(t *testing.T) {
	c := Builtin()
	tests := []struct {
		cmd        string
		url        string
		remoteKind Kind
		remoteConf Confidence
	}{
		{"npx -y mcp-remote https://mcp.atlassian.com/v1/sse", "https://mcp.atlassian.com/v1/sse", KindSaaS, High},
		{"npx mcp-remote@0.1.29 https://server.smithery.ai/@acme/srv/mcp --header Authorization:x", "https://server.smithery.ai/@acme/srv/mcp", KindHub, High},
		{"uvx mcp-proxy-for-aws@1.6.3 https://aws-mcp.us-east-1.api.aws/mcp --skip-auth", "https://aws-mcp.us-east-1.api.aws/mcp", KindAWS, High},
		{"npx -y supergateway --sse https://mcp.internal.example.com/sse", "https://mcp.internal.example.com/sse", "", Medium},
		{"mcp-proxy http://10.0.0.5:8000/sse", "http://10.0.0.5:8000/sse", "", Low},
		{"npx -y mcp-remote", "", "", None},
	}
	for _, tt := range tests {
		m := c.MatchCommand(tt.cmd)
		if m.Kind() != KindBridge || m.Confidence != High || m.URL != tt.url || m.Remote.Kind() != tt.remoteKind || m.Remote.Confidence != tt.remoteConf {
			t.Errorf("MatchCommand(%q) = %v, URL %q, remote %v", tt.cmd, m.Match, m.URL, m.Remote)
		}
	}
}

func TestMatchImage(t *testing.T) {
	c := Builtin()
	for ref, want := range map[string]Confidence{
		"mcp/github":                                      Medium,
		"docker.io/mcp/github:latest":                     Medium,
		"index.docker.io/library/mcp-server-x":            Medium,
		"ghcr.io/github/github-mcp-server:v0.9@sha256:ab": High,
		"ghcr.io/acme/tools-mcp:1":                        Medium,
		"registry.example.com:5000/team/mcp-gateway":      Low,
		"nginx:1.27":          None,
		"mcpherson/app":       None,
		"localhost:5000/smcp": None,
	} {
		if m := c.MatchImage(ref); m.Confidence != want {
			t.Errorf("MatchImage(%q) = %v (package %q), want %v", ref, m.Match, m.Package, want)
		}
	}
}

func TestNormPackage(t *testing.T) {
	for _, tt := range []struct {
		eco      Ecosystem
		in, want string
	}{
		{NPM, "@Scope/Name@1.2.3", "@scope/name"},
		{NPM, "name@latest", "name"},
		{NPM, "npm:@a/b@^2", "@a/b"},
		{NPM, "@scope", "@scope"},
		{PyPI, "Mcp_Server.Fetch==1.0", "mcp-server-fetch"},
		{PyPI, "pkg[extra]>=2", "pkg"},
		{PyPI, "awslabs.core-mcp-server@latest", "awslabs-core-mcp-server"},
		{PyPI, "a__b..c", "a-b-c"},
		{Docker, "Docker.io/library/Redis:7", "redis"},
		{Docker, "ghcr.io/a/b@sha256:x", "ghcr.io/a/b"},
		{Docker, "localhost:5000/img", "localhost:5000/img"},
		{Docker, "localhost:5000/img:tag", "localhost:5000/img"},
		{Exec, "C:\\Tools\\GitHub-MCP-Server.EXE", "github-mcp-server"},
		{Exec, "/usr/bin/node", "node"},
	} {
		if got := normPackage(tt.eco, tt.in); got != tt.want {
			t.Errorf("normPackage(%s, %q) = %q, want %q", tt.eco, tt.in, got, tt.want)
		}
	}
}

func TestSplitCommand(t *testing.T) {
	for in, want := range map[string][]string{
		`npx -y "@scope/pkg" 'a b'`: {"npx", "-y", "@scope/pkg", "a b"},
		`sh -c "echo \"hi\" \\ x"`:  {"sh", "-c", `echo "hi" \ x`},
		`a\ b c`:                    {"a b", "c"},
		`C:\Tools\x.exe  --flag`:    {`C:\Tools\x.exe`, "--flag"},
		`''`:                        {""},
		`unterminated 'quote`:       {"unterminated", "quote"},
		"  \t\n":                    nil,
		`x"y z"w`:                   {"xy zw"},
	} {
		if got := SplitCommand(in); !slices.Equal(got, want) {
			t.Errorf("SplitCommand(%q) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkMatchCommand(b *testing.B) {
	c := Builtin()
	for _, bc := range []struct{ name, cmd string }{
		{"npx-known", "npx -y @modelcontextprotocol/server-filesystem /home/dev"},
		{"docker-pattern", "docker run -i --rm -e TOKEN mcp/github:latest"},
		{"other", "/usr/bin/python3 /opt/app/manage.py runserver 0.0.0.0:8000"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.MatchCommand(bc.cmd)
			}
		})
	}
}

func FuzzMatchCommand(f *testing.F) {
	for _, s := range []string{
		"npx -y @modelcontextprotocol/server-filesystem /x", "uvx --from git+https://x/y.git z", "docker run -i mcp/fetch",
		"bash -c 'sh -c \"npx mcp-remote https://mcp.example.com/sse\"'", "python -m a.b.c", "node a/node_modules/@s/p/i.js",
		"env -u", "sudo -u", "cmd /c", "pwsh -Command npx x",
	} {
		f.Add(s)
	}
	c := Builtin()
	f.Fuzz(func(t *testing.T, s string) {
		m := c.MatchCommand(s)
		checkMatch(t, m.Match)
		if m.Remote.OK() && m.URL == "" {
			t.Fatalf("remote match without URL: %+v", m)
		}
		if m.OK() && m.Package == "" {
			t.Fatalf("match without package: %+v", m)
		}
		checkMatch(t, m.Remote)
	})
}

func FuzzLookupURL(f *testing.F) {
	for _, s := range []string{"https://mcp.atlassian.com/v1/sse", "wss://u@[::1]:1/mcp?x#y", "mcp.example.com:80/sse", "https://bedrock-agentcore.us-east-1.amazonaws.com/runtimes/x/invocations"} {
		f.Add(s)
	}
	c := Builtin()
	f.Fuzz(func(t *testing.T, s string) {
		m := c.LookupURL(s)
		checkMatch(t, m)
		h := c.LookupHost(s)
		checkMatch(t, h)
		// Case never changes the answer about a host.
		if u := c.LookupHost(asciiUpper(s)); u.Confidence != h.Confidence || u.Entry != h.Entry {
			t.Fatalf("LookupHost(%q) = %v but upper-cased %v", s, h, u)
		}
	})
}

// checkMatch checks the invariants of a Match.
func checkMatch(t *testing.T, m Match) {
	t.Helper()
	switch m.Basis {
	case BasisNone:
		if m.Confidence != None || m.Entry != nil {
			t.Fatalf("no-match with content %+v", m)
		}
	case BasisNotMCP:
		if m.Confidence != None || m.Entry == nil || m.Entry.Kind != KindNotMCP {
			t.Fatalf("bad not-mcp match %+v", m)
		}
	case BasisHeuristic:
		if m.Entry != nil || m.Heuristic == 0 || m.Confidence == None || m.Confidence == High {
			t.Fatalf("bad heuristic match %+v", m)
		}
	default:
		if m.Entry == nil || m.Confidence == None {
			t.Fatalf("bad match %+v", m)
		}
	}
	_ = m.String()
}

func FuzzLoadReader(f *testing.F) {
	f.Add("service,host,path,kind\nA,a.example,/mcp,internal\n")
	f.Add("service,package,ecosystem,kind\nB,@a/b,npm,not-mcp\nC,x-*,*,community\n")
	f.Add("url,dedicated\nhttps://x.example/mcp?q,true\n")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := LoadReader("f.csv", strings.NewReader(s))
		if err != nil {
			if c != nil {
				t.Fatal("catalogue with an error")
			}
			return
		}
		base := Builtin().Len()
		if c.Len() < base {
			t.Fatalf("entries lost: %d < %d", c.Len(), base)
		}
		for _, e := range c.Entries() {
			if e.ID == "" || e.Kind == "" || e.Service == "" || e.Source == "" || (e.Host == "") == (e.Package == "") {
				t.Fatalf("bad entry %+v", e)
			}
			if e.Remote() && !e.IsPattern() {
				m := c.LookupURL("https://" + e.Host + e.Path)
				checkMatch(t, m)
				if e.Kind != KindNotMCP && m.Basis != BasisNotMCP && !m.OK() {
					t.Fatalf("entry %+v not found by its URL: %v", e, m)
				}
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
