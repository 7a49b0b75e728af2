package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mcpwatch/mcpwatch/internal/ingest"
	"github.com/mcpwatch/mcpwatch/internal/output"
	"github.com/mcpwatch/mcpwatch/internal/query"
)

func newQueryCmd(e *env) *cobra.Command {
	var (
		format string
		limit  int
	)
	cmd := &cobra.Command{
		Use:   "query [flags] SQL",
		Short: "Ask the lake a question in SQL (read-only)",
		Long: `Query runs one read-only SQL statement (SELECT, WITH ... SELECT, DESCRIBE, SUMMARIZE, SHOW,
EXPLAIN) on the lake with embedded DuckDB. Anything that would write, load extensions, change
settings or read files outside the lake is refused.

Views: vpc_flow, cloud_trail_mgmt, route53, sh_findings (Security Lake's sources, with the
partition columns region, accountid, eventday), findings (the current version of each
mcpwatch finding) and findings_history (every version). Nested OCSF objects are structs:
src_endpoint.ip, connection_info.direction, finding_info.title. Use - to read the SQL from
standard input.`,
		Example: `  mcpwatch query "SHOW TABLES"
  mcpwatch query "DESCRIBE vpc_flow"
  mcpwatch query "SELECT dst_endpoint.port, count(*) AS flows FROM vpc_flow WHERE connection_info.direction = 'Outbound' GROUP BY 1 ORDER BY 2 DESC LIMIT 10"
  mcpwatch query --format csv "SELECT severity, finding_info.title, count FROM findings" > findings.csv
  echo "SELECT count(*) FROM vpc_flow" | mcpwatch query -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			of, err := output.ParseFormat(format)
			if err != nil {
				return fmt.Errorf("--format: %w", err)
			}
			sql := strings.Join(args, " ")
			if sql == "-" {
				b, err := io.ReadAll(e.stdin)
				if err != nil {
					return err
				}
				sql = string(b)
			}
			if ingest.IsS3URL(e.lake) {
				return fmt.Errorf("query reads a local lake with embedded DuckDB (built without S3 access); " +
					"query a lake in S3 with Athena (see `mcpwatch mcp` and docs/mcp.md), or copy it locally (aws s3 sync)")
			}
			db, err := openQueryDB(cmd.Context(), e, limit)
			if err != nil {
				return err
			}
			defer db.Close()
			res, err := db.Query(cmd.Context(), sql)
			if err != nil {
				return err
			}
			return writeResult(e, of, res)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table, json, ndjson or csv")
	cmd.Flags().IntVar(&limit, "limit", 10000, "return at most this many rows (0 = no limit)")
	return cmd
}

// openQueryDB opens the local lake for SQL (at most limit rows a result), with every table's
// schema file in place.
func openQueryDB(ctx context.Context, e *env, limit int) (*query.DB, error) {
	if _, err := os.Stat(e.lake); err != nil {
		return nil, fmt.Errorf("no lake at %s (run `mcpwatch demo` or `mcpwatch ingest` first, or pass --lake)", e.lake)
	}
	if err := ensureSchemaFiles(e); err != nil {
		return nil, err
	}
	return query.Open(ctx, e.lake, query.WithMaxRows(limit), query.WithLogger(e.log))
}

// writeResult prints a query result, saying on stderr when the row limit cut it.
func writeResult(e *env, of output.Format, res *query.Result) error {
	if err := output.Write(e.stdout, of, res.ColumnNames(), res.Rows); err != nil {
		return err
	}
	if res.Truncated {
		fmt.Fprintf(e.stderr, "(showing the first %d rows; raise --limit to see more)\n", len(res.Rows))
	}
	return nil
}

// ensureSchemaFiles makes sure every table of the lake has its empty schema file, so that the
// views of tables without data yet still have their columns.
func ensureSchemaFiles(e *env) error {
	lk, err := e.openLake()
	if err != nil {
		return err
	}
	defer lk.Close()
	for _, t := range lk.Tables() {
		if _, err := lk.SchemaFile(t.Name()); err != nil {
			return err
		}
	}
	return nil
}
