package rules

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/intel"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// compileOne compiles a single route53/vpcflow/cloudtrail rule from its detection section.
func compileOne(t testing.TB, service, detection string, env Env) *Set {
	t.Helper()
	src := "title: t\nname: t.rule\nlevel: low\nlogsource: {product: aws, service: " + service + "}\ndetection:\n" + detection
	rs, err := Parse([]byte(src), "t.yml")
	if err != nil {
		t.Fatal(err)
	}
	set, err := Compile(rs, env)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func matches(set *Set, ev ocsf.Event) bool {
	var got bool
	set.Match(ev, func(*Rule) { got = true })
	return got
}

func port(p int32) *int32 { return &p }

func flow(src, dst string, dport int32, bytes int64) *ocsf.NetworkActivity {
	ev := &ocsf.NetworkActivity{SrcEndpoint: ocsf.NetworkEndpoint{IP: src}, DstEndpoint: ocsf.NetworkEndpoint{IP: dst, Port: port(dport)}}
	ev.ClassUID = ocsf.ClassNetworkActivity
	ev.Traffic.Bytes = bytes
	ev.ActionID = 1
	return ev
}

func TestMatchModifiers(t *testing.T) {
	ti, _, err := intel.Load("t", strings.NewReader("203.0.113.0/24\nevil.example\n"))
	if err != nil {
		t.Fatal(err)
	}
	env := Env{Intel: ti, Internal: []netip.Prefix{netip.MustParsePrefix("198.18.0.0/15")}, MCPPorts: []uint16{8000}}
	tests := []struct {
		name, detection string
		ev              *ocsf.NetworkActivity
		want            bool
	}{
		{"eq int", "  s: {dst_endpoint.port: 8000}\n  condition: s", flow("10.0.0.1", "1.1.1.1", 8000, 1), true},
		{"eq int list", "  s: {dst_endpoint.port: [22, 443]}\n  condition: s", flow("10.0.0.1", "1.1.1.1", 8000, 1), false},
		{"gte", "  s: {traffic.bytes|gte: 1000}\n  condition: s", flow("10.0.0.1", "1.1.1.1", 1, 1000), true},
		{"lt", "  s: {traffic.bytes|lt: 1000}\n  condition: s", flow("10.0.0.1", "1.1.1.1", 1, 1000), false},
		{"cidr", "  s: {src_endpoint.ip|cidr: [192.168.0.0/16, 10.0.0.0/8]}\n  condition: s", flow("10.2.3.4", "1.1.1.1", 1, 1), true},
		{"cidr v6", "  s: {src_endpoint.ip|cidr: 'fd00::/8'}\n  condition: s", flow("fd00::1", "1.1.1.1", 1, 1), true},
		{"internal extra", "  s: {dst_endpoint.ip|internal: true}\n  condition: s", flow("10.0.0.1", "198.19.0.1", 1, 1), true},
		{"internal false", "  s: {dst_endpoint.ip|internal: false}\n  condition: s", flow("10.0.0.1", "100.64.0.1", 1, 1), false},
		{"intel addr", "  s: {dst_endpoint.ip|intel: true}\n  condition: s", flow("10.0.0.1", "203.0.113.9", 1, 1), true},
		{"intel false", "  s: {dst_endpoint.ip|intel: false}\n  condition: s", flow("10.0.0.1", "203.0.113.9", 1, 1), false},
		{"mcp_port", "  s: {dst_endpoint.port|mcp_port: true}\n  condition: s", flow("10.0.0.1", "1.1.1.1", 8000, 1), true},
		{"mcp_port other", "  s: {dst_endpoint.port|mcp_port: true}\n  condition: s", flow("10.0.0.1", "1.1.1.1", 8080, 1), false},
		{"startswith", "  s: {src_endpoint.ip|startswith: '10.'}\n  condition: s", flow("10.0.0.1", "1.1.1.1", 1, 1), true},
		{"wildcard", "  s: {src_endpoint.ip: '10.*.1'}\n  condition: s", flow("10.0.0.1", "1.1.1.1", 1, 1), true},
		{"re", "  s: {src_endpoint.ip|re: '^10\\.0\\.'}\n  condition: s", flow("10.0.0.1", "1.1.1.1", 1, 1), true},
		{"exists", "  s: {src_endpoint.hostname|exists: true}\n  condition: s", flow("10.0.0.1", "1.1.1.1", 1, 1), false},
		{"exists false", "  s: {src_endpoint.hostname|exists: false}\n  condition: s", flow("10.0.0.1", "1.1.1.1", 1, 1), true},
		{"null", "  s: {src_endpoint.hostname: null}\n  condition: s", flow("10.0.0.1", "1.1.1.1", 1, 1), true},
		{"not", "  s: {dst_endpoint.port: 8000}\n  condition: not s", flow("10.0.0.1", "1.1.1.1", 8000, 1), false},
		{"and or parens", "  a: {dst_endpoint.port: 1}\n  b: {dst_endpoint.port: 8000}\n  c: {src_endpoint.ip: 10.0.0.1}\n  condition: (a or b) and c", flow("10.0.0.1", "1.1.1.1", 8000, 1), true},
		{"1 of pattern", "  sel_a: {dst_endpoint.port: 1}\n  sel_b: {dst_endpoint.port: 8000}\n  condition: 1 of sel_*", flow("10.0.0.1", "1.1.1.1", 8000, 1), true},
		{"all of pattern", "  sel_a: {dst_endpoint.port: 1}\n  sel_b: {dst_endpoint.port: 8000}\n  condition: all of sel_*", flow("10.0.0.1", "1.1.1.1", 8000, 1), false},
		{"all of them", "  a: {dst_endpoint.port: 8000}\n  b: {src_endpoint.ip: 10.0.0.1}\n  condition: all of them", flow("10.0.0.1", "1.1.1.1", 8000, 1), true},
		{"them skips _", "  a: {dst_endpoint.port: 8000}\n  _b: {src_endpoint.ip: 1.2.3.4}\n  condition: all of them", flow("10.0.0.1", "1.1.1.1", 8000, 1), true},
		{"list of maps", "  s:\n    - {dst_endpoint.port: 1}\n    - {dst_endpoint.port: 8000}\n  condition: s", flow("10.0.0.1", "1.1.1.1", 8000, 1), true},
		{"all of list of maps", "  s:\n    - {dst_endpoint.port: 1}\n    - {dst_endpoint.port: 8000}\n  condition: all of s", flow("10.0.0.1", "1.1.1.1", 8000, 1), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := compileOne(t, "vpcflow", tc.detection, env)
			if got := matches(set, tc.ev); got != tc.want {
				t.Errorf("match = %v, want %v", got, tc.want)
			}
		})
	}
}

func dns(host string, answers ...string) *ocsf.DNSActivity {
	ev := &ocsf.DNSActivity{Query: ocsf.DNSQuery{Hostname: host}}
	ev.ClassUID = ocsf.ClassDNSActivity
	for _, a := range answers {
		ev.Answers = append(ev.Answers, ocsf.DNSAnswer{Rdata: a})
	}
	return ev
}

func TestMatchStrings(t *testing.T) {
	tests := []struct {
		name, detection string
		ev              *ocsf.DNSActivity
		want            bool
	}{
		{"case-insensitive", "  s: {query.hostname: MCP.Example.com}\n  condition: s", dns("mcp.example.COM"), true},
		{"cased", "  s: {query.hostname|cased: MCP.Example.com}\n  condition: s", dns("mcp.example.COM"), false},
		{"contains", "  s: {query.hostname|contains: mcp}\n  condition: s", dns("x.MCP.io"), true},
		{"endswith list", "  s: {query.hostname|endswith: [.a, .b]}\n  condition: s", dns("x.b"), true},
		{"multi any", "  s: {answers.rdata|cidr: 203.0.113.0/24}\n  condition: s", dns("x", "1.1.1.1", "203.0.113.5"), true},
		{"multi none", "  s: {answers.rdata|cidr: 203.0.113.0/24}\n  condition: s", dns("x", "1.1.1.1"), false},
		{"all", "  s: {answers.rdata|all: [1.1.1.1, 2.2.2.2]}\n  condition: s", dns("x", "2.2.2.2", "1.1.1.1"), true},
		{"all missing one", "  s: {answers.rdata|all: [1.1.1.1, 2.2.2.2]}\n  condition: s", dns("x", "1.1.1.1"), false},
		{"contains all", "  s: {query.hostname|contains|all: [mcp, prod]}\n  condition: s", dns("mcp.prod.example"), true},
		{"base64", "  s: {query.hostname|base64|contains: secret}\n  condition: s", dns("dG9wIHNlY3JldA=="), true},
		{"catalogue", "  s: {query.hostname|catalogue: high}\n  condition: s", dns("mcp.atlassian.com."), true},
		{"catalogue miss", "  s: {query.hostname|catalogue: low}\n  condition: s", dns("www.example.com"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := compileOne(t, "route53", tc.detection, Env{})
			if got := matches(set, tc.ev); got != tc.want {
				t.Errorf("match = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct{ service, detection, want string }{
		{"vpcflow", "  s: {query.hostname: x}\n  condition: s", "t.yml:6: rule t.rule: NetworkActivity events (class 4001) has no field query.hostname"},
		{"vpcflow", "  s: {src_endpoint.ip|frobnicate: x}\n  condition: s", `t.yml:6: rule t.rule: src_endpoint.ip|frobnicate: unknown modifier "frobnicate"`},
		{"vpcflow", "  s: {src_endpoint.ip|cidr: 10.0.0.0/33}\n  condition: s", "t.yml:6: rule t.rule: src_endpoint.ip|cidr: cidr"},
		{"vpcflow", "  s: {dst_endpoint.port|cidr: 10.0.0.0/8}\n  condition: s", "cidr applies to text"},
		{"vpcflow", "  s: {dst_endpoint.port: abc}\n  condition: s", "dst_endpoint.port is an integer"},
		{"vpcflow", "  s: {src_endpoint.ip|re: '('}\n  condition: s", "regular expression"},
		{"vpcflow", "  s: {src_endpoint.ip|contains|re: x}\n  condition: s", "cannot be combined"},
		{"vpcflow", "  s: {src_endpoint.ip|intel: maybe}\n  condition: s", "intel takes true or false"},
		{"route53", "  s: {query.hostname|catalogue: very}\n  condition: s", "catalogue: want low, medium or high"},
		{"vpcflow", "  s: {unmapped: x}\n  condition: s", "is a map"},
		{"vpcflow", "  s: {src_endpoint.ip: x}\n  condition: t", "condition: no search named t"},
		{"vpcflow", "  s: {src_endpoint.ip: x}\n  condition: 1 of x_*", "no search matches x_*"},
		{"vpcflow", "  s: {src_endpoint.ip: x}\n  condition: s | count() > 5", "aggregations in conditions are not supported"},
		{"vpcflow", "  s: [mcp, sse]\n  condition: s", "keyword searches are not supported"},
		{"s3", "  s: {a: x}\n  condition: s", `t.yml:1: rule t.rule: logsource: unknown service "s3"`},
		{"cloudtrail", "  s: {api.request.data.userData|gt: x}\n  condition: s", "gt takes a number"},
	}
	for _, tc := range tests {
		src := "title: t\nname: t.rule\nlevel: low\nlogsource: {product: aws, service: " + tc.service + "}\ndetection:\n" + tc.detection
		rs, err := Parse([]byte(src), "t.yml")
		if err != nil {
			t.Errorf("Parse(%q): %v", src, err)
			continue
		}
		_, err = Compile(rs, Env{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Compile(%q) = %v, want %q", tc.detection, err, tc.want)
		}
	}
}

func TestMatchTypeIndexAndOrder(t *testing.T) {
	src := `title: a
name: r.a
level: low
logsource: {product: aws, service: vpcflow}
detection: {s: {dst_endpoint.port: 8000}, condition: s}
---
title: b
name: r.b
level: low
logsource: {product: aws, service: route53}
detection: {s: {query.hostname: x}, condition: s}
---
title: c
name: r.c
level: low
logsource: {product: aws, service: vpcflow}
detection: {s: {traffic.bytes|gt: 0}, condition: s}
---
title: corr
name: r.corr
level: low
correlation: {type: temporal, rules: [r.a, r.c], timespan: 1h}
`
	rs, err := Parse([]byte(src), "t.yml")
	if err != nil {
		t.Fatal(err)
	}
	set, err := Compile(rs, Env{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	set.Match(flow("10.0.0.1", "1.1.1.1", 8000, 5), func(r *Rule) { got = append(got, r.Name) })
	if !slices.Equal(got, []string{"r.a", "r.c"}) {
		t.Errorf("matched %v", got)
	}
	if len(set.Rules()) != 4 {
		t.Errorf("Rules = %d", len(set.Rules()))
	}
	if r, ok := set.Rule("r.corr"); !ok || !r.IsCorrelation() {
		t.Errorf("Rule(r.corr) = %v, %v", r, ok)
	}
	rs[3].Correlation.Rules = []string{"r.a", "r.zz"}
	if _, err := Compile(rs, Env{}); err == nil || !strings.Contains(err.Error(), "names rule r.zz, which does not exist") {
		t.Errorf("Compile with a dangling correlation: %v", err)
	}
}

func TestGuardDutyService(t *testing.T) {
	set := compileOne(t, "guardduty", "  s: {finding_info.title|contains: backdoor}\n  condition: s", Env{})
	ev := &ocsf.ImportedFinding{FindingInfo: ocsf.FindingInfo{Title: "Backdoor:EC2/X"}}
	ev.ClassUID = ocsf.ClassDetectionFinding
	if matches(set, ev) {
		t.Error("a finding of no product matched a guardduty rule")
	}
	ev.Metadata.Product.Name = "GuardDuty"
	if !matches(set, ev) {
		t.Error("a GuardDuty finding did not match")
	}
}

func TestValues(t *testing.T) {
	set := compileOne(t, "vpcflow", "  s: {dst_endpoint.port: 1}\n  condition: s", Env{})
	fl := flow("10.0.0.1", "1.1.1.1", 8000, 1234)
	ct := &ocsf.APIActivity{}
	ct.ClassUID = ocsf.ClassAPIActivity
	ct.API.Request.Data = `{"containerDefinitions":[{"image":"a"},{"image":"b"}],"n":5}`
	d := dns("x", "1.1.1.1", "2.2.2.2")
	tests := []struct {
		ev   ocsf.Event
		path string
		want []string
	}{
		{fl, "src_endpoint.ip", []string{"10.0.0.1"}},
		{fl, "dst_endpoint.port", []string{"8000"}},
		{fl, "traffic.bytes", []string{"1234"}},
		{fl, "query.hostname", nil},
		{d, "answers[].rdata", []string{"1.1.1.1", "2.2.2.2"}},
		{ct, "api.request.data.containerDefinitions.image", []string{"a", "b"}},
		{ct, "api.request.data.n", []string{"5"}},
	}
	for _, tc := range tests {
		for range 2 { // the second time from the cache
			if got := set.Values(tc.ev, tc.path, nil); !slices.Equal(got, tc.want) {
				t.Errorf("Values(%s) = %q, want %q", tc.path, got, tc.want)
			}
		}
	}
	if got := set.Values(fl, "src_endpoint.ip", []string{"x"}); !slices.Equal(got, []string{"x", "10.0.0.1"}) {
		t.Errorf("Values does not append: %q", got)
	}
}

func TestAttacks(t *testing.T) {
	r := &Rule{Tags: []string{"attack.command_and_control", "attack.t1071.001", "attack.TA0010", "attack.t1567", "cve.2024-1", "attack.g0016"}}
	got := r.Attacks()
	if len(got) != 4 {
		t.Fatalf("Attacks = %+v", got)
	}
	a := got[0]
	if a.Version != "16.1" || a.Tactic.UID != "TA0011" || a.Tactic.Name != "Command and Control" ||
		a.Tactic.SrcURL != "https://attack.mitre.org/tactics/TA0011/" || a.Technique.UID != "T1071.001" ||
		a.Technique.Name != "Web Protocols" || a.Technique.SrcURL != "https://attack.mitre.org/techniques/T1071/001/" {
		t.Errorf("Attacks[0] = %+v", a)
	}
	if got[3].Tactic.UID != "TA0010" || got[3].Technique.UID != "T1567" {
		t.Errorf("Attacks[3] = %+v", got[3])
	}
	if got := (&Rule{Tags: []string{"attack.exfiltration"}}).Attacks(); len(got) != 1 || got[0].Technique.UID != "" || got[0].Tactic.UID != "TA0010" {
		t.Errorf("tactic only: %+v", got)
	}
}

func TestDecodeEvent(t *testing.T) {
	ev, err := DecodeEvent([]byte(`{"class_uid":6003,"api":{"operation":"RunInstances","request":{"data":{"userData":"abc"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	api, ok := ev.(*ocsf.APIActivity)
	if !ok || api.API.Request.Data != `{"userData":"abc"}` || api.API.Operation != "RunInstances" {
		t.Errorf("event = %#v", ev)
	}
	ev, err = DecodeEvent([]byte(`{"class_uid":2003,"finding_info":{"uid":"x"}}`))
	if _, ok := ev.(*ocsf.ImportedFinding); err != nil || !ok {
		t.Errorf("2003: %T %v", ev, err)
	}
	for _, bad := range []string{`{}`, `{"class_uid":9999}`, `[`, `{"class_uid":4001,"src_endpoint":7}`} {
		if _, err := DecodeEvent([]byte(bad)); err == nil {
			t.Errorf("DecodeEvent(%s) succeeded", bad)
		}
	}
}
