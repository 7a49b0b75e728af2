package mcpserver

import (
	"strconv"
	"strings"
)

// This file builds the tools' SQL. Every statement is assembled from constant fragments and
// the names of catalog tables and columns; every value from a client is a ? bound to the
// statement. The SQL is the common subset of DuckDB and Trino (Athena) except for the few
// functions dialect spells.

// qpath quotes a dotted column path ("src_endpoint.ip" → "src_endpoint"."ip").
func qpath(p string) string {
	parts := strings.Split(p, ".")
	for i, s := range parts {
		parts[i] = quoteIdent(s)
	}
	return strings.Join(parts, ".")
}

// field is the first of paths the table has, quoted, or NULL.
func field(t *Table, paths ...string) string {
	for _, p := range paths {
		if t.Has(p) {
			return qpath(p)
		}
	}
	return "NULL"
}

func asText(expr string) string { return "CAST(" + expr + " AS VARCHAR)" }

func asInt(expr string) string { return "CAST(" + expr + " AS BIGINT)" }

// joinArray is the dialect's function joining a string array with "|".
func joinArray(dialect, expr string) string {
	if expr == "NULL" {
		return "NULL"
	}
	if dialect == "athena" {
		return "array_join(" + expr + ", '|')"
	}
	return "array_to_string(" + expr + ", '|')"
}

// queryable reports whether the table can be restricted to a window.
func queryable(t *Table) bool {
	if t.Time == ByTimeDT {
		return t.Has("time_dt")
	}
	return t.Has("time") && t.Has("eventday")
}

// timePredicate restricts t to w: the partition (eventday, or time_dt that source version 2
// is partitioned on) so the engine reads only the days asked for, and the exact instants.
func timePredicate(t *Table, w window) (string, []any) {
	if t.Time == ByTimeDT {
		return `"time_dt" BETWEEN CAST(? AS TIMESTAMP) AND CAST(? AS TIMESTAMP)`,
			[]any{w.start.Format("2006-01-02 15:04:05.000"), w.end.Format("2006-01-02 15:04:05.000")}
	}
	return `"eventday" BETWEEN ? AND ? AND "time" BETWEEN ? AND ?`,
		[]any{w.start.Format("20060102"), w.end.Format("20060102"), w.start.UnixMilli(), w.end.UnixMilli()}
}

// column is one output column of a per-table select: its name, whether it is an integer,
// and the alternative paths it comes from (OCSF 1.1.0 first, then 1.0.0-rc.2).
type column struct {
	name  string
	int   bool
	paths []string
	array bool // a string array, joined with "|"
}

func (c column) expr(dialect string, t *Table) string {
	e := field(t, c.paths...)
	if c.array {
		e = joinArray(dialect, e)
	}
	if c.int {
		return asInt(e) + " AS " + quoteIdent(c.name)
	}
	return asText(e) + " AS " + quoteIdent(c.name)
}

// commonColumns are in every event select.
var commonColumns = []column{
	{name: "event_time", int: true, paths: []string{"time"}},
	{name: "class_name", paths: []string{"class_name"}},
	{name: "type_name", paths: []string{"type_name"}},
	{name: "activity_name", paths: []string{"activity_name"}},
	{name: "severity", paths: []string{"severity"}},
	{name: "severity_id", int: true, paths: []string{"severity_id"}},
	{name: "product_name", paths: []string{"metadata.product.name"}},
	{name: "vendor_name", paths: []string{"metadata.product.vendor_name"}},
	{name: "account_id", paths: []string{"cloud.account.uid", "cloud.account_uid", "accountid"}},
	{name: "region", paths: []string{"cloud.region", "region"}},
	{name: "event_uid", paths: []string{"metadata.uid"}},
}

// eventColumns are the network, API and DNS context of an event, null where a table has none.
var eventColumns = []column{
	{name: "src_ip", paths: []string{"src_endpoint.ip"}},
	{name: "src_port", int: true, paths: []string{"src_endpoint.port"}},
	{name: "dst_ip", paths: []string{"dst_endpoint.ip"}},
	{name: "dst_port", int: true, paths: []string{"dst_endpoint.port"}},
	{name: "protocol_num", int: true, paths: []string{"connection_info.protocol_num"}},
	{name: "direction", paths: []string{"connection_info.direction"}},
	{name: "action", paths: []string{"action", "disposition"}},
	{name: "bytes", int: true, paths: []string{"traffic.bytes"}},
	{name: "packets", int: true, paths: []string{"traffic.packets"}},
	{name: "src_instance", paths: []string{"src_endpoint.instance_uid"}},
	{name: "dst_instance", paths: []string{"dst_endpoint.instance_uid"}},
	{name: "vpc_uid", paths: []string{"src_endpoint.vpc_uid", "dst_endpoint.vpc_uid"}},
	{name: "api_operation", paths: []string{"api.operation"}},
	{name: "api_service", paths: []string{"api.service.name"}},
	{name: "actor_user", paths: []string{"actor.user.name", "actor.user.uid", "identity.user.name"}},
	{name: "actor_user_type", paths: []string{"actor.user.type", "identity.user.type"}},
	{name: "user_agent", paths: []string{"http_request.user_agent"}},
	{name: "status", paths: []string{"status"}},
	{name: "query_hostname", paths: []string{"query.hostname"}},
}

// findingColumns are a Security Hub finding's, from finding_info (1.1.0) or finding (1.0.0-rc.2).
var findingColumns = []column{
	{name: "finding_id", paths: []string{"finding_info.uid", "finding.uid"}},
	{name: "title", paths: []string{"finding_info.title", "finding.title"}},
	{name: "description", paths: []string{"finding_info.desc", "finding.desc"}},
	{name: "types", array: true, paths: []string{"finding_info.types", "finding.types"}},
	{name: "src_url", paths: []string{"finding_info.src_url", "finding.src_url"}},
	{name: "created_time", int: true, paths: []string{"finding_info.created_time", "finding.created_time"}},
	{name: "first_seen_time", int: true, paths: []string{"finding_info.first_seen_time", "finding.first_seen_time"}},
	{name: "last_seen_time", int: true, paths: []string{"finding_info.last_seen_time", "finding.last_seen_time"}},
	{name: "status", paths: []string{"status", "state"}},
	{name: "confidence", paths: []string{"confidence", "confidence_score"}},
}

// selectFrom writes one table's select of cols with the table's name as source_table.
func selectFrom(dialect string, t *Table, cols [][]column, where string, args []any) (string, []any) {
	var b strings.Builder
	b.WriteString("SELECT CAST(? AS VARCHAR) AS source_table")
	for _, group := range cols {
		for _, c := range group {
			b.WriteString(", ")
			b.WriteString(c.expr(dialect, t))
		}
	}
	b.WriteString(" FROM ")
	b.WriteString(t.Ref)
	b.WriteString(" WHERE ")
	b.WriteString(where)
	return b.String(), append(append([]any{t.Name}, t.refArgs...), args...)
}

// union combines per-table selects, newest events first, at most limit rows (plus one, to
// tell whether there were more).
func union(parts []string, limit int) string {
	return "SELECT * FROM (" + strings.Join(parts, " UNION ALL ") + ") AS u ORDER BY event_time DESC LIMIT " + strconv.Itoa(limit+1)
}

// inList is "(?, ?, ...)" for n values.
func inList(n int) string {
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
}
