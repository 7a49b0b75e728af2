package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mcpwatch/mcpwatch/internal/detect"
	"github.com/mcpwatch/mcpwatch/internal/hunt"
	"github.com/mcpwatch/mcpwatch/internal/output"
	"github.com/mcpwatch/mcpwatch/internal/rules"
)

func newRulesCmd(e *env) *cobra.Command {
	var (
		df, sqlFlags detectFlags
		format       string
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
				rows = append(rows, []any{r.ID, r.Severity, "vpcflow", "native", 0, r.Title})
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

	cmd.AddCommand(list, test, lint, newRulesSQLCmd(e, &sqlFlags, &format))
	return cmd
}

// newRulesSQLCmd is `rules sql NAME`: a rule as SQL over the lake, printed or run.
func newRulesSQLCmd(e *env, df *detectFlags, format *string) *cobra.Command {
	var (
		dialect, since, region string
		runIt                  bool
		limit                  int
	)
	cmd := &cobra.Command{
		Use:   "sql NAME",
		Short: "Show a rule as SQL over the lake (DuckDB locally, Athena on Security Lake), or run it with --run",
		Long: `The same detection as a query, for batch hunting back in time: a single-event rule becomes a
filtered SELECT, a correlation a GROUP BY over time buckets of its timespan with HAVING on its
condition. Every value of the rule is a bound parameter. Rules using the catalogue's command,
image or heuristic matching cannot be expressed in SQL: the streaming engine runs them
(mcpwatch detect --since).`,
		Example: `  mcpwatch rules sql dnsflow.mcp_connection
  mcpwatch rules sql dns.mcp_catalogue_lookup --since 30d --run
  mcpwatch rules sql network.internal_mcp_port_server --dialect athena --region us-east-1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			of, err := output.ParseFormat(*format)
			if err != nil {
				return fmt.Errorf("--format: %w", err)
			}
			d, err := parseDialect(dialect)
			if err != nil {
				return err
			}
			if runIt && d != hunt.DuckDB {
				return fmt.Errorf("--run runs on the local lake (DuckDB); print Athena SQL without it")
			}
			back, err := parseSince(since)
			if err != nil {
				return fmt.Errorf("--since: %w", err)
			}
			rs, err := df.rules()
			if err != nil {
				return err
			}
			byName := map[string]*rules.Rule{}
			for _, r := range rs {
				byName[r.Name] = r
			}
			r, ok := byName[args[0]]
			if !ok {
				return fmt.Errorf("no rule %q (mcpwatch rules list shows them)", args[0])
			}
			cfg, err := df.config(e)
			if err != nil {
				return err
			}
			renv, err := df.rulesEnv(cfg)
			if err != nil {
				return err
			}
			henv := hunt.Env{Since: time.Now().Add(-back), CatalogueHosts: hunt.CatalogueHosts(renv.Catalogue),
				InternalCIDRs: detect.InternalPrefixes(renv.Internal)}
			henv.IntelAddrs, henv.IntelDomains = hunt.Intel(cfg.Intel)
			for _, p := range renv.MCPPorts {
				henv.MCPPorts = append(henv.MCPPorts, int(p))
			}
			if d == hunt.Athena {
				henv.Tables = hunt.AthenaTables("", region, "2.0")
			}
			q, err := hunt.Translate(r, byName, d, henv)
			if err != nil {
				return err
			}
			if !runIt {
				fmt.Fprint(e.stdout, hunt.Explain(q))
				return nil
			}
			db, err := openQueryDB(cmd.Context(), e, limit)
			if err != nil {
				return err
			}
			defer db.Close()
			res, err := hunt.Run(cmd.Context(), db, q)
			if err != nil {
				return err
			}
			return writeResult(e, of, res)
		},
	}
	f := cmd.Flags()
	f.StringVar(&dialect, "dialect", "duckdb", "duckdb (the local lake) or athena (Amazon Security Lake's Glue tables)")
	f.StringVar(&since, "since", "7d", "look back this far: 30d, 12h, 90m")
	f.StringVar(&region, "region-tables", "us-east-1", "with --dialect athena: the Security Lake region whose Glue tables to name")
	f.BoolVar(&runIt, "run", false, "run the query on the local lake and print the rows")
	f.IntVar(&limit, "limit", 10000, "with --run: at most this many rows")
	df.register(cmd)
	return cmd
}

func parseDialect(s string) (hunt.Dialect, error) {
	switch strings.ToLower(s) {
	case "duckdb", "":
		return hunt.DuckDB, nil
	case "athena":
		return hunt.Athena, nil
	}
	return 0, fmt.Errorf("--dialect %q: want duckdb or athena", s)
}
