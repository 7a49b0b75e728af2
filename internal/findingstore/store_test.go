package findingstore

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/finding"
	"github.com/mcpwatch/mcpwatch/internal/lake"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/ocsf/schema"
)

// detection returns a detection of the rule "test.rule" on entity at the given times.
func detection(entity string, count int32, first, last time.Time) ocsf.DetectionFinding {
	var f ocsf.DetectionFinding
	f.Classify(ocsf.ClassDetectionFinding, finding.ActivityCreate)
	f.SetSeverity(ocsf.SeverityMedium)
	f.SetTime(last)
	f.Metadata = ocsf.Metadata{Version: ocsf.Version, Product: ocsf.Product{Name: "mcpwatch", VendorName: "mcpwatch"},
		Profiles: []string{"cloud", "datetime", "security_control"}, ModifiedTime: last.UnixMilli()}
	f.Cloud = ocsf.Cloud{Provider: "AWS", Region: "us-east-1", Account: ocsf.Account{UID: "123456789012"}}
	f.FindingInfo = ocsf.FindingInfo{UID: finding.Key("test.rule", entity), Title: "test finding on " + entity,
		Analytic:      ocsf.Analytic{UID: "test.rule", Name: "test", Type: "Rule", TypeID: ocsf.AnalyticRule},
		FirstSeenTime: first.UnixMilli(), FirstSeenTimeDT: first.UTC(), LastSeenTime: last.UnixMilli(), LastSeenTimeDT: last.UTC(),
		CreatedTime: last.UnixMilli(), CreatedTimeDT: last.UTC(), ModifiedTime: last.UnixMilli(), ModifiedTimeDT: last.UTC()}
	f.Count = count
	f.Status, f.StatusID = "New", ocsf.StatusNew
	f.Confidence, f.ConfidenceID = "Medium", ocsf.ConfidenceMedium
	f.Action, f.ActionID = "Allowed", 1
	return f
}

func openLake(t *testing.T) *lake.Lake {
	t.Helper()
	l, err := lake.Open(t.TempDir(), lake.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func only(t *testing.T, l *lake.Lake) ocsf.DetectionFinding {
	t.Helper()
	fs, err := Load(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 {
		t.Fatalf("%d current findings, want 1", len(fs))
	}
	if err := schema.Validate(&fs[0]); err != nil {
		t.Fatalf("stored finding is not valid OCSF: %v", err)
	}
	return fs[0]
}

func TestAccumulateAddsUp(t *testing.T) {
	ctx := context.Background()
	l := openLake(t)
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	res, err := Save(ctx, l, []ocsf.DetectionFinding{detection("a", 3, t0, t0.Add(time.Hour))}, Accumulate, t0.Add(2*time.Hour))
	if err != nil || res.New != 1 || res.Updated != 0 {
		t.Fatalf("first save: %+v %v", res, err)
	}
	res, err = Save(ctx, l, []ocsf.DetectionFinding{detection("a", 2, t0.Add(3*time.Hour), t0.Add(4*time.Hour))}, Accumulate, t0.Add(5*time.Hour))
	if err != nil || res.New != 0 || res.Updated != 1 {
		t.Fatalf("second save: %+v %v", res, err)
	}
	f := only(t, l)
	if f.Count != 5 || f.FindingInfo.FirstSeenTime != t0.UnixMilli() || f.FindingInfo.LastSeenTime != t0.Add(4*time.Hour).UnixMilli() {
		t.Fatalf("count %d, first %d, last %d", f.Count, f.FindingInfo.FirstSeenTime, f.FindingInfo.LastSeenTime)
	}
	if f.ActivityID != finding.ActivityUpdate || f.Metadata.ModifiedTime != t0.Add(5*time.Hour).UnixMilli() {
		t.Fatalf("activity %d, modified %d", f.ActivityID, f.Metadata.ModifiedTime)
	}
}

// TestRecomputeReplacesCountsKeepsStatus is the detect command: a re-detection over stored
// data replaces the count, and what people set (status) survives.
func TestRecomputeReplacesCountsKeepsStatus(t *testing.T) {
	ctx := context.Background()
	l := openLake(t)
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	f := detection("a", 7, t0, t0.Add(time.Hour))
	f.Status, f.StatusID = "In Progress", ocsf.StatusInProgress
	if _, err := Save(ctx, l, []ocsf.DetectionFinding{f}, Accumulate, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := Save(ctx, l, []ocsf.DetectionFinding{detection("a", 7, t0, t0.Add(time.Hour))}, Recompute, t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	got := only(t, l)
	if got.Count != 7 || got.StatusID != ocsf.StatusInProgress {
		t.Fatalf("count %d (want 7, not 14), status %q", got.Count, got.Status)
	}
}

func TestSaveNothingWritesNothing(t *testing.T) {
	l := openLake(t)
	res, err := Save(context.Background(), l, nil, Accumulate, time.Now())
	if err != nil || res.New+res.Updated != 0 || len(res.Files) != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	if fs, err := Load(context.Background(), l); err != nil || len(fs) != 0 {
		t.Fatalf("%d findings, %v", len(fs), err)
	}
}
