package detect

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/finding"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/ocsf/schema"
	"github.com/mcpwatch/mcpwatch/internal/policy"
	"github.com/mcpwatch/mcpwatch/internal/rules"
)

// engineRules is a small pack exercising every part of the engine: a DNS rule naming a
// server (policy), a signal rule and a temporal correlation with a raise ladder, a
// value_count correlation, and an escalate rule.
const engineRules = `
title: Lookup of a catalogued MCP host
id: 7c1e0d1a-0000-4000-8000-000000000001
name: t.dns_lookup
level: medium
tags: [attack.command_and_control, attack.t1071.001]
logsource: {product: aws, service: route53}
detection:
  selection:
    query.hostname|catalogue: medium
  condition: selection
mcpwatch:
  finding_types: [UnauthorizedMCP/Communication]
  server: {host: [query.hostname]}
  entity: [src_endpoint.ip, query.hostname]
  title: "{src_endpoint.ip} looked up {query.hostname}"
  remediation: Remove the server from the client.
---
title: Outbound accepted flow to an external address
id: 7c1e0d1a-0000-4000-8000-000000000002
name: t.outbound
level: informational
logsource: {product: aws, service: vpcflow}
detection:
  selection:
    src_endpoint.ip|internal: true
    dst_endpoint.ip|internal: false
    action_id: 1
  condition: selection
mcpwatch: {role: signal}
---
title: Connection to an MCP server after resolving it
id: 7c1e0d1a-0000-4000-8000-000000000003
name: t.dnsflow
level: medium
tags: [attack.exfiltration, attack.t1567]
correlation:
  type: temporal
  rules: [t.dns_lookup, t.outbound]
  group-by: [client, server_ip]
  aliases:
    client: {t.dns_lookup: src_endpoint.ip, t.outbound: src_endpoint.ip}
    server_ip: {t.dns_lookup: answers.rdata, t.outbound: dst_endpoint.ip}
  timespan: 1h
  generate: true
mcpwatch:
  finding_types: [UnauthorizedMCP/Communication]
  title: "{client} connected to MCP server {server_ip}"
  raise:
    - {sum: traffic.bytes, gte: 104857600, level: high}
---
title: Internal connection to a candidate MCP port
id: 7c1e0d1a-0000-4000-8000-000000000004
name: t.internal_port
level: low
logsource: {product: aws, service: vpcflow}
detection:
  selection:
    src_endpoint.ip|internal: true
    dst_endpoint.ip|internal: true
    dst_endpoint.port|mcp_port: true
  condition: selection
---
title: Internal MCP server used by many hosts
id: 7c1e0d1a-0000-4000-8000-000000000005
name: t.many_clients
level: medium
correlation:
  type: value_count
  rules: [t.internal_port]
  group-by: [dst_endpoint.ip, dst_endpoint.port]
  field: src_endpoint.ip
  timespan: 1h
  condition: {gte: 5}
mcpwatch:
  finding_types: [UnauthorizedMCP/Communication]
---
title: GuardDuty finding
id: 7c1e0d1a-0000-4000-8000-000000000006
name: t.guardduty
level: informational
logsource: {product: aws, service: guardduty}
detection:
  selection:
    finding_info.uid|exists: true
  condition: selection
mcpwatch:
  role: escalate
  entity: [unmapped.remote_ip, evidences.dst_endpoint.ip]
`

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func dnsEvent(client, host string, answers ...string) *ocsf.DNSActivity {
	ev := &ocsf.DNSActivity{SrcEndpoint: ocsf.NetworkEndpoint{IP: client, InstanceUID: "i-0abc"},
		Query: ocsf.DNSQuery{Hostname: host + ".", Type: "A"}, ActionID: 1, Action: "Allowed"}
	ev.Classify(ocsf.ClassDNSActivity, 6)
	ev.SetSeverity(ocsf.SeverityInformational)
	ev.Cloud = ocsf.Cloud{Provider: "AWS", Region: "us-east-1", Account: ocsf.Account{UID: "111122223333"}}
	ev.SetTime(t0)
	for _, a := range answers {
		ev.Answers = append(ev.Answers, ocsf.DNSAnswer{Rdata: a, Type: "A"})
	}
	return ev
}

func flowEvent(src, dst string, port int32, bytes int64, at time.Time) *ocsf.NetworkActivity {
	ev := &ocsf.NetworkActivity{SrcEndpoint: ocsf.NetworkEndpoint{IP: src}, DstEndpoint: ocsf.NetworkEndpoint{IP: dst, Port: &port},
		Traffic: ocsf.NetworkTraffic{Bytes: bytes, Packets: 10}, ActionID: 1, Action: "Allowed"}
	ev.Classify(ocsf.ClassNetworkActivity, 6)
	ev.SetSeverity(ocsf.SeverityInformational)
	ev.Cloud = ocsf.Cloud{Provider: "AWS", Region: "us-east-1", Account: ocsf.Account{UID: "111122223333"}}
	ev.SetTime(at)
	return ev
}

func newTestEngine(t testing.TB, pol string, maxGroups int) *Engine {
	t.Helper()
	rs, err := rules.Parse([]byte(engineRules), "engine_test.yml")
	if err != nil {
		t.Fatal(err)
	}
	set, err := rules.Compile(rs, rules.Env{})
	if err != nil {
		t.Fatal(err)
	}
	var p *policy.Policy
	if pol != "" {
		var diags []policy.Diagnostic
		p, diags, err = policy.Parse("policy.yaml", []byte(pol))
		if err != nil || len(diags) > 0 {
			t.Fatalf("policy: %v %v", err, diags)
		}
	}
	return NewEngine(EngineConfig{Rules: set, Policy: p, MaxGroups: maxGroups, ProductVersion: "test"})
}

func byRule(fs []ocsf.DetectionFinding) map[string][]ocsf.DetectionFinding {
	out := map[string][]ocsf.DetectionFinding{}
	for _, f := range fs {
		out[f.FindingInfo.Analytic.UID] = append(out[f.FindingInfo.Analytic.UID], f)
	}
	return out
}

// checkRuleFinding checks what every engine finding must have, and that it is valid OCSF
// and ASFF.
func checkRuleFinding(t *testing.T, f ocsf.DetectionFinding) {
	t.Helper()
	fi := f.FindingInfo
	if !strings.HasPrefix(fi.UID, fi.Analytic.UID+":") || fi.Title == "" || fi.Desc == "" || f.Count <= 0 ||
		len(f.Evidences) == 0 || len(f.Resources) == 0 || len(f.Observables) == 0 || f.Remediation.Desc == "" ||
		fi.FirstSeenTime == 0 || fi.LastSeenTime < fi.FirstSeenTime || f.Unmapped["rule_file"] == "" {
		t.Errorf("finding %s incomplete: %+v", fi.UID, f)
	}
	if err := schema.Validate(&f); err != nil {
		t.Errorf("%s: OCSF: %v", fi.UID, err)
	}
	if _, err := finding.ToASFF(f, finding.ASFFOptions{}); err != nil {
		t.Errorf("%s: ASFF: %v", fi.UID, err)
	}
}

func TestEnginePolicy(t *testing.T) {
	const allow = `version: 1
allow:
  - id: atlassian
    servers:
      domains: [mcp.atlassian.com]
    subjects:
      accounts: ["111122223333"]
`
	for _, tc := range []struct {
		name   string
		policy string
		want   int
	}{
		{"no policy: not sanctioned", "", 1},
		{"sanctioned for the account", allow, 0},
		{"sanctioned for another account", strings.Replace(allow, "111122223333", "999988887777", 1), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEngine(t, tc.policy, 0)
			e.Observe(dnsEvent("10.0.0.5", "mcp.atlassian.com", "104.192.142.17"), Ref{Table: "ROUTE53"})
			e.Observe(dnsEvent("10.0.0.5", "example.com", "93.184.216.34"), Ref{Table: "ROUTE53"})
			fs := byRule(e.Flush(t0.Add(time.Hour)))["t.dns_lookup"]
			if len(fs) != tc.want {
				t.Fatalf("%d findings, want %d", len(fs), tc.want)
			}
			if tc.want == 0 {
				if e.Stats().Sanctioned["t.dns_lookup"] != 1 {
					t.Errorf("sanctioned use not counted: %+v", e.Stats())
				}
				return
			}
			f := fs[0]
			checkRuleFinding(t, f)
			if f.SeverityID != ocsf.SeverityMedium || f.FindingInfo.Title != "10.0.0.5 looked up mcp.atlassian.com" ||
				f.Unmapped["mcp_server_host"] != "mcp.atlassian.com" || f.Unmapped["policy_decision"] == "" {
				t.Errorf("finding: severity %d, title %q, unmapped %v", f.SeverityID, f.FindingInfo.Title, f.Unmapped)
			}
			if tc.policy != "" && !strings.Contains(f.Unmapped["policy_decision"], "atlassian") {
				t.Errorf("the decision should name the entry checked: %q", f.Unmapped["policy_decision"])
			}
		})
	}
}

func TestEngineDNSFlowCorrelation(t *testing.T) {
	const mib = 1 << 20
	dns := dnsEvent("10.0.0.5", "mcp.atlassian.com", "104.192.142.17", "104.192.142.18")
	for _, tc := range []struct {
		name     string
		flows    []*ocsf.NetworkActivity
		dnsFirst bool
		want     int
		severity int32
	}{
		{"DNS then a small flow", []*ocsf.NetworkActivity{flowEvent("10.0.0.5", "104.192.142.18", 443, 20000, t0.Add(time.Minute))}, true, 1, ocsf.SeverityMedium},
		{"flow before DNS in arrival order", []*ocsf.NetworkActivity{flowEvent("10.0.0.5", "104.192.142.17", 443, 20000, t0.Add(time.Minute))}, false, 1, ocsf.SeverityMedium},
		{"large transfer raises to high", []*ocsf.NetworkActivity{
			flowEvent("10.0.0.5", "104.192.142.17", 443, 60*mib, t0.Add(time.Minute)),
			flowEvent("10.0.0.5", "104.192.142.17", 443, 60*mib, t0.Add(2*time.Minute))}, true, 1, ocsf.SeverityHigh},
		{"another client's flow", []*ocsf.NetworkActivity{flowEvent("10.0.0.6", "104.192.142.17", 443, 20000, t0.Add(time.Minute))}, true, 0, 0},
		{"outside the window", []*ocsf.NetworkActivity{flowEvent("10.0.0.5", "104.192.142.17", 443, 20000, t0.Add(2*time.Hour))}, true, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEngine(t, "", 0)
			if tc.dnsFirst {
				e.Observe(dns, Ref{Table: "ROUTE53"})
			}
			for _, f := range tc.flows {
				e.Observe(f, Ref{Table: "VPC_FLOW"})
			}
			if !tc.dnsFirst {
				e.Observe(dns, Ref{Table: "ROUTE53"})
			}
			all := byRule(e.Flush(t0.Add(3 * time.Hour)))
			if len(all["t.outbound"]) != 0 {
				t.Fatal("a signal rule raised findings")
			}
			if len(all["t.dns_lookup"]) != 1 {
				t.Errorf("generate: true should keep the lookup's own finding, got %d", len(all["t.dns_lookup"]))
			}
			fs := all["t.dnsflow"]
			if len(fs) != tc.want {
				t.Fatalf("%d correlation findings, want %d", len(fs), tc.want)
			}
			if tc.want == 0 {
				return
			}
			f := fs[0]
			checkRuleFinding(t, f)
			if f.SeverityID != tc.severity {
				t.Errorf("severity %d, want %d: %s", f.SeverityID, tc.severity, f.FindingInfo.Desc)
			}
			if !strings.HasPrefix(f.FindingInfo.Title, "10.0.0.5 connected to MCP server 104.192.142.1") ||
				f.Unmapped["correlated_rules"] == "" || len(f.FindingInfo.DataSources) != 2 {
				t.Errorf("title %q, unmapped %v, sources %v", f.FindingInfo.Title, f.Unmapped, f.FindingInfo.DataSources)
			}
			if tc.severity == ocsf.SeverityHigh && !strings.Contains(strings.Join(f.FindingInfo.Types, ","), "DataExfiltration") {
				t.Errorf("a raised transfer should be typed as exfiltration: %v", f.FindingInfo.Types)
			}
		})
	}
}

func TestEngineValueCount(t *testing.T) {
	for _, clients := range []int{4, 5, 12} {
		t.Run(fmt.Sprint(clients, " clients"), func(t *testing.T) {
			e := newTestEngine(t, "", 0)
			for i := range clients {
				for j := range 3 { // repeated connections of one client count once
					e.Observe(flowEvent(fmt.Sprintf("10.0.1.%d", i+1), "10.0.9.9", 8000, 5000, t0.Add(time.Duration(i*3+j)*time.Minute)), Ref{})
				}
			}
			e.Observe(flowEvent("10.0.1.1", "10.0.9.9", 443, 5000, t0), Ref{}) // not an MCP port
			fs := byRule(e.Flush(t0.Add(time.Hour)))
			if len(fs["t.internal_port"]) != 0 {
				t.Error("a rule a correlation uses without generate raised findings")
			}
			want := 0
			if clients >= 5 {
				want = 1
			}
			if len(fs["t.many_clients"]) != want {
				t.Fatalf("%d findings, want %d", len(fs["t.many_clients"]), want)
			}
			if want == 1 {
				f := fs["t.many_clients"][0]
				checkRuleFinding(t, f)
				// The distinct set stops at the threshold: bounded state.
				if f.Unmapped["correlation_distinct"] != "5" || f.Unmapped["correlation_count"] != fmt.Sprint(clients*3) {
					t.Errorf("unmapped %v", f.Unmapped)
				}
			}
		})
	}
}

func TestEngineBoundedGroups(t *testing.T) {
	e := newTestEngine(t, "", 100)
	for i := range 5000 {
		e.Observe(flowEvent("10.0.0.5", fmt.Sprintf("198.51.%d.%d", i/250, i%250+1), 443, 1000, t0.Add(time.Duration(i)*time.Second)), Ref{})
	}
	st := e.Stats()
	if st.Groups > 100 || st.GroupsPeak > 100 || st.GroupsEvicted == 0 {
		t.Fatalf("groups not bounded: %+v", st)
	}
	if st.Matches["t.outbound"] != 5000 {
		t.Errorf("matches %d", st.Matches["t.outbound"])
	}
}

func TestEngineEscalation(t *testing.T) {
	e := newTestEngine(t, "", 0)
	e.Observe(dnsEvent("10.0.0.5", "mcp.atlassian.com", "104.192.142.17"), Ref{})
	e.Observe(flowEvent("10.0.0.5", "104.192.142.17", 443, 5000, t0.Add(time.Minute)), Ref{})
	gd := &ocsf.ImportedFinding{FindingInfo: ocsf.FindingInfo{UID: "arn:aws:guardduty:us-east-1:111122223333:detector/d/finding/f1",
		Title: "Unusual outbound traffic"}}
	gd.Classify(2004, 1)
	gd.Metadata.Product = ocsf.Product{Name: "GuardDuty", VendorName: "AWS"}
	gd.Unmapped = map[string]string{"remote_ip": "104.192.142.17"}
	gd.SetTime(t0)
	e.Observe(gd, Ref{Table: "SH_FINDINGS"})

	// A native flow finding sharing the address is escalated too (Pack does it).
	var native ocsf.DetectionFinding
	native.Observables = []ocsf.Observable{ocsf.NewObservable("x", ocsf.ObservableIP, "104.192.142.17")}
	native.SetSeverity(ocsf.SeverityLow)
	others := []ocsf.DetectionFinding{native}
	e.Escalate(others)
	if others[0].SeverityID != ocsf.SeverityMedium || others[0].Unmapped["escalated_by"] != gd.FindingInfo.UID {
		t.Errorf("native finding not escalated: %d %v", others[0].SeverityID, others[0].Unmapped)
	}

	fs := byRule(e.Flush(t0.Add(time.Hour)))
	for _, name := range []string{"t.dns_lookup", "t.dnsflow"} {
		if len(fs[name]) != 1 {
			t.Fatalf("%s: %d findings", name, len(fs[name]))
		}
		f := fs[name][0]
		if f.SeverityID != ocsf.SeverityHigh || f.Unmapped["escalated_by"] != gd.FindingInfo.UID ||
			!strings.Contains(f.FindingInfo.Desc, "Severity raised from Medium to High") {
			t.Errorf("%s not escalated: severity %d, %v", name, f.SeverityID, f.Unmapped)
		}
		checkRuleFinding(t, f)
	}
	if len(fs["t.guardduty"]) != 0 {
		t.Error("an escalate rule raised a finding of its own")
	}
}

func TestExpand(t *testing.T) {
	got := expand("{a} to {b}{c", func(s string) string { return strings.ToUpper(s) })
	if got != "A to B{c" {
		t.Fatalf("%q", got)
	}
}

func TestCanonValue(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.5": "10.0.0.5", "10.00.0.5": "10.00.0.5", "255.255.255.255": "255.255.255.255",
		"256.1.1.1": "256.1.1.1", "::ffff:10.0.0.5": "10.0.0.5", "2001:DB8::1": "2001:db8::1",
		"MCP.Atlassian.com.": "mcp.atlassian.com", "1.2.3": "1.2.3", "": "",
	} {
		if got := canonValue(in); got != want {
			t.Errorf("canonValue(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestProbeEscalatesFlowFinding: an MCP server the network probe confirmed (an MCP_INVENTORY
// event) raises the native candidate-port finding about the same address, with the built-in pack.
func TestProbeEscalatesFlowFinding(t *testing.T) {
	rs, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	set, err := rules.Compile(rs, rules.Env{})
	if err != nil {
		t.Fatal(err)
	}
	flow, err := NewFlowDetector(Config{})
	if err != nil {
		t.Fatal(err)
	}
	p := &Pack{Flow: flow, Engine: NewEngine(EngineConfig{Rules: set})}
	for i := range 3 {
		p.Observe(fl{src: fmt.Sprintf("10.0.1.%d", i+1), sp: 40000, dst: "10.0.9.9", dp: 8000, minute: i, bytes: 3000}.event(), Ref{Table: "VPC_FLOW"})
	}
	probe := &ocsf.InventoryInfo{Device: ocsf.Device{IP: "10.0.9.9"}}
	probe.Classify(ocsf.ClassInventoryInfo, 2)
	probe.Metadata = ocsf.Metadata{Product: ocsf.Product{Name: "mcpwatch"}, UID: "probe:10.0.9.9:8000"}
	probe.Unmapped = map[string]string{"mcp.source": "probe", "mcp.host": "10.0.9.9", "mcp.name": "github-tools", "mcp.url": "http://10.0.9.9:8000/mcp"}
	probe.SetTime(now)
	p.Observe(probe, Ref{Table: "MCP_INVENTORY"})
	fs := byRule(p.Flush(now))
	port := fs[RuleMCPPort]
	if len(port) != 1 || port[0].SeverityID != ocsf.SeverityMedium || port[0].Unmapped["escalated_by"] != "probe:10.0.9.9:8000" {
		t.Fatalf("port finding not escalated by the probe: %+v", port)
	}
	if len(fs["inventory.unsanctioned_running"]) != 1 {
		t.Errorf("the confirmed server itself is unsanctioned: %v", fs)
	}
}

func TestShortARN(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:sts::111122223333:assumed-role/Admin/alice@example.com": "Admin/alice@example.com",
		"arn:aws:iam::111122223333:user/bob":                             "user/bob",
		"arn:aws:iam::111122223333:root":                                 "root",
		"AIDAEXAMPLE":                                                    "AIDAEXAMPLE",
		"arn:aws:iam":                                                    "arn:aws:iam",
	} {
		if got := shortARN(in); got != want {
			t.Errorf("shortARN(%q) = %q, want %q", in, got, want)
		}
	}
}
