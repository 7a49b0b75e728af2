// Package query is mcpwatch's query engine over the local lake: an embedded, in-memory DuckDB
// with one view per Security Lake source table, a read-only gate for the SQL that people and
// AI assistants send, and results converted to plain Go values.
//
// It is the only package of the project that links DuckDB.
//
// The lake is laid out as Amazon Security Lake lays out its buckets:
//
//	<lake>/<SOURCE>/2.0/region=<r>/accountId=<a>/eventDay=<YYYYMMDD>/*.parquet
//
// Each SOURCE directory becomes a view named after the Glue table Security Lake creates for it
// (VPC_FLOW → vpc_flow, ...), with the partition columns region, accountid and eventday as
// strings. FINDINGS, mcpwatch's own findings, gives two views: findings_history (every
// version of every finding) and findings (the latest version of each finding).
//
// Once the views exist, DuckDB may read files only under the lake and its configuration is
// locked, so a query cannot read other files, write files, attach databases or load
// extensions.
package query

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// SourceVersion is the Security Lake source version whose tables the views read (OCSF 1.1.0).
const SourceVersion = "2.0"

// DefaultMaxRows is the row limit of Query when no WithMaxRows option is given.
const DefaultMaxRows = 10000

// knownTables are the views that always exist, even when the lake holds no file for them.
// It is never modified.
var knownTables = []tableSource{
	{"vpc_flow", "VPC_FLOW"},
	{"cloud_trail_mgmt", "CLOUD_TRAIL_MGMT"},
	{"route53", "ROUTE53"},
	{"sh_findings", "SH_FINDINGS"},
	{"findings_history", "FINDINGS"},
	{"mcp_inventory", "MCP_INVENTORY"},
}

// tableSource is a view and the lake directory it reads.
type tableSource struct{ view, source string }

// findingsSource is the lake directory of mcpwatch's findings, which also gives the
// findingsView view.
const (
	findingsSource = "FINDINGS"
	findingsView   = "findings"
)

// sourceDirName matches a lake directory that holds a table (Security Lake source names are
// upper case); directories starting with "_" hold mcpwatch's own state.
var sourceDirName = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// Table describes one view over the lake.
type Table struct {
	// Name is the view's name (vpc_flow, findings, ...).
	Name string
	// Source is the name of the lake directory the view reads (VPC_FLOW, FINDINGS, ...).
	Source string
	// Dir is the directory of the table's files: <lake>/<Source>/2.0, with slashes.
	Dir string
	// Files is the number of Parquet files the view read when it was last created.
	Files int
	// Schema reports whether an empty view took its columns from the table's schema file.
	Schema bool
	// Err is why the view could not read its files and is empty instead, or "".
	Err string
}

// DB is a query engine over one lake directory. It is safe for concurrent use.
type DB struct {
	db      *sql.DB
	parser  *parser
	lake    string
	maxRows int
	log     *slog.Logger

	mu     sync.RWMutex
	tables []Table
}

// Option configures Open.
type Option func(*config)

type config struct {
	maxRows     int
	threads     int
	memoryLimit string
	log         *slog.Logger
}

// WithMaxRows sets how many rows Query returns at most (DefaultMaxRows by default); 0 means no
// limit. A result cut at the limit has Truncated set.
func WithMaxRows(n int) Option { return func(c *config) { c.maxRows = max(n, 0) } }

// WithThreads sets how many threads DuckDB uses (by default, one per core).
func WithThreads(n int) Option { return func(c *config) { c.threads = n } }

// WithMemoryLimit sets DuckDB's memory limit, such as "2GB" (by default, 80% of the RAM).
func WithMemoryLimit(limit string) Option { return func(c *config) { c.memoryLimit = limit } }

// WithLogger sets the logger for warnings about tables that cannot be read (slog.Default by
// default).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// Open starts an in-memory DuckDB over the lake directory lakeDir, creates the views and
// restricts file access to the lake. A table without files is an empty view; a table whose
// files cannot be read is an empty view too, with the reason in Tables and a warning logged.
func Open(ctx context.Context, lakeDir string, opts ...Option) (*DB, error) {
	cfg := config{maxRows: DefaultMaxRows, log: slog.Default()}
	for _, o := range opts {
		o(&cfg)
	}
	lake, err := resolveLake(lakeDir)
	if err != nil {
		return nil, err
	}

	dsn := url.Values{}
	dsn.Set("autoinstall_known_extensions", "false")
	dsn.Set("autoload_known_extensions", "false")
	if cfg.threads > 0 {
		dsn.Set("threads", strconv.Itoa(cfg.threads))
	}
	if cfg.memoryLimit != "" {
		dsn.Set("memory_limit", cfg.memoryLimit)
	}
	connector, err := duckdb.NewConnector("?"+dsn.Encode(), nil)
	if err != nil {
		return nil, fmt.Errorf("query: start duckdb: %w", err)
	}
	p, err := newParser()
	if err != nil {
		connector.Close()
		return nil, err
	}
	d := &DB{db: sql.OpenDB(connector), parser: p, lake: lake, maxRows: cfg.maxRows, log: cfg.log}
	if err := d.lockDown(ctx); err != nil {
		d.Close()
		return nil, err
	}
	if err := d.Refresh(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// resolveLake returns the absolute, symlink-free path of the lake directory, which must exist.
func resolveLake(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("query: lake %q: %w", dir, err)
	}
	abs, err = filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("query: lake %q: %w", dir, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("query: lake %q: %w", dir, err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("query: lake %q is not a directory", dir)
	}
	// The path goes into glob patterns (DuckDB's and filepath.Glob's): refuse what they would
	// read as wildcards rather than quote it differently for each.
	p := filepath.ToSlash(abs)
	if strings.ContainsAny(p, "*?[]{}") || (filepath.Separator == '/' && strings.Contains(p, `\`)) {
		return "", fmt.Errorf("query: lake path %q contains glob characters, which are not supported", abs)
	}
	return p, nil
}

// lockDown sets the global settings that make user queries unable to reach outside the lake:
// file access only under the lake, UTC for timestamps, and the configuration locked so that
// no later statement can change any of it.
func (d *DB) lockDown(ctx context.Context) error {
	stmts := []string{
		"SET GLOBAL TimeZone = 'UTC'",
		// Keep the footers of the Parquet files read (checked against each file's
		// modification time, evicted least recently used first under the memory limit):
		// a search of the MCP server runs several queries over the same files, and
		// decoding the footers of a day's files was 15-20% of each on a 10M-event lake.
		"SET GLOBAL parquet_metadata_cache = true",
		"SET GLOBAL allowed_directories = [" + quoteString(d.lake+"/") + "]",
		"SET GLOBAL enable_external_access = false",
		"SET GLOBAL lock_configuration = true",
	}
	for _, s := range stmts {
		if _, err := d.db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("query: configure duckdb (%s): %w", s, err)
		}
	}
	return nil
}

// Refresh re-reads the lake's layout and re-creates every view. Views of tables that had files
// see new files without it; Refresh is needed when a table gets its first files, or a new
// source directory appears.
func (d *DB) Refresh(ctx context.Context) error {
	sources, err := d.sourceDirs()
	if err != nil {
		return err
	}
	var tables []Table
	for _, src := range sources {
		t, err := d.createView(ctx, src.view, src.source)
		if err != nil {
			return err
		}
		tables = append(tables, t)
		if src.source == findingsSource {
			t, err := d.createFindingsView(ctx, t)
			if err != nil {
				return err
			}
			tables = append(tables, t)
		}
	}
	d.mu.Lock()
	d.tables = tables
	d.mu.Unlock()
	return nil
}

// sourceDirs lists the tables to create: the known ones, then every other source directory
// in the lake, sorted by name.
func (d *DB) sourceDirs() ([]tableSource, error) {
	out := slices.Clone(knownTables)
	entries, err := os.ReadDir(d.lake)
	if err != nil {
		return nil, fmt.Errorf("query: read lake: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || !sourceDirName.MatchString(name) {
			continue
		}
		view := strings.ToLower(name)
		if slices.ContainsFunc(out, func(t tableSource) bool { return t.source == name || t.view == view }) ||
			view == findingsView {
			continue // a known table, or a name its views already take
		}
		out = append(out, tableSource{view, name})
	}
	return out, nil
}

// dataGlob is the pattern of a table's Parquet files.
func (d *DB) dataGlob(source string) string {
	return d.lake + "/" + source + "/" + SourceVersion + "/region=*/accountId=*/eventDay=*/*.parquet"
}

// schemaFile is where the lake keeps an empty Parquet file with a table's columns.
func (d *DB) schemaFile(source string) string {
	return d.lake + "/_mcpwatch/schema/" + source + ".parquet"
}

// readData is the FROM item reading a table's files, with the partition columns as strings.
func (d *DB) readData(source string) string {
	return "read_parquet(" + quoteString(d.dataGlob(source)) +
		", hive_partitioning = true, hive_types_autocast = false, union_by_name = true)"
}

// dataColumns is the select list that exposes the partition columns as Security Lake's Glue
// tables do: last, lower case, named region, accountid and eventday.
const dataColumns = `* EXCLUDE (region, accountId, eventDay), region, accountId AS accountid, eventDay AS eventday`

// noPartitions is the select list of the partition columns of an empty table.
const noPartitions = `NULL::VARCHAR AS region, NULL::VARCHAR AS accountid, NULL::VARCHAR AS eventday`

// createView creates the view of one table: over its files when there are some, otherwise
// empty with the columns of its schema file when there is one, otherwise empty with only the
// partition columns.
func (d *DB) createView(ctx context.Context, view, source string) (Table, error) {
	t := Table{Name: view, Source: source, Dir: d.lake + "/" + source + "/" + SourceVersion}
	files, err := filepath.Glob(filepath.FromSlash(d.dataGlob(source)))
	if err != nil {
		return t, fmt.Errorf("query: list %s files: %w", source, err)
	}
	t.Files = len(files)
	if t.Files > 0 {
		body := "SELECT " + dataColumns + " FROM " + d.readData(source)
		err := d.createOrReplaceView(ctx, view, body)
		if err == nil {
			return t, nil
		}
		t.Err = err.Error()
		d.log.Warn("lake table unreadable, its view is empty", "table", view, "source", source, "files", t.Files, "err", err)
	}
	schema := d.schemaFile(source)
	_, err = os.Stat(schema)
	if err == nil {
		body := "SELECT *, " + noPartitions + " FROM read_parquet(" + quoteString(schema) + ") LIMIT 0"
		err = d.createOrReplaceView(ctx, view, body)
		if err == nil {
			t.Schema = true
			return t, nil
		}
	}
	if !errors.Is(err, fs.ErrNotExist) {
		d.log.Warn("lake schema file unreadable", "table", view, "file", schema, "err", err)
	}
	if err := d.createOrReplaceView(ctx, view, "SELECT "+noPartitions+" LIMIT 0"); err != nil {
		return t, err
	}
	return t, nil
}

// createFindingsView creates the findings view: the latest version of each finding (by
// finding_info.uid) in findings_history. Latest is the greatest metadata.modified_time, then
// the greatest time; remaining ties go to the row that sorts last by file name and position,
// so that the choice is the same on every run.
func (d *DB) createFindingsView(ctx context.Context, history Table) (Table, error) {
	t := history
	t.Name = findingsView
	if history.Files > 0 && history.Err == "" {
		body := "SELECT " + dataColumns + " FROM " + d.readData(findingsSource) +
			` QUALIFY row_number() OVER (PARTITION BY finding_info.uid ORDER BY metadata.modified_time DESC NULLS LAST,` +
			` "time" DESC NULLS LAST, filename DESC, file_row_number DESC) = 1`
		err := d.createOrReplaceView(ctx, t.Name, body)
		if err == nil {
			return t, nil
		}
		t.Err = err.Error()
		d.log.Warn("findings view cannot pick latest versions, it is empty", "err", err)
		body = "SELECT * FROM " + quoteIdent(history.Name) + " LIMIT 0"
		return t, d.createOrReplaceView(ctx, t.Name, body)
	}
	return t, d.createOrReplaceView(ctx, t.Name, "SELECT * FROM "+quoteIdent(history.Name))
}

func (d *DB) createOrReplaceView(ctx context.Context, view, body string) error {
	if _, err := d.db.ExecContext(ctx, "CREATE OR REPLACE VIEW "+quoteIdent(view)+" AS "+body); err != nil {
		return fmt.Errorf("query: create view %s: %w", view, err)
	}
	return nil
}

// Tables lists the views as of the last Open or Refresh, in creation order.
func (d *DB) Tables() []Table {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return slices.Clone(d.tables)
}

// LakeDir is the absolute path of the lake directory.
func (d *DB) LakeDir() string { return d.lake }

// Close releases DuckDB.
func (d *DB) Close() error {
	d.parser.close()
	if err := d.db.Close(); err != nil {
		return fmt.Errorf("query: close: %w", err)
	}
	return nil
}

// quoteString quotes s as an SQL string literal.
func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// quoteIdent quotes s as an SQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
