package finding

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

func TestKey(t *testing.T) {
	// A golden value, computed independently of this code with
	//   python3 -c "import hashlib; h=hashlib.sha256()
	//   [h.update(f'{len(s)}:{s}'.encode()) for s in ['mcpwatch/finding-key/v1',
	//   'flow.threat_intel','111111111111','10.0.0.5','198.51.100.77']]; print(h.hexdigest()[:32])"
	// The scheme must not change, or every stored finding is re-keyed.
	if got, want := Key("flow.threat_intel", "111111111111", "10.0.0.5", "198.51.100.77"),
		"flow.threat_intel:051df5a600e0b1d5e64cf7a740a98d77"; got != want {
		t.Fatalf("Key = %s, want %s", got, want)
	}
	distinct := [][]string{
		{"r", "a", "bc"},
		{"r", "ab", "c"},
		{"r", "abc"},
		{"r", "abc", ""},
		{"s", "abc"},
		{"r"},
		{"r", ""},
	}
	seen := map[string][]string{}
	for _, d := range distinct {
		k := Key(d[0], d[1:]...)
		if prev, ok := seen[k]; ok {
			t.Errorf("Key%q == Key%q", d, prev)
		}
		seen[k] = d
		if Key(d[0], d[1:]...) != k {
			t.Errorf("Key%q not deterministic", d)
		}
	}
}

// ms is a fixed instant plus minutes, in epoch milliseconds.
func ms(minutes int) int64 {
	return time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC).Add(time.Duration(minutes) * time.Minute).UnixMilli()
}

func evidence(t int64, src string) ocsf.Evidence {
	return ocsf.Evidence{
		SrcEndpoint: ocsf.NetworkEndpoint{IP: src},
		DstEndpoint: ocsf.NetworkEndpoint{IP: "198.51.100.77"},
		Data:        fmt.Sprintf(`{"ref":{"table":"VPC_FLOW"},"time":%d}`, t),
	}
}

// version builds a finding version seen from minute first to minute last with count flows.
func version(first, last int, count int32, sev int32, evs ...ocsf.Evidence) ocsf.DetectionFinding {
	var f ocsf.DetectionFinding
	f.Classify(ocsf.ClassDetectionFinding, ActivityCreate)
	f.SetSeverity(sev)
	f.SetTime(time.UnixMilli(ms(last)))
	f.Metadata = ocsf.Metadata{Version: ocsf.Version, Product: ocsf.Product{Name: ProductName, VendorName: ProductName},
		Profiles: []string{"cloud", "datetime", "security_control"}, ModifiedTime: ms(last + 1)}
	f.ActionID, f.Action = 1, "Allowed"
	f.Cloud = ocsf.Cloud{Provider: "AWS", Region: "us-east-1", Account: ocsf.Account{UID: "111111111111"}}
	fi := &f.FindingInfo
	fi.UID = "flow.threat_intel:abc"
	fi.Title = "title"
	fi.Types = []string{"TTPs/Command and Control"}
	setMillis(&fi.FirstSeenTime, &fi.FirstSeenTimeDT, ms(first))
	setMillis(&fi.LastSeenTime, &fi.LastSeenTimeDT, ms(last))
	setMillis(&fi.CreatedTime, &fi.CreatedTimeDT, ms(last+1))
	setMillis(&fi.ModifiedTime, &fi.ModifiedTimeDT, ms(last+1))
	setMillis(&f.StartTime, &f.StartTimeDT, ms(first))
	setMillis(&f.EndTime, &f.EndTimeDT, ms(last))
	f.Count = count
	f.StatusID, f.Status = ocsf.StatusNew, "New"
	f.ConfidenceID, f.Confidence = ocsf.ConfidenceLow, "Low"
	f.Evidences = evs
	for _, e := range evs {
		f.Observables = append(f.Observables, ocsf.NewObservable("evidences[].src_endpoint.ip", ocsf.ObservableIP, e.SrcEndpoint.IP))
	}
	return f
}

func TestMergeAt(t *testing.T) {
	now := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	prev := version(0, 30, 10, ocsf.SeverityMedium, evidence(ms(5), "10.0.0.1"), evidence(ms(30), "10.0.0.2"))
	prev.Comment = "looked at by alice"
	next := version(20, 90, 5, ocsf.SeverityHigh,
		evidence(ms(60), "10.0.0.3"), evidence(ms(90), "10.0.0.4"), evidence(ms(70), "10.0.0.5"),
		evidence(ms(80), "10.0.0.6"), evidence(ms(30), "10.0.0.2"))
	next.ConfidenceID, next.Confidence = ocsf.ConfidenceHigh, "High"
	next.FindingInfo.Title = "new title"
	next.FindingInfo.Types = []string{"TTPs/Command and Control", "Effects/Data Exfiltration"}

	got := MergeAt(prev, next, now)
	fi := got.FindingInfo
	checks := []struct {
		name      string
		got, want any
	}{
		{"first seen", fi.FirstSeenTime, ms(0)},
		{"first seen dt", fi.FirstSeenTimeDT, time.UnixMilli(ms(0)).UTC()},
		{"last seen", fi.LastSeenTime, ms(90)},
		{"start", got.StartTime, ms(0)},
		{"end", got.EndTime, ms(90)},
		{"time", got.Time, ms(90)},
		{"created kept", fi.CreatedTime, ms(31)},
		{"modified", fi.ModifiedTime, now.UnixMilli()},
		{"metadata modified", got.Metadata.ModifiedTime, now.UnixMilli()},
		{"count", got.Count, int32(15)},
		{"severity", got.SeverityID, int32(ocsf.SeverityHigh)},
		{"severity caption", got.Severity, "High"},
		{"confidence", got.ConfidenceID, int32(ocsf.ConfidenceHigh)},
		{"status kept", got.StatusID, int32(ocsf.StatusNew)},
		{"activity", got.ActivityID, int32(ActivityUpdate)},
		{"type_uid", got.TypeUID, int64(200402)},
		{"title from next", fi.Title, "new title"},
		{"types union", strings.Join(fi.Types, "|"), "TTPs/Command and Control|Effects/Data Exfiltration"},
		{"comment kept", got.Comment, "looked at by alice"},
		{"evidences capped", len(got.Evidences), MaxEvidences},
		{"observables union", len(got.Observables), 6},
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	var times []int64
	for _, e := range got.Evidences {
		times = append(times, EvidenceTime(e))
	}
	if want := []int64{ms(90), ms(80), ms(70), ms(60), ms(30)}; fmt.Sprint(times) != fmt.Sprint(want) {
		t.Errorf("evidence times = %v, want the most recent first %v (the duplicate once)", times, want)
	}
	// Severity never goes down: merging a lower one keeps the higher.
	if again := MergeAt(got, version(100, 110, 1, ocsf.SeverityLow), now); again.SeverityID != ocsf.SeverityHigh || again.Count != 16 {
		t.Errorf("second merge severity %d count %d", again.SeverityID, again.Count)
	}
	// The arguments are not modified.
	if prev.Count != 10 || len(prev.Evidences) != 2 || next.ActivityID != ActivityCreate {
		t.Error("MergeAt modified its arguments")
	}
}

func TestMergeAtStatus(t *testing.T) {
	now := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		prevStatus  int32
		nextLast    int // minute of next's last activity; prev's is 30
		wantStatus  int32
		wantMessage string
	}{
		{"new stays new", ocsf.StatusNew, 60, ocsf.StatusNew, ""},
		{"in progress kept", ocsf.StatusInProgress, 60, ocsf.StatusInProgress, ""},
		{"suppressed kept on new activity", ocsf.StatusSuppressed, 60, ocsf.StatusSuppressed, ""},
		{"resolved reopened by new activity", ocsf.StatusResolved, 60, ocsf.StatusNew, ReopenedMessage},
		{"resolved kept without new activity", ocsf.StatusResolved, 30, ocsf.StatusResolved, ""},
		{"resolved kept for older activity", ocsf.StatusResolved, 10, ocsf.StatusResolved, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prev := version(0, 30, 1, ocsf.SeverityLow)
			prev.StatusID, prev.Status = tt.prevStatus, ocsf.FindingStatusName(tt.prevStatus)
			got := MergeAt(prev, version(tt.nextLast-5, tt.nextLast, 1, ocsf.SeverityLow), now)
			if got.StatusID != tt.wantStatus || got.Status != ocsf.FindingStatusName(tt.wantStatus) || got.Message != tt.wantMessage {
				t.Errorf("status %d %q message %q, want %d %q", got.StatusID, got.Status, got.Message, tt.wantStatus, tt.wantMessage)
			}
			if got.ActivityID != ActivityUpdate {
				t.Errorf("activity %d, want Update", got.ActivityID)
			}
			if reopened := got.Unmapped[ReopenedKey]; (tt.wantMessage != "") != (reopened == "2026-11-22T08:00:00Z") {
				t.Errorf("unmapped %s = %q", ReopenedKey, reopened)
			}
		})
	}
}

func TestMergeAtDifferentUID(t *testing.T) {
	next := version(0, 10, 3, ocsf.SeverityLow)
	other := version(0, 10, 3, ocsf.SeverityHigh)
	other.FindingInfo.UID = "other"
	for _, prev := range []ocsf.DetectionFinding{{}, other} {
		got := MergeAt(prev, next, time.Now())
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(next)
		if string(a) != string(b) {
			t.Errorf("MergeAt with prev uid %q changed next", prev.FindingInfo.UID)
		}
	}
}

func TestCurrent(t *testing.T) {
	mk := func(uid string, modified int64, count int32) ocsf.DetectionFinding {
		f := version(0, 10, count, ocsf.SeverityLow)
		f.FindingInfo.UID = uid
		f.Metadata.ModifiedTime = modified
		return f
	}
	versions := []ocsf.DetectionFinding{
		mk("b", 100, 1), mk("a", 300, 3), mk("b", 200, 2), mk("a", 100, 9), mk("c", 50, 1),
		mk("d", 70, 4), mk("d", 70, 5), // same modified time: tie broken by count
	}
	want := "a:3 b:2 c:1 d:5"
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20; i++ {
		r.Shuffle(len(versions), func(i, j int) { versions[i], versions[j] = versions[j], versions[i] })
		var got []string
		for _, f := range Current(versions) {
			got = append(got, fmt.Sprintf("%s:%d", f.FindingInfo.UID, f.Count))
		}
		if strings.Join(got, " ") != want {
			t.Fatalf("Current = %v, want %s", got, want)
		}
	}
	// Full ties resolve the same way whatever the order.
	x, y := mk("e", 1, 1), mk("e", 1, 1)
	y.FindingInfo.Desc = "differs only here"
	a := Current([]ocsf.DetectionFinding{x, y})[0].FindingInfo.Desc
	b := Current([]ocsf.DetectionFinding{y, x})[0].FindingInfo.Desc
	if a != b {
		t.Errorf("tie depends on order: %q vs %q", a, b)
	}
}

func TestEvidenceTime(t *testing.T) {
	for data, want := range map[string]int64{
		`{"time":1700000000000}`:           1700000000000,
		`{"ref":{"pos":3},"time":5,"x":1}`: 5,
		``:                                 0,
		`not json`:                         0,
		`{"time":"soon"}`:                  0,
		`[1,2]`:                            0,
	} {
		if got := EvidenceTime(ocsf.Evidence{Data: data}); got != want {
			t.Errorf("EvidenceTime(%q) = %d, want %d", data, got, want)
		}
	}
}

func FuzzEvidenceMerge(f *testing.F) {
	f.Add(`{"time":5}`, `{"time":"x"}`, int64(3))
	f.Add(`{`, `{"time":-9223372036854775808}`, int64(-1))
	f.Fuzz(func(t *testing.T, a, b string, last int64) {
		prev := version(0, 10, 1, ocsf.SeverityLow, ocsf.Evidence{Data: a}, ocsf.Evidence{Data: b})
		next := version(5, 20, 1, ocsf.SeverityMedium, ocsf.Evidence{Data: b})
		next.FindingInfo.LastSeenTime = last
		got := MergeAt(prev, next, time.Unix(0, 0))
		if len(got.Evidences) == 0 || len(got.Evidences) > MaxEvidences {
			t.Fatalf("%d evidences", len(got.Evidences))
		}
		for i := 1; i < len(got.Evidences); i++ {
			if EvidenceTime(got.Evidences[i]) > EvidenceTime(got.Evidences[i-1]) {
				t.Fatal("evidences not most recent first")
			}
		}
	})
}

func TestReopenedRecordPersists(t *testing.T) {
	t1 := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	prev := version(0, 30, 1, ocsf.SeverityLow)
	prev.StatusID, prev.Status = ocsf.StatusResolved, "Resolved"
	reopened := MergeAt(prev, version(40, 50, 1, ocsf.SeverityLow), t1)
	reopened.StatusID, reopened.Status = ocsf.StatusInProgress, "In Progress" // an analyst picks it up
	later := MergeAt(reopened, version(60, 70, 1, ocsf.SeverityLow), t1.Add(time.Hour))
	if later.StatusID != ocsf.StatusInProgress || later.Message == ReopenedMessage || later.Unmapped[ReopenedKey] != "2026-11-22T08:00:00Z" {
		t.Errorf("status %d message %q unmapped %v", later.StatusID, later.Message, later.Unmapped)
	}
}
