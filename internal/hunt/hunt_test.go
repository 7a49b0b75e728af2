package hunt

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bradleyjkemp/sigma-go"

	"github.com/mcpwatch/mcpwatch/internal/catalogue"
	"github.com/mcpwatch/mcpwatch/internal/lake"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/query"
	"github.com/mcpwatch/mcpwatch/internal/rules"
)

var update = flag.Bool("update", false, "rewrite the golden SQL files of testdata")

// day is the day of the test lake's events.
var day = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

const account, region = "111122223333", "us-east-1"

// sigmaRule builds a rule from Sigma YAML (detection and logsource) and a name.
func sigmaRule(t testing.TB, name, doc string) *rules.Rule {
	t.Helper()
	sr, err := sigma.ParseRule([]byte(doc))
	if err != nil {
		t.Fatalf("rule %s: %v", name, err)
	}
	return &rules.Rule{Name: name, Title: sr.Title, Logsource: sr.Logsource, Detection: &sr.Detection}
}

// The rules of the tests.

func dnsCatalogueRule(t testing.TB) *rules.Rule {
	r := sigmaRule(t, "dns.mcp_catalogue_lookup", `
title: Lookup of a catalogued remote MCP server
logsource: {product: aws, service: route53}
detection:
  selection:
    query.hostname|catalogue: medium
  filter_aws:
    query.hostname|endswith: .amazonaws.com
  condition: selection and not filter_aws
`)
	r.Meta.Entity = []string{"src_endpoint.ip", "query.hostname"}
	return r
}

func internalConnRule(t testing.TB) *rules.Rule {
	return sigmaRule(t, "flow.internal_mcp_port_conn", `
title: Internal connection to a candidate MCP port
logsource: {product: aws, service: vpcflow}
detection:
  selection:
    src_endpoint.ip|internal: true
    dst_endpoint.ip|internal: true
    dst_endpoint.port|mcp_port: true
    action_id: 1
  condition: selection
`)
}

func internalServerRule() *rules.Rule {
	n := 3.0
	return &rules.Rule{Name: "network.internal_mcp_port_server", Correlation: &rules.Correlation{
		Type: rules.ValueCount, Rules: []string{"flow.internal_mcp_port_conn"},
		GroupBy: []string{"dst_endpoint.ip", "dst_endpoint.port"}, Field: "src_endpoint.ip",
		Timespan: time.Hour, Condition: rules.Condition{Gte: &n}}}
}

func cloudTrailRule(t testing.TB) *rules.Rule {
	return sigmaRule(t, "cloudtrail.mcp_server_launch", `
title: An instance or a command starts an MCP server
logsource: {product: aws, service: cloudtrail}
detection:
  user_data:
    api.operation: RunInstances
    api.request.data.userData|contains: '@modelcontextprotocol/'
  ssm:
    api.operation: SendCommand
    api.request.data.parameters.commands|re: 'npx .*mcp-server'
  condition: 1 of user_data or ssm
`)
}

func dnsMCPRule(t testing.TB) *rules.Rule {
	return sigmaRule(t, "dns.mcp_label", `
title: A name with an mcp label
logsource: {product: aws, service: route53}
detection:
  selection:
    query.hostname|startswith: 'mcp.'
  condition: selection
`)
}

func dnsBurstRule() *rules.Rule {
	n := 3.0
	return &rules.Rule{Name: "dns.mcp_lookup_burst", Correlation: &rules.Correlation{
		Type: rules.EventCount, Rules: []string{"dns.mcp_label"}, GroupBy: []string{"client"},
		Aliases:  map[string]map[string]string{"client": {"dns.mcp_label": "src_endpoint.ip"}},
		Timespan: 10 * time.Minute, Condition: rules.Condition{Gte: &n}}}
}

// resolvedConnRule is a temporal correlation whose group-by is multi-valued in one rule
// (answers.rdata): the docs' DNS-then-connection example.
func resolvedConnRule(t testing.TB) (*rules.Rule, *rules.Rule) {
	flow := sigmaRule(t, "flow.outbound_external", `
title: Outbound connection to an external address
logsource: {product: aws, service: vpcflow}
detection:
  selection:
    src_endpoint.ip|internal: true
    dst_endpoint.ip|internal: false
  condition: selection
`)
	return flow, &rules.Rule{Name: "dnsflow.mcp_connection", Correlation: &rules.Correlation{
		Type: rules.Temporal, Rules: []string{"dns.mcp_catalogue_lookup", "flow.outbound_external"},
		GroupBy: []string{"client", "server_ip"},
		Aliases: map[string]map[string]string{
			"client":    {"dns.mcp_catalogue_lookup": "src_endpoint.ip", "flow.outbound_external": "src_endpoint.ip"},
			"server_ip": {"dns.mcp_catalogue_lookup": "answers.rdata", "flow.outbound_external": "dst_endpoint.ip"},
		},
		Timespan: time.Hour}}
}

func testEnv() Env {
	return Env{
		Since:          day,
		Until:          day.Add(24*time.Hour - time.Millisecond),
		CatalogueHosts: CatalogueHosts(catalogue.Builtin()),
		MCPPorts:       []int{8000, 3000, 6274},
		InternalCIDRs:  DefaultInternalCIDRs(),
		IntelAddrs:     []netip.Prefix{netip.MustParsePrefix("203.0.113.7/32"), netip.MustParsePrefix("198.51.100.0/24")},
		IntelDomains:   []string{"evil.example", "*.bad.example"},
	}
}

// testLake is the events of the test lake, kept to compute the expected answers in Go.
type testLake struct {
	dir   string
	dns   []*ocsf.DNSActivity
	flows []*ocsf.NetworkActivity
	api   []*ocsf.APIActivity
}

func port(p int32) *int32 { return &p }

func base(b *ocsf.Base, class, activity int32, t time.Time, uid string) {
	b.Classify(class, activity)
	b.SetSeverity(ocsf.SeverityInformational)
	b.Metadata = ocsf.Metadata{Version: ocsf.Version, Product: ocsf.Product{Name: "test", VendorName: "AWS"}, UID: uid}
	b.SetTime(t)
	b.Cloud = ocsf.Cloud{Provider: "AWS", Region: region, Account: ocsf.Account{UID: account}}
}

// newTestLake writes DNS queries, flows and CloudTrail events into a lake with package
// lake, as ingest does.
func newTestLake(t testing.TB) *testLake {
	t.Helper()
	tl := &testLake{dir: t.TempDir()}
	at := func(min int) time.Time { return day.Add(time.Duration(min) * time.Minute) }
	dns := func(min int, src, host string, answers ...string) {
		e := &ocsf.DNSActivity{}
		base(&e.Base, ocsf.ClassDNSActivity, 1, at(min), fmt.Sprintf("dns-%d", len(tl.dns)))
		e.SrcEndpoint = ocsf.NetworkEndpoint{IP: src}
		e.Query = ocsf.DNSQuery{Hostname: host, Type: "A"}
		for _, a := range answers {
			e.Answers = append(e.Answers, ocsf.DNSAnswer{Rdata: a, Type: "A"})
		}
		tl.dns = append(tl.dns, e)
	}
	// Catalogue lookups (dedicated hosts, any case, trailing dots), a pattern host, shared
	// hosts, heuristics only, AWS names the filter drops, and names nothing knows.
	dns(1, "10.0.1.5", "mcp.atlassian.com.", "203.0.113.10")
	dns(2, "10.0.1.5", "MCP.Atlassian.com", "203.0.113.10")
	dns(3, "10.0.1.5", "mcp.example.org", "192.0.2.1")
	dns(4, "10.0.1.5", "mcp.notion.com", "203.0.113.11", "203.0.113.12")
	dns(5, "10.0.1.6", "docs.mcp.cloudflare.com", "203.0.113.20")
	dns(6, "10.0.1.6", "api.githubcopilot.com")
	dns(7, "10.0.1.6", "x1.gateway.bedrock-agentcore.us-east-1.amazonaws.com")
	dns(8, "10.0.1.6", "www.example.com", "192.0.2.2")
	dns(15, "10.0.1.7", "mcp.atlassian.com", "203.0.113.10")
	dns(75, "10.0.1.5", "mcp.linear.app", "203.0.113.30")
	dns(76, "10.0.1.5", "x' OR 1=1 --")
	// Flows: internal clients of internal servers on candidate ports, external traffic,
	// rejected and other ports.
	flow := func(min int, src, dst string, dport int32, action int32) {
		e := &ocsf.NetworkActivity{}
		base(&e.Base, ocsf.ClassNetworkActivity, 6, at(min), fmt.Sprintf("flow-%d", len(tl.flows)))
		e.SrcEndpoint = ocsf.NetworkEndpoint{IP: src, Port: port(40000 + int32(len(tl.flows)))}
		e.DstEndpoint = ocsf.NetworkEndpoint{IP: dst, Port: port(dport)}
		e.ActionID = action
		e.Traffic = ocsf.NetworkTraffic{Bytes: 1000, Packets: 4}
		tl.flows = append(tl.flows, e)
	}
	for i, src := range []string{"10.0.1.21", "10.0.1.22", "172.16.4.9", "10.0.1.21", "192.168.7.7"} {
		flow(10+i, src, "10.0.2.40", 8000, 1) // four distinct clients in hour 0
	}
	flow(20, "10.0.1.21", "10.0.2.41", 3000, 1)
	flow(21, "10.0.1.22", "10.0.2.41", 3000, 1) // two clients only
	flow(22, "10.0.1.23", "10.0.2.41", 3000, 2) // rejected
	flow(23, "198.18.10.10", "10.0.2.40", 8000, 1)
	flow(24, "10.0.1.24", "10.0.2.40", 5432, 1)
	for i, src := range []string{"10.0.1.31", "10.0.1.32", "10.0.1.33"} {
		flow(61+i, src, "10.0.2.40", 8000, 1) // three more in hour 1
	}
	flow(62, "fd00::5", "fd00::9", 6274, 1)
	flow(63, "fd00::6", "fd00::9", 6274, 1)
	flow(64, "fe80::7", "fd00::9", 6274, 1)
	flow(2, "10.0.1.5", "203.0.113.10", 443, 1)
	flow(5, "10.0.1.5", "203.0.113.12", 443, 1)
	flow(9, "10.0.1.6", "203.0.113.20", 443, 1)
	flow(16, "10.0.1.7", "198.51.100.1", 443, 1)
	// CloudTrail.
	api := func(min int, op, data string) {
		e := &ocsf.APIActivity{}
		base(&e.Base, ocsf.ClassAPIActivity, 99, at(min), fmt.Sprintf("api-%d", len(tl.api)))
		e.API = ocsf.API{Operation: op, Service: ocsf.Service{Name: "ec2.amazonaws.com"}, Request: ocsf.APIRequest{Data: data}}
		e.Actor.User.UID = "AIDAEXAMPLE"
		tl.api = append(tl.api, e)
	}
	api(30, "RunInstances", `{"instanceType":"t3.micro","userData":"#!/bin/sh\nnpx -y @modelcontextprotocol/server-filesystem /"}`)
	api(31, "RunInstances", `{"instanceType":"t3.micro","userData":"#!/bin/sh\nyum update -y"}`)
	api(32, "SendCommand", `{"documentName":"AWS-RunShellScript","parameters":{"commands":["cd /srv","npx -y mcp-server-git"]}}`)
	api(33, "SendCommand", `{"documentName":"AWS-RunShellScript","parameters":{"commands":["uptime"]}}`)
	api(34, "SendCommand", `{"parameters":{"commands":"npx @x/mcp-server-y"}}`)
	api(35, "DescribeInstances", `{"userData":"@modelcontextprotocol/"}`)
	api(36, "RunInstances", `not json`)

	lk, err := lake.Open(tl.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer lk.Close()
	ctx := context.Background()
	tx, err := lk.Begin(ctx, lake.InputInfo{Name: "hunt-test"})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Abort()
	var evs []ocsf.Event
	for _, e := range tl.dns {
		evs = append(evs, e)
	}
	for _, e := range tl.flows {
		evs = append(evs, e)
	}
	for _, e := range tl.api {
		evs = append(evs, e)
	}
	for _, e := range evs {
		if err := tx.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.Commit(ctx, lake.CommitInfo{ContentHash: strings.Repeat("ab", 32)}); err != nil {
		t.Fatal(err)
	}
	// Tables without events get their columns from schema files, as after ingest.
	for _, tb := range lk.Tables() {
		if _, err := lk.SchemaFile(tb.Name()); err != nil {
			t.Fatal(err)
		}
	}
	return tl
}

func openDB(t testing.TB, dir string) *query.DB {
	t.Helper()
	db, err := query.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// run translates r for DuckDB and runs it.
func run(t *testing.T, db *query.DB, r *rules.Rule, set map[string]*rules.Rule, env Env) *query.Result {
	t.Helper()
	q, err := Translate(r, set, DuckDB, env)
	if err != nil {
		t.Fatalf("Translate(%s): %v", r.Name, err)
	}
	res, err := Run(context.Background(), db, q)
	if err != nil {
		t.Fatalf("Run(%s): %v\n%s", r.Name, err, Explain(q))
	}
	return res
}

// resultColumn returns the values of a result's column.
func resultColumn(t *testing.T, res *query.Result, name string) []any {
	t.Helper()
	i := slices.Index(res.ColumnNames(), name)
	if i < 0 {
		t.Fatalf("no column %q in %v", name, res.ColumnNames())
	}
	out := make([]any, len(res.Rows))
	for j, row := range res.Rows {
		out[j] = row[i]
	}
	return out
}

func strs(vs []any) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = fmt.Sprint(v)
	}
	slices.Sort(out)
	return out
}

// The expectations below are computed from the events with mcpwatch's Go packages
// (catalogue lookups, netip), independently of the SQL.

func isInternal(s string, env Env) bool {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(env.InternalCIDRs, func(p netip.Prefix) bool { return p.Contains(a) })
}

func catalogueHigh(host string) bool {
	m := catalogue.Builtin().LookupHost(strings.TrimSuffix(host, "."))
	return m.OK() && m.Basis != catalogue.BasisNotMCP && m.Confidence >= catalogue.Medium
}

func TestRunDNSCatalogue(t *testing.T) {
	tl := newTestLake(t)
	db := openDB(t, tl.dir)
	env := testEnv()
	res := run(t, db, dnsCatalogueRule(t), nil, env)
	var want []string
	for _, e := range tl.dns {
		h := strings.ToLower(e.Query.Hostname)
		if catalogueHigh(h) && !strings.HasSuffix(h, ".amazonaws.com") {
			want = append(want, e.Metadata.UID)
		}
	}
	slices.Sort(want)
	if got := strs(resultColumn(t, res, "event_uid")); !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
	if len(want) < 5 {
		t.Errorf("only %d lookups expected: the lake does not test enough", len(want))
	}
	// The evidence has the entity's and the detection's fields.
	for _, c := range []string{"time", "account", "src_endpoint.ip", "query.hostname"} {
		if !slices.Contains(res.ColumnNames(), c) {
			t.Errorf("no evidence column %q in %v", c, res.ColumnNames())
		}
	}
}

func TestRunInternalMCPPortValueCount(t *testing.T) {
	tl := newTestLake(t)
	db := openDB(t, tl.dir)
	env := testEnv()
	conn, server := internalConnRule(t), internalServerRule()
	res := run(t, db, server, map[string]*rules.Rule{conn.Name: conn}, env)

	type key struct {
		ip     string
		port   int64
		window int64
	}
	clients := map[key]map[string]bool{}
	for _, e := range tl.flows {
		p := int64(*e.DstEndpoint.Port)
		if !isInternal(e.SrcEndpoint.IP, env) || !isInternal(e.DstEndpoint.IP, env) ||
			!slices.Contains(env.MCPPorts, int(p)) || e.ActionID != 1 {
			continue
		}
		k := key{e.DstEndpoint.IP, p, e.Time - e.Time%time.Hour.Milliseconds()}
		if clients[k] == nil {
			clients[k] = map[string]bool{}
		}
		clients[k][e.SrcEndpoint.IP] = true
	}
	var want []string
	for k, c := range clients {
		if len(c) >= 3 {
			want = append(want, fmt.Sprintf("%s|%d|%d|%d", k.ip, k.port, k.window, len(c)))
		}
	}
	slices.Sort(want)
	var got []string
	ips, ports, wins, vals := resultColumn(t, res, "dst_endpoint.ip"), resultColumn(t, res, "dst_endpoint.port"),
		resultColumn(t, res, "window_start"), resultColumn(t, res, "value")
	for i := range ips {
		got = append(got, fmt.Sprintf("%v|%v|%v|%v", ips[i], ports[i], wins[i], vals[i]))
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("groups = %v, want %v", got, want)
	}
	if len(want) != 3 { // 10.0.2.40:8000 in hours 0 and 1, fd00::9:6274 in hour 1
		t.Errorf("%d groups expected, want 3: the lake does not test what it should", len(want))
	}
}

func TestRunCloudTrailJSONPath(t *testing.T) {
	tl := newTestLake(t)
	db := openDB(t, tl.dir)
	res := run(t, db, cloudTrailRule(t), nil, testEnv())
	var want []string
	for _, e := range tl.api {
		var data struct {
			UserData   string `json:"userData"`
			Parameters struct {
				Commands json.RawMessage `json:"commands"`
			} `json:"parameters"`
		}
		if json.Unmarshal([]byte(e.API.Request.Data), &data) != nil {
			continue
		}
		var cmds []string
		if json.Unmarshal(data.Parameters.Commands, &cmds) != nil {
			var one string
			if json.Unmarshal(data.Parameters.Commands, &one) == nil {
				cmds = []string{one}
			}
		}
		userData := e.API.Operation == "RunInstances" &&
			strings.Contains(strings.ToLower(data.UserData), "@modelcontextprotocol/")
		ssm := e.API.Operation == "SendCommand" && slices.ContainsFunc(cmds, func(c string) bool {
			return strings.Contains(c, "npx ") && strings.Contains(c[strings.Index(c, "npx "):], "mcp-server")
		})
		if userData || ssm {
			want = append(want, e.Metadata.UID)
		}
	}
	slices.Sort(want)
	if got := strs(resultColumn(t, res, "event_uid")); !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
	if len(want) != 3 {
		t.Errorf("%d events expected, want 3", len(want))
	}
}

func TestRunEventCount(t *testing.T) {
	tl := newTestLake(t)
	db := openDB(t, tl.dir)
	label, burst := dnsMCPRule(t), dnsBurstRule()
	res := run(t, db, burst, map[string]*rules.Rule{label.Name: label}, testEnv())
	counts := map[string]int{}
	for _, e := range tl.dns {
		if strings.HasPrefix(strings.ToLower(e.Query.Hostname), "mcp.") {
			counts[fmt.Sprintf("%s|%d", e.SrcEndpoint.IP, e.Time-e.Time%(10*time.Minute).Milliseconds())]++
		}
	}
	var want []string
	for k, n := range counts {
		if n >= 3 {
			want = append(want, fmt.Sprintf("%s|%d", k, n))
		}
	}
	slices.Sort(want)
	var got []string
	cs, ws, vs := resultColumn(t, res, "client"), resultColumn(t, res, "window_start"), resultColumn(t, res, "value")
	for i := range cs {
		got = append(got, fmt.Sprintf("%v|%v|%v", cs[i], ws[i], vs[i]))
	}
	slices.Sort(got)
	if !slices.Equal(got, want) || len(want) != 1 {
		t.Errorf("groups = %v, want %v (one group)", got, want)
	}
}

func TestRunTemporalMultiValuedGroup(t *testing.T) {
	tl := newTestLake(t)
	db := openDB(t, tl.dir)
	env := testEnv()
	dnsRule := dnsCatalogueRule(t)
	flowRule, corr := resolvedConnRule(t)
	set := map[string]*rules.Rule{dnsRule.Name: dnsRule, flowRule.Name: flowRule}
	res := run(t, db, corr, set, env)

	type key struct {
		client, server string
		window         int64
	}
	seen := map[key]map[string]bool{}
	note := func(k key, rule string) {
		if seen[k] == nil {
			seen[k] = map[string]bool{}
		}
		seen[k][rule] = true
	}
	hour := time.Hour.Milliseconds()
	for _, e := range tl.dns {
		h := strings.ToLower(e.Query.Hostname)
		if !catalogueHigh(h) || strings.HasSuffix(h, ".amazonaws.com") {
			continue
		}
		for _, a := range e.Answers {
			note(key{e.SrcEndpoint.IP, a.Rdata, e.Time - e.Time%hour}, dnsRule.Name)
		}
	}
	for _, e := range tl.flows {
		if isInternal(e.SrcEndpoint.IP, env) && !isInternal(e.DstEndpoint.IP, env) {
			note(key{e.SrcEndpoint.IP, e.DstEndpoint.IP, e.Time - e.Time%hour}, flowRule.Name)
		}
	}
	var want []string
	for k, rs := range seen {
		if len(rs) == 2 {
			want = append(want, fmt.Sprintf("%s|%s|%d", k.client, k.server, k.window))
		}
	}
	slices.Sort(want)
	var got []string
	cs, ss, ws := resultColumn(t, res, "client"), resultColumn(t, res, "server_ip"), resultColumn(t, res, "window_start")
	for i := range cs {
		got = append(got, fmt.Sprintf("%v|%v|%v", cs[i], ss[i], ws[i]))
	}
	slices.Sort(got)
	if !slices.Equal(got, want) || len(want) < 3 {
		t.Errorf("groups = %v, want %v (at least 3)", got, want)
	}
}

// TestModifiers checks single modifiers against hand-picked events of the lake.
func TestModifiers(t *testing.T) {
	tl := newTestLake(t)
	db := openDB(t, tl.dir)
	tests := []struct {
		name, service, selection string
		want                     []string
	}{
		{"exact, case-insensitive", "route53", `query.hostname: MCP.ATLASSIAN.COM`, []string{"dns-1", "dns-8"}},
		{"cased", "route53", `query.hostname|cased: MCP.Atlassian.com`, []string{"dns-1"}},
		{"wildcards", "route53", `query.hostname: 'mcp.?otion.*'`, []string{"dns-3"}},
		{"escaped wildcard is literal", "route53", `query.hostname: 'mcp.\*'`, nil},
		{"contains all", "route53", `query.hostname|contains|all: [mcp, example]`, []string{"dns-2"}},
		{"list answers", "route53", `answers.rdata: 203.0.113.12`, []string{"dns-3"}},
		{"list answers cidr", "route53", `answers.rdata|cidr: 203.0.113.8/29`, []string{"dns-0", "dns-1", "dns-3", "dns-8"}},
		{"exists false", "route53", `answers.rdata|exists: false`, []string{"dns-5", "dns-6", "dns-10"}},
		{"null value", "route53", `answers.rdata: null`, []string{"dns-5", "dns-6", "dns-10"}},
		{"intel", "vpcflow", `dst_endpoint.ip|intel: true`, []string{"flow-19"}},
		{"intel domain", "route53", `query.hostname|intel: true`, nil},
		{"gte lte", "vpcflow", `dst_endpoint.port|gte: 6000
    dst_endpoint.port|lte: 7000`, []string{"flow-13", "flow-14", "flow-15"}},
		{"lt on text", "route53", `query.type|lt: 5`, nil},
		{"ipv6 internal", "vpcflow", `src_endpoint.ip|internal: true
    src_endpoint.ip|contains: ':'`, []string{"flow-13", "flow-14", "flow-15"}},
		{"re", "route53", `query.hostname|re: '^mcp\.[a-z]+\.(com|app)$'`, []string{"dns-3", "dns-8", "dns-9"}},
		{"re i", "route53", `query.hostname|re|i: '^MCP\.ATLASSIAN\.COM$'`, []string{"dns-1", "dns-8"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := sigmaRule(t, "test.rule", fmt.Sprintf(`
title: test
logsource: {service: %s}
detection:
  selection:
    %s
  condition: selection
`, tc.service, tc.selection))
			res := run(t, db, r, nil, testEnv())
			got := strs(resultColumn(t, res, "event_uid"))
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Errorf("events = %v, want %v", got, want)
			}
		})
	}
}

func TestInjectionOnlyInArgs(t *testing.T) {
	tl := newTestLake(t)
	db := openDB(t, tl.dir)
	evil := []string{`x' OR 1=1 --`, `'); DROP VIEW route53; --`, `' OR ''='`, `%_*?`, "a\"b;\nSELECT 1"}
	for _, d := range []Dialect{DuckDB, Athena} {
		for _, v := range evil {
			quoted, _ := json.Marshal(v)
			r := sigmaRule(t, "test.injection", `
title: injection
logsource: {service: route53}
detection:
  selection:
    query.hostname|contains: `+string(quoted)+`
  sel2:
    query.hostname: `+string(quoted)+`
  condition: selection or sel2
`)
			q, err := Translate(r, nil, d, testEnv())
			if err != nil {
				t.Fatalf("%s %q: %v", d, v, err)
			}
			for _, frag := range []string{"OR 1=1", "DROP", "SELECT 1", `"b;`} {
				if strings.Contains(q.SQL, frag) {
					t.Errorf("%s: the SQL holds %q of a rule value:\n%s", d, frag, q.SQL)
				}
			}
			if strings.Count(q.SQL, "?") != len(q.Args) {
				t.Errorf("%s: %d markers, %d args", d, strings.Count(q.SQL, "?"), len(q.Args))
			}
			like, _ := sigmaLike(strings.ToLower(v))
			if !slices.ContainsFunc(q.Args, func(a any) bool {
				s, _ := a.(string)
				return strings.Contains(s, strings.ToLower(v)) || strings.Contains(s, like)
			}) {
				t.Errorf("%s: value %q not among the args %v", d, v, q.Args)
			}
			if d == DuckDB {
				res, err := Run(context.Background(), db, q)
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				want := 0
				if v == `x' OR 1=1 --` {
					want = 1 // the lake has a query of that name: matched as text, exactly
				}
				if len(res.Rows) != want {
					t.Errorf("%q matched %d events, want %d", v, len(res.Rows), want)
				}
			}
		}
	}
	// Field names go into the text: anything but plain names is refused.
	for _, f := range []string{`query.hostname'--`, `api.request.data.x') OR TRUE --`, `unmapped.a'b`, `query"."hostname`} {
		svc := "route53"
		if strings.HasPrefix(f, "api.") {
			svc = "cloudtrail"
		}
		fq, _ := json.Marshal(f)
		r := sigmaRule(t, "test.field", `
title: field
logsource: {service: `+svc+`}
detection:
  selection:
    `+string(fq)+`: x
  condition: selection
`)
		if q, err := Translate(r, nil, DuckDB, testEnv()); err == nil {
			t.Errorf("field %q translated:\n%s", f, q.SQL)
		}
	}
}

func TestUnsupported(t *testing.T) {
	tests := []struct {
		name, detection string
		service         string
		dialect         Dialect
		mention         string
	}{
		{"catalogue_command", `api.request.data.userData|catalogue_command: medium`, "cloudtrail", DuckDB, "catalogue_command"},
		{"catalogue low", `query.hostname|catalogue: low`, "route53", DuckDB, "catalogue"},
		{"ipv6 cidr", `src_endpoint.ip|cidr: '2001:db8::/32'`, "vpcflow", DuckDB, "cidr"},
		{"base64", `api.request.data.userData|base64: x`, "cloudtrail", Athena, "base64"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := sigmaRule(t, "test.unsupported", fmt.Sprintf(`
title: test
logsource: {service: %s}
detection:
  selection:
    %s
  condition: selection
`, tc.service, tc.detection))
			_, err := Translate(r, nil, tc.dialect, testEnv())
			if !errors.Is(err, ErrUnsupported) {
				t.Fatalf("err = %v, want ErrUnsupported", err)
			}
			if !strings.Contains(err.Error(), "test.unsupported") || !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("err = %v, want the rule's name and %q", err, tc.mention)
			}
		})
	}
	// What DuckDB cannot say, Athena can.
	r := sigmaRule(t, "test.ipv6", `
title: test
logsource: {service: vpcflow}
detection:
  selection:
    src_endpoint.ip|cidr: '2001:db8::/32'
  condition: selection
`)
	if _, err := Translate(r, nil, Athena, testEnv()); err != nil {
		t.Errorf("IPv6 cidr for Athena: %v", err)
	}
	ordered := &rules.Rule{Name: "test.ordered", Correlation: &rules.Correlation{Type: rules.TemporalOrdered,
		Rules: []string{"a", "b"}, Timespan: time.Hour}}
	if _, err := Translate(ordered, nil, DuckDB, testEnv()); !errors.Is(err, ErrUnsupported) {
		t.Errorf("temporal_ordered: err = %v, want ErrUnsupported", err)
	}
}

// TestGolden compares the SQL of the rules, in both dialects, with testdata/*.sql (go test
// -update rewrites them).
func TestGolden(t *testing.T) {
	env := testEnv()
	env.CatalogueHosts = []CatalogueHost{{"mcp.atlassian.com", catalogue.High}, {"api.githubcopilot.com", catalogue.Low},
		{"*.mcp.cloudflare.com", catalogue.High}, {"*.example.com", catalogue.None}}
	dnsRule, conn, label := dnsCatalogueRule(t), internalConnRule(t), dnsMCPRule(t)
	flowRule, temporal := resolvedConnRule(t)
	set := map[string]*rules.Rule{}
	for _, r := range []*rules.Rule{dnsRule, conn, label, flowRule} {
		set[r.Name] = r
	}
	all := []*rules.Rule{dnsRule, cloudTrailRule(t), internalServerRule(), dnsBurstRule(), temporal}
	for _, d := range []Dialect{DuckDB, Athena} {
		e := env
		if d == Athena {
			e.Tables = AthenaTables("amazon_security_lake_glue_db_us_east_1", "us-east-1", "2.0")
			e.TimeDT = true
		}
		for _, r := range all {
			q, err := Translate(r, set, d, e)
			if err != nil {
				t.Fatalf("%s %s: %v", d, r.Name, err)
			}
			got := Explain(q)
			file := filepath.Join("testdata", r.Name+"."+d.String()+".sql")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s:\n%s", r.Name, file, got)
			}
		}
	}
}

// TestBuiltinPack translates every rule of the built-in pack in both dialects: each is SQL
// DuckDB runs over a lake, or refused as unsupported with a reason.
func TestBuiltinPack(t *testing.T) {
	pack, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]*rules.Rule{}
	for _, r := range pack {
		set[r.Name] = r
	}
	tl := newTestLake(t)
	db := openDB(t, tl.dir)
	env := testEnv()
	var ok, unsupported []string
	for _, r := range pack {
		for _, d := range []Dialect{DuckDB, Athena} {
			q, err := Translate(r, set, d, env)
			switch {
			case errors.Is(err, ErrUnsupported):
				if !strings.Contains(err.Error(), r.Name) {
					t.Errorf("%s: the error does not name the rule: %v", r.Name, err)
				}
				if d == DuckDB {
					unsupported = append(unsupported, err.Error())
				}
				continue
			case err != nil:
				t.Errorf("%s %s: %v", d, r.Name, err)
				continue
			}
			if strings.Count(q.SQL, "?") != len(q.Args) {
				t.Errorf("%s %s: %d markers, %d args", d, r.Name, strings.Count(q.SQL, "?"), len(q.Args))
			}
			if d == DuckDB {
				if _, err := Run(context.Background(), db, q); err != nil {
					t.Errorf("%s: %v\n%s", r.Name, err, Explain(q))
				}
				ok = append(ok, r.Name)
			}
		}
	}
	t.Logf("as SQL: %s", strings.Join(ok, ", "))
	for _, u := range unsupported {
		t.Logf("unsupported: %s", u)
	}
	if len(ok) == 0 {
		t.Error("no rule of the pack translates")
	}
}
