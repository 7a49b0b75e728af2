package detect_test

import (
	"compress/gzip"
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/demo"
	"github.com/mcpwatch/mcpwatch/internal/detect"
	"github.com/mcpwatch/mcpwatch/internal/finding"
	"github.com/mcpwatch/mcpwatch/internal/intel"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/ocsf/schema"
	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/vpcflow"
)

// observer feeds a reader's events to a detector.
type observer struct {
	d     detect.Detector
	input string
}

func (o *observer) Event(ev ocsf.Event, pos int64) error {
	o.d.Observe(ev, detect.Ref{Table: "VPC_FLOW", Input: o.input, Pos: pos})
	return nil
}
func (o *observer) DeadLetter([]byte, int64, string) error { return nil }
func (o *observer) Skip(int64, string) error               { return nil }

// detectDemo generates the demo's flow logs, reads them with the VPC Flow Logs reader and
// runs the flow rules over them.
func detectDemo(t *testing.T, benign bool) (*demo.Result, []ocsf.DetectionFinding) {
	t.Helper()
	ctx := context.Background()
	res, err := demo.Generate(ctx, demo.Config{Dir: t.TempDir(), Records: 50_000, Seed: 7,
		Day: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), Benign: benign})
	if err != nil {
		t.Fatal(err)
	}
	cfg := detect.Config{}
	if res.IntelFile != "" {
		f, err := os.Open(res.IntelFile)
		if err != nil {
			t.Fatal(err)
		}
		set, perrs, err := intel.Load(res.IntelFile, f)
		f.Close()
		if err != nil || len(perrs) > 0 {
			t.Fatalf("intel: %v %v", err, perrs)
		}
		cfg.Intel = set
	}
	d, err := detect.NewFlowDetector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range res.Files {
		fh, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(fh)
		if err != nil {
			t.Fatal(err)
		}
		in := source.Input{Name: name, R: zr}
		// AWSLogs/<account>/vpcflowlogs/<region>/...: the hints the default format needs.
		parts := strings.Split(filepath.ToSlash(name), "/")
		if i := slices.Index(parts, "AWSLogs"); i >= 0 && i+3 < len(parts) {
			in.Account, in.Region = parts[i+1], parts[i+3]
		}
		if err := (vpcflow.Format{}).Read(ctx, in, &observer{d: d, input: name}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		fh.Close()
	}
	st := d.Stats()
	if st.Flows < 40_000 || st.Dropped != 0 {
		t.Fatalf("stats %+v", st)
	}
	return res, d.Flush(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC))
}

// reserved are the documentation ranges the demo keeps for scenarios and the intel list.
var reserved = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("198.18.0.0/15"),
}

func touchesReserved(f ocsf.DetectionFinding) bool {
	for _, o := range f.Observables {
		if a, err := netip.ParseAddr(o.Value); err == nil {
			for _, p := range reserved {
				if p.Contains(a) {
					return true
				}
			}
		}
	}
	return false
}

// TestDemoScenarios runs the flow rules over the demo's generated day of flow logs: every
// shadow-MCP scenario is found with the severity it deserves, the threat-intel and
// exfiltration rules fire on nothing but the scenarios, and every finding is valid OCSF and
// valid ASFF.
func TestDemoScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and reads 50,000 flow-log records")
	}
	res, fs := detectDemo(t, false)
	if len(res.Scenarios) == 0 {
		t.Fatal("the demo has no scenarios")
	}
	for _, sc := range res.Scenarios {
		found := false
		for _, f := range fs {
			if f.FindingInfo.Analytic.UID != sc.Expect.Rule || f.Cloud.Account.UID != sc.Expect.Account {
				continue
			}
			obs := map[string]bool{}
			for _, o := range f.Observables {
				obs[o.Value] = true
			}
			all := true
			for _, v := range sc.Expect.Observables {
				all = all && obs[v]
			}
			if all {
				found = true
				if f.SeverityID < sc.Expect.MinSeverity {
					t.Errorf("scenario %s: %s has severity %s, want at least %s", sc.ID, f.FindingInfo.Title,
						f.Severity, ocsf.SeverityName(sc.Expect.MinSeverity))
				}
			}
		}
		if !found {
			t.Errorf("scenario %s (%s) not detected: no %s finding with %v", sc.ID, sc.Title, sc.Expect.Rule, sc.Expect.Observables)
		}
	}
	for _, f := range fs {
		if rule := f.FindingInfo.Analytic.UID; rule != detect.RuleMCPPort && !touchesReserved(f) {
			t.Errorf("benign traffic raised %s: %s", rule, f.FindingInfo.Title)
		}
		if _, err := finding.ToASFF(f, finding.ASFFOptions{}); err != nil {
			t.Errorf("ToASFF: %v", err)
		}
		if err := schema.Validate(&f); err != nil {
			t.Errorf("OCSF: %s: %v", f.FindingInfo.Title, err)
		}
	}
}

// TestDemoBenign checks the benign day: nothing but weak candidate-port findings, each Low.
func TestDemoBenign(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and reads 50,000 flow-log records")
	}
	_, fs := detectDemo(t, true)
	for _, f := range fs {
		if f.FindingInfo.Analytic.UID != detect.RuleMCPPort || f.SeverityID != ocsf.SeverityLow {
			t.Errorf("benign traffic raised %s %s: %s", f.FindingInfo.Analytic.UID, f.Severity, f.FindingInfo.Title)
		}
	}
	t.Logf("%d candidate-port findings on benign traffic", len(fs))
}
