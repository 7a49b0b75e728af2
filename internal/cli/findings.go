package cli

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mcpwatch/mcpwatch/internal/finding"
	"github.com/mcpwatch/mcpwatch/internal/findingstore"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/output"
)

func newFindingsCmd(e *env) *cobra.Command {
	var (
		format      string
		minSeverity string
		rule        string
		status      string
		account     string
		limit       int
	)
	cmd := &cobra.Command{
		Use:   "findings",
		Short: "List what detection found, most severe first",
		Long: `Findings lists the current state of mcpwatch's findings in the lake (the latest version of each),
most severe and most recent first.

Formats: table (a summary for people), ndjson or json (OCSF 1.1.0 Detection Finding, class
2004, one per line or as an array), asff (a JSON array of AWS Security Finding Format
findings, ready for Security Hub BatchImportFindings), csv (the summary columns).`,
		Example: `  mcpwatch findings
  mcpwatch findings --min-severity high
  mcpwatch findings --format ndjson | jq .finding_info.title
  mcpwatch findings --format asff > findings.json
  aws securityhub batch-import-findings --findings file://findings.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			asff := strings.EqualFold(format, "asff")
			var of output.Format
			if !asff {
				var err error
				if of, err = output.ParseFormat(format); err != nil {
					return fmt.Errorf("--format: %w (or asff)", err)
				}
			}
			minSev := int32(0)
			if minSeverity != "" {
				id, ok := severityByName(minSeverity)
				if !ok {
					return fmt.Errorf("--min-severity %q: want informational, low, medium, high or critical", minSeverity)
				}
				minSev = id
			}
			if status != "" {
				if _, ok := ocsf.FindingStatusID(status); !ok {
					return fmt.Errorf("--status %q: want new, in progress, suppressed or resolved", status)
				}
			}
			lk, err := e.openLake()
			if err != nil {
				return err
			}
			defer lk.Close()
			all, err := findingstore.Load(cmd.Context(), lk)
			if err != nil {
				return err
			}
			var fs []ocsf.DetectionFinding
			for _, f := range all {
				if f.SeverityID < minSev || (rule != "" && f.FindingInfo.Analytic.UID != rule) ||
					(account != "" && f.Account() != account) || (status != "" && !strings.EqualFold(f.Status, status)) {
					continue
				}
				fs = append(fs, f)
			}
			slices.SortStableFunc(fs, func(a, b ocsf.DetectionFinding) int {
				return cmp.Or(cmp.Compare(b.SeverityID, a.SeverityID), cmp.Compare(b.FindingInfo.LastSeenTime, a.FindingInfo.LastSeenTime),
					strings.Compare(a.FindingInfo.UID, b.FindingInfo.UID))
			})
			if limit > 0 && len(fs) > limit {
				fs = fs[:limit]
			}
			switch {
			case asff:
				enc := output.NewEncoder(e.stdout, output.JSON)
				for _, f := range fs {
					a, err := finding.ToASFF(f, finding.ASFFOptions{})
					if err != nil {
						return fmt.Errorf("finding %s: %w", f.FindingInfo.UID, err)
					}
					if err := enc.Encode(a); err != nil {
						return err
					}
				}
				return enc.Close()
			case of == output.JSON || of == output.NDJSON:
				enc := output.NewEncoder(e.stdout, of)
				for i := range fs {
					if err := enc.Encode(&fs[i]); err != nil {
						return err
					}
				}
				return enc.Close()
			}
			rows := make([][]any, len(fs))
			for i, f := range fs {
				rows[i] = []any{f.Severity, f.FindingInfo.Analytic.UID, f.FindingInfo.Title, f.Account(), f.Count,
					time.UnixMilli(f.FindingInfo.LastSeenTime).UTC(), f.Status, f.FindingInfo.UID}
			}
			if err := output.Write(e.stdout, of, []string{"SEVERITY", "RULE", "TITLE", "ACCOUNT", "COUNT", "LAST_SEEN", "STATUS", "UID"}, rows); err != nil {
				return err
			}
			if of == output.Table {
				fmt.Fprintf(e.stdout, "%d findings %s\n", len(fs), severityCounts(fs))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "table", "table, json, ndjson (OCSF), asff (Security Hub) or csv")
	f.StringVar(&minSeverity, "min-severity", "", "only findings at least this severe: informational, low, medium, high, critical")
	f.StringVar(&rule, "rule", "", "only findings of this rule id (such as flow.exfiltration)")
	f.StringVar(&status, "status", "", "only findings with this status: new, in progress, suppressed, resolved")
	f.StringVar(&account, "account", "", "only findings in this AWS account")
	f.IntVar(&limit, "limit", 0, "at most this many findings (0 = all)")
	return cmd
}

func severityByName(s string) (int32, bool) {
	for _, id := range []int32{ocsf.SeverityInformational, ocsf.SeverityLow, ocsf.SeverityMedium, ocsf.SeverityHigh,
		ocsf.SeverityCritical, ocsf.SeverityFatal} {
		if strings.EqualFold(ocsf.SeverityName(id), s) {
			return id, true
		}
	}
	return 0, false
}
