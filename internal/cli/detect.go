package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
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
		Short: "Run detection again over the events stored in the lake",
		Long: `Detect re-reads the events stored in the lake (Route 53, CloudTrail, Security Hub and
GuardDuty findings, MCP inventory, VPC flows) and runs every rule over them — use it after
changing rules, policy, threat intel, candidate ports or thresholds, or to hunt back in time
with --since.
The findings it computes replace the counts and evidence of the stored versions of the same
findings; status and comments set on them are kept, and new findings are added.`,
		Example: `  mcpwatch detect --intel new-iocs.txt
  mcpwatch detect --since 30d --exfil-bytes 20MiB
  mcpwatch detect --since 12h --mcp-ports 8000,8080,6277
  mcpwatch detect --since 30d --rules ./our-rules --policy mcp-policy.yaml`,
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
			var n atomic.Int64
			start := time.Now()
			line := progress.Start(e.stderr, 200*time.Millisecond, func() string {
				return fmt.Sprintf("detecting: %s events read", progress.Count(n.Load()))
			})
			err = scanForDetection(cmd.Context(), lk, from, det, &n)
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
			warnDetectionState(e, det.Stats())
			fmt.Fprintf(e.stdout, "read %d events in %s (%s); findings: %d new, %d updated %s\n",
				n.Load(), el.Round(time.Millisecond), progress.Rate(n.Load(), el), res.New, res.Updated, severityCounts(found))
			return nil
		},
	}
	df.register(cmd)
	cmd.Flags().StringVar(&since, "since", "", "only events newer than this: 30d, 12h, 90m (default: all)")
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

// scanForDetection feeds det every event of the lake's event tables newer than from (all
// when zero), DNS and CloudTrail before flows, counting them in n.
func scanForDetection(ctx context.Context, lk *lake.Lake, from time.Time, det detect.Detector, n *atomic.Int64) error {
	fromDay, fromMs := from.UTC().Format("20060102"), from.UnixMilli()
	filter := func(p lake.Partition) bool { return from.IsZero() || p.Day >= fromDay }
	observe := func(table string, p lake.Partition, ev ocsf.Event) {
		if ev.Header().Time >= fromMs {
			det.Observe(ev, detect.Ref{Table: table, Partition: p.Path})
		}
		n.Add(1)
	}
	if err := scanTable[ocsf.DNSActivity](ctx, lk, lake.Route53, filter, observe); err != nil {
		return err
	}
	err := lake.Scan(ctx, lk, lake.CloudTrailMgmt, filter, func(p lake.Partition, rows []lake.CloudTrailRow) error {
		for i := range rows {
			observe(lake.CloudTrailMgmt, p, rows[i].Event())
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := scanTable[ocsf.ImportedFinding](ctx, lk, lake.SHFindings, filter, observe); err != nil {
		return err
	}
	if err := scanTable[ocsf.InventoryInfo](ctx, lk, lake.MCPInventory, filter, observe); err != nil {
		return err
	}
	return scanTable[ocsf.NetworkActivity](ctx, lk, lake.VPCFlow, filter, observe)
}

// scanTable scans one table whose rows are events.
func scanTable[T any, PT interface {
	*T
	ocsf.Event
}](ctx context.Context, lk *lake.Lake, table string, filter func(lake.Partition) bool, observe func(string, lake.Partition, ocsf.Event)) error {
	return lake.Scan(ctx, lk, table, filter, func(p lake.Partition, rows []T) error {
		for i := range rows {
			observe(table, p, PT(&rows[i]))
		}
		return nil
	})
}
