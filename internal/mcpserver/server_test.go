package mcpserver_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpwatch/mcpwatch/internal/athena"
	"github.com/mcpwatch/mcpwatch/internal/mcpserver"
)

var allTools = []string{"discover_aws_resources", "get_finding", "list_data_sources", "list_findings", "list_mcp_servers",
	"search_guardduty_findings", "search_ip_addresses", "test_connection", "universal_security_search"}

func TestToolsAreListedReadOnlyWithSchemas(t *testing.T) {
	srv, _ := localServer(t, mcpserver.DefaultSettings())
	cs := connect(t, srv)
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
		if tool.Annotations == nil || !tool.Annotations.ReadOnlyHint || tool.Annotations.DestructiveHint == nil || *tool.Annotations.DestructiveHint {
			t.Errorf("%s is not annotated read-only", tool.Name)
		}
		out, _ := json.Marshal(tool.OutputSchema)
		for _, k := range []string{"success", "error", "results", "metadata", "count"} {
			if !strings.Contains(string(out), `"`+k+`"`) {
				t.Errorf("%s output schema lacks %s: %s", tool.Name, k, out)
			}
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, allTools) {
		t.Fatalf("tools %v, want %v", names, allTools)
	}
}

// TestLimitBounds checks that every limit parameter advertises its bounds, that a number
// outside them is refused by schema validation and a numeric string by the handler, and
// that a numeric string inside them works.
func TestLimitBounds(t *testing.T) {
	srv, _ := localServer(t, mcpserver.DefaultSettings())
	cs := connect(t, srv)
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var withLimit []string
	for _, tool := range res.Tools {
		b, _ := json.Marshal(tool.InputSchema)
		var sch struct {
			Properties map[string]struct {
				Type    any      `json:"type"`
				Minimum *float64 `json:"minimum"`
				Maximum *float64 `json:"maximum"`
			} `json:"properties"`
		}
		if err := json.Unmarshal(b, &sch); err != nil {
			t.Fatalf("%s: %v", tool.Name, err)
		}
		p, ok := sch.Properties["limit"]
		if !ok {
			continue
		}
		withLimit = append(withLimit, tool.Name)
		if p.Minimum == nil || *p.Minimum != 1 || p.Maximum == nil || *p.Maximum != mcpserver.MaxLimit || !strings.Contains(mustJSON(p.Type), `"string"`) {
			t.Errorf("%s: limit schema %s", tool.Name, b)
		}
	}
	slices.Sort(withLimit)
	if want := []string{"list_findings", "list_mcp_servers", "search_guardduty_findings", "search_ip_addresses", "universal_security_search"}; !slices.Equal(withLimit, want) {
		t.Fatalf("tools with a limit: %v, want %v", withLimit, want)
	}
	for _, limit := range []any{0, 1001, "0", "1001"} {
		e := call(t, cs, "list_findings", map[string]any{"limit": limit})
		if e.Success || !e.isError || !strings.Contains(e.text, "limit") {
			t.Errorf("limit %#v: %+v", limit, e)
		}
	}
	e := call(t, cs, "list_findings", map[string]any{"limit": "2"})
	mustSucceed(t, "list_findings", e)
	if e.Count != 2 {
		t.Fatalf("limit \"2\": %d results", e.Count)
	}
}

func TestLocalSearchIP(t *testing.T) {
	srv, db := localServer(t, mcpserver.DefaultSettings())
	cs := connect(t, srv)
	ctx := context.Background()
	// The busiest address of the demo day, and how often it appears as source or destination.
	top, err := db.QueryTrusted(ctx, `SELECT ip, count(*) FROM (SELECT src_endpoint.ip AS ip FROM vpc_flow UNION ALL SELECT dst_endpoint.ip FROM vpc_flow WHERE src_endpoint.ip <> dst_endpoint.ip) GROUP BY 1 ORDER BY 2 DESC LIMIT 1`)
	if err != nil {
		t.Fatal(err)
	}
	ip, n := top.Rows[0][0].(string), top.Rows[0][1].(int64)
	day := map[string]any{"start_time": demoDay.Format(time.RFC3339), "end_time": demoDay.Add(24*time.Hour - time.Millisecond).Format(time.RFC3339)}

	args := map[string]any{"ip_address": ip, "limit": 1000}
	for k, v := range day {
		args[k] = v
	}
	e := call(t, cs, "search_ip_addresses", args)
	mustSucceed(t, "search_ip_addresses", e)
	want := min(int(n), 1000)
	if e.Count != want {
		t.Fatalf("%s: %d results, want %d", ip, e.Count, want)
	}
	if trunc, _ := e.Metadata.QueryInfo["truncated"].(bool); trunc != (n > 1000) {
		t.Fatalf("truncated %v with %d matches", trunc, n)
	}
	if !e.Metadata.UntrustedData || !strings.Contains(e.text, "<untrusted-data>") {
		t.Fatal("results from logs are not marked untrusted")
	}
	prev := "9999"
	for _, r := range e.Results {
		ni := r["network_info"].(map[string]any)
		role := r["ip_context"].(map[string]any)["role"]
		switch {
		case ni["src_ip"] == ip && role == "source", ni["dst_ip"] == ip && role == "destination", ni["src_ip"] == ip && ni["dst_ip"] == ip && role == "both":
		default:
			t.Fatalf("result %v does not hold %s in the role %v", ni, ip, role)
		}
		ts := r["timestamp"].(string)
		if ts > prev {
			t.Fatalf("results not newest first: %s after %s", ts, prev)
		}
		prev = ts
		if !strings.HasPrefix(ts, demoDay.Format("2006-01-02")) {
			t.Fatalf("timestamp %s outside the window", ts)
		}
		for _, k := range []string{"event_type", "severity", "aws_context", "product_info"} {
			if _, ok := r[k]; !ok {
				t.Fatalf("result lacks %s: %v", k, r)
			}
		}
	}
	sum := e.Metadata.Summary
	if int(sum["total_events"].(float64)) != e.Count || sum["most_common_event_type"] == nil || sum["highest_severity"] == nil {
		t.Fatalf("summary %v", sum)
	}

	// Default limit, the window before the data, and the other source filter.
	e = call(t, cs, "search_ip_addresses", map[string]any{"ip_address": ip, "start_time": day["start_time"], "end_time": day["end_time"]})
	mustSucceed(t, "search_ip_addresses", e)
	if e.Count != min(int(n), 100) {
		t.Fatalf("default limit: %d results", e.Count)
	}
	// They are the newest events of the address in every table (the window is searched in
	// slices, newest first: none may be missed or repeated across slices).
	newest, err := db.QueryTrusted(ctx, `SELECT CAST("time" AS BIGINT) FROM (
		SELECT "time" FROM vpc_flow WHERE src_endpoint.ip = $1 OR dst_endpoint.ip = $1
		UNION ALL SELECT "time" FROM cloud_trail_mgmt WHERE src_endpoint.ip = $1 OR dst_endpoint.ip = $1
		UNION ALL SELECT "time" FROM route53 WHERE src_endpoint.ip = $1 OR dst_endpoint.ip = $1)
		ORDER BY 1 DESC LIMIT 100`, ip)
	if err != nil {
		t.Fatal(err)
	}
	if len(newest.Rows) != e.Count {
		t.Fatalf("%d results, the lake has %d newest events", e.Count, len(newest.Rows))
	}
	for i, r := range e.Results {
		want := time.UnixMilli(newest.Rows[i][0].(int64)).UTC().Format("2006-01-02T15:04:05.000Z")
		if r["timestamp"] != want {
			t.Fatalf("result %d at %v, the %d-th newest event is at %s", i, r["timestamp"], i+1, want)
		}
	}
	e = call(t, cs, "search_ip_addresses", map[string]any{"ip_address": ip, "start_time": demoDay.Add(-72 * time.Hour).Format(time.RFC3339), "end_time": demoDay.Add(-time.Second).Format(time.RFC3339)})
	mustSucceed(t, "search_ip_addresses", e)
	if e.Count != 0 {
		t.Fatalf("%d results before the data", e.Count)
	}
	// The default window (7 days before "now", 36 h after the demo day began) covers the day.
	e = call(t, cs, "search_ip_addresses", map[string]any{"ip_address": ip, "sources": []string{"vpc_flow"}, "limit": 5})
	mustSucceed(t, "search_ip_addresses", e)
	if e.Count != 5 {
		t.Fatalf("default window: %d results", e.Count)
	}
	// Only the source asked for: the address's DNS queries in the Route 53 table.
	dns, err := db.QueryTrusted(ctx, `SELECT count(*) FROM route53 WHERE src_endpoint.ip = ? OR dst_endpoint.ip = ?`, ip, ip)
	if err != nil {
		t.Fatal(err)
	}
	e = call(t, cs, "search_ip_addresses", map[string]any{"ip_address": ip, "sources": []string{"route53"}, "limit": 1000})
	mustSucceed(t, "search_ip_addresses", e)
	if want := min(dns.Rows[0][0].(int64), 1000); int64(e.Count) != want {
		t.Fatalf("route53: %d results, the table has %d", e.Count, want)
	}
	for _, r := range e.Results {
		if r["source_table"] != "route53" {
			t.Fatalf("result from %v", r["source_table"])
		}
	}
}

func TestLocalFindingTools(t *testing.T) {
	srv, db := localServer(t, mcpserver.DefaultSettings())
	cs := connect(t, srv)
	ctx := context.Background()
	want, err := db.QueryTrusted(ctx, `SELECT count(*), count(*) FILTER (WHERE severity_id >= 4) FROM findings`)
	if err != nil {
		t.Fatal(err)
	}
	total, high := want.Rows[0][0].(int64), want.Rows[0][1].(int64)
	if total == 0 {
		t.Fatal("the demo lake has no findings")
	}
	e := call(t, cs, "list_findings", map[string]any{"limit": 1000})
	mustSucceed(t, "list_findings", e)
	if int64(e.Count) != total {
		t.Fatalf("list_findings %d, lake holds %d", e.Count, total)
	}
	e = call(t, cs, "list_findings", map[string]any{"severity": "high"})
	mustSucceed(t, "list_findings", e)
	if int64(e.Count) != high {
		t.Fatalf("high and above: %d, want %d", e.Count, high)
	}
	id := e.Results[0]["finding_id"].(string)
	f := call(t, cs, "get_finding", map[string]any{"finding_id": id})
	mustSucceed(t, "get_finding", f)
	if f.Count != 1 || f.Results[0]["finding_info"].(map[string]any)["uid"] != id {
		t.Fatalf("get_finding %v", f.Results)
	}
	if ev := f.Results[0]["evidences"].([]any); len(ev) == 0 || f.Metadata.Summary["versions"].(float64) < 1 {
		t.Fatalf("finding without evidence or versions: %v", f.Metadata.Summary)
	}
	bad := call(t, cs, "get_finding", map[string]any{"finding_id": "flow.nope:0000"})
	if bad.Success || !bad.isError || !strings.Contains(*bad.Error, "no finding") {
		t.Fatalf("unknown finding: %+v", bad)
	}
	servers := call(t, cs, "list_mcp_servers", nil)
	mustSucceed(t, "list_mcp_servers", servers)
	if servers.Count == 0 {
		t.Fatal("no MCP server in the inventory")
	}
	for _, s := range servers.Results {
		if s["server_ip"] == nil || len(s["rules"].([]any)) == 0 || len(s["finding_ids"].([]any)) == 0 {
			t.Fatalf("server entry %v", s)
		}
	}
}

func TestLocalCatalogTools(t *testing.T) {
	srv, _ := localServer(t, mcpserver.DefaultSettings())
	cs := connect(t, srv)
	e := call(t, cs, "list_data_sources", map[string]any{"include_schema": true})
	mustSucceed(t, "list_data_sources", e)
	var flow map[string]any
	for _, r := range e.Results {
		if r["table_name"] == "vpc_flow" {
			flow = r
		}
	}
	if flow == nil || flow["ocsf_version"] != "1.1.0" || len(flow["columns"].([]any)) < 10 {
		t.Fatalf("vpc_flow source %v", flow)
	}
	res, err := cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: "ocsf://schema/vpc_flow"})
	if err != nil {
		t.Fatal(err)
	}
	if txt := res.Contents[0].Text; !strings.Contains(txt, `"Network Activity"`) || !strings.Contains(txt, "src_endpoint.ip") {
		t.Fatalf("schema resource: %.300s", txt)
	}
	index, err := cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: "ocsf://schema/"})
	if err != nil {
		t.Fatal(err)
	}
	var idx struct {
		Sources []struct{ Table, URI string }
	}
	if err := json.Unmarshal([]byte(index.Contents[0].Text), &idx); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(idx.Sources, func(s struct{ Table, URI string }) bool {
		return s.Table == "vpc_flow" && s.URI == "ocsf://schema/vpc_flow"
	}) {
		t.Fatalf("schema index: %s", index.Contents[0].Text)
	}
	if _, err := cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: "ocsf://schema/nope"}); err == nil {
		t.Fatal("unknown table resource read")
	}
	e = call(t, cs, "test_connection", nil)
	mustSucceed(t, "test_connection", e)
	e = call(t, cs, "discover_aws_resources", nil)
	mustSucceed(t, "discover_aws_resources", e)
	if recs := e.Metadata.Summary["recommendations"].([]any); len(recs) == 0 || !strings.Contains(recs[0].(string), "ASL_MCP_AWS_REGION") {
		t.Fatalf("recommendations %v", recs)
	}
	e = call(t, cs, "universal_security_search", map[string]any{"query_type": "network", "filters": map[string]any{"port": 443, "protocol": "tcp"}, "limit": 10})
	mustSucceed(t, "universal_security_search", e)
	for _, r := range e.Results {
		ni := r["network_info"].(map[string]any)
		if ni["src_port"] != 443.0 && ni["dst_port"] != 443.0 || ni["protocol"] != "TCP" {
			t.Fatalf("network result %v", ni)
		}
	}
}

func TestAthenaBothGenerations(t *testing.T) {
	srv, st := athenaServer(t, mcpserver.DefaultSettings(), athena.Options{})
	cs := connect(t, srv)

	e := call(t, cs, "list_data_sources", nil)
	mustSucceed(t, "list_data_sources", e)
	versions := e.Metadata.Summary["ocsf_versions"].(map[string]any)
	if versions["1.0.0-rc.2"] != 4.0 || versions["1.1.0"] != 4.0 {
		t.Fatalf("ocsf versions %v", versions)
	}

	// 1.2.3.4 is in the version 1 flow samples (three records) and the version 2 example.
	e = call(t, cs, "search_ip_addresses", map[string]any{"ip_address": "1.2.3.4", "start_time": "2022-04-10T00:00:00Z", "end_time": "2022-04-13T00:00:00Z"})
	mustSucceed(t, "search_ip_addresses", e)
	tables := map[string]int{}
	for _, r := range e.Results {
		tables[r["source_table"].(string)]++
		if r["network_info"].(map[string]any)["src_ip"] != "1.2.3.4" || r["aws_context"].(map[string]any)["account_id"] == nil {
			t.Fatalf("result %v", r)
		}
	}
	if e.Count != 4 || tables["amazon_security_lake_table_us_east_1_vpc_flow_1_0"] != 3 || tables["amazon_security_lake_table_us_east_1_vpc_flow_2_0"] != 1 {
		t.Fatalf("results by table %v", tables)
	}
	qi := e.Metadata.QueryInfo
	if qi["query_id"] == nil || qi["bytes_scanned"].(float64) <= 0 {
		t.Fatalf("query info %v", qi)
	}
	for _, q := range st.Received() {
		if strings.Contains(q.SQL, "1.2.3.4") {
			t.Fatalf("a value was spliced into the SQL: %s", q.SQL)
		}
	}
	last := st.Received()[len(st.Received())-1].SQL
	if !strings.Contains(last, `"eventday" BETWEEN ? AND ?`) || !strings.Contains(last, `"time_dt" BETWEEN CAST(? AS TIMESTAMP)`) || !strings.Contains(last, "LIMIT 101") {
		t.Fatalf("query lacks a partition predicate or limit: %s", last)
	}

	// GuardDuty through Security Hub (version 2, finding_info.*).
	e = call(t, cs, "search_guardduty_findings", map[string]any{"finding_type": "cloudtrailloggingdisabled", "start_time": "2023-09-01T00:00:00Z", "end_time": "2023-10-01T00:00:00Z"})
	mustSucceed(t, "search_guardduty_findings", e)
	if e.Count != 1 || e.Results[0]["severity"] != "Low" || !strings.Contains(e.Results[0]["finding_id"].(string), "arn:aws:guardduty") {
		t.Fatalf("guardduty %v", e.Results)
	}
	if e.Results[0]["risk_assessment"] == nil || e.Results[0]["finding_details"] == nil {
		t.Fatalf("finding shape %v", e.Results[0])
	}
	e = call(t, cs, "search_guardduty_findings", map[string]any{"severity": "HIGH", "start_time": "2023-09-01T00:00:00Z", "end_time": "2023-10-01T00:00:00Z"})
	mustSucceed(t, "search_guardduty_findings", e)
	if e.Count != 0 {
		t.Fatalf("high guardduty findings: %d", e.Count)
	}
	// Version 1 (finding.*) holds Security Hub findings only: the findings search falls back.
	e = call(t, cs, "universal_security_search", map[string]any{"query_type": "findings",
		"filters": map[string]any{"product": "GuardDuty", "severity": "critical", "start_time": "2022-08-01T00:00:00Z", "end_time": "2022-08-31T00:00:00Z"}})
	mustSucceed(t, "universal_security_search", e)
	if e.Count != 1 || e.Metadata.QueryInfo["fallback"] == nil || e.Results[0]["product_name"] != "Security Hub" {
		t.Fatalf("fallback: %d results, info %v", e.Count, e.Metadata.QueryInfo)
	}
	// API calls in both generations.
	e = call(t, cs, "universal_security_search", map[string]any{"query_type": "api_calls",
		"filters": map[string]any{"operation": "CreateRole", "start_time": "2023-01-01T00:00:00Z", "end_time": "2023-12-31T00:00:00Z"}})
	mustSucceed(t, "universal_security_search", e)
	if e.Count == 0 {
		t.Fatal("no CreateRole call")
	}
	for _, r := range e.Results {
		if r["aws_context"].(map[string]any)["api_operation"] != "CreateRole" {
			t.Fatalf("api call %v", r)
		}
	}
	e = call(t, cs, "discover_aws_resources", nil)
	mustSucceed(t, "discover_aws_resources", e)
	d := e.Results[0]
	if d["database"] != "amazon_security_lake_glue_db_us_east_1" || len(d["security_lake_buckets"].([]any)) != 1 || d["account_id"] != "123456789012" {
		t.Fatalf("discovery %v", d)
	}
	e = call(t, cs, "test_connection", nil)
	mustSucceed(t, "test_connection", e)
}

func TestAthenaTimeout(t *testing.T) {
	s := mcpserver.DefaultSettings()
	srv, st := athenaServer(t, s, athena.Options{Timeout: 200 * time.Millisecond})
	st.SetDelay(10 * time.Second)
	cs := connect(t, srv)
	e := call(t, cs, "search_ip_addresses", map[string]any{"ip_address": "1.2.3.4"})
	if e.Success || !e.isError || !strings.Contains(*e.Error, "did not finish") {
		t.Fatalf("timeout: %+v", e)
	}
	if len(st.Stopped()) != 1 {
		t.Fatalf("StopQueryExecution calls: %v", st.Stopped())
	}
}

func TestCaching(t *testing.T) {
	srv, st := athenaServer(t, mcpserver.DefaultSettings(), athena.Options{})
	cs := connect(t, srv)
	args := map[string]any{"ip_address": "1.2.3.4", "start_time": "2022-04-10T00:00:00Z", "end_time": "2022-04-13T00:00:00Z"}
	first := call(t, cs, "search_ip_addresses", args)
	n := len(st.Received())
	second := call(t, cs, "search_ip_addresses", args)
	if len(st.Received()) != n || second.Metadata.QueryInfo["cached"] != true || second.Count != first.Count {
		t.Fatalf("second call not served from the cache: %d → %d queries", n, len(st.Received()))
	}
	off := mcpserver.DefaultSettings()
	if err := off.Set("ENABLE_QUERY_CACHING", "false"); err != nil {
		t.Fatal(err)
	}
	srv2, st2 := athenaServer(t, off, athena.Options{})
	cs2 := connect(t, srv2)
	call(t, cs2, "search_ip_addresses", args)
	call(t, cs2, "search_ip_addresses", args)
	if got := len(st2.Received()); got < 2 {
		t.Fatalf("caching off: %d queries for two calls", got)
	}
}
