package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mcpwatch/mcpwatch/internal/detect"
	"github.com/mcpwatch/mcpwatch/internal/output"
	"github.com/mcpwatch/mcpwatch/internal/rules"
)

func newRulesCmd(e *env) *cobra.Command {
	var (
		df     detectFlags
		format string
	)
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List, test and lint the detection rules",
		Long: `Detection rules are Sigma rules (and Sigma v2 correlations) over OCSF fields, with an mcpwatch
section saying what a match means and test cases in every file. The built-in pack is embedded;
--rules DIR adds an organization's own (a rule named like a built-in one replaces it).
See docs/rules.md for the format.`,
		Example: `  mcpwatch rules list
  mcpwatch rules test --rules ./our-rules
  mcpwatch rules lint --rules ./our-rules --format json`,
	}
	pf := cmd.PersistentFlags()
	pf.StringArrayVar(&df.rulesDirs, "rules", nil, "directory of rule files added to the built-in pack; repeatable")
	pf.StringArrayVar(&df.catalogues, "catalogue", nil, "catalogue file (CSV) extending the built-in MCP catalogue; repeatable")
	pf.StringVar(&format, "format", "table", "table, json, ndjson or csv")

	load := func() ([]*rules.Rule, rules.Env, output.Format, error) {
		of, err := output.ParseFormat(format)
		if err != nil {
			return nil, rules.Env{}, 0, fmt.Errorf("--format: %w", err)
		}
		rs, err := df.rules()
		if err != nil {
			return nil, rules.Env{}, 0, err
		}
		renv, err := df.rulesEnv(detect.Config{})
		return rs, renv, of, err
	}

	list := &cobra.Command{
		Use:   "list",
		Short: "Show every rule: name, level, source, kind, tests",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rs, _, of, err := load()
			if err != nil {
				return err
			}
			head := []string{"NAME", "LEVEL", "SOURCE", "KIND", "TESTS", "TITLE"}
			var rows [][]any
			for _, r := range detect.Rules() {
				rows = append(rows, []any{r.ID, "", "vpcflow", "native", 0, r.Title})
			}
			for _, r := range rs {
				kind := "sigma"
				src := r.Logsource.Service
				if r.IsCorrelation() {
					kind = "correlation/" + string(r.Correlation.Type)
					src = strings.Join(r.Correlation.Rules, "+")
				}
				if r.Meta.Role != "" && r.Meta.Role != rules.RoleFinding {
					kind += " (" + string(r.Meta.Role) + ")"
				}
				if !r.Builtin {
					kind += ", " + r.File
				}
				rows = append(rows, []any{r.Name, r.Level.String(), src, kind, len(r.Tests), r.Title})
			}
			return output.Write(e.stdout, of, head, rows)
		},
	}

	var verbose bool
	test := &cobra.Command{
		Use:   "test",
		Short: "Run every rule's test cases; exit status 1 when one fails",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rs, renv, of, err := load()
			if err != nil {
				return err
			}
			results := detect.RunTests(rs, renv)
			failed := 0
			var rows [][]any
			for _, r := range results {
				if !r.Pass {
					failed++
				}
				if of != output.Table || verbose || !r.Pass {
					res := "pass"
					if !r.Pass {
						res = "FAIL"
					}
					rows = append(rows, []any{fmt.Sprintf("%s:%d", r.File, r.Line), r.Rule, r.Test, res, r.Problem})
				}
			}
			if of != output.Table {
				if err := writeValue(e.stdout, of, results); err != nil {
					return err
				}
			} else {
				if len(rows) > 0 {
					if err := output.Write(e.stdout, of, []string{"AT", "RULE", "TEST", "RESULT", "PROBLEM"}, rows); err != nil {
						return err
					}
					fmt.Fprintln(e.stdout)
				}
				fmt.Fprintf(e.stdout, "%d tests of %d rules: %d passed, %d failed\n", len(results), len(rs), len(results)-failed, failed)
			}
			if failed > 0 {
				return exitError{code: 1}
			}
			return nil
		},
	}
	test.Flags().BoolVarP(&verbose, "verbose", "v", false, "list passing tests too")

	var strict bool
	lint := &cobra.Command{
		Use:   "lint",
		Short: "Check the rule files: fields, modifiers, names, correlations, tests",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rs, renv, of, err := load()
			if err != nil {
				return err
			}
			probs := rules.Lint(rs, renv)
			errs := 0
			var rows [][]any
			for _, p := range probs {
				sev := "warning"
				if p.Error {
					sev = "error"
					errs++
				}
				rows = append(rows, []any{fmt.Sprintf("%s:%d", p.File, p.Line), sev, p.Rule, p.Msg})
			}
			if of != output.Table {
				if err := writeValue(e.stdout, of, probs); err != nil {
					return err
				}
			} else {
				for _, r := range rows {
					fmt.Fprintf(e.stdout, "%s: %s: %s: %s\n", r...)
				}
				fmt.Fprintf(e.stdout, "%d rules: %d errors, %d warnings\n", len(rs), errs, len(probs)-errs)
			}
			if errs > 0 || strict && len(probs) > 0 {
				return exitError{code: 1}
			}
			return nil
		},
	}
	lint.Flags().BoolVar(&strict, "strict", false, "exit with status 1 on warnings too")

	cmd.AddCommand(list, test, lint)
	return cmd
}
