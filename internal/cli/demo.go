package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mcpwatch/mcpwatch/internal/demo"
	"github.com/mcpwatch/mcpwatch/internal/findingstore"
	"github.com/mcpwatch/mcpwatch/internal/ingest"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/output"
	"github.com/mcpwatch/mcpwatch/internal/progress"
)

func newDemoCmd(e *env) *cobra.Command {
	var (
		records int
		seed    uint64
		day     string
		out     string
		benign  bool
		format  string
		df      detectFlags
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Generate a realistic AWS organization's flow logs, ingest them and show what is found",
		Long: `Demo generates an AWS organization — three accounts, four VPCs in three regions, web, app,
database, Grafana, MinIO, Flask, developer and ETL instances — and a day of its VPC Flow Logs
(1,000,000 records by default) as AWS delivers them to S3: gzip files under
AWSLogs/<account>/vpcflowlogs/<region>/, in three record formats (default, version 5 and
version 8 custom formats). The traffic is benign (including benign services on the ports MCP
servers use) plus injected shadow-MCP scenarios. It then ingests the files with the scenarios'
threat-intel list, detects, and checks every scenario was found. No AWS account is needed.

The same --seed and --day give the same files. Running the demo again on the same lake is a
no-op for the data already there (the lake recognizes the files it has ingested).`,
		Example: `  mcpwatch demo
  mcpwatch demo --records 5000000 --seed 42
  mcpwatch demo --benign --lake /tmp/benign-lake    # benign traffic only: nothing above Low
  mcpwatch --lake /tmp/lake demo --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			of, err := output.ParseFormat(format)
			if err != nil {
				return fmt.Errorf("--format: %w", err)
			}
			d := time.Now().UTC().AddDate(0, 0, -1)
			if day != "" {
				if d, err = time.Parse("2006-01-02", day); err != nil {
					return fmt.Errorf("--day %q: want YYYY-MM-DD", day)
				}
			}
			if out == "" {
				out = "mcpwatch-demo"
				if !ingest.IsS3URL(e.lake) {
					out = filepath.Join(filepath.Dir(filepath.Clean(e.lake)), "mcpwatch-demo")
				}
			}
			ctx := cmd.Context()
			start := time.Now()
			line := progress.Start(e.stderr, 200*time.Millisecond, func() string {
				return fmt.Sprintf("generating %s flow-log records...", progress.Count(int64(records)))
			})
			gen, err := demo.Generate(ctx, demo.Config{Dir: out, Records: records, Seed: seed, Day: d, Benign: benign,
				Sources: demo.AllSources})
			line.Stop()
			if err != nil {
				return err
			}
			genTime := time.Since(start)
			if gen.IntelFile != "" {
				df.intelFiles = append(df.intelFiles, gen.IntelFile)
			}
			det, err := df.detector(e)
			if err != nil {
				return err
			}
			refs, err := ingest.Resolve([]string{filepath.Join(out, "AWSLogs")})
			if err != nil {
				return err
			}
			lk, err := e.openLake()
			if err != nil {
				return err
			}
			defer lk.Close()
			run, err := runIngest(ctx, e, lk, refs, ingest.Options{Formats: formats()}, det)
			if err != nil {
				return err
			}
			current, err := findingstore.Load(ctx, lk)
			if err != nil {
				return err
			}
			rep := demoReport{Generated: gen.Records, Files: len(gen.Files), Input: out, GenerateSeconds: genTime.Seconds(),
				Ingest: run, Findings: len(current), BySeverity: map[string]int{}}
			for _, f := range current {
				rep.BySeverity[ocsf.SeverityName(f.SeverityID)]++
				if benign && f.SeverityID > ocsf.SeverityLow {
					rep.Unexpected = append(rep.Unexpected, f.FindingInfo.Title)
				}
			}
			for _, s := range gen.Scenarios {
				f, ok := s.Match(current)
				sr := scenarioResult{ID: s.ID, Title: s.Title, Found: ok}
				if ok {
					sr.Finding, sr.Severity = f.FindingInfo.UID, f.Severity
				} else {
					rep.Missed++
				}
				rep.Scenarios = append(rep.Scenarios, sr)
			}
			if err := printDemo(e.stdout, of, rep); err != nil {
				return err
			}
			if rep.Missed > 0 || len(rep.Unexpected) > 0 {
				return exitError{code: 1}
			}
			return nil
		},
	}
	df.register(cmd)
	f := cmd.Flags()
	f.IntVar(&records, "records", demo.DefaultRecords, "number of flow-log records to generate")
	f.Uint64Var(&seed, "seed", 1, "random seed: the same seed and day give the same data")
	f.StringVar(&day, "day", "", "UTC day of the traffic, YYYY-MM-DD (default yesterday)")
	f.StringVar(&out, "out", "", "directory for the generated flow logs (default mcpwatch-demo beside the lake)")
	f.BoolVar(&benign, "benign", false, "generate benign traffic only (no scenarios): nothing should rise above Low")
	f.StringVar(&format, "format", "table", "report format: table, json, ndjson or csv")
	return cmd
}

type scenarioResult struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Found    bool   `json:"found"`
	Severity string `json:"severity,omitempty"`
	Finding  string `json:"finding,omitempty"`
}

type demoReport struct {
	Generated       int              `json:"generated_records"`
	Files           int              `json:"files"`
	Input           string           `json:"input_dir"`
	GenerateSeconds float64          `json:"generate_seconds"`
	Ingest          ingestRun        `json:"ingest"`
	Findings        int              `json:"findings_in_lake"`
	BySeverity      map[string]int   `json:"findings_by_severity"`
	Scenarios       []scenarioResult `json:"scenarios"`
	Missed          int              `json:"scenarios_missed"`
	Unexpected      []string         `json:"unexpected_findings,omitempty"`
}

func printDemo(w io.Writer, f output.Format, rep demoReport) error {
	if f != output.Table {
		return writeValue(w, f, rep)
	}
	fmt.Fprintf(w, "generated %d flow-log records in %d files under %s (%.1fs)\n\n", rep.Generated, rep.Files, rep.Input, rep.GenerateSeconds)
	if err := printIngest(w, output.Table, rep.Ingest); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if len(rep.Scenarios) > 0 {
		rows := make([][]any, len(rep.Scenarios))
		for i, s := range rep.Scenarios {
			found := "MISSED"
			if s.Found {
				found = "found"
			}
			rows[i] = []any{s.ID, s.Title, found, s.Severity}
		}
		if err := output.Write(w, output.Table, []string{"SCENARIO", "WHAT", "RESULT", "SEVERITY"}, rows); err != nil {
			return err
		}
		fmt.Fprintf(w, "\n%d of %d shadow-MCP scenarios found.\n", len(rep.Scenarios)-rep.Missed, len(rep.Scenarios))
	}
	for _, u := range rep.Unexpected {
		fmt.Fprintf(w, "UNEXPECTED above Low on benign traffic: %s\n", u)
	}
	var sev []string
	for _, name := range []string{"Critical", "High", "Medium", "Low", "Informational"} {
		if n := rep.BySeverity[name]; n > 0 {
			sev = append(sev, fmt.Sprintf("%d %s", n, strings.ToLower(name)))
		}
	}
	fmt.Fprintf(w, "%d findings in the lake (%s).\n\nNext:\n", rep.Findings, strings.Join(sev, ", "))
	fmt.Fprintf(w, "  mcpwatch findings                   # what was found, most severe first\n")
	fmt.Fprintf(w, "  mcpwatch findings --format asff     # as Security Hub findings\n")
	fmt.Fprintf(w, "  mcpwatch rules list                 # the detection rules that found them\n")
	fmt.Fprintf(w, "  mcpwatch query \"SELECT src_endpoint.ip, dst_endpoint.ip, dst_endpoint.port, sum(traffic.bytes) AS bytes FROM vpc_flow GROUP BY ALL ORDER BY bytes DESC LIMIT 10\"\n")
	return nil
}
