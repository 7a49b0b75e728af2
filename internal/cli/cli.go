// Package cli is the mcpwatch command line: it wires the packages that do the work to cobra
// commands, flags and output formats, and holds no logic of its own beyond that.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/spf13/cobra"

	"github.com/mcpwatch/mcpwatch/internal/awsconf"
	"github.com/mcpwatch/mcpwatch/internal/ingest"
	"github.com/mcpwatch/mcpwatch/internal/lake"
	"github.com/mcpwatch/mcpwatch/internal/output"
)

// defaultMemoryLimit is the soft Go heap limit of a command (see runtime/debug.SetMemoryLimit).
const defaultMemoryLimit = 256 << 20

// DefaultLake is the lake directory when neither --lake nor MCPWATCH_LAKE says otherwise.
const DefaultLake = "./mcpwatch-lake"

// env is what every command gets: its streams, global flags and logger.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	lake           string
	logLevel       string
	cpuProfile     string
	aws            awsconf.Options
	log            *slog.Logger

	s3     *s3.Client // created on first use by s3Client
	s3Once sync.Once
	s3Err  error
}

// exitError carries the process exit status of a command that failed in a way it already
// reported (so Main prints nothing more).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// Main runs the command line with args (without the program name) and returns the exit status.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	fmt.Fprintf(stderr, "mcpwatch: %v\n", err)
	if errors.Is(err, context.Canceled) {
		return 130
	}
	return 1
}

func newRoot(e *env) *cobra.Command {
	lakeDefault := DefaultLake
	if v := os.Getenv("MCPWATCH_LAKE"); v != "" {
		lakeDefault = v
	}
	root := &cobra.Command{
		Use:   "mcpwatch",
		Short: "Find shadow MCP in AWS telemetry",
		Long: `mcpwatch finds shadow MCP — AI assistants wired to Model Context Protocol servers nobody
reviewed — in AWS telemetry. It normalizes AWS logs to OCSF exactly as Amazon Security Lake
does, stores them as Parquet in Security Lake's layout (a local directory by default),
detects unauthorized MCP use, and answers questions about the lake with SQL.`,
		Example: `  # see it work on a generated AWS organization (no AWS account needed)
  mcpwatch demo

  # ingest your own VPC Flow Logs (files, directories, globs, gzip or not) with threat intel
  mcpwatch ingest --intel threat-intel.txt ./AWSLogs/

  # what was found, and the lake behind it
  mcpwatch findings
  mcpwatch query "SELECT dst_endpoint.ip, sum(traffic.bytes) FROM vpc_flow GROUP BY 1 ORDER BY 2 DESC LIMIT 10"`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			var level slog.Level
			if err := level.UnmarshalText([]byte(e.logLevel)); err != nil {
				return fmt.Errorf("--log-level %q: want debug, info, warn or error", e.logLevel)
			}
			e.log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
			if os.Getenv("GOMEMLIMIT") == "" {
				// A soft heap limit keeps ingest's peak memory bounded when many partitions
				// are written at once (the collector works harder near it); GOMEMLIMIT overrides.
				debug.SetMemoryLimit(defaultMemoryLimit)
			}
			if e.cpuProfile != "" {
				f, err := os.Create(e.cpuProfile)
				if err != nil {
					return fmt.Errorf("--cpuprofile: %w", err)
				}
				if err := pprof.StartCPUProfile(f); err != nil {
					return fmt.Errorf("--cpuprofile: %w", err)
				}
			}
			return nil
		},
		PersistentPostRun: func(cmd *cobra.Command, args []string) {
			if e.cpuProfile != "" {
				pprof.StopCPUProfile()
			}
		},
	}
	root.PersistentFlags().StringVar(&e.lake, "lake", lakeDefault, "lake: a directory, or s3://bucket/prefix (env MCPWATCH_LAKE)")
	root.PersistentFlags().StringVar(&e.aws.Region, "region", "", "AWS region for S3 inputs and S3 lakes (default: the AWS configuration's)")
	root.PersistentFlags().StringVar(&e.aws.Profile, "profile", "", "AWS shared-config profile (default: the AWS configuration's)")
	root.PersistentFlags().StringVar(&e.aws.EndpointURL, "endpoint-url", "", "S3 endpoint of an S3-compatible store (path-style addressing)")
	root.PersistentFlags().StringVar(&e.logLevel, "log-level", "warn", "log level: debug, info, warn, error")
	root.PersistentFlags().StringVar(&e.cpuProfile, "cpuprofile", "", "write a CPU profile of the command to this file")
	root.PersistentFlags().MarkHidden("cpuprofile")
	root.AddCommand(
		newDemoCmd(e),
		newIngestCmd(e),
		newDetectCmd(e),
		newFindingsCmd(e),
		newQueryCmd(e),
		newValidateCmd(e),
		newScanCmd(e),
		newCatalogueCmd(e),
		newPolicyCmd(e),
		newRulesCmd(e),
		newMCPCmd(e),
		newVersionCmd(e),
	)
	return root
}

// oneOf returns an error unless v is one of allowed.
func oneOf(flag, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return fmt.Errorf("--%s %q: want one of %s", flag, v, strings.Join(allowed, ", "))
}

// writeValue writes one value as data: an indented JSON object for json, one line for
// ndjson (and csv, which has no way to show nested values).
func writeValue(w io.Writer, f output.Format, v any) error {
	var (
		b   []byte
		err error
	)
	if f == output.JSON {
		b, err = json.MarshalIndent(v, "", "  ")
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// openLake opens the lake the --lake flag names: a local directory or an s3:// location.
func (e *env) openLake() (*lake.Lake, error) {
	if ingest.IsS3URL(e.lake) {
		bucket, prefix, err := ingest.ParseS3URL(e.lake)
		if err != nil {
			return nil, fmt.Errorf("--lake: %w", err)
		}
		c, err := e.s3Client()
		if err != nil {
			return nil, err
		}
		return lake.OpenS3(c, bucket, prefix, lake.WithLogger(e.log))
	}
	return lake.Open(e.lake, lake.WithLogger(e.log))
}

// s3Client returns the S3 client of the AWS flags, created once.
func (e *env) s3Client() (*s3.Client, error) {
	e.s3Once.Do(func() {
		cfg, err := awsconf.Load(context.Background(), e.aws)
		if err != nil {
			e.s3Err = err
			return
		}
		e.s3 = awsconf.NewS3(cfg, e.aws)
	})
	return e.s3, e.s3Err
}
