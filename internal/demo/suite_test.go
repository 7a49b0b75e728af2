package demo_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/mcpwatch/mcpwatch/internal/demo"
	"github.com/mcpwatch/mcpwatch/internal/detect"
	"github.com/mcpwatch/mcpwatch/internal/ingest"
	"github.com/mcpwatch/mcpwatch/internal/intel"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/rules"
	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/cloudtrail"
	"github.com/mcpwatch/mcpwatch/internal/source/guardduty"
	"github.com/mcpwatch/mcpwatch/internal/source/route53"
	"github.com/mcpwatch/mcpwatch/internal/source/vpcflow"
)

// feed passes every event a reader produces to a detector.
type feed struct {
	d     detect.Detector
	table string
	input string
}

func (f *feed) Event(ev ocsf.Event, pos int64) error {
	f.d.Observe(ev, detect.Ref{Table: f.table, Input: f.input, Pos: pos})
	return nil
}
func (f *feed) DeadLetter(raw []byte, pos int64, reason string) error { return nil }
func (f *feed) Skip(int64, string) error                              { return nil }

// detectAll generates a small demo day with every source, reads each file with the reader
// its content calls for, in the order ingest takes them (a directory walk: per account,
// CloudTrail, then GuardDuty, then every hour of DNS, then every hour of flows — sources do
// not arrive interleaved in time), and runs what the CLI runs: the native flow rules and the
// rule engine over the built-in pack, with the demo's threat intel.
func detectAll(t *testing.T, benign bool, seed uint64) (*demo.Result, []ocsf.DetectionFinding) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	res, err := demo.Generate(ctx, demo.Config{Dir: dir, Records: 40_000, Seed: seed,
		Day: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), Benign: benign, Sources: demo.AllSources})
	if err != nil {
		t.Fatal(err)
	}
	cfg := detect.Config{}
	if res.IntelFile != "" {
		set, bad, err := intel.LoadFile(res.IntelFile, intel.Options{})
		if err != nil || len(bad) > 0 {
			t.Fatalf("intel: %v %v", err, bad)
		}
		cfg.Intel = set
	}
	flow, err := detect.NewFlowDetector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	set, err := rules.Compile(rs, rules.Env{Intel: cfg.Intel})
	if err != nil {
		t.Fatal(err)
	}
	pack := &detect.Pack{Flow: flow, Engine: detect.NewEngine(detect.EngineConfig{Rules: set, Intel: cfg.Intel})}
	reg := source.NewRegistry(vpcflow.Format{}, cloudtrail.Format{}, route53.Format{}, guardduty.Format{})
	refs, err := ingest.Resolve([]string{filepath.Join(dir, "AWSLogs")})
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != len(res.Files) {
		t.Fatalf("ingest resolves %d inputs, the demo wrote %d files", len(refs), len(res.Files))
	}
	for _, ref := range refs {
		name := ref.Path
		fh, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(fh)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		data, err := io.ReadAll(zr)
		fh.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		f, err := reg.Detect(data[:min(len(data), 64<<10)])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := f.Read(ctx, source.Input{Name: name, R: bytes.NewReader(data)}, &feed{d: pack, table: f.Table(), input: name}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	return res, pack.Flush(time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC))
}

// TestScenarioSuite: every scenario of a demo day with every source is found by the native
// rules and the built-in pack together, each with at least the severity it deserves, and
// every rule of the pack that can fire on the demo has a scenario.
func TestScenarioSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and reads a day of every source")
	}
	res, fs := detectAll(t, false, 7)
	byRule := map[string]bool{}
	for _, sc := range res.Scenarios {
		byRule[sc.Expect.Rule] = true
		if f, ok := sc.Match(fs); ok {
			t.Logf("%-28s found: %s %s %q", sc.ID, f.FindingInfo.Analytic.UID, f.Severity, f.FindingInfo.Title)
			continue
		}
		t.Errorf("scenario %s (%s) not found: no %s finding in %s with %v at %s or above", sc.ID, sc.Title,
			sc.Expect.Rule, sc.Expect.Account, sc.Expect.Observables, ocsf.SeverityName(sc.Expect.MinSeverity))
		for _, f := range fs {
			if f.FindingInfo.Analytic.UID == sc.Expect.Rule {
				var obs []string
				for _, o := range f.Observables {
					obs = append(obs, o.Value)
				}
				t.Logf("  candidate %s %s in %s: %q %v", f.FindingInfo.Analytic.UID, f.Severity, f.Account(), f.FindingInfo.Title, obs)
			}
		}
	}
	if len(res.Scenarios) < 19 {
		t.Errorf("%d scenarios listed with every source generated", len(res.Scenarios))
	}
	// Every rule of the pack that raises findings and has something to fire on in the demo is
	// exercised by a scenario.
	for _, name := range []string{
		"dns.mcp_catalogue_lookup", "dns.mcp_heuristic_lookup", "dnsflow.mcp_connection",
		"network.internal_mcp_default_port_server", "cloudtrail.ec2_user_data_mcp", "cloudtrail.ssm_send_command_mcp",
		"cloudtrail.ecs_task_mcp_image", "cloudtrail.agentcore_mcp_deploy", "cloudtrail.sg_mcp_port_open_world",
		"cloudtrail.apigw_mcp_route",
	} {
		if !byRule[name] {
			t.Errorf("no scenario expects %s", name)
		}
	}
	// Nothing above Low on anything but the scenarios' own hosts and addresses.
	for _, f := range fs {
		if f.SeverityID > ocsf.SeverityLow && !scenarioFinding(res, f) {
			t.Errorf("unexpected %s %s: %s", f.FindingInfo.Analytic.UID, f.Severity, f.FindingInfo.Title)
		}
	}
}

// scenarioFinding reports whether f is about one of the scenarios: it has a scenario's rule
// and account and carries one of its observables, or touches a documentation address.
func scenarioFinding(res *demo.Result, f ocsf.DetectionFinding) bool {
	for _, o := range f.Observables {
		if strings.HasPrefix(o.Value, "192.0.2.") || strings.HasPrefix(o.Value, "198.51.100.") ||
			strings.HasPrefix(o.Value, "203.0.113.") || strings.HasPrefix(o.Value, "2001:db8:") {
			return true
		}
	}
	for _, sc := range res.Scenarios {
		if sc.Expect.Rule == f.FindingInfo.Analytic.UID && sc.Expect.Account == f.Account() {
			return true
		}
	}
	return false
}

// TestScenarioSuiteBenign: a benign day of every source yields nothing above Low with the
// full pack.
func TestScenarioSuiteBenign(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and reads a day of every source")
	}
	res, fs := detectAll(t, true, 11)
	if len(res.Scenarios) != 0 {
		t.Fatalf("benign day lists %d scenarios", len(res.Scenarios))
	}
	low := map[string]int{}
	for _, f := range fs {
		if f.SeverityID > ocsf.SeverityLow {
			t.Errorf("benign data raised %s %s: %s", f.FindingInfo.Analytic.UID, f.Severity, f.FindingInfo.Title)
		}
		low[f.FindingInfo.Analytic.UID]++
	}
	t.Logf("Low findings on benign data by rule: %v", low)
}
