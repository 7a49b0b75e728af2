package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mcpwatch/mcpwatch/internal/demo"
	"github.com/mcpwatch/mcpwatch/internal/finding"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/ocsf/schema"
	"github.com/mcpwatch/mcpwatch/internal/s3test"
)

// run executes the command line and returns its exit status and output.
func run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// TestDemoEndToEnd runs the demo as a user does, then checks what the other commands say
// about the lake it built: every scenario is found, findings are valid OCSF and ASFF, the
// query engine sees the stored flows, and a second run adds nothing.
func TestDemoEndToEnd(t *testing.T) {
	dir := t.TempDir()
	lake := filepath.Join(dir, "lake")
	code, out, errs := run(t, "", "--lake", lake, "demo", "--records", "200000", "--seed", "5", "--day", "2026-11-21",
		"--out", filepath.Join(dir, "in"), "--format", "json")
	if code != 0 {
		t.Fatalf("demo exit %d\n%s\n%s", code, out, errs)
	}
	var rep demoReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("demo --format json: %v\n%s", err, out)
	}
	// Flows, and the DNS queries, CloudTrail events and GuardDuty findings that go with them.
	if rep.Generated != 200000 || rep.Ingest.Read <= 200000 || rep.Ingest.Stored != rep.Ingest.Read || !rep.Ingest.Reconciles() || rep.Ingest.Failed != 0 {
		t.Fatalf("ingest counts %+v, %d failed inputs", rep.Ingest.Counts, rep.Ingest.Failed)
	}
	if len(rep.Scenarios) != 19 || rep.Missed != 0 { // every source: flows, DNS, DNS→flow, CloudTrail, escalation
		t.Fatalf("scenarios %+v", rep.Scenarios)
	}
	if rep.BySeverity["Critical"] == 0 || rep.BySeverity["High"] == 0 {
		t.Fatalf("severities %v", rep.BySeverity)
	}

	// Findings as OCSF: every one validates against the schema.
	code, out, errs = run(t, "", "--lake", lake, "findings", "--format", "ndjson")
	if code != 0 {
		t.Fatalf("findings exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != rep.Findings {
		t.Fatalf("findings printed %d, lake holds %d", len(lines), rep.Findings)
	}
	for _, l := range lines {
		var f ocsf.DetectionFinding
		if err := json.Unmarshal([]byte(l), &f); err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(&f); err != nil {
			t.Fatalf("finding %s is not valid OCSF: %v", f.FindingInfo.UID, err)
		}
	}
	code, out, _ = run(t, out, "validate", "-")
	if code != 0 || !strings.Contains(out, "invalid") || !strings.Contains(out, " 0 invalid") {
		t.Fatalf("validate of findings: exit %d\n%s", code, out)
	}

	// Findings as ASFF: a JSON array of valid findings.
	code, out, errs = run(t, "", "--lake", lake, "findings", "--format", "asff", "--min-severity", "medium")
	if code != 0 {
		t.Fatalf("findings asff exit %d: %s", code, errs)
	}
	var asff []finding.ASFF
	if err := json.Unmarshal([]byte(out), &asff); err != nil {
		t.Fatal(err)
	}
	if len(asff) < 4 {
		t.Fatalf("%d ASFF findings at medium or above", len(asff))
	}
	for _, a := range asff {
		if err := finding.ValidateASFF(a); err != nil {
			t.Fatalf("ASFF %s: %v", a.Id, err)
		}
	}

	// The query engine sees the flows and the findings.
	code, out, errs = run(t, "", "--lake", lake, "query", "--format", "csv",
		"SELECT count(*) AS n, count(DISTINCT accountid) AS accounts FROM vpc_flow")
	if code != 0 || strings.ReplaceAll(strings.TrimSpace(out), "\r", "") != "n,accounts\n200000,3" {
		t.Fatalf("query exit %d: %q %s", code, out, errs)
	}
	// Every source landed in its table, and they add up to what was read.
	code, out, errs = run(t, "", "--lake", lake, "query", "--format", "csv",
		"SELECT (SELECT count(*) FROM route53) > 0 AND (SELECT count(*) FROM cloud_trail_mgmt) > 0 AND (SELECT count(*) FROM sh_findings) > 0 AS all_sources, "+
			"(SELECT count(*) FROM vpc_flow) + (SELECT count(*) FROM route53) + (SELECT count(*) FROM cloud_trail_mgmt) + (SELECT count(*) FROM sh_findings) AS total")
	if want := fmt.Sprintf("all_sources,total\ntrue,%d", rep.Ingest.Stored); code != 0 || strings.ReplaceAll(strings.TrimSpace(out), "\r", "") != want {
		t.Fatalf("tables: exit %d: %q, want %q %s", code, out, want, errs)
	}
	code, _, errs = run(t, "", "--lake", lake, "query", "DROP VIEW vpc_flow")
	if code == 0 || !strings.Contains(errs, "read-only") {
		t.Fatalf("a write statement was not refused: exit %d %s", code, errs)
	}

	// Retro-hunting: detect re-reads every table of the lake and runs every rule again; in any
	// table order it finds nothing the streaming run did not.
	code, out, errs = run(t, "", "--lake", lake, "detect", "--since", "3650d")
	if code != 0 || !strings.Contains(out, "findings: 0 new, ") || !strings.Contains(out, fmt.Sprintf("read %d events", rep.Ingest.Stored)) {
		t.Fatalf("detect exit %d: %s %s", code, out, errs)
	}

	// The same correlation as SQL over the lake finds the internal shadow MCP server the
	// streaming engine found.
	code, out, errs = run(t, "", "--lake", lake, "rules", "sql", "network.internal_mcp_default_port_server", "--since", "3650d",
		"--run", "--format", "csv")
	if rows := strings.Split(strings.TrimSpace(out), "\n"); code != 0 || len(rows) < 2 || !strings.Contains(out, ",8000,") {
		t.Fatalf("rules sql --run: exit %d\n%s%s", code, out, errs)
	}

	// Running the demo again adds nothing: the lake recognizes every file.
	code, out, errs = run(t, "", "--lake", lake, "demo", "--records", "200000", "--seed", "5", "--day", "2026-11-21",
		"--out", filepath.Join(dir, "in"), "--format", "json")
	if code != 0 {
		t.Fatalf("second demo exit %d: %s", code, errs)
	}
	rep = demoReport{}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Ingest.Read != 0 || rep.Ingest.Duplicates != rep.Files || rep.Missed != 0 {
		t.Fatalf("second run: read %d, %d duplicates of %d files, %d missed", rep.Ingest.Read, rep.Ingest.Duplicates, rep.Files, rep.Missed)
	}
}

// TestDemoBenignOnly checks benign traffic alone yields nothing above Low.
func TestDemoBenignOnly(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := run(t, "", "--lake", filepath.Join(dir, "lake"), "demo", "--benign", "--records", "200000",
		"--seed", "11", "--day", "2026-11-21", "--out", filepath.Join(dir, "in"), "--format", "json")
	if code != 0 {
		t.Fatalf("demo --benign exit %d\n%s\n%s", code, out, errs)
	}
	var rep demoReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Unexpected) != 0 || rep.BySeverity["Medium"]+rep.BySeverity["High"]+rep.BySeverity["Critical"] != 0 {
		t.Fatalf("benign traffic raised %v: %v", rep.BySeverity, rep.Unexpected)
	}
	if rep.BySeverity["Low"] == 0 {
		t.Fatal("benign services on candidate MCP ports should still yield Low port findings")
	}
}

// TestRulesCommands runs rules list, test and lint on the built-in pack and on an
// organization's own rules.
func TestRulesCommands(t *testing.T) {
	code, out, errs := run(t, "", "rules", "list")
	for _, want := range []string{"flow.threat_intel", "native", "dns.mcp_catalogue_lookup", "dnsflow.mcp_connection", "correlation/temporal"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("rules list: exit %d, no %q\n%s%s", code, want, out, errs)
		}
	}
	code, out, errs = run(t, "", "rules", "test")
	if code != 0 || !strings.Contains(out, " 0 failed") {
		t.Fatalf("rules test: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = run(t, "", "rules", "lint")
	if code != 0 || !strings.Contains(out, " 0 errors") {
		t.Fatalf("rules lint: exit %d\n%s%s", code, out, errs)
	}

	code, out, errs = run(t, "", "rules", "sql", "dns.mcp_catalogue_lookup")
	if code != 0 || !strings.Contains(out, `FROM "route53"`) || !strings.Contains(out, "-- parameters:") || strings.Contains(out, "'mcp.atlassian.com'") {
		t.Fatalf("rules sql: exit %d\n%s%s", code, out, errs)
	}
	code, _, errs = run(t, "", "rules", "sql", "cloudtrail.ec2_user_data_mcp")
	if code == 0 || !strings.Contains(errs, "not expressible in SQL") {
		t.Fatalf("rules sql of a catalogue_command rule: exit %d %s", code, errs)
	}

	// An organization's rule whose negative test case matches: rules test says which and fails.
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "ours.yml"), `title: Lookups of our MCP gateway
id: 0f0e4c1a-9d7b-4c55-8a51-3d1f1a2b3c4d
name: org.gateway_lookup
level: low
tags: [attack.command_and_control]
logsource: {product: aws, service: route53}
detection:
  selection:
    query.hostname|endswith: .mcp.corp.example
  condition: selection
mcpwatch:
  finding_types: [UnauthorizedMCP/Communication]
  entity: [src_endpoint.ip]
  remediation: Use the sanctioned gateway.
tests:
  - name: a gateway lookup
    match: true
    events:
      - {class_uid: 4003, activity_id: 6, time: 1795249691000, cloud: {account: {uid: "111122223333"}, region: us-east-1}, src_endpoint: {ip: 10.0.0.5}, query: {hostname: a.mcp.corp.example}}
  - name: wrongly expected not to match
    match: false
    events:
      - {class_uid: 4003, activity_id: 6, time: 1795249691000, cloud: {account: {uid: "111122223333"}, region: us-east-1}, src_endpoint: {ip: 10.0.0.5}, query: {hostname: b.mcp.corp.example}}
`)
	code, out, errs = run(t, "", "rules", "test", "--rules", dir)
	if code != 1 || !strings.Contains(out, "org.gateway_lookup") || !strings.Contains(out, "wrongly expected not to match") ||
		!strings.Contains(out, " 1 failed") {
		t.Fatalf("rules test with a failing case: exit %d\n%s%s", code, out, errs)
	}
	code, out, _ = run(t, "", "rules", "list", "--rules", dir, "--format", "csv")
	if code != 0 || !strings.Contains(out, "org.gateway_lookup") || !strings.Contains(out, "ours.yml") {
		t.Fatalf("rules list --rules: exit %d\n%s", code, out)
	}
	writeFile(t, filepath.Join(dir, "bad.yml"), "title: broken\nname: org.broken\nlogsource: {product: aws, service: route53}\ndetection:\n  sel:\n    no.such.field: x\n  condition: sel\n")
	code, out, errs = run(t, "", "rules", "lint", "--rules", dir)
	if code != 1 || !strings.Contains(out+errs, "no.such.field") {
		t.Fatalf("rules lint of a bad rule: exit %d\n%s%s", code, out, errs)
	}
}

func TestIngestExitStatus(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "garbage.bin")
	writeFile(t, bin, "\x00\x01\x02 not a log")
	code, out, _ := run(t, "", "--lake", filepath.Join(dir, "lake"), "ingest", bin)
	if code != 1 || !strings.Contains(out, "matches no known format") {
		t.Fatalf("unreadable-only input: exit %d\n%s", code, out)
	}
	good := filepath.Join(dir, "flows.log")
	writeFile(t, good, "2 123456789012 eni-0a1b2c3d4e5f60718 10.0.1.5 203.0.113.9 44321 443 6 10 8400 1772323200 1772323260 ACCEPT OK\n")
	code, out, _ = run(t, "", "--lake", filepath.Join(dir, "lake"), "ingest", "--records-region", "us-east-1", bin, good)
	if code != 0 || !strings.Contains(out, "read 1 records = stored 1") {
		t.Fatalf("one good input among bad ones: exit %d\n%s", code, out)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"findings", "--format", "xml"}, "--format"},
		{[]string{"findings", "--min-severity", "huge"}, "--min-severity"},
		{[]string{"ingest", "--source", "nope", "x"}, "unknown source format"},
		{[]string{"ingest", "--mcp-ports", "0", "x"}, "--mcp-ports"},
		{[]string{"ingest", "--exfil-bytes", "lots", "x"}, "--exfil-bytes"},
		{[]string{"detect", "--since", "yesterday"}, "--since"},
		{[]string{"--log-level", "loud", "version"}, "--log-level"},
		{[]string{"demo", "--day", "21/11/2026"}, "--day"},
	}
	for _, tt := range tests {
		code, _, errs := run(t, "", append([]string{"--lake", t.TempDir()}, tt.args...)...)
		if code == 0 || !strings.Contains(errs, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want an error about %s", tt.args, code, errs, tt.want)
		}
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestS3EndToEnd ingests flow logs from S3 into a lake in S3 and lists the findings from it,
// with the AWS flags a user passes for an S3-compatible store.
func TestS3EndToEnd(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "SECRETTEST")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	srv := s3test.Start(t, "flow-logs", "sec-lake")
	ctx := context.Background()
	dir := t.TempDir()
	res, err := demo.Generate(ctx, demo.Config{Dir: dir, Records: 30000, Seed: 2, Day: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(res.Files, res.IntelFile) {
		rel, _ := filepath.Rel(dir, f)
		b, _ := os.ReadFile(f)
		if _, err := srv.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("flow-logs"), Key: aws.String(filepath.ToSlash(rel)),
			Body: bytes.NewReader(b)}); err != nil {
			t.Fatal(err)
		}
	}
	flags := []string{"--endpoint-url", srv.URL, "--region", "us-east-1", "--lake", "s3://sec-lake/ext/mcpwatch"}
	code, out, errs := run(t, "", append(flags, "ingest", "--intel", res.IntelFile, "--format", "json", "s3://flow-logs/AWSLogs/")...)
	if code != 0 {
		t.Fatalf("ingest exit %d\n%s\n%s", code, out, errs)
	}
	var run1 ingestRun
	if err := json.Unmarshal([]byte(out), &run1); err != nil {
		t.Fatal(err)
	}
	if run1.Read != 30000 || run1.Stored != 30000 || run1.Lake != "s3://sec-lake/ext/mcpwatch" || run1.Findings.New == 0 {
		t.Fatalf("ingest: %+v, lake %s, findings %+v", run1.Counts, run1.Lake, run1.Findings)
	}
	code, out, errs = run(t, "", append(flags, "findings", "--min-severity", "high", "--format", "csv")...)
	if code != 0 || !strings.Contains(out, "flow.threat_intel") || !strings.Contains(out, "flow.exfiltration") {
		t.Fatalf("findings from the S3 lake: exit %d\n%s\n%s", code, out, errs)
	}
	code, _, errs = run(t, "", append(flags, "query", "SELECT 1")...)
	if code == 0 || !strings.Contains(errs, "Athena") {
		t.Fatalf("query on an S3 lake: exit %d, %s", code, errs)
	}
}

// TestRealSamplesRaiseNothingAboveLow ingests every real AWS sample of the reference data
// (raw CloudTrail, Route 53, Security Hub and VPC flow inputs, and Security Lake's own Parquet
// outputs) with the full rule pack: benign background from real accounts must raise nothing
// above Low.
func TestRealSamplesRaiseNothingAboveLow(t *testing.T) {
	data, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "data"))
	if err != nil {
		t.Fatal(err)
	}
	samples := filepath.Join(data, "security-lake-samples", "samples")
	examples := filepath.Join(data, "ocsf-examples", "aws", "v1.1.0")
	if _, err := os.Stat(samples); err != nil {
		t.Skipf("reference data not found: %v", err)
	}
	lake := filepath.Join(t.TempDir(), "lake")
	code, out, errs := run(t, "", "--lake", lake, "ingest", "--format", "json", "--records-region", "us-east-1",
		"--records-account", "123456789012", samples, examples)
	var sum struct {
		Read     int64 `json:"read"`
		Stored   int64 `json:"stored"`
		Findings struct {
			New int `json:"new"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &sum); code != 0 || err != nil || sum.Stored < 50 {
		t.Fatalf("ingest of the samples: exit %d, %v, stored %d\n%s", code, err, sum.Stored, errs)
	}
	code, out, errs = run(t, "", "--lake", lake, "findings", "--min-severity", "medium", "--format", "ndjson")
	if code != 0 || strings.TrimSpace(out) != "" {
		t.Fatalf("real benign samples raised findings above Low (exit %d):\n%s%s", code, out, errs)
	}
	t.Logf("%d records stored from the samples, %d findings (all Low or below)", sum.Stored, sum.Findings.New)
}
