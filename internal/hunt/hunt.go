// Package hunt turns detection rules into SQL over the lake, for batch detection and
// retro-hunting: the same Sigma rules and correlations the streaming engine (package detect)
// evaluates event by event, as one SELECT over the lake's tables — run locally by DuckDB
// (package query's views vpc_flow, route53, cloud_trail_mgmt, sh_findings, mcp_inventory) or
// at scale by Athena over Amazon Security Lake's Glue tables.
//
// A single-event rule becomes
//
//	SELECT <evidence columns> FROM <table> WHERE <time window> AND <detection>
//
// and a correlation rule a GROUP BY over the UNION ALL of its rules' selects, per group-by
// value tuple and window, with HAVING the condition. Windows are tumbling (the time axis
// cut in timespan-long buckets from the Unix epoch), where the streaming engine's are
// sliding: a burst that straddles a bucket edge is counted in two buckets by SQL and may
// meet a threshold only in the stream.
//
// Every value of a rule (and of the Env: threat intel, catalogue hosts, ports, CIDRs) is a
// bound parameter (?), never part of the SQL text. Field paths are checked against the lake
// tables' columns; the JSON paths and map keys that fields name are restricted to plain
// identifiers before they are written into the text.
//
// What SQL cannot say exactly is refused with an error wrapping ErrUnsupported (naming the
// rule and the modifier): see docs/rules.md, "Rules as SQL".
package hunt

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/catalogue"
	"github.com/mcpwatch/mcpwatch/internal/query"
	"github.com/mcpwatch/mcpwatch/internal/rules"
)

// ErrUnsupported is wrapped by the errors of Translate for rules (or parts of rules) SQL
// cannot express exactly.
var ErrUnsupported = errors.New("not expressible in SQL")

// Dialect is the SQL dialect to write.
type Dialect int

// The dialects.
const (
	// DuckDB is the local lake's engine (package query).
	DuckDB Dialect = iota
	// Athena is Amazon Athena (Trino) over Security Lake's Glue tables.
	Athena
)

// String returns "duckdb" or "athena".
func (d Dialect) String() string {
	switch d {
	case DuckDB:
		return "duckdb"
	case Athena:
		return "athena"
	}
	return fmt.Sprintf("Dialect(%d)", int(d))
}

// Env is what a rule's SQL depends on besides the rule: the time window, and the settings
// the engine evaluates mcpwatch's modifiers against.
type Env struct {
	// Since and Until bound the events' time (inclusive; Until zero: no upper bound). Since
	// must be set: a hunt reads a window of the lake, not all of it.
	Since, Until time.Time

	// IntelAddrs and IntelDomains are the threat-intel indicators (|intel): addresses and
	// prefixes; domains, exact or "*.parent" (every name below parent).
	IntelAddrs   []netip.Prefix
	IntelDomains []string
	// CatalogueHosts are the catalogue's host names and host patterns with the confidence
	// a host-name lookup gives them (|catalogue), most specific first: see CatalogueHosts.
	CatalogueHosts []CatalogueHost
	// MCPPorts are the candidate MCP ports (|mcp_port).
	MCPPorts []int
	// InternalCIDRs are the internal networks (|internal).
	InternalCIDRs []netip.Prefix

	// Tables maps a view name (vpc_flow, route53, cloud_trail_mgmt, sh_findings,
	// mcp_inventory) to how the SQL names its table, such as
	// "amazon_security_lake_glue_db_us_east_1"."amazon_security_lake_table_us_east_1_vpc_flow_2_0"
	// (see AthenaTables). A view without an entry is named as is (quoted): the local lake's.
	Tables map[string]string
	// TimeDT restricts the window on the time_dt column (Security Lake source version 2
	// tables partitioned on it) instead of the eventday partition and the time column.
	TimeDT bool
}

// CatalogueHost is a host name or host pattern of the catalogue (package dnsname's syntax:
// "*.mcp.cloudflare.com", "aws-mcp.*.api.aws") and the confidence a lookup of a host it
// matches gives: catalogue.High for a host that serves MCP only, catalogue.Low for a host
// shared with other traffic, catalogue.None for a not-mcp entry.
type CatalogueHost struct {
	Name       string
	Confidence catalogue.Confidence
}

// Query is a rule as SQL.
type Query struct {
	// SQL is the statement, with a ? for each value.
	SQL string
	// Args are the values, in the order of the ? markers: string, int64, float64 or bool.
	Args []any
	// Table names the tables read (views of the local lake), comma-separated.
	Table string
}

// Run runs q on the local lake.
func Run(ctx context.Context, db *query.DB, q Query) (*query.Result, error) {
	res, err := db.QueryTrusted(ctx, q.SQL, q.Args...)
	if err != nil {
		return nil, fmt.Errorf("hunt: run query over %s: %w", q.Table, err)
	}
	return res, nil
}

// Explain renders q for people: the SQL, then its parameters numbered in order, as
// `mcpwatch rules sql NAME` prints them.
func Explain(q Query) string {
	var b strings.Builder
	b.WriteString(q.SQL)
	b.WriteString(";\n")
	if len(q.Args) > 0 {
		b.WriteString("\n-- parameters:\n")
	}
	for i, a := range q.Args {
		switch v := a.(type) {
		case string:
			fmt.Fprintf(&b, "-- %d: %q\n", i+1, v)
		default:
			fmt.Fprintf(&b, "-- %d: %v\n", i+1, v)
		}
	}
	return b.String()
}

// Translate writes rule r as SQL in dialect d. set holds the rules a correlation names (by
// name); it may be nil for a single-event rule. Parts of r that SQL cannot express exactly
// give an error wrapping ErrUnsupported.
func Translate(r *rules.Rule, set map[string]*rules.Rule, d Dialect, env Env) (Query, error) {
	if r == nil {
		return Query{}, errors.New("hunt: nil rule")
	}
	if env.Since.IsZero() {
		return Query{}, fmt.Errorf("hunt: rule %s: Env.Since is not set", r.Name)
	}
	if !env.Until.IsZero() && env.Until.Before(env.Since) {
		return Query{}, fmt.Errorf("hunt: rule %s: Until %s is before Since %s", r.Name, env.Until, env.Since)
	}
	w := &writer{d: d, env: env}
	var err error
	if r.IsCorrelation() {
		err = w.correlation(r, set)
	} else {
		err = w.single(r)
	}
	if err != nil {
		return Query{}, fmt.Errorf("hunt: rule %s: %w", r.Name, err)
	}
	return Query{SQL: w.sql.String(), Args: w.args, Table: strings.Join(w.tables, ", ")}, nil
}

// writer accumulates a statement and its arguments, in the order of the text.
type writer struct {
	d      Dialect
	env    Env
	sql    strings.Builder
	args   []any
	tables []string
	// rule and mod name what is being translated, for errors.
	rule string
}

// arg records v and returns its marker.
func (w *writer) arg(v any) string {
	w.args = append(w.args, v)
	return "?"
}

// argList records vs and returns "(?, ?, ...)".
func (w *writer) argList(vs []any) string {
	marks := make([]string, len(vs))
	for i, v := range vs {
		marks[i] = w.arg(v)
	}
	return "(" + strings.Join(marks, ", ") + ")"
}

// tableRef is how the SQL names a view's table.
func (w *writer) tableRef(view string) string {
	if ref, ok := w.env.Tables[view]; ok {
		return ref
	}
	return quoteIdent(view)
}

// useTable notes that view is read.
func (w *writer) useTable(view string) {
	for _, t := range w.tables {
		if t == view {
			return
		}
	}
	w.tables = append(w.tables, view)
}

// timeWindow is the predicate restricting a table to the Env's window: the partition, so the
// engine reads only the days asked for, and the exact instants.
func (w *writer) timeWindow() string {
	since, until := w.env.Since.UTC(), w.env.Until.UTC()
	if w.env.TimeDT {
		p := `"time_dt" >= CAST(` + w.arg(since.Format("2006-01-02 15:04:05.000")) + ` AS TIMESTAMP)`
		if !until.IsZero() {
			p += ` AND "time_dt" <= CAST(` + w.arg(until.Format("2006-01-02 15:04:05.000")) + ` AS TIMESTAMP)`
		}
		return p
	}
	p := `"eventday" >= ` + w.arg(since.Format("20060102"))
	if !until.IsZero() {
		p += ` AND "eventday" <= ` + w.arg(until.Format("20060102"))
	}
	p += ` AND "time" >= ` + w.arg(since.UnixMilli())
	if !until.IsZero() {
		p += ` AND "time" <= ` + w.arg(until.UnixMilli())
	}
	return p
}

// AthenaTables returns Env.Tables for Security Lake's Glue tables of region in database
// (see athena.DatabaseForRegion) at source version ("1.0" or "2.0"):
// "amazon_security_lake_table_us_east_1_vpc_flow_2_0" and so on. mcp_inventory has no
// Security Lake table and is left out.
func AthenaTables(database, region, version string) map[string]string {
	r := strings.ReplaceAll(region, "-", "_")
	v := strings.ReplaceAll(version, ".", "_")
	out := map[string]string{}
	for view, src := range map[string]string{"vpc_flow": "vpc_flow", "route53": "route53",
		"cloud_trail_mgmt": "cloud_trail_mgmt", "sh_findings": "sh_findings"} {
		out[view] = quoteIdent(database) + "." + quoteIdent("amazon_security_lake_table_"+r+"_"+src+"_"+v)
	}
	return out
}

// quoteIdent quotes s as an SQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// quoteString quotes s as an SQL string literal (only for text mcpwatch checked: JSON paths
// and map keys of field names).
func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
