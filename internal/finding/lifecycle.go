package finding

import (
	"bytes"
	"cmp"
	"encoding/json"
	"math"
	"slices"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// Detection Finding activity ids (activity_id).
const (
	ActivityCreate = 1 // a finding was created
	ActivityUpdate = 2 // a finding was updated
	ActivityClose  = 3 // a finding was closed
)

// MaxEvidences is how many evidences a merged finding keeps: the most recent ones.
const MaxEvidences = 5

// MaxObservables caps the observables of a merged finding (the earliest are kept).
const MaxObservables = 64

// MaxResources caps the resources of a merged finding (ASFF accepts at most 32).
const MaxResources = 32

// ReopenedMessage is the message (base_event.message) of a finding that Merge reopened.
const ReopenedMessage = "Reopened: new activity was observed after the finding was resolved."

// ReopenedKey is the unmapped attribute recording when Merge last reopened a finding (RFC
// 3339); unlike the message, it stays in later versions.
const ReopenedKey = "reopened_time"

// Merge combines prev, the stored version of a finding, with next, a newer detection of the
// same finding (same finding_info.uid), into the version to store now. See MergeAt.
func Merge(prev, next ocsf.DetectionFinding) ocsf.DetectionFinding {
	return MergeAt(prev, next, time.Now())
}

// MergeAt is Merge with the current time given, for reproducible results.
//
// The result takes its descriptive content (title, description, rule, remediation) from next
// and combines the rest:
//   - first seen, created and start times are the earliest, last seen, end time and time the
//     latest; count is the sum (saturating);
//   - severity and confidence are the highest of the two;
//   - evidences are the MaxEvidences most recent of both (by the "time" member, epoch
//     milliseconds, of each evidence's data; evidences without one count as oldest);
//     observables, resources, attacks, types and data sources are the union of both;
//   - status is prev's, except that a Resolved finding with new activity (next's last seen is
//     later than prev's) is reopened: status New, message ReopenedMessage, and
//     unmapped[ReopenedKey] the time it was reopened;
//   - activity is Update; metadata.modified_time and finding_info.modified_time are now;
//   - comment (set by people) is prev's.
//
// When prev has no uid or a different uid from next, there is nothing to merge and next is
// returned unchanged. Neither argument is modified and the result shares no slice with them.
func MergeAt(prev, next ocsf.DetectionFinding, now time.Time) ocsf.DetectionFinding {
	if prev.FindingInfo.UID == "" || prev.FindingInfo.UID != next.FindingInfo.UID {
		return next
	}
	out := next
	pi, ni := &prev.FindingInfo, &next.FindingInfo
	fi := &out.FindingInfo

	first := minNonZero(minNonZero(pi.FirstSeenTime, prev.StartTime), minNonZero(ni.FirstSeenTime, next.StartTime))
	last := max(pi.LastSeenTime, prev.EndTime, ni.LastSeenTime, next.EndTime)
	setMillis(&fi.FirstSeenTime, &fi.FirstSeenTimeDT, first)
	setMillis(&fi.LastSeenTime, &fi.LastSeenTimeDT, last)
	setMillis(&out.StartTime, &out.StartTimeDT, first)
	setMillis(&out.EndTime, &out.EndTimeDT, last)
	if last != 0 {
		out.SetTime(time.UnixMilli(last))
	} else {
		out.Time, out.TimeDT = max(prev.Time, next.Time), later(prev.TimeDT, next.TimeDT)
	}
	setMillis(&fi.CreatedTime, &fi.CreatedTimeDT, minNonZero(pi.CreatedTime, ni.CreatedTime))
	nowMs := now.UnixMilli()
	setMillis(&fi.ModifiedTime, &fi.ModifiedTimeDT, nowMs)
	out.Metadata.ModifiedTime = nowMs

	out.Count = int32(min(int64(prev.Count)+int64(next.Count), math.MaxInt32))
	out.SetSeverity(maxBy(prev.SeverityID, next.SeverityID, severityRank))
	out.ConfidenceID = maxBy(prev.ConfidenceID, next.ConfidenceID, confidenceRank)
	out.Confidence = ocsf.ConfidenceName(out.ConfidenceID)
	out.ConfidenceScore = max(prev.ConfidenceScore, next.ConfidenceScore)
	out.RiskScore = max(prev.RiskScore, next.RiskScore)

	out.Evidences = mergeEvidences(prev.Evidences, next.Evidences, MaxEvidences)
	out.Observables = union(prev.Observables, next.Observables, MaxObservables)
	out.Resources = unionBy(prev.Resources, next.Resources, MaxResources, func(r ocsf.ResourceDetails) string { return r.Type + "\x00" + r.UID })
	out.Attacks = union(prev.Attacks, next.Attacks, 0)
	fi.Attacks = union(pi.Attacks, ni.Attacks, 0)
	fi.Types = union(pi.Types, ni.Types, 0)
	fi.DataSources = union(pi.DataSources, ni.DataSources, 0)
	fi.RelatedEvents = union(pi.RelatedEvents, ni.RelatedEvents, 0)
	if len(prev.Unmapped)+len(next.Unmapped) > 0 {
		out.Unmapped = make(map[string]string, len(prev.Unmapped)+len(next.Unmapped))
		for k, v := range prev.Unmapped {
			out.Unmapped[k] = v
		}
		for k, v := range next.Unmapped {
			out.Unmapped[k] = v
		}
	}
	if out.Remediation.Desc == "" {
		out.Remediation = prev.Remediation
	}
	out.Remediation.References = slices.Clone(out.Remediation.References)
	out.Metadata.Profiles = union(prev.Metadata.Profiles, next.Metadata.Profiles, 0)
	out.Comment = prev.Comment

	out.Classify(ocsf.ClassDetectionFinding, ActivityUpdate)
	newActivity := max(ni.LastSeenTime, next.EndTime) > max(pi.LastSeenTime, prev.EndTime)
	switch {
	case prev.StatusID == ocsf.StatusResolved && newActivity:
		out.StatusID, out.Status = ocsf.StatusNew, ocsf.FindingStatusName(ocsf.StatusNew)
		out.Message = ReopenedMessage
		if out.Unmapped == nil {
			out.Unmapped = map[string]string{}
		}
		out.Unmapped[ReopenedKey] = now.UTC().Format(time.RFC3339Nano)
	case prev.StatusID != ocsf.StatusUnknown:
		out.StatusID, out.Status = prev.StatusID, prev.Status
		if out.Message == ReopenedMessage {
			out.Message = ""
		}
	}
	return out
}

// Current reduces the stored versions of findings to the current version of each: per uid,
// the one with the greatest metadata.modified_time; ties go to the greatest
// finding_info.modified_time, then last seen time, then count, then the greatest JSON
// encoding, so the choice never depends on input order. The result is sorted by uid.
func Current(versions []ocsf.DetectionFinding) []ocsf.DetectionFinding {
	best := make(map[string]int, len(versions))
	var enc map[int][]byte // JSON encodings, computed only for full ties
	encode := func(i int) []byte {
		if enc == nil {
			enc = make(map[int][]byte)
		}
		if b, ok := enc[i]; ok {
			return b
		}
		b, _ := json.Marshal(&versions[i])
		enc[i] = b
		return b
	}
	for i := range versions {
		uid := versions[i].FindingInfo.UID
		j, ok := best[uid]
		if !ok || newer(&versions[i], &versions[j], func() int { return bytes.Compare(encode(i), encode(j)) }) {
			best[uid] = i
		}
	}
	out := make([]ocsf.DetectionFinding, 0, len(best))
	for _, i := range best {
		out = append(out, versions[i])
	}
	slices.SortFunc(out, func(a, b ocsf.DetectionFinding) int { return cmp.Compare(a.FindingInfo.UID, b.FindingInfo.UID) })
	return out
}

// newer reports whether a is a later version than b; last breaks full ties.
func newer(a, b *ocsf.DetectionFinding, last func() int) bool {
	for _, c := range []int{
		cmp.Compare(a.Metadata.ModifiedTime, b.Metadata.ModifiedTime),
		cmp.Compare(a.FindingInfo.ModifiedTime, b.FindingInfo.ModifiedTime),
		cmp.Compare(a.FindingInfo.LastSeenTime, b.FindingInfo.LastSeenTime),
		cmp.Compare(a.Count, b.Count),
	} {
		if c != 0 {
			return c > 0
		}
	}
	return last() > 0
}

// EvidenceTime is the time of an evidence: the "time" member (epoch milliseconds) of its data
// JSON, or 0 when it has none.
func EvidenceTime(e ocsf.Evidence) int64 {
	if e.Data == "" {
		return 0
	}
	var d struct {
		Time int64 `json:"time"`
	}
	if json.Unmarshal([]byte(e.Data), &d) != nil {
		return 0
	}
	return d.Time
}

// mergeEvidences returns the n most recent distinct evidences of prev and next, most recent
// first; among equal times next's come first.
func mergeEvidences(prev, next []ocsf.Evidence, n int) []ocsf.Evidence {
	type timed struct {
		e ocsf.Evidence
		t int64
	}
	all := make([]timed, 0, len(prev)+len(next))
	seen := make(map[string]bool, len(prev)+len(next))
	for _, list := range [][]ocsf.Evidence{next, prev} {
		for _, e := range list {
			k, _ := json.Marshal(e)
			if seen[string(k)] {
				continue
			}
			seen[string(k)] = true
			all = append(all, timed{e, EvidenceTime(e)})
		}
	}
	slices.SortStableFunc(all, func(a, b timed) int { return cmp.Compare(b.t, a.t) })
	if len(all) > n {
		all = all[:n]
	}
	if len(all) == 0 {
		return nil
	}
	out := make([]ocsf.Evidence, len(all))
	for i, t := range all {
		out[i] = t.e
	}
	return out
}

// union returns the distinct elements of a then b, in that order, at most limit (0: no limit).
func union[T comparable](a, b []T, limit int) []T {
	return unionBy(a, b, limit, func(v T) T { return v })
}

// unionBy is union with elements identified by key.
func unionBy[T any, K comparable](a, b []T, limit int, key func(T) K) []T {
	if len(a)+len(b) == 0 {
		return nil
	}
	out := make([]T, 0, len(a)+len(b))
	seen := make(map[K]bool, len(a)+len(b))
	for _, list := range [][]T{a, b} {
		for _, v := range list {
			k := key(v)
			if seen[k] || (limit > 0 && len(out) == limit) {
				continue
			}
			seen[k] = true
			out = append(out, v)
		}
	}
	return out
}

// setMillis sets an OCSF timestamp and its _dt sibling from epoch milliseconds (0: absent).
func setMillis(ms *int64, dt *time.Time, v int64) {
	*ms = v
	if v == 0 {
		*dt = time.Time{}
		return
	}
	*dt = time.UnixMilli(v).UTC()
}

func minNonZero(a, b int64) int64 {
	switch {
	case a == 0:
		return b
	case b == 0:
		return a
	}
	return min(a, b)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// severityRank orders severity ids: Other and Unknown lowest, then Informational to Fatal.
func severityRank(id int32) int32 {
	if id == ocsf.SeverityOther {
		return 0
	}
	return id
}

// confidenceRank orders confidence ids: Other and Unknown lowest, then Low to High.
func confidenceRank(id int32) int32 {
	if id == 99 {
		return 0
	}
	return id
}

func maxBy(a, b int32, rank func(int32) int32) int32 {
	if rank(b) > rank(a) {
		return b
	}
	return a
}
