package policy

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

var (
	beforeExpiry = time.Date(2027, 3, 31, 23, 59, 0, 0, time.UTC)
	afterExpiry  = time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)
)

func loadExample(t testing.TB) *Policy {
	t.Helper()
	p, diags, err := Load("../../examples/policy.yaml")
	if err != nil {
		t.Fatalf("examples/policy.yaml: %v", err)
	}
	if len(diags) != 0 {
		t.Fatalf("examples/policy.yaml has warnings: %v", diags)
	}
	return p
}

func TestExamplePolicy(t *testing.T) {
	p := loadExample(t)
	if got := len(p.Entries()); got != 5 {
		t.Fatalf("%d entries", got)
	}
	if ds := p.Lint(beforeExpiry); len(ds) != 0 {
		t.Errorf("Lint before expiry: %v", ds)
	}
	ds := p.Lint(afterExpiry)
	if len(ds) != 1 || ds[0].Severity != Warning || ds[0].Entry != "EXC-2026-041" || ds[0].Line != 60 ||
		!strings.Contains(ds[0].Message, "expired on 2027-03-31") {
		t.Errorf("Lint after expiry: %v", ds)
	}
	exc := p.Entries()[4]
	if exc.Type != Exception || !exc.Expires.Equal(afterExpiry) || exc.Reason == "" || exc.Line != 58 || exc.File != "../../examples/policy.yaml" {
		t.Errorf("exception %+v", exc)
	}
}

func TestEvaluate(t *testing.T) {
	p := loadExample(t)
	eng := Subject{Account: "111122223333", Principal: "arn:aws:sts::111122223333:assumed-role/EngineeringAdmin/alice", SourceIP: netip.MustParseAddr("10.20.3.4")}
	dev := Subject{Account: "444455556666", Tags: map[string]string{"role": "developer-workstation", "team": "payments"}}
	design := Subject{Account: "111122223333", Principal: "arn:aws:sts::111122223333:assumed-role/Design/bob"}
	tests := []struct {
		name    string
		u       Usage
		allowed bool
		entry   string // the allowing entry, or the near miss
		miss    Miss
		checked int
	}{
		{"aws knowledge", Usage{Server: Server{Host: "knowledge-mcp.global.api.aws"}, Subject: Subject{Account: "444455556666"}}, true, "aws-managed", MissNone, 1},
		{"aws mcp server other region", Usage{Server: Server{URL: "https://aws-mcp.eu-west-1.api.aws/mcp"}, Subject: Subject{Account: "111122223333"}}, true, "aws-managed", MissNone, 1},
		{"agentcore gateway", Usage{Server: Server{Host: "G1.gateway.bedrock-agentcore.us-east-1.amazonaws.com."}, Subject: Subject{Account: "111122223333"}}, true, "aws-managed", MissNone, 1},
		{"aws from another account", Usage{Server: Server{Host: "knowledge-mcp.global.api.aws"}, Subject: Subject{Account: "999999999999"}}, false, "aws-managed", MissAccount, 1},
		{"aws with unknown account", Usage{Server: Server{Host: "knowledge-mcp.global.api.aws"}}, false, "aws-managed", MissAccount, 1},
		{"awslabs package", Usage{Server: Server{Package: "awslabs-aws-documentation-mcp-server", Ecosystem: "pypi"}, Subject: Subject{Account: "111122223333"}}, true, "aws-managed", MissNone, 1},
		{"awslabs name as npm", Usage{Server: Server{Package: "awslabs-aws-documentation-mcp-server", Ecosystem: "npm"}, Subject: Subject{Account: "111122223333"}}, false, "", MissNone, 0},
		{"atlassian session", Usage{Server: Server{Host: "mcp.atlassian.com"}, Subject: eng}, true, "atlassian", MissNone, 1},
		{"atlassian url", Usage{Server: Server{URL: "https://mcp.atlassian.com/v1/sse"}, Subject: eng}, true, "atlassian", MissNone, 1},
		{"atlassian server name", Usage{Server: Server{ServerName: "Atlassian-Remote"}, Subject: eng}, true, "atlassian", MissNone, 1},
		{"atlassian ci bot v6", Usage{Server: Server{Host: "mcp.atlassian.com"}, Subject: Subject{Principal: "arn:aws:iam::111122223333:user/ci-bot", SourceIP: netip.MustParseAddr("2001:db8:20::9")}}, true, "atlassian", MissNone, 1},
		{"atlassian other role", Usage{Server: Server{Host: "mcp.atlassian.com"}, Subject: Subject{Principal: "arn:aws:sts::111122223333:assumed-role/Sales/x", SourceIP: netip.MustParseAddr("10.20.3.4")}}, false, "atlassian", MissPrincipal, 1},
		{"atlassian from outside", Usage{Server: Server{Host: "mcp.atlassian.com"}, Subject: Subject{Principal: eng.Principal, SourceIP: netip.MustParseAddr("198.51.100.7")}}, false, "atlassian", MissSourceIP, 1},
		{"atlassian no address", Usage{Server: Server{Host: "mcp.atlassian.com"}, Subject: Subject{Principal: eng.Principal}}, false, "atlassian", MissSourceIP, 1},
		{"atlassian mapped v4", Usage{Server: Server{Host: "mcp.atlassian.com"}, Subject: Subject{Principal: eng.Principal, SourceIP: netip.MustParseAddr("::ffff:10.20.0.1")}}, true, "atlassian", MissNone, 1},
		{"atlassian other account role", Usage{Server: Server{Host: "mcp.atlassian.com"}, Subject: Subject{Principal: "arn:aws:sts::999999999999:assumed-role/Engineering/x", SourceIP: netip.MustParseAddr("10.20.3.4")}}, false, "atlassian", MissPrincipal, 1},
		{"filesystem on dev box", Usage{Server: Server{Package: "@modelcontextprotocol/server-filesystem", Ecosystem: "npm"}, Subject: dev}, true, "dev-workstation-local", MissNone, 1},
		{"fetch image", Usage{Server: Server{Package: "mcp/fetch", Ecosystem: "docker"}, Subject: dev}, true, "dev-workstation-local", MissNone, 1},
		{"fetch image as npm", Usage{Server: Server{Package: "mcp/fetch", Ecosystem: "npm"}, Subject: dev}, false, "", MissNone, 0},
		{"filesystem on a server", Usage{Server: Server{Package: "@modelcontextprotocol/server-filesystem"}, Subject: Subject{Tags: map[string]string{"role": "web"}}}, false, "dev-workstation-local", MissTags, 1},
		{"filesystem without team tag", Usage{Server: Server{Package: "@modelcontextprotocol/server-filesystem"}, Subject: Subject{Tags: map[string]string{"role": "developer-workstation"}}}, false, "dev-workstation-local", MissTags, 1},
		{"internal gateway", Usage{Server: Server{Host: "MCP-GW.corp.example.com"}}, true, "internal-gateway", MissNone, 1},
		{"internal gateway by name", Usage{Server: Server{ServerName: "example-corp-gateway"}}, true, "internal-gateway", MissNone, 1},
		{"linear in pilot", Usage{Server: Server{Host: "mcp.linear.app"}, Subject: design, Time: beforeExpiry}, true, "EXC-2026-041", MissNone, 1},
		{"linear after pilot", Usage{Server: Server{Host: "mcp.linear.app"}, Subject: design, Time: afterExpiry}, false, "EXC-2026-041", MissExpired, 1},
		{"linear for engineering", Usage{Server: Server{Host: "mcp.linear.app"}, Subject: eng, Time: beforeExpiry}, false, "EXC-2026-041", MissPrincipal, 1},
		{"unknown server", Usage{Server: Server{Host: "mcp.notion.com"}, Subject: eng}, false, "", MissNone, 0},
		{"sub-domain of an exact name", Usage{Server: Server{Host: "x.mcp.atlassian.com"}, Subject: eng}, false, "", MissNone, 0},
		{"nothing known", Usage{}, false, "", MissNone, 0},
	}
	for _, tt := range tests {
		d := p.Evaluate(tt.u)
		got := ""
		switch {
		case d.Entry != nil:
			got = d.Entry.ID
		case d.NearMiss != nil:
			got = d.NearMiss.ID
		}
		if d.Allowed != tt.allowed || got != tt.entry || d.Miss != tt.miss || d.Checked != tt.checked || d.Policy != "../../examples/policy.yaml" {
			t.Errorf("%s: %+v (%s)", tt.name, d, d)
		}
		if d.Allowed && d.NearMiss != nil {
			t.Errorf("%s: allowed with a near miss", tt.name)
		}
	}
}

func TestDecisionString(t *testing.T) {
	p := loadExample(t)
	for _, tt := range []struct {
		u    Usage
		want string
	}{
		{Usage{Server: Server{Host: "mcp-gw.corp.example.com"}}, `allowed by allow "internal-gateway" (../../examples/policy.yaml:51)`},
		{Usage{Server: Server{Host: "mcp.linear.app"}, Subject: Subject{Principal: "arn:aws:iam::111122223333:role/Design"}, Time: beforeExpiry},
			`allowed by exception "EXC-2026-041" (../../examples/policy.yaml:58) until 2027-04-01T00:00:00Z: Pilot of Linear's MCP server for the design team, approved by the CISO (SEC-1234)`},
		{Usage{Server: Server{Host: "mcp.atlassian.com"}}, `not sanctioned: allow "atlassian" (../../examples/policy.yaml:24) names this server, but not for this principal`},
		{Usage{Server: Server{Host: "mcp.notion.com"}}, `not sanctioned: no entry of ../../examples/policy.yaml names this server`},
	} {
		if got := p.Evaluate(tt.u).String(); got != tt.want {
			t.Errorf("String = %s\n      want %s", got, tt.want)
		}
	}
	var none *Policy
	d := none.Evaluate(Usage{Server: Server{Host: "mcp.atlassian.com"}})
	if d.Allowed || d.String() != "not sanctioned: no policy loaded, so nothing is sanctioned" || none.Entries() != nil || none.Name() != "" || none.Lint(time.Now()) != nil {
		t.Errorf("nil policy: %+v %s", d, d)
	}
}

func TestFirstAllowingEntryWins(t *testing.T) {
	src := `
allow:
  - id: narrow
    servers: {domains: [a.example.com]}
    subjects: {accounts: ["111111111111"]}
  - id: wide
    servers: {domains: ["*.example.com"]}
  - id: by-url
    servers: {urls: ["https://a.example.com/*"]}
exceptions:
  - id: exc
    reason: test
    expires: 2030-01-01
    servers: {domains: [a.example.com]}
`
	p, _, err := Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		u       Usage
		want    string
		checked int
	}{
		{Usage{Server: Server{Host: "a.example.com"}, Subject: Subject{Account: "111111111111"}}, "narrow", 3},
		{Usage{Server: Server{Host: "a.example.com"}, Subject: Subject{Account: "222222222222"}}, "wide", 3},
		{Usage{Server: Server{URL: "https://a.example.com/mcp"}, Subject: Subject{Account: "222222222222"}}, "wide", 4},
		{Usage{Server: Server{Host: "b.example.com"}}, "wide", 1},
	} {
		d := p.Evaluate(tt.u)
		if !d.Allowed || d.Entry.ID != tt.want || d.Checked != tt.checked {
			t.Errorf("Evaluate(%+v) = %+v", tt.u, d)
		}
	}
}

func TestEvaluateDoesNotAllocate(t *testing.T) {
	p := loadExample(t)
	tags := map[string]string{"role": "developer-workstation", "team": "x"}
	for _, u := range []Usage{
		{Server: Server{Host: "mcp.atlassian.com"}, Subject: Subject{Principal: "arn:aws:sts::111122223333:assumed-role/EngineeringAdmin/a", SourceIP: netip.MustParseAddr("10.20.1.1")}},
		{Server: Server{URL: "https://aws-mcp.us-east-1.api.aws/mcp"}, Subject: Subject{Account: "999999999999"}},
		{Server: Server{Package: "awslabs-core-mcp-server", Ecosystem: "pypi"}, Subject: Subject{Account: "111122223333"}},
		{Server: Server{Package: "@modelcontextprotocol/server-filesystem"}, Subject: Subject{Tags: tags}},
		{Server: Server{Host: "www.example.net"}},
		{Server: Server{Host: "mcp.linear.app"}, Time: afterExpiry},
	} {
		if n := testing.AllocsPerRun(100, func() { p.Evaluate(u) }); n != 0 {
			t.Errorf("Evaluate(%+v) allocates %v times", u.Server, n)
		}
	}
}

func TestParseDiagnostics(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // "line:col severity substring" ("line" alone when the column is unknown)
	}{
		{"yaml syntax", "allow:\n  - id: a\n   servers: x\n", []string{"1 error did not find expected '-' indicator"}},
		{"yaml tab", "allow:\n\t- id: a\n", []string{"2 error found character that cannot start any token"}},
		{"not a mapping", "- a\n- b\n", []string{"1:1 error a policy is a mapping"}},
		{"empty", "", []string{"0 warning empty policy"}},
		{"no entries", "version: 1\n", []string{"1:1 warning no allow entries or exceptions: nothing is sanctioned"}},
		{"version", "version: 2\nallow: []\n", []string{"1:1 warning no allow entries", "1:10 error version 2 is not supported"}},
		{"unknown top key", "alow:\n  - id: x\n", []string{`1:1 error unknown key "alow" (valid here: version, description, allow, exceptions)`, "1:1 warning no allow entries"}},
		{"unknown keys", `allow:
  - id: x
    expires: 2030-01-01
    servers:
      domain: [a.example]
    subjects:
      acounts: ["111111111111"]
`, []string{`3:5 error x: unknown key "expires"`, `5:7 error x: unknown key "domain"`, `7:7 error x: unknown key "acounts"`, "5:7 error x: servers: names no server"}},
		{"bad values", `allow:
  - id: x
    servers:
      domains: ["https://a.example/mcp", "bad..example", a.example]
      urls: [a.example/mcp]
      packages: ["*", "npm:"]
      server_names: ["**"]
    subjects:
      accounts: [1234, "11112222333a", 111122223333]
      principals: ["role/Admin", "arn:aws:iam::111122223333:role/*"]
      cidrs: [10.0.0.0/33, 10.1.2.3/16, 0.0.0.0/0, fe80::1%eth0, 192.0.2.1]
      tags: [team]
`, []string{
			`4:17 error x: domains: "https://a.example/mcp" is not a domain name`,
			`4:42 error x: domains: "bad..example"`,
			`5:14 error x: urls: "a.example/mcp" is not a URL pattern`,
			`6:18 error x: packages: "*" is not a package name`,
			`6:23 error x: packages: "npm:" is not a package name`,
			`7:22 error x: server_names: "**" matches every server name`,
			`9:18 error x: accounts: "1234" is not an AWS account ID`,
			`9:24 error x: accounts: "11112222333a"`,
			`10:20 error x: principals: "role/Admin" is not an ARN pattern`,
			`11:15 error x: cidrs: "10.0.0.0/33" is not an IP address or CIDR block`,
			`11:28 warning x: cidrs: 10.1.2.3/16 has host bits set; it means 10.1.0.0/16`,
			`11:41 warning x: cidrs: 0.0.0.0/0 matches every address`,
			`11:52 error x: cidrs: "fe80::1%eth0"`,
			`12:13 error x: tags: want a mapping`,
		}},
		{"exceptions", `exceptions:
  - id: e1
    servers: {domains: [a.example]}
  - id: e2
    reason: "  "
    expires: next week
    servers: {domains: [b.example]}
  - reason: ok
    expires: 2030-02-30
    servers: {domains: [c.example]}
`, []string{
			"2:5 error e1: reason: an exception needs a reason",
			"2:5 error e1: expires: an exception needs an expiry date",
			"5:13 error e2: reason: an exception needs a reason",
			`6:14 error e2: expires: "next week" is not a date`,
			`9:14 error exceptions[2]: expires: "2030-02-30" is not a date`,
		}},
		{"structure", `allow:
  - id: a
  - id: a
    servers: {domains: [a.example]}
  - servers: [a.example]
    subjects: everyone
  - just a string
  - id: d
    id: e
    servers: {domains: [d.example]}
exceptions: {}
`, []string{
			"2:5 error a: servers: missing",
			"3:9 error a: id also used by the entry at line 2",
			"5:14 error allow[2]: want a mapping (keys: domains, urls, packages, server_names)",
			"6:15 error allow[2]: want a mapping (keys: accounts, principals, cidrs, tags)",
			"7:5 error allow[3]: want a mapping (keys: id, description, servers, subjects)",
			`9:5 error d: key "id" given twice`,
			"11:13 error exceptions: want a list of entries",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, diags, err := Parse("p.yaml", []byte(tt.src))
			hasErr := false
			var got []string
			for _, d := range diags {
				loc := fmt.Sprint(d.Line)
				if d.Column > 0 {
					loc += fmt.Sprintf(":%d", d.Column)
				}
				entry := ""
				if d.Entry != "" {
					entry = d.Entry + ": "
				}
				got = append(got, fmt.Sprintf("%s %s %s%s", loc, d.Severity, entry, d.Message))
				hasErr = hasErr || d.Severity == Error
				if d.File != "p.yaml" {
					t.Errorf("file %q", d.File)
				}
			}
			if hasErr != (err != nil) || hasErr != (p == nil) {
				t.Errorf("errors %v, err %v, policy %v", hasErr, err, p != nil)
			}
			var pe *ParseError
			if err != nil && (!errors.As(err, &pe) || len(pe.Diagnostics) == 0 || !strings.Contains(err.Error(), "p.yaml:")) {
				t.Errorf("error %v", err)
			}
			for _, w := range tt.want {
				found := false
				for _, g := range got {
					if strings.HasPrefix(g, w) || strings.Contains(g, w) && strings.HasPrefix(g, strings.Fields(w)[0]+" ") {
						found = true
					}
				}
				if !found {
					t.Errorf("missing diagnostic %q in:\n  %s", w, strings.Join(got, "\n  "))
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("%d diagnostics, want %d:\n  %s", len(got), len(tt.want), strings.Join(got, "\n  "))
			}
		})
	}
}

func TestOverlapWarnings(t *testing.T) {
	src := `allow:
  - id: wide
    servers:
      domains: ["*.example.com"]
      packages: ["@acme/*"]
  - id: narrow
    servers:
      domains: [a.example.com, "*.b.example.com", other.example.org]
      packages: [npm:@acme/tool]
    subjects:
      accounts: ["111111111111"]
  - id: twin
    servers: {domains: [other.example.org]}
    subjects: {accounts: ["111111111111"]}
  - id: different-subjects
    servers: {domains: [other.example.org]}
    subjects: {accounts: ["222222222222"]}
  - id: everything
    servers: "*"
    subjects: {accounts: ["333333333333"]}
exceptions:
  - id: redundant
    reason: r
    expires: 2030-01-01
    servers: {domains: [x.example.com]}
  - id: useful
    reason: r
    expires: 2030-01-01
    servers: {domains: [x.example.net]}
`
	_, diags, err := Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`p.yaml:8:17: warning: narrow: domain a.example.com is also sanctioned by allow "wide" (p.yaml:2)`,
		`p.yaml:8:32: warning: narrow: domain *.b.example.com is also sanctioned by allow "wide" (p.yaml:2)`,
		`p.yaml:9:18: warning: narrow: package npm:@acme/tool is also sanctioned by allow "wide" (p.yaml:2)`,
		`p.yaml:13:25: warning: twin: domain other.example.org is a duplicate of allow "narrow" (p.yaml:6)`,
		`p.yaml:19:14: warning: everything: servers: "*" sanctions every MCP server`,
		`p.yaml:25:25: warning: redundant: domain x.example.com is also sanctioned by allow "wide" (p.yaml:2)`,
	}
	var got []string
	for _, d := range diags {
		got = append(got, d.String())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diagnostics:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestAliasesAndScalars(t *testing.T) {
	src := `allow:
  - id: a
    servers: &srv
      domains: a.example
    subjects:
      accounts: 111111111111
  - id: b
    servers: *srv
    subjects: {accounts: ["222222222222"]}
`
	p, diags, err := Parse("p.yaml", []byte(src))
	if err != nil || len(diags) != 0 {
		t.Fatalf("%v %v", diags, err)
	}
	if d := p.Evaluate(Usage{Server: Server{Host: "a.example"}, Subject: Subject{Account: "222222222222"}}); !d.Allowed || d.Entry.ID != "b" {
		t.Errorf("alias: %+v", d)
	}
}

// benchPolicy writes a policy of n entries like a large organization's: domains (some
// wildcards), URL patterns, packages, and subjects of every kind.
func benchPolicy(n int) string {
	var sb strings.Builder
	sb.WriteString("version: 1\nallow:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&sb, "  - id: e%d\n    servers:\n", i)
		switch i % 4 {
		case 0:
			fmt.Fprintf(&sb, "      domains: [mcp.vendor%d.example, \"*.mcp.vendor%d.example\"]\n", i, i)
		case 1:
			fmt.Fprintf(&sb, "      domains: [api.vendor%d.example]\n      urls: [\"https://api.vendor%d.example/mcp*\"]\n", i, i)
		case 2:
			fmt.Fprintf(&sb, "      packages: [\"@vendor%d/mcp\", \"npm:vendor%d-mcp-*\"]\n", i, i)
		case 3:
			fmt.Fprintf(&sb, "      domains: [tools%d.corp.example]\n      server_names: [\"tools-%d-*\"]\n", i, i)
		}
		switch i % 3 {
		case 0:
			fmt.Fprintf(&sb, "    subjects:\n      accounts: [\"%012d\", \"%012d\"]\n", 100000000000+i, 200000000000+i)
		case 1:
			fmt.Fprintf(&sb, "    subjects:\n      principals: [\"arn:aws:iam::%012d:role/Team%d*\"]\n      cidrs: [10.%d.0.0/16]\n", 100000000000+i, i, i%250)
		case 2:
			fmt.Fprintf(&sb, "    subjects:\n      tags: {team: t%d}\n", i)
		}
	}
	return sb.String()
}

func BenchmarkEvaluate200(b *testing.B) {
	p, _, err := Parse("bench.yaml", []byte(benchPolicy(200)))
	if err != nil {
		b.Fatal(err)
	}
	if len(p.Entries()) != 200 {
		b.Fatal("entries")
	}
	cases := []struct {
		name    string
		u       Usage
		allowed bool
	}{
		{"domain-allowed", Usage{Server: Server{Host: "x.mcp.vendor120.example"}, Subject: Subject{Account: "200000000120"}}, true},
		{"domain-near-miss", Usage{Server: Server{Host: "mcp.vendor120.example"}, Subject: Subject{Account: "999999999999"}}, false},
		{"url-allowed", Usage{Server: Server{URL: "https://api.vendor121.example/mcp/sse"}, Subject: Subject{Principal: "arn:aws:sts::100000000121:assumed-role/Team121Dev/s", SourceIP: netip.MustParseAddr("10.121.3.3")}}, true},
		{"package-allowed", Usage{Server: Server{Package: "vendor122-mcp-server", Ecosystem: "npm"}, Subject: Subject{Tags: map[string]string{"team": "t122"}}}, true},
		{"unknown-server", Usage{Server: Server{Host: "mcp.unknown.example", Package: "some-mcp"}, Subject: Subject{Account: "100000000000"}}, false},
	}
	for _, bc := range cases {
		if d := p.Evaluate(bc.u); d.Allowed != bc.allowed {
			b.Fatalf("%s: %+v", bc.name, d)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.Evaluate(bc.u)
			}
		})
	}
}

func BenchmarkParse200(b *testing.B) {
	src := []byte(benchPolicy(200))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Parse("bench.yaml", src); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(benchPolicy(8)))
	f.Add([]byte("exceptions:\n  - reason: r\n    expires: 2030-01-01T00:00:00Z\n    servers: {urls: ['https://*'], server_names: [x]}\n    subjects: {tags: {a: '*'}, cidrs: ['::/0']}\n"))
	f.Add([]byte("allow:\n  - servers: '*'\n  - servers: {domains: ['*']}\n    subjects: {principals: ['arn:aws:iam::1:role/a/b/*']}\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, diags, err := Parse("f.yaml", data)
		for _, d := range diags {
			if d.File != "f.yaml" || d.Line < 0 || d.Message == "" {
				t.Fatalf("bad diagnostic %+v", d)
			}
		}
		if err != nil {
			if p != nil {
				t.Fatal("policy with errors")
			}
			return
		}
		p.Lint(time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC))
		for _, u := range []Usage{
			{Server: Server{Host: "a.example.com", URL: "https://a.example.com/mcp", Package: "x-mcp", Ecosystem: "pypi", ServerName: "x"},
				Subject: Subject{Account: "111111111111", Principal: "arn:aws:sts::1:assumed-role/a/s", SourceIP: netip.MustParseAddr("10.0.0.1"), Tags: map[string]string{"a": "b"}}},
			{},
		} {
			d := p.Evaluate(u)
			if d.Allowed != (d.Entry != nil) || d.Allowed && d.NearMiss != nil || d.Checked < 0 {
				t.Fatalf("bad decision %+v", d)
			}
			_ = d.String()
		}
	})
}
