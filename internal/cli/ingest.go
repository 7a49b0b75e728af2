package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mcpwatch/mcpwatch/internal/detect"
	"github.com/mcpwatch/mcpwatch/internal/findingstore"
	"github.com/mcpwatch/mcpwatch/internal/ingest"
	"github.com/mcpwatch/mcpwatch/internal/lake"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/output"
	"github.com/mcpwatch/mcpwatch/internal/progress"
	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/cloudtrail"
	"github.com/mcpwatch/mcpwatch/internal/source/guardduty"
	"github.com/mcpwatch/mcpwatch/internal/source/mcpinventory"
	"github.com/mcpwatch/mcpwatch/internal/source/route53"
	"github.com/mcpwatch/mcpwatch/internal/source/securityhub"
	"github.com/mcpwatch/mcpwatch/internal/source/securitylake"
	"github.com/mcpwatch/mcpwatch/internal/source/vpcflow"
)

// formats are the input formats mcpwatch reads.
func formats() *source.Registry {
	return source.NewRegistry(vpcflow.Format{}, cloudtrail.Format{}, route53.Format{}, securityhub.Format{},
		guardduty.Format{}, securitylake.Format{}, mcpinventory.Format{})
}

func newIngestCmd(e *env) *cobra.Command {
	var (
		df       detectFlags
		srcName  string
		region   string
		account  string
		noDetect bool
		format   string
	)
	cmd := &cobra.Command{
		Use:   "ingest [flags] INPUT...",
		Short: "Read AWS logs into the lake and detect shadow MCP in them",
		Long: `Ingest reads AWS logs — files, directories (recursively), glob patterns, s3://bucket/prefix
(every object below it, through the AWS SDK: default credential chain, --region, --profile,
--endpoint-url), or - for standard input; gzip or not, detected by content — normalizes every record to OCSF 1.1.0 as Amazon
Security Lake does, stores it in the lake as Parquet in Security Lake's layout, and runs
detection on it. Records that cannot be normalized go to the lake's dead-letter area with the
reason. Every record read is accounted for: read = stored + dead-lettered + skipped.

Ingesting the same content again is a no-op (the lake keeps a manifest of content hashes).
The exit status is non-zero only when nothing could be read.`,
		Example: `  mcpwatch ingest ./AWSLogs/123456789012/vpcflowlogs/
  mcpwatch ingest --intel bad-ips.txt --intel partners-blocklist.txt 'flowlogs/*.log.gz'
  mcpwatch ingest --region us-east-1 s3://my-flow-logs/AWSLogs/123456789012/vpcflowlogs/
  mcpwatch --lake s3://my-lake/mcpwatch ingest s3://my-flow-logs/AWSLogs/
  zcat flows.log.gz | mcpwatch ingest --records-region us-east-1 -
  mcpwatch ingest --format json flows.log > summary.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			of, err := output.ParseFormat(format)
			if err != nil {
				return fmt.Errorf("--format: %w", err)
			}
			fs := formats()
			if srcName != "auto" {
				if _, err := fs.Get(srcName); err != nil {
					return fmt.Errorf("--source: %w", err)
				}
			}
			var det *detect.Pack
			if !noDetect {
				if det, err = df.detector(e); err != nil {
					return err
				}
			}
			var s3c ingest.S3API
			if hasS3(args) {
				c, err := e.s3Client()
				if err != nil {
					return err
				}
				s3c = c
			}
			refs, err := ingest.Resolver{S3: s3c}.Resolve(cmd.Context(), args)
			if err != nil {
				return err
			}
			lk, err := e.openLake()
			if err != nil {
				return err
			}
			defer lk.Close()
			run, err := runIngest(cmd.Context(), e, lk, refs, ingest.Options{Formats: fs, Format: srcName,
				Region: region, Account: account, Stdin: e.stdin, S3: s3c}, det)
			if err != nil {
				return err
			}
			if err := printIngest(e.stdout, of, run); err != nil {
				return err
			}
			if run.Read == 0 && run.Failed > 0 && run.Duplicates == 0 {
				return exitError{code: 1}
			}
			return nil
		},
	}
	df.register(cmd)
	f := cmd.Flags()
	f.StringVar(&srcName, "source", "auto", "input format: auto (detect by content), or one of "+strings.Join(formats().Names(), ", "))
	f.StringVar(&region, "records-region", "", "AWS region of records that carry none (default: from the AWSLogs/ path)")
	f.StringVar(&account, "records-account", "", "AWS account of records that carry none (default: from the AWSLogs/ path)")
	f.BoolVar(&noDetect, "no-detect", false, "store only; run no detection")
	f.StringVar(&format, "format", "table", "summary format: table, json, ndjson or csv")
	return cmd
}

// ingestRun is the outcome of an ingest with detection.
type ingestRun struct {
	ingest.Summary
	Findings     findingstore.Result     `json:"findings"`
	FindingsList []ocsf.DetectionFinding `json:"-"`
	Detection    *detect.PackStats       `json:"detection,omitempty"`
	Lake         string                  `json:"lake"`
}

// runIngest ingests refs, showing progress on a terminal, then stores what detection found.
func runIngest(ctx context.Context, e *env, lk *lake.Lake, refs []ingest.Ref, opts ingest.Options, det *detect.Pack) (ingestRun, error) {
	run := ingestRun{Lake: lk.Root()}
	var total int64
	for _, r := range refs {
		total += r.Size
	}
	live := &ingest.Counters{}
	opts.Counters, opts.Log = live, e.log
	if det != nil {
		opts.Observer = det
	}
	start := time.Now()
	line := progress.Start(e.stderr, 200*time.Millisecond, func() string {
		el := time.Since(start)
		s := fmt.Sprintf("ingesting: %d/%d inputs, %s records (%s)", live.Inputs.Load(), len(refs),
			progress.Count(live.Records.Load()), progress.Rate(live.Records.Load(), el))
		if total > 0 {
			s += fmt.Sprintf(", %s of %s", progress.Bytes(live.RawBytes.Load()), progress.Bytes(total))
		}
		return s
	})
	sum, err := ingest.Run(ctx, lk, refs, opts)
	line.Stop()
	run.Summary = sum
	if err != nil {
		return run, err
	}
	if det != nil {
		found := det.Flush(time.Now())
		st := det.Stats()
		run.Detection = &st
		warnDetectionState(e, st)
		run.FindingsList = found
		run.Findings, err = findingstore.Save(ctx, lk, found, findingstore.Accumulate, time.Now())
		if err != nil {
			return run, err
		}
	}
	return run, nil
}

// warnDetectionState logs when detection state was full and lost matches.
func warnDetectionState(e *env, st detect.PackStats) {
	if st.Flow.Dropped > 0 {
		e.log.Warn("flow detection state was full: some matches were not tracked", "dropped", st.Flow.Dropped, "max_keys", st.Flow.Keys)
	}
	if st.Rules.GroupsEvicted > 0 || st.Rules.FindingsDropped > 0 {
		e.log.Warn("rule engine state was full", "correlation_groups_evicted", st.Rules.GroupsEvicted,
			"findings_dropped", st.Rules.FindingsDropped, "correlation_groups_peak", st.Rules.GroupsPeak)
	}
}

// printIngest writes the summary of an ingest: per-input rows for people (only the inputs
// with something to say when there are many), and the whole summary as data for programs.
func printIngest(w io.Writer, f output.Format, run ingestRun) error {
	if f != output.Table {
		return writeValue(w, f, run)
	}
	const maxRows = 20
	var rows [][]any
	quiet := 0
	for _, r := range run.Inputs {
		note := inputNote(r)
		if len(run.Inputs) > maxRows && note == "" {
			quiet++
			continue
		}
		rows = append(rows, []any{r.Input, r.Format, r.Read, r.Stored, r.DeadLettered, r.Skipped, note})
	}
	if len(rows) > 0 {
		if err := output.Write(w, output.Table, []string{"INPUT", "FORMAT", "READ", "STORED", "DEAD", "SKIPPED", "NOTE"}, rows); err != nil {
			return err
		}
		if quiet > 0 {
			fmt.Fprintf(w, "(%d more inputs read without a problem)\n", quiet)
		}
		fmt.Fprintln(w)
	}
	s := run.Summary
	fmt.Fprintf(w, "read %d records = stored %d + dead-lettered %d + skipped %d", s.Read, s.Stored, s.DeadLettered, s.Skipped)
	if !s.Reconciles() {
		fmt.Fprint(w, "  (DOES NOT RECONCILE: please report this)")
	}
	fmt.Fprintf(w, "\n%d inputs: %d read, %d already ingested, %d with errors; %s (%s)\n",
		len(s.Inputs), len(s.Inputs)-s.Duplicates-s.Failed, s.Duplicates, s.Failed,
		s.Elapsed.Round(time.Millisecond), progress.Rate(s.Read, s.Elapsed))
	if s.DeadLettered > 0 {
		fmt.Fprintf(w, "dead letters (with reasons): %s/_deadletter/\n", run.Lake)
	}
	if run.Detection != nil {
		fmt.Fprintf(w, "findings: %d new, %d updated %s\n", run.Findings.New, run.Findings.Updated, severityCounts(run.FindingsList))
	}
	fmt.Fprintf(w, "lake: %s\n", run.Lake)
	return nil
}

func inputNote(r ingest.Result) string {
	var notes []string
	if r.Duplicate {
		notes = append(notes, fmt.Sprintf("already ingested (%d records)", r.PreviousRecords))
	}
	if r.Error != "" {
		notes = append(notes, r.Error)
	}
	if len(r.SkipReasons) > 0 {
		reasons := make([]string, 0, len(r.SkipReasons))
		for k, v := range r.SkipReasons {
			reasons = append(reasons, fmt.Sprintf("%d skipped: %s", v, k))
		}
		sort.Strings(reasons)
		notes = append(notes, reasons...)
	}
	return strings.Join(notes, "; ")
}

// severityCounts summarizes findings by severity: "(1 critical, 2 high, 5 low)".
func severityCounts(fs []ocsf.DetectionFinding) string {
	if len(fs) == 0 {
		return ""
	}
	n := map[int32]int{}
	for _, f := range fs {
		n[f.SeverityID]++
	}
	var parts []string
	for _, id := range []int32{ocsf.SeverityFatal, ocsf.SeverityCritical, ocsf.SeverityHigh, ocsf.SeverityMedium,
		ocsf.SeverityLow, ocsf.SeverityInformational, ocsf.SeverityUnknown, ocsf.SeverityOther} {
		if n[id] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[id], strings.ToLower(ocsf.SeverityName(id))))
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// hasS3 reports whether any argument is an s3:// URL.
func hasS3(args []string) bool {
	for _, a := range args {
		if ingest.IsS3URL(a) {
			return true
		}
	}
	return false
}
