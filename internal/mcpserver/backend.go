package mcpserver

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/athena"
)

// Backend is where the Security Lake tools' SQL runs: the local lake through DuckDB, or
// Security Lake itself through Athena.
type Backend interface {
	// Name is "local" or "athena".
	Name() string
	// Tables lists the Security Lake tables the backend can query.
	Tables(ctx context.Context) ([]Table, error)
	// Query runs one statement of the tools' own SQL with its values bound to its ?
	// markers, returning at most maxRows rows.
	Query(ctx context.Context, st Stmt, maxRows int) (*Rows, error)
	// Discover reports the resources the backend found and what is missing.
	Discover(ctx context.Context) (map[string]any, error)
	// Check tests that the backend answers and reports how.
	Check(ctx context.Context) (map[string]any, error)
}

// Stmt is a statement of the tools' SQL and its values, never spliced into the text: string,
// int64 and bool values only (and, locally, the []string of file paths of Table.refArgs).
type Stmt struct {
	SQL  string
	Args []any
}

// Rows is a query result.
type Rows struct {
	Columns   []string
	Rows      [][]any
	Truncated bool
	Info      QueryInfo
}

// Maps returns each row as a map from column name to value.
func (r *Rows) Maps() []map[string]any {
	out := make([]map[string]any, len(r.Rows))
	for i, row := range r.Rows {
		m := make(map[string]any, len(r.Columns))
		for j, c := range r.Columns {
			m[c] = row[j]
		}
		out[i] = m
	}
	return out
}

// QueryInfo says how a query ran; tools put it in their metadata.
type QueryInfo struct {
	Backend      string `json:"backend"`
	QueryID      string `json:"query_id,omitempty"`
	BytesScanned int64  `json:"bytes_scanned"`
	ExecutionMS  int64  `json:"execution_time_ms"`
	Cached       bool   `json:"cached"`
}

// TimeFilter is how a table is restricted to a time window.
type TimeFilter int

const (
	// ByEventDay filters on the eventday partition (YYYYMMDD) and the time column (epoch
	// ms): Security Lake source version 1, and mcpwatch's local lake.
	ByEventDay TimeFilter = iota
	// ByTimeDT filters on time_dt, the column source version 2 tables are partitioned on.
	ByTimeDT
)

// Table is a Security Lake table a backend can query.
type Table struct {
	// Name is the table's name in its catalog (vpc_flow, amazon_security_lake_table_us_east_1_vpc_flow_2_0).
	Name string `json:"name"`
	// Ref is how SQL names it (quoted, with its database when there is one).
	Ref string `json:"-"`
	// refArgs are the values of the ? markers of Ref, if it has any: an IP search's address
	// pass reads some files of a local table only (see Local.ipTables).
	refArgs []any
	// Source is Security Lake's source name (VPC_FLOW, ROUTE53, SH_FINDINGS, ...).
	Source string `json:"source"`
	// SourceVersion is "1.0" (OCSF 1.0.0-rc.2) or "2.0" (OCSF 1.1.0).
	SourceVersion string `json:"source_version"`
	// Columns are the top-level columns with their types.
	Columns []athena.Column `json:"columns,omitempty"`
	// Time is how the table is restricted to a window.
	Time TimeFilter `json:"-"`

	fields map[string]bool // every reachable dotted path, lower case
}

// OCSFVersion is the OCSF version of the table's rows.
func (t *Table) OCSFVersion() string {
	if t.SourceVersion == "1.0" {
		return "1.0.0-rc.2"
	}
	return "1.1.0"
}

// Has reports whether the dotted path (src_endpoint.ip) exists in the table.
func (t *Table) Has(path string) bool { return t.fields[strings.ToLower(path)] }

// index computes the table's field paths from its column types.
func (t *Table) index() {
	t.fields = map[string]bool{}
	for _, c := range t.Columns {
		name := strings.ToLower(c.Name)
		t.fields[name] = true
		if typ, err := athena.ParseType(c.Type); err == nil {
			for _, p := range typ.Paths(name) {
				t.fields[p] = true
			}
		}
	}
}

// sourceFromName derives Security Lake's source name and version from a table name:
// amazon_security_lake_table_us_east_1_vpc_flow_2_0 → VPC_FLOW, "2.0"; vpc_flow → VPC_FLOW, "".
func sourceFromName(name string) (source, version string) {
	n := strings.ToLower(name)
	switch {
	case strings.HasSuffix(n, "_1_0"):
		version, n = "1.0", strings.TrimSuffix(n, "_1_0")
	case strings.HasSuffix(n, "_2_0"):
		version, n = "2.0", strings.TrimSuffix(n, "_2_0")
	}
	for _, s := range knownSources {
		if strings.HasSuffix(n, strings.ToLower(s)) {
			return s, version
		}
	}
	if i := strings.LastIndex(n, "_table_"); i >= 0 {
		n = n[i+len("_table_"):]
	}
	return strings.ToUpper(n), version
}

// knownSources are Security Lake's AWS sources, longest first so that suffix matching picks
// the right one.
var knownSources = []string{
	"CLOUD_TRAIL_MGMT", "LAMBDA_EXECUTION", "SH_FINDINGS", "EKS_AUDIT", "VPC_FLOW", "ROUTE53", "S3_DATA", "WAF", "FINDINGS",
}

// cache keeps query results for a while, bounded in entries. It is safe for concurrent use.
type cache struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu sync.Mutex
	m  map[string]cacheEntry
}

type cacheEntry struct {
	rows *Rows
	at   time.Time
}

func newCache(ttl time.Duration, max int) *cache {
	return &cache{ttl: ttl, max: max, now: time.Now, m: map[string]cacheEntry{}}
}

func cacheKey(st Stmt, maxRows int) string {
	b, _ := json.Marshal(struct {
		S string
		A []any
		N int
	}{st.SQL, st.Args, maxRows})
	return string(b)
}

func (c *cache) get(key string) (*Rows, bool) {
	if c == nil || c.ttl <= 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || c.now().Sub(e.at) > c.ttl {
		delete(c.m, key)
		return nil, false
	}
	return e.rows, true
}

func (c *cache) put(key string, r *Rows) {
	if c == nil || c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		// Drop the oldest entry.
		var oldest string
		var at time.Time
		for k, e := range c.m {
			if oldest == "" || e.at.Before(at) {
				oldest, at = k, e.at
			}
		}
		delete(c.m, oldest)
	}
	c.m[key] = cacheEntry{rows: r, at: c.now()}
}

// cachedQuery runs st through the cache.
func cachedQuery(ctx context.Context, b Backend, c *cache, st Stmt, maxRows int) (*Rows, error) {
	key := cacheKey(st, maxRows)
	if r, ok := c.get(key); ok {
		cp := *r
		cp.Info.Cached = true
		return &cp, nil
	}
	r, err := b.Query(ctx, st, maxRows)
	if err != nil {
		return nil, err
	}
	c.put(key, r)
	return r, nil
}

// tablesOf returns the tables of source, newest source version first.
func tablesOf(tables []Table, source string) []Table {
	var out []Table
	for _, t := range tables {
		if t.Source == source {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b Table) int { return strings.Compare(b.SourceVersion, a.SourceVersion) })
	return out
}
