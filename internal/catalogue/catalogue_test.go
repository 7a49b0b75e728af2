package catalogue

import (
	"bytes"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedData returns <repo root>/../shared/data, or skips the test when it is absent.
func sharedData(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}
	d := filepath.Join(dir, "..", "shared", "data")
	if _, err := os.Stat(d); err != nil {
		t.Skipf("reference data not available: %v", err)
	}
	return d
}

// TestBuiltinHasEveryRow checks that the embedded file is the reference data, and that every
// one of its rows is in the catalogue and found by its URL and host.
func TestBuiltinHasEveryRow(t *testing.T) {
	ref, err := os.ReadFile(filepath.Join(sharedData(t), "remote-mcp-servers.csv"))
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := builtinFS.ReadFile("data/remote-mcp-servers.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ref, embedded) {
		t.Fatal("data/remote-mcp-servers.csv differs from the reference data")
	}
	records, err := csv.NewReader(bytes.NewReader(ref)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	c := Builtin()
	if len(records) < 80 {
		t.Fatalf("only %d rows", len(records))
	}
	for i, r := range records[1:] {
		service, url, host, path := r[0], r[1], r[2], r[3]
		line := i + 2
		m := c.LookupURL(url)
		if m.Confidence != High || m.Basis != BasisURL || m.Entry.Service != service || m.Entry.Host != strings.ToLower(host) || m.Entry.Path != strings.TrimRight(path, "/")+map[bool]string{true: "/"}[path == "/"] {
			t.Errorf("line %d %s: LookupURL(%s) = %v", line, service, url, m)
			continue
		}
		if want := "builtin/remote-mcp-servers.csv:" + itoa(line); !strings.HasPrefix(m.Entry.Source, want) {
			t.Errorf("line %d: source %q, want %q", line, m.Entry.Source, want)
		}
		if hm := c.LookupHost(strings.ToUpper(host) + "."); !hm.OK() || hm.Entry == nil || hm.Entry.Host != strings.ToLower(host) {
			t.Errorf("line %d: LookupHost(%s) = %v", line, host, hm)
		}
		if e, ok := c.Entry(m.Entry.ID); !ok || e != m.Entry {
			t.Errorf("Entry(%s) = %v", m.Entry.ID, e)
		}
	}
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

func TestKinds(t *testing.T) {
	c := Builtin()
	tests := []struct {
		in    string
		kind  Kind
		conf  Confidence
		basis Basis
	}{
		{"https://mcp.zapier.com/api/mcp/mcp", KindHub, High, BasisURL},
		{"https://server.smithery.ai/@smithery/notion/mcp?api_key=x", KindHub, High, BasisURL},
		{"https://mcp.composio.dev/composio/server/5bc757cc?transport=sse", KindHub, High, BasisURL},
		{"https://backend.composio.dev/v3/mcp/abc?user_id=u", KindHub, High, BasisURL},
		{"https://backend.composio.dev/api/v3/tools", "", None, BasisNone},
		{"https://remote.mcp.pipedream.net/user-1/slack", KindHub, High, BasisURL},
		{"https://eu2.make.com/mcp/u/TOKEN/stateless", KindHub, High, BasisURL},
		{"https://eu2.make.com/scenarios/1", "", None, BasisNone},
		{"https://gmail-mcp-server.klavis.ai/mcp/?instance_id=x", KindHub, High, BasisURL},
		{"https://actions.zapier.com/mcp/sk-ak-123/sse", KindHub, High, BasisURL},
		{"https://knowledge-mcp.global.api.aws", KindAWS, High, BasisURL},
		{"https://aws-mcp.us-east-1.api.aws/mcp", KindAWS, High, BasisURL},
		{"https://abc123xyz.gateway.bedrock-agentcore.us-west-2.amazonaws.com/mcp", KindAWS, High, BasisURL},
		{"https://bedrock-agentcore.us-east-1.amazonaws.com/runtimes/arn%3Aaws%3Abedrock-agentcore%3Aus-east-1%3A111122223333%3Aruntime%2Fmy_mcp-x1/invocations?qualifier=DEFAULT", KindAWS, High, BasisURL},
		{"https://bedrock-agentcore.us-east-1.amazonaws.com/memories/x", "", None, BasisNone},
		{"https://docs.mcp.cloudflare.com/sse", KindSaaS, High, BasisURL},
		{"https://observability.mcp.cloudflare.com/mcp", KindSaaS, High, BasisURL},
		{"https://mcp.atlassian.com/v1/sse", KindSaaS, High, BasisURL},
		{"https://api.githubcopilot.com/mcp/x/issues", KindSaaS, High, BasisURL},
		{"https://api.githubcopilot.com/chat/completions", "", None, BasisNone},
		{"https://mcp.openzeppelin.com/contracts/stellar/mcp", KindSaaS, High, BasisURL},
	}
	for _, tt := range tests {
		m := c.LookupURL(tt.in)
		if m.Kind() != tt.kind || m.Confidence != tt.conf || m.Basis != tt.basis {
			t.Errorf("LookupURL(%s) = %v (kind %q)", tt.in, m, m.Kind())
		}
	}
	// The OpenZeppelin host has four endpoints: the path picks the right one.
	if m := c.LookupURL("https://mcp.openzeppelin.com/contracts/stellar/mcp"); m.Entry.Service != "OpenZeppelin Stellar Contracts" {
		t.Errorf("OpenZeppelin: %v", m)
	}
}

func TestLookupHost(t *testing.T) {
	c := Builtin()
	tests := []struct {
		host  string
		conf  Confidence
		basis Basis
		id    string // entry ID, "" for none
	}{
		{"mcp.atlassian.com", High, BasisHost, "mcp.atlassian.com/v1/sse"},
		{"MCP.Atlassian.COM.", High, BasisHost, "mcp.atlassian.com/v1/sse"},
		{"server.smithery.ai", High, BasisHost, "server.smithery.ai/"},
		{"knowledge-mcp.global.api.aws", High, BasisHost, "knowledge-mcp.global.api.aws/"},
		{"aws-mcp.eu-central-1.api.aws", High, BasisHost, "aws-mcp.*.api.aws/mcp"},
		{"gw-1a2b.gateway.bedrock-agentcore.eu-west-1.amazonaws.com", High, BasisHost, "*.gateway.bedrock-agentcore.*.amazonaws.com/mcp"},
		{"bedrock-agentcore.eu-west-1.amazonaws.com", Low, BasisSharedHost, "bedrock-agentcore.*.amazonaws.com/runtimes/*/invocations"},
		{"bedrock-agentcore-control.eu-west-1.amazonaws.com", None, BasisNone, ""},
		{"mcp.openzeppelin.com", High, BasisHost, "mcp.openzeppelin.com/contracts/cairo/mcp"},
		{"api.githubcopilot.com", Low, BasisSharedHost, "api.githubcopilot.com/mcp"},
		{"app.hubspot.com", Low, BasisSharedHost, "app.hubspot.com/mcp/v1/http"},
		{"gitmcp.io", High, BasisHost, "gitmcp.io/docs"},
		// Heuristics for unknown hosts.
		{"mcp.internal.example.com", Low, BasisHeuristic, ""},
		{"billing-mcp.corp.example", Low, BasisHeuristic, ""},
		{"my_mcp_server.example", Low, BasisHeuristic, ""},
		{"mcp-server", Low, BasisHeuristic, ""},
		// Names that are not MCP.
		{"mcpherson.com", None, BasisNone, ""},
		{"www.mcpherson.k12.ks.us", None, BasisNone, ""},
		{"smcp.example", None, BasisNone, ""},
		{"mcpe.net", None, BasisNone, ""},
		{"www.mcpedl.com", None, BasisNone, ""},
		{"amcp.org", None, BasisNone, ""},
		{"mcp", Low, BasisHeuristic, ""}, // a single-label internal name
		{"example.mcp", None, BasisNone, ""},
		{"comcpany.com", None, BasisNone, ""},
		{"www.example.com", None, BasisNone, ""},
		{"ec2-203-0-113-7.compute-1.amazonaws.com", None, BasisNone, ""},
		{"s3.us-east-1.amazonaws.com", None, BasisNone, ""},
		{"registry.npmjs.org", None, BasisNone, ""},
		{"files.pythonhosted.org", None, BasisNone, ""},
		{"api.github.com", None, BasisNone, ""},
		{"mcpd.example.net", None, BasisNone, ""},
		{"mcp3.example.net", None, BasisNone, ""},
		{"mcp-ed.example.net", Low, BasisHeuristic, ""}, // "mcp" as a word: low confidence only
		{"zapier.com", None, BasisNone, ""},
		{"amazonaws.com", None, BasisNone, ""},
		{"", None, BasisNone, ""},
	}
	for _, tt := range tests {
		m := c.LookupHost(tt.host)
		id := ""
		if m.Entry != nil {
			id = m.Entry.ID
		}
		if m.Confidence != tt.conf || m.Basis != tt.basis || id != tt.id {
			t.Errorf("LookupHost(%q) = %v [%s], want %v %v %q", tt.host, m, id, tt.conf, tt.basis, tt.id)
		}
		if m.Basis == BasisHeuristic && m.Heuristic != HostLabel {
			t.Errorf("LookupHost(%q) heuristic %v", tt.host, m.Heuristic)
		}
	}
}

func TestLookupURLHeuristics(t *testing.T) {
	c := Builtin()
	tests := []struct {
		url   string
		conf  Confidence
		heurs Heuristic
	}{
		{"https://mcp.example.com/mcp", Medium, HostLabel | PathMCP},
		{"https://mcp.example.com:8443/sse?x=1", Medium, HostLabel | PathSSE},
		{"https://mcp.example.com/", Low, HostLabel},
		{"https://example.com/api/mcp", Low, PathMCP},
		{"https://example.com/v1/mcp-server/messages", Low, PathMCP},
		{"http://10.0.3.7:8000/mcp", Low, PathMCP},
		{"http://[2001:db8::1]:8080/sse", Low, PathSSE},
		{"wss://user:pw@tools.example.com/MCP#frag", Low, PathMCP},
		{"https://example.com/sse", Low, PathSSE},
		{"example.com:3000/mcp", Low, PathMCP},
		{"https://example.com/assets/sse.js", None, 0},
		{"https://example.com/mcpherson/about", None, 0},
		{"https://example.com/?q=/mcp", None, 0},
		{"https://example.com/#/mcp", None, 0},
		{"ftp://mcp.example.com/mcp", None, 0},
		{"https://www.example.com/", None, 0},
		{"https://app.hubspot.com/mcp/other", Low, PathMCP}, // shared catalogue host, other path
		{"", None, 0},
	}
	for _, tt := range tests {
		m := c.LookupURL(tt.url)
		if m.Confidence != tt.conf || m.Heuristic != tt.heurs || (tt.conf != None && m.Basis != BasisHeuristic) || m.Entry != nil {
			t.Errorf("LookupURL(%q) = %v (heuristics %v), want %v %v", tt.url, m, m.Heuristic, tt.conf, tt.heurs)
		}
	}
	if s := (HostLabel | PathMCP).String(); s != "host-label-mcp+path-mcp" {
		t.Errorf("Heuristic.String = %q", s)
	}
}

func TestLookupsDoNotAllocate(t *testing.T) {
	c := Builtin()
	for _, h := range []string{"mcp.atlassian.com", "x.gateway.bedrock-agentcore.us-east-1.amazonaws.com.", "www.example.com", "mcp.example.com", "mcpherson.com"} {
		if n := testing.AllocsPerRun(100, func() { c.LookupHost(h) }); n != 0 {
			t.Errorf("LookupHost(%q) allocates %v times", h, n)
		}
	}
	for _, u := range []string{"https://mcp.atlassian.com/v1/sse", "https://api.githubcopilot.com/chat", "https://www.example.com/index.html", "https://mcp.example.com/mcp?x"} {
		if n := testing.AllocsPerRun(100, func() { c.LookupURL(u) }); n != 0 {
			t.Errorf("LookupURL(%q) allocates %v times", u, n)
		}
	}
}

func TestMatchString(t *testing.T) {
	c := Builtin()
	m := c.LookupURL("https://mcp.atlassian.com/v1/sse")
	if s := m.String(); s != "known MCP endpoint Atlassian (saas, mcp.atlassian.com/v1/sse, builtin/remote-mcp-servers.csv:4); confidence high, basis url" {
		t.Errorf("String = %q", s)
	}
	if s := c.LookupHost("mcp.example.org").String(); s != "heuristic host-label-mcp; confidence low" {
		t.Errorf("String = %q", s)
	}
	if s := (Match{}).String(); s != "no catalogue match" {
		t.Errorf("String = %q", s)
	}
	z := c.LookupURL("https://mcp.zapier.com/api/mcp/mcp")
	if !strings.Contains(z.Entry.Source, "builtin/remote-mcp-servers.csv:") || !strings.Contains(z.Entry.Source, "; builtin/mcpwatch.csv:2") {
		t.Errorf("Zapier source %q should name both rows", z.Entry.Source)
	}
}

func TestUserFile(t *testing.T) {
	user := `service,host,path,kind,package,ecosystem,dedicated,notes
Our MCP gateway,mcp-gw.corp.example.com,/mcp,internal,,,true,the sanctioned gateway
,mcp.internal.example.com,,not-mcp,,,,"Master Control Panel, not MCP"
,mcp.atlassian.com,/v1/sse,hub,,,,
Metrics control plane,,,not-mcp,mcp-metrics-agent,exec,,
Our tools,,,internal,@corp/tools-server,,,
`
	c, err := LoadReader("user.csv", strings.NewReader(user))
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() != Builtin().Len()+4 {
		t.Errorf("Len = %d, builtin %d", c.Len(), Builtin().Len())
	}
	if m := c.LookupHost("mcp-gw.corp.example.com"); m.Confidence != High || m.Kind() != KindInternal || m.Entry.Source != "user.csv:2" || m.Entry.Notes != "the sanctioned gateway" {
		t.Errorf("internal host: %v", m)
	}
	// A not-mcp entry silences the heuristics.
	if m := c.LookupHost("mcp.internal.example.com"); m.OK() || m.Basis != BasisNotMCP || !strings.Contains(m.String(), "marked not MCP") {
		t.Errorf("not-mcp host: %v", m)
	}
	if m := c.LookupURL("https://mcp.internal.example.com/mcp"); m.OK() || m.Basis != BasisNotMCP {
		t.Errorf("not-mcp URL: %v", m)
	}
	// An override changes the kind, keeps the rest, and records both sources.
	m := c.LookupURL("https://mcp.atlassian.com/v1/sse")
	if m.Kind() != KindHub || m.Entry.Service != "Atlassian" || m.Entry.Source != "builtin/remote-mcp-servers.csv:4; user.csv:4" {
		t.Errorf("override: %v", m)
	}
	if Builtin().LookupURL("https://mcp.atlassian.com/v1/sse").Kind() != KindSaaS {
		t.Error("the override leaked into the built-in catalogue")
	}
	if cm := c.MatchCommand("/usr/local/bin/mcp-metrics-agent --port 9100"); cm.OK() || cm.Basis != BasisNotMCP {
		t.Errorf("not-mcp package: %+v", cm)
	}
	if cm := c.MatchCommand("npx -y @corp/tools-server@2.1.0"); cm.Confidence != High || cm.Kind() != KindInternal {
		t.Errorf("user package: %+v", cm)
	}
}

func TestUserFileErrors(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", []string{"empty file"}},
		{"service,hots\nx,y\n", []string{`user.csv:1: unknown column "hots"`}},
		{"service,kind\nx,saas\n", []string{"no url, host or package column"}},
		{"service,host,kind\nA,a.example,sass\nB,b..example,saas\nC,*,hub\n", []string{
			`user.csv:2: unknown kind "sass"`, `user.csv:3: host "b..example"`, `user.csv:4: host pattern "*" matches everything`}},
		{"service,url,host\nA,https://a.example/mcp,b.example\nB,notaurl,\n", []string{
			`user.csv:2: url "https://a.example/mcp" is not on host b.example`, `user.csv:3: url "notaurl" is not an http(s) URL`}},
		{"service,package,ecosystem\nA,mcp-x,\nB,x,cargo\nC,*,npm\nD,a b,npm\n", []string{
			`user.csv:2: package "mcp-x": ecosystem needed`, `user.csv:3: ecosystem "cargo"`, `user.csv:4: package pattern "*" matches everything`, `user.csv:5: package "a b" is not a package name`}},
		{"service,host,package,ecosystem\nA,a.example,p,npm\n", []string{"user.csv:2: a row is a remote endpoint"}},
		{"service,host,dedicated\nA,a.example,maybe\nB,b.example\n", []string{`user.csv:2: dedicated "maybe"`, "user.csv:3: 2 fields, the header has 3"}},
		{"service,host,ecosystem\nA,a.example,npm\n", []string{"user.csv:2: ecosystem is for package rows"}},
		{"service,host\nA,\"a.example\n", []string{"user.csv:2"}},
	}
	for _, tt := range tests {
		_, err := LoadReader("user.csv", strings.NewReader(tt.in))
		if err == nil {
			t.Errorf("%q: no error", tt.in)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q lacks %q", tt.in, err, w)
			}
		}
	}
	var re *RowError
	_, err := LoadReader("u.csv", strings.NewReader("service,host\nA,bad host\n"))
	if !errors.As(err, &re) || re.Line != 2 || re.File != "u.csv" {
		t.Errorf("RowError: %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.csv")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	os.WriteFile(a, []byte("service,host,kind\nA,a.corp.example,internal\n"), 0o644)
	os.WriteFile(b, []byte("host,kind\na.corp.example,not-mcp\n"), 0o644)
	c, err := Load(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if m := c.LookupHost("a.corp.example"); m.Basis != BasisNotMCP || m.Entry.Source != a+":2; "+b+":2" || m.Entry.Service != "A" {
		t.Errorf("layered files: %v", m)
	}
}

func TestKindNames(t *testing.T) {
	for _, k := range Kinds() {
		if got, err := ParseKind(strings.ToUpper(string(k))); err != nil || got != k {
			t.Errorf("ParseKind(%s) = %v, %v", k, got, err)
		}
	}
	for _, e := range Builtin().Entries() {
		if _, err := ParseKind(string(e.Kind)); err != nil || e.ID == "" || e.Service == "" || e.Source == "" {
			t.Errorf("entry %+v", e)
		}
	}
}

func BenchmarkLookupHost(b *testing.B) {
	c := Builtin()
	for _, bc := range []struct{ name, host string }{
		{"exact", "mcp.atlassian.com"},
		{"pattern", "gw-1a2b.gateway.bedrock-agentcore.eu-west-1.amazonaws.com"},
		{"heuristic", "mcp.internal.example.com"},
		{"miss", "www.some-ordinary-site.example.net."},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.LookupHost(bc.host)
			}
		})
	}
}

func BenchmarkLookupURL(b *testing.B) {
	c := Builtin()
	for _, bc := range []struct{ name, url string }{
		{"known", "https://mcp.openzeppelin.com/contracts/stellar/mcp"},
		{"shared-other-path", "https://api.githubcopilot.com/chat/completions"},
		{"miss", "https://www.some-ordinary-site.example.net/index.html?q=1"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.LookupURL(bc.url)
			}
		})
	}
}
