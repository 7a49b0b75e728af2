// Package detect turns the stream of normalized events into findings (OCSF Detection Finding
// 2004). A Detector observes every event once, keeps bounded aggregates, and emits findings
// on Flush; each finding carries the dedup key of package finding, so successive flushes and
// runs merge into one finding per entity.
//
// This package holds the stream rules on VPC Flow Logs (FlowDetector: threat intel, candidate
// MCP ports, exfiltration). Later rule kinds (Sigma rules, correlation, an MCP endpoint
// catalogue, a policy of sanctioned servers, DNS-to-flow joins) are further Detectors
// combined with Multi.
package detect

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// Ref locates an observed event in the lake, so that a finding's evidence leads back to it.
type Ref struct {
	// Table is the lake table (Security Lake source name, such as VPC_FLOW).
	Table string `json:"table,omitempty"`
	// Partition is the partition path under the table's source-version directory
	// ("region=<r>/accountId=<a>/eventDay=<YYYYMMDD>"). When empty, detectors derive it from
	// the event's region, account and UTC day (unescaped: the lake escapes unusual values).
	Partition string `json:"partition,omitempty"`
	// Input names the input the record was read from (a path or an s3:// URL).
	Input string `json:"input,omitempty"`
	// Pos is the record's position in the input (1-based line or row number).
	Pos int64 `json:"pos,omitempty"`
}

// located returns r with its Partition derived from an event's region, account and time
// (epoch ms) when it has none and they are known.
func (r Ref) located(region, account string, ms int64) Ref {
	if r.Partition == "" && region != "" && account != "" && ms > 0 {
		r.Partition = fmt.Sprintf("region=%s/accountId=%s/eventDay=%s", region, account,
			time.UnixMilli(ms).UTC().Format("20060102"))
	}
	return r
}

// Detector is a streaming detection: it sees every event once, in any order, and reports
// what it found on Flush.
type Detector interface {
	// Observe considers one event. The caller reuses ev's memory after the call, so a
	// Detector copies what it keeps (strings may be kept as they are). Observe must be fast
	// and must not fail: events it cannot use are ignored (and counted where it says).
	Observe(ev ocsf.Event, ref Ref)
	// Flush returns the findings of everything observed since the previous Flush, sorted
	// deterministically, and starts afresh; now is the findings' processing time (created
	// and modified times). Findings with the same finding_info.uid from successive flushes or
	// runs are versions of one finding (see finding.Merge).
	Flush(now time.Time) []ocsf.DetectionFinding
}

// Multi is a Detector that feeds every event to each of its detectors and returns their
// findings together, sorted by Sort.
type Multi []Detector

// Observe implements Detector.
func (m Multi) Observe(ev ocsf.Event, ref Ref) {
	for _, d := range m {
		d.Observe(ev, ref)
	}
}

// Flush implements Detector.
func (m Multi) Flush(now time.Time) []ocsf.DetectionFinding {
	var out []ocsf.DetectionFinding
	for _, d := range m {
		out = append(out, d.Flush(now)...)
	}
	Sort(out)
	return out
}

// Sort orders findings deterministically: most severe first, then by rule (analytic uid),
// then by uid.
func Sort(fs []ocsf.DetectionFinding) {
	slices.SortStableFunc(fs, func(a, b ocsf.DetectionFinding) int {
		if c := cmp.Compare(b.SeverityID, a.SeverityID); c != 0 {
			return c
		}
		if c := cmp.Compare(a.FindingInfo.Analytic.UID, b.FindingInfo.Analytic.UID); c != 0 {
			return c
		}
		return cmp.Compare(a.FindingInfo.UID, b.FindingInfo.UID)
	})
}
