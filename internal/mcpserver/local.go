package mcpserver

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/athena"
	"github.com/mcpwatch/mcpwatch/internal/query"
)

// Local is the backend over mcpwatch's local lake, through DuckDB.
type Local struct {
	db  *query.DB
	ips *addrIndex

	mu     sync.Mutex
	tables []Table
	at     time.Time
}

// tablesTTL is how long the lake's table list is reused before it is described again.
const tablesTTL = 10 * time.Second

// NewLocal returns the backend over an open lake.
func NewLocal(db *query.DB) *Local {
	return &Local{db: db, ips: newAddrIndex(db, defaultAddrIndexBytes)}
}

// addrColumns are the columns an IP search matches, quoted, of those t has.
func addrColumns(t *Table) []string {
	var cols []string
	for _, p := range []string{"src_endpoint.ip", "dst_endpoint.ip"} {
		if t.Has(p) {
			cols = append(cols, qpath(p))
		}
	}
	return cols
}

// ipTables restricts the tables of an IP search's address pass over w to the files that may
// hold one of forms, by the address index: a table none of whose files of the window may
// hold them is left out, one whose files all may is kept as it is, and the others read only
// those files (Ref reads a list of paths bound as a parameter). The files' paths come from
// the lake's directory listing, never from a client.
func (l *Local) ipTables(ctx context.Context, tables []Table, forms []string, w window) ([]Table, error) {
	out := make([]Table, 0, len(tables))
	for _, t := range tables {
		cols := addrColumns(&t)
		if len(cols) == 0 || !queryable(&t) || t.Time != ByEventDay {
			out = append(out, t)
			continue
		}
		files, ok, err := l.db.DataFiles(t.Name, w.start.Format("20060102"), w.end.Format("20060102"))
		if err != nil {
			return nil, err
		}
		if !ok || slices.ContainsFunc(files, func(f query.DataFile) bool { return query.HasGlob(f.Path) }) {
			out = append(out, t)
			continue
		}
		cand, err := l.ips.candidates(ctx, files, cols, forms)
		if err != nil {
			return nil, err
		}
		switch {
		case len(cand) == 0:
			// No file of the window may hold the address.
		case len(cand) == len(files):
			out = append(out, t)
		default:
			paths := make([]string, len(cand))
			for i, f := range cand {
				paths[i] = f.Path
			}
			t.Ref, t.refArgs = query.FilesFrom(), []any{paths}
			out = append(out, t)
		}
	}
	return out, nil
}

// warmIPIndex builds the address index of the files of w, so that the first searches do not
// wait for it; it stops when ctx ends.
func (l *Local) warmIPIndex(ctx context.Context, w window) error {
	tables, err := l.Tables(ctx)
	if err != nil {
		return err
	}
	// An address no file holds: its search needs every file's index.
	_, err = l.ipTables(ctx, tables, []string{""}, w)
	return err
}

// Name is "local".
func (l *Local) Name() string { return "local" }

// Tables lists the lake's views of Security Lake sources (not mcpwatch's own findings,
// which have tools of their own), with their columns.
func (l *Local) Tables(ctx context.Context) ([]Table, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tables != nil && time.Since(l.at) < tablesTTL {
		return l.tables, nil
	}
	var out []Table
	for _, v := range l.db.Tables() {
		if v.Source == "FINDINGS" {
			continue
		}
		res, err := l.db.QueryTrusted(ctx, "SELECT column_name, column_type FROM (DESCRIBE "+quoteIdent(v.Name)+")")
		if err != nil {
			return nil, fmt.Errorf("describe %s: %w", v.Name, err)
		}
		t := Table{Name: v.Name, Ref: quoteIdent(v.Name), Source: v.Source, SourceVersion: query.SourceVersion, Time: ByEventDay}
		for _, r := range res.Rows {
			name, _ := r[0].(string)
			typ, _ := r[1].(string)
			t.Columns = append(t.Columns, athena.Column{Name: name, Type: typ})
		}
		t.index()
		out = append(out, t)
	}
	l.tables, l.at = out, time.Now()
	return out, nil
}

// Query runs st on DuckDB. The statement is the tools' own SQL, never text from a client;
// its values are bound.
func (l *Local) Query(ctx context.Context, st Stmt, maxRows int) (*Rows, error) {
	start := time.Now()
	res, err := l.db.QueryTrusted(ctx, st.SQL, st.Args...)
	if err != nil {
		return nil, err
	}
	r := &Rows{Columns: res.ColumnNames(), Rows: res.Rows, Info: QueryInfo{Backend: "local", ExecutionMS: time.Since(start).Milliseconds()}}
	if maxRows > 0 && len(r.Rows) > maxRows {
		r.Rows, r.Truncated = r.Rows[:maxRows], true
	}
	return r, nil
}

// Discover reports the lake and what to set to query Security Lake in AWS instead.
func (l *Local) Discover(ctx context.Context) (map[string]any, error) {
	tables, err := l.Tables(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, t := range tables {
		if l.rows(ctx, t) > 0 {
			names = append(names, t.Name)
		}
	}
	return map[string]any{
		"backend":          "local",
		"lake_directory":   l.db.LakeDir(),
		"tables_with_data": names,
		"missing":          []string{"AWS settings: this server reads mcpwatch's local lake because no AWS setting was given"},
		"recommendations": []string{
			"To query Amazon Security Lake through Athena, set ASL_MCP_AWS_REGION (and ASL_MCP_AWS_PROFILE, or use the standard AWS credential chain), optionally ASL_MCP_ATHENA_OUTPUT_LOCATION=s3://<bucket>/<prefix>/ and ASL_MCP_SECURITY_LAKE_DATABASE",
			"To fill the local lake, run `mcpwatch ingest` on your AWS logs (or `mcpwatch demo`)",
		},
	}, nil
}

// rows counts a table's rows (Parquet metadata makes this cheap).
func (l *Local) rows(ctx context.Context, t Table) int64 {
	res, err := l.db.QueryTrusted(ctx, "SELECT count(*) FROM "+t.Ref)
	if err != nil || len(res.Rows) == 0 {
		return 0
	}
	n, _ := res.Rows[0][0].(int64)
	return n
}

// Check runs a trivial query and counts the rows of each table.
func (l *Local) Check(ctx context.Context) (map[string]any, error) {
	if _, err := l.db.QueryTrusted(ctx, "SELECT 1"); err != nil {
		return nil, err
	}
	tables, err := l.Tables(ctx)
	if err != nil {
		return nil, err
	}
	counts := map[string]int64{}
	for _, t := range tables {
		counts[t.Name] = l.rows(ctx, t)
	}
	return map[string]any{"backend": "local", "engine": "duckdb", "lake_directory": l.db.LakeDir(), "table_rows": counts}, nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
