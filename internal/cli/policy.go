package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/mcpwatch/mcpwatch/internal/output"
	"github.com/mcpwatch/mcpwatch/internal/policy"
)

func newPolicyCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Work with the policy of sanctioned MCP servers",
		Long: `A policy file (YAML) says which MCP servers are sanctioned and for whom: allow entries name
servers (domains, URL patterns, packages, serverInfo names) and subjects (AWS accounts, IAM
principals, source CIDRs, resource tags), and exceptions do the same with a reason and an
expiry date. Detection reports only the MCP use no entry allows, and each finding names the
entry it checked. Without a policy file nothing is sanctioned. The format is in
docs/policy.md; examples/policy.yaml is a complete example.`,
		Example:       `  mcpwatch policy check policy.yaml`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	cmd.AddCommand(newPolicyCheckCmd(e))
	return cmd
}

func newPolicyCheckCmd(e *env) *cobra.Command {
	var (
		format string
		at     string
		strict bool
	)
	cmd := &cobra.Command{
		Use:   "check [flags] FILE",
		Short: "Lint a policy file",
		Long: `Check reads a policy file and reports, with file, line and column: YAML syntax errors, unknown
keys, values of the wrong type, invalid domains, URL and package patterns, account IDs, ARN
patterns, CIDR blocks and dates, exceptions without a reason or an expiry date, and duplicate
ids (errors); and expired exceptions, entries that repeat or overlap what another entry
already sanctions for the same subjects, CIDR blocks with host bits set and rules that
sanction everything (warnings).

The exit status is 1 when there is an error (or, with --strict, a warning), else 0.`,
		Example: `  mcpwatch policy check policy.yaml
  mcpwatch policy check --strict policy.yaml          # in CI: warnings fail too
  mcpwatch policy check --at 2027-01-01 policy.yaml   # which exceptions will have expired
  mcpwatch policy check --format json policy.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			of, err := output.ParseFormat(format)
			if err != nil {
				return fmt.Errorf("--format: %w", err)
			}
			now := time.Now()
			if at != "" {
				if now, err = time.Parse("2006-01-02", at); err != nil {
					return fmt.Errorf("--at %q: want YYYY-MM-DD", at)
				}
			}
			p, diags, err := policy.Load(args[0])
			if err != nil && p == nil && diags == nil {
				return err // the file could not be read
			}
			diags = append(diags, p.Lint(now)...)
			var nerr, nwarn int
			for _, d := range diags {
				if d.Severity == policy.Error {
					nerr++
				} else {
					nwarn++
				}
			}
			if of == output.Table {
				for _, d := range diags {
					fmt.Fprintln(e.stdout, d.String())
				}
				summary := fmt.Sprintf("%s: %d errors, %d warnings", args[0], nerr, nwarn)
				if p != nil {
					var allow, exc int
					for _, en := range p.Entries() {
						if en.Type == policy.Exception {
							exc++
						} else {
							allow++
						}
					}
					summary += fmt.Sprintf("; %d allow entries, %d exceptions", allow, exc)
				}
				fmt.Fprintln(e.stdout, summary)
			} else {
				rows := make([][]any, len(diags))
				for i, d := range diags {
					rows[i] = []any{d.File, d.Line, d.Column, d.Severity.String(), d.Entry, d.Message}
				}
				if err := output.Write(e.stdout, of, []string{"file", "line", "column", "severity", "entry", "message"}, rows); err != nil {
					return err
				}
			}
			if nerr > 0 || strict && nwarn > 0 {
				return exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table (compiler-style lines and a summary), json, ndjson or csv")
	cmd.Flags().StringVar(&at, "at", "", "check exception expiry at this date (YYYY-MM-DD) instead of today")
	cmd.Flags().BoolVar(&strict, "strict", false, "exit with status 1 on warnings too")
	return cmd
}
