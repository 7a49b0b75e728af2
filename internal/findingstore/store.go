// Package findingstore keeps mcpwatch's findings in the lake's FINDINGS table: an
// append-only history of finding versions whose current state is the latest version of each
// finding (finding_info.uid). New detections are merged with that state so that status set by
// people survives and counts add up.
package findingstore

import (
	"context"
	"fmt"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/finding"
	"github.com/mcpwatch/mcpwatch/internal/lake"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// Table is the lake table of mcpwatch's findings.
const Table = "FINDINGS"

// Load returns the current version of every finding in the lake, sorted by uid.
func Load(ctx context.Context, lk *lake.Lake) ([]ocsf.DetectionFinding, error) {
	var all []ocsf.DetectionFinding
	err := lake.Scan(ctx, lk, Table, nil, func(_ lake.Partition, rows []ocsf.DetectionFinding) error {
		all = append(all, rows...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading findings: %w", err)
	}
	return finding.Current(all), nil
}

// Mode says how new detections combine with stored findings.
type Mode int

const (
	// Accumulate adds detections over new data to what is stored: counts add up, first and
	// last seen widen. Ingest uses it (the manifest guarantees no input is seen twice).
	Accumulate Mode = iota
	// Recompute replaces the counts and evidence of stored findings with detections that
	// re-read the stored data (the detect command), keeping status, comments and the
	// first/last seen times of what was stored.
	Recompute
)

// Result says what Save wrote.
type Result struct {
	New, Updated int
	Files        []string
}

// Save merges found into the stored findings and writes the resulting versions in one lake
// transaction. Findings whose uid is not stored yet are written as they are (activity Create).
func Save(ctx context.Context, lk *lake.Lake, found []ocsf.DetectionFinding, mode Mode, now time.Time) (Result, error) {
	var res Result
	if len(found) == 0 {
		return res, nil
	}
	current, err := Load(ctx, lk)
	if err != nil {
		return res, err
	}
	byUID := make(map[string]*ocsf.DetectionFinding, len(current))
	for i := range current {
		byUID[current[i].FindingInfo.UID] = &current[i]
	}
	txn, err := lk.Begin(ctx, lake.InputInfo{Name: "mcpwatch detection"})
	if err != nil {
		return res, err
	}
	for i := range found {
		f := found[i]
		if prev, ok := byUID[f.FindingInfo.UID]; ok {
			p := *prev
			if mode == Recompute {
				p.Count = 0
				p.Evidences = nil
			}
			f = finding.MergeAt(p, f, now)
			res.Updated++
		} else {
			res.New++
		}
		if err := txn.Write(&f); err != nil {
			txn.Abort()
			return res, fmt.Errorf("writing findings: %w", err)
		}
	}
	cr, err := txn.Commit(ctx, lake.CommitInfo{Counts: lake.Counts{Read: int64(len(found)), Events: int64(len(found))}})
	if err != nil {
		return res, fmt.Errorf("committing findings: %w", err)
	}
	res.Files = cr.Files
	return res, nil
}
