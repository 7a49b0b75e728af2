package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mcpwatch/mcpwatch/internal/detect"
	"github.com/mcpwatch/mcpwatch/internal/findingstore"
	"github.com/mcpwatch/mcpwatch/internal/lake"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/progress"
)

func newDetectCmd(e *env) *cobra.Command {
	var (
		df    detectFlags
		since string
	)
	cmd := &cobra.Command{
		Use:   "detect",
		Short: "Run detection again over the flows stored in the lake",
		Long: `Detect re-reads the VPC flows stored in the lake and runs detection over them — use it after
changing threat intel, candidate ports or thresholds, or to hunt back in time with --since.
The findings it computes replace the counts and evidence of the stored versions of the same
findings; status and comments set on them are kept, and new findings are added.`,
		Example: `  mcpwatch detect --intel new-iocs.txt
  mcpwatch detect --since 30d --exfil-bytes 20MiB
  mcpwatch detect --since 12h --mcp-ports 8000,8080,6277`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var from time.Time
			if since != "" {
				d, err := parseSince(since)
				if err != nil {
					return fmt.Errorf("--since: %w", err)
				}
				from = time.Now().Add(-d)
			}
			det, err := df.detector(e)
			if err != nil {
				return err
			}
			lk, err := e.openLake()
			if err != nil {
				return err
			}
			defer lk.Close()
			fromDay := from.UTC().Format("20060102")
			fromMs := from.UnixMilli()
			var n int64
			start := time.Now()
			line := progress.Start(e.stderr, 200*time.Millisecond, func() string {
				return fmt.Sprintf("detecting: %s flows read", progress.Count(n))
			})
			err = lake.Scan(cmd.Context(), lk, "VPC_FLOW", func(p lake.Partition) bool {
				return from.IsZero() || p.Day >= fromDay
			}, func(p lake.Partition, rows []ocsf.NetworkActivity) error {
				for i := range rows {
					if rows[i].Time < fromMs {
						continue
					}
					det.Observe(&rows[i], detect.Ref{Table: "VPC_FLOW", Partition: p.Path})
				}
				n += int64(len(rows))
				return nil
			})
			line.Stop()
			if err != nil {
				return err
			}
			found := det.Flush(time.Now())
			res, err := findingstore.Save(cmd.Context(), lk, found, findingstore.Recompute, time.Now())
			if err != nil {
				return err
			}
			el := time.Since(start)
			fmt.Fprintf(e.stdout, "read %d flows in %s (%s); findings: %d new, %d updated %s\n",
				n, el.Round(time.Millisecond), progress.Rate(n, el), res.New, res.Updated, severityCounts(found))
			return nil
		},
	}
	df.register(cmd)
	cmd.Flags().StringVar(&since, "since", "", "only flows newer than this: 30d, 12h, 90m (default: all)")
	return cmd
}

// parseSince parses a look-back duration: Go durations (12h, 90m) plus days (30d).
func parseSince(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("%q: want a positive number of days, hours or minutes (30d, 12h, 90m)", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q: want a positive number of days, hours or minutes (30d, 12h, 90m)", s)
	}
	return d, nil
}
