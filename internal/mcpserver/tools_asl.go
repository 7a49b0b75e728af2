package mcpserver

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
)

// Tool inputs, with the Python server's parameter names.

// SearchIPInput is search_ip_addresses' input.
type SearchIPInput struct {
	IPAddress string   `json:"ip_address" jsonschema:"IPv4 or IPv6 address to search for, as source or destination (for example 203.0.113.45 or 2001:db8::1)"`
	StartTime string   `json:"start_time,omitempty" jsonschema:"start of the window, ISO 8601 (2024-01-15T00:00:00Z); default: 7 days before end_time"`
	EndTime   string   `json:"end_time,omitempty" jsonschema:"end of the window, ISO 8601; default: now"`
	Sources   []string `json:"sources,omitempty" jsonschema:"data sources to search (vpc_flow, cloud_trail_mgmt, route53, sh_findings, lambda_execution, s3_data, eks_audit, waf, or a table name); default: every source that records IP addresses"`
	Limit     *Number  `json:"limit,omitempty" jsonschema:"most results to return, 1 to 1000 (default 100)"`
}

// GuardDutyInput is search_guardduty_findings' input.
type GuardDutyInput struct {
	FindingID   string  `json:"finding_id,omitempty" jsonschema:"a GuardDuty finding id or ARN"`
	Severity    string  `json:"severity,omitempty" jsonschema:"severity: Informational, Low, Medium, High or Critical (any case)"`
	FindingType string  `json:"finding_type,omitempty" jsonschema:"text the finding type contains, such as UnauthorizedAccess:EC2/SSHBruteForce or Recon"`
	StartTime   string  `json:"start_time,omitempty" jsonschema:"start of the window, ISO 8601; default: 7 days before end_time (90 days when finding_id is given)"`
	EndTime     string  `json:"end_time,omitempty" jsonschema:"end of the window, ISO 8601; default: now"`
	Limit       *Number `json:"limit,omitempty" jsonschema:"most findings to return, 1 to 1000 (default 100)"`
}

// ListSourcesInput is list_data_sources' input.
type ListSourcesInput struct {
	IncludeSchema Flag `json:"include_schema,omitempty" jsonschema:"also list each table's columns and types"`
}

// NoInput is the input of tools without parameters.
type NoInput struct{}

// UniversalInput is universal_security_search's input.
type UniversalInput struct {
	QueryType string  `json:"query_type" jsonschema:"what to search: findings (Security Hub and GuardDuty findings), network (VPC Flow Logs), api_calls (CloudTrail management events) or ip_search (an address in every source)"`
	Filters   Object  `json:"filters,omitempty" jsonschema:"filters by query_type. findings: severity, finding_type, finding_id, product, title_contains. network: ip_address, src_ip, dst_ip, port, protocol (tcp, udp, icmp or a number), direction (inbound, outbound), action (accept, reject). api_calls: operation, service, user, ip_address, status, account_id. ip_search: ip_address (required), sources. All: start_time, end_time (ISO 8601)."`
	Limit     *Number `json:"limit,omitempty" jsonschema:"most results to return, 1 to 1000 (default 100)"`
}

func (s *Server) addASLTools() {
	addTool(s, "search_ip_addresses", "Search IP address",
		"Search Security Lake for an IPv4 or IPv6 address as source or destination across data sources (VPC Flow Logs, CloudTrail, Route 53, ...). "+
			"Default window: the last 7 days. Each result has timestamp, event_type, severity, ip_context (role, direction), network_info, aws_context and product_info; "+
			"the summary gives the total, most common event type and highest severity.",
		limitParam, s.searchIP)
	addTool(s, "search_guardduty_findings", "Search GuardDuty findings",
		"Search GuardDuty findings (delivered to Security Lake through Security Hub) by finding id, severity and finding type, newest first. Default window: the last 7 days.",
		limitParam, s.searchGuardDuty)
	addTool(s, "list_data_sources", "List data sources",
		"List the Security Lake data sources (tables) available, with their OCSF version and, with include_schema, their columns.",
		func(sch *jsonschema.Schema) { loosen(sch, "include_schema", "boolean") }, s.listDataSources)
	addTool(s, "discover_aws_resources", "Discover AWS resources",
		"Discover the Security Lake S3 buckets, Glue databases and tables, and the Athena workgroup and result location; report what is missing and which ASL_MCP_* settings to set.",
		nil, func(ctx context.Context, _ NoInput) (*Envelope, error) { return s.discover(ctx) })
	addTool(s, "universal_security_search", "Universal security search",
		"Search findings, network activity, API calls or an IP address with filters; adapts to the sources present and to OCSF 1.0 and 1.1 tables, "+
			"and falls back to Security Hub findings when no finding of the asked product exists.",
		func(sch *jsonschema.Schema) {
			limitParam(sch)
			setEnum(sch, "query_type", "findings", "network", "api_calls", "ip_search")
			loosen(sch, "filters", "object")
		}, s.universal)
	addTool(s, "test_connection", "Test connection",
		"Test the connection to the data (credentials, Glue catalog and a trivial Athena query, or the local lake) and report the configuration.",
		nil, func(ctx context.Context, _ NoInput) (*Envelope, error) { return s.testConnection(ctx) })
}

// ipSources are the sources IP search reads by default, and the names clients may use.
var sourceAliases = map[string]string{
	"vpc_flow": "VPC_FLOW", "vpcflow": "VPC_FLOW", "vpc": "VPC_FLOW", "vpc_flow_logs": "VPC_FLOW", "flow_logs": "VPC_FLOW",
	"cloud_trail_mgmt": "CLOUD_TRAIL_MGMT", "cloudtrail": "CLOUD_TRAIL_MGMT", "cloud_trail": "CLOUD_TRAIL_MGMT",
	"route53": "ROUTE53", "dns": "ROUTE53", "route_53": "ROUTE53",
	"sh_findings": "SH_FINDINGS", "security_hub": "SH_FINDINGS", "securityhub": "SH_FINDINGS", "guardduty": "SH_FINDINGS",
	"lambda_execution": "LAMBDA_EXECUTION", "lambda": "LAMBDA_EXECUTION",
	"s3_data": "S3_DATA", "s3": "S3_DATA",
	"eks_audit": "EKS_AUDIT", "eks": "EKS_AUDIT",
	"waf": "WAF",
}

// selectTables resolves the sources a client asked for to tables.
func selectTables(tables []Table, names []string) ([]Table, error) {
	if len(names) == 0 {
		return tables, nil
	}
	if len(names) > 20 {
		return nil, badInput("sources lists %d names: at most 20", len(names))
	}
	var out []Table
	for _, n := range names {
		key := strings.ToLower(strings.TrimSpace(n))
		src, ok := sourceAliases[key]
		matched := false
		for _, t := range tables {
			if (ok && t.Source == src) || strings.EqualFold(t.Name, key) {
				if !slices.ContainsFunc(out, func(o Table) bool { return o.Name == t.Name }) {
					out = append(out, t)
				}
				matched = true
			}
		}
		if !ok && !matched {
			known := slices.Sorted(maps.Keys(sourceAliases))
			return nil, badInput("unknown source %s: use one of %s, or a table name from list_data_sources", quoteInput(n), strings.Join(known, ", "))
		}
	}
	return out, nil
}

// runUnion runs one select per table (built by build) as a single union query.
func (s *Server) runUnion(ctx context.Context, tables []Table, limit int, build func(t *Table) (string, []any)) (*Rows, []string, error) {
	var parts []string
	var args []any
	var used []string
	for i := range tables {
		t := &tables[i]
		if !queryable(t) {
			continue
		}
		sql, a := build(t)
		if sql == "" {
			continue
		}
		parts = append(parts, sql)
		args = append(args, a...)
		used = append(used, t.Name)
	}
	if len(parts) == 0 {
		return &Rows{Info: QueryInfo{Backend: s.backend.Name()}}, nil, nil
	}
	rows, err := s.query(ctx, Stmt{SQL: union(parts, limit), Args: args}, limit+1)
	if err != nil {
		return nil, used, err
	}
	if len(rows.Rows) > limit {
		cp := *rows
		cp.Rows, cp.Truncated = rows.Rows[:limit], true
		rows = &cp
	}
	return rows, used, nil
}

func (s *Server) queryInfo(r *Rows, used []string, w window, extra map[string]any) map[string]any {
	info := map[string]any{
		"backend":        s.backend.Name(),
		"tables_queried": nonNil(used),
		"start_time":     w.start.Format(time.RFC3339),
		"end_time":       w.end.Format(time.RFC3339),
	}
	if r != nil {
		info["truncated"] = r.Truncated
		info["bytes_scanned"] = r.Info.BytesScanned
		info["execution_time_ms"] = r.Info.ExecutionMS
		info["cached"] = r.Info.Cached
		if r.Info.QueryID != "" {
			info["query_id"] = r.Info.QueryID
		}
	}
	maps.Copy(info, extra)
	return info
}

func (s *Server) searchIP(ctx context.Context, in SearchIPInput) (*Envelope, error) {
	addr, forms, err := parseIP(in.IPAddress)
	if err != nil {
		return nil, err
	}
	w, err := parseWindow(in.StartTime, in.EndTime, DefaultWindow, s.opts.Now())
	if err != nil {
		return nil, err
	}
	limit, err := parseLimit(intPtr(in.Limit), DefaultLimit, s.settings.MaxQueryResults)
	if err != nil {
		return nil, err
	}
	all, err := s.tables(ctx)
	if err != nil {
		return nil, err
	}
	tables, err := selectTables(all, in.Sources)
	if err != nil {
		return nil, err
	}
	rows, used, err := s.ipRows(ctx, tables, forms, w, limit)
	if err != nil {
		return nil, err
	}
	results := make([]map[string]any, 0, len(rows.Rows))
	for _, m := range rows.Maps() {
		results = append(results, ipResult(m, forms))
	}
	info := s.queryInfo(rows, used, w, map[string]any{"ip_address": addr.String(), "ip_version": ipVersion(addr.Is4() || addr.Is4In6()), "limit": limit})
	return success(results, info, ipSummary(results), true), nil
}

// ipRows finds the events of every table with one of forms as source or destination
// address, newest first.
//
// On Athena each table is one scan with the two address conditions ORed: Athena bills the
// bytes it scans, and every further scan of a table reads its columns again. DuckDB cannot
// push a condition spanning two columns into its Parquet scan, so that form reads and decodes
// every selected column of every row of the window; locally each address column gets a select
// of its own, whose condition the scan evaluates first, decoding the other columns only for
// matching rows (the destination select skips rows the source select already has). Each
// select keeps only its newest limit+1 rows.
//
// Locally the window is searched newest first, in two slices (see ipSlices): a busy address
// has its newest limit+1 events in the last minutes of the window, and DuckDB skips every
// row group whose time statistics lie outside the slice, so the first slice's query reads
// little. The rest of the window, when needed, goes through ipSlice, which reads only the
// address and time columns of the whole window and then the result columns of the events
// found.
//
// Locally, both slices read only the files that the address index says may hold the
// address (see Local.ipTables): none when no file of the window may, and the search then
// runs no query.
func (s *Server) ipRows(ctx context.Context, tables []Table, forms []string, w window, limit int) (*Rows, []string, error) {
	if s.backend.Name() == "athena" {
		return s.runUnion(ctx, tables, limit, ipSelect("athena", forms, w, limit, nil, false))
	}
	l, ok := s.backend.(*Local)
	if !ok {
		return s.ipNewestFirst(ctx, tables, forms, w, limit)
	}
	// Building the index of files not indexed yet is bounded by the query timeout too.
	ictx, cancel := context.WithTimeout(ctx, s.settings.QueryTimeout())
	pruned, err := l.ipTables(ictx, tables, forms, w)
	cancel()
	if err != nil {
		return nil, nil, err
	}
	// The tables searched, those the index rules out included: the tables with an address
	// column, as runUnion counts them.
	var used []string
	for i := range tables {
		if queryable(&tables[i]) && len(addrColumns(&tables[i])) > 0 {
			used = append(used, tables[i].Name)
		}
	}
	rows, _, err := s.ipNewestFirst(ctx, pruned, forms, w, limit)
	if err != nil && ctx.Err() == nil && slices.ContainsFunc(pruned, func(t Table) bool { return t.refArgs != nil }) {
		// A subset of a table's files may lack a column that the view has (union_by_name):
		// search every file then.
		s.log.Debug("IP search over the indexed files failed, reading every file", "err", err)
		rows, _, err = s.ipNewestFirst(ctx, tables, forms, w, limit)
	}
	if err != nil {
		return nil, used, err
	}
	return rows, used, nil
}

// ipNewestFirst is ipRows over the local backend: the slices of w, newest first.
func (s *Server) ipNewestFirst(ctx context.Context, tables []Table, forms []string, w window, limit int) (*Rows, []string, error) {
	var out *Rows
	var used []string
	for i, sw := range ipSlices(w) {
		rest := limit
		if out != nil {
			rest -= len(out.Rows)
		}
		var rows *Rows
		var u []string
		var err error
		if i == 0 {
			rows, u, err = s.runUnion(ctx, tables, rest, ipSelect(s.backend.Name(), forms, sw, rest, nil, false))
		} else {
			rows, u, err = s.ipSlice(ctx, tables, forms, sw, rest)
		}
		if err != nil {
			return nil, u, err
		}
		used = u
		if rows == nil {
			continue
		}
		if out == nil {
			// A copy: rows may be the query cache's, which must not change.
			out = &Rows{Columns: rows.Columns, Rows: slices.Clone(rows.Rows), Truncated: rows.Truncated, Info: rows.Info}
		} else {
			if len(out.Columns) == 0 {
				out.Columns = rows.Columns
			}
			out.Rows = append(out.Rows, rows.Rows...)
			out.Truncated = rows.Truncated
			out.Info.BytesScanned += rows.Info.BytesScanned
			out.Info.ExecutionMS += rows.Info.ExecutionMS
			out.Info.Cached = out.Info.Cached && rows.Info.Cached
		}
		if out.Truncated {
			break
		}
	}
	if out == nil {
		out = &Rows{Info: QueryInfo{Backend: s.backend.Name()}}
	}
	return out, used, nil
}

// ipSlice finds the newest limit+1 events of one slice of an IP search in two queries. The
// first reads only the time of the matching events: DuckDB decompresses every column a scan
// selects in the row groups it reads, matching rows or not, so a search selecting the 30
// result columns costs several times one reading the address and time columns. The second
// reads the result columns of the events at the times found, which the scans find from the
// time statistics of the row groups. rows is nil when the slice has no event.
func (s *Server) ipSlice(ctx context.Context, tables []Table, forms []string, w window, limit int) (*Rows, []string, error) {
	dialect := s.backend.Name()
	// The times of the newest limit+1 events: the second query then tells whether there are
	// more than limit.
	times, used, err := s.runUnion(ctx, tables, limit+1, ipSelect(dialect, forms, w, limit+1, nil, true))
	if err != nil || len(times.Rows) == 0 {
		return nil, used, err
	}
	f := &ipFound{partitions: true}
	oldest := w.end.UnixMilli()
	for _, r := range times.Rows {
		if t, ok := r[0].(int64); ok && !slices.Contains(f.at, any(t)) {
			f.at = append(f.at, t)
			oldest = min(oldest, t)
		}
		for i, set := range []*[]any{&f.regions, &f.accounts} {
			if v, ok := r[1+i].(string); ok && !slices.Contains(*set, any(v)) {
				*set = append(*set, v)
			} else if !ok {
				f.partitions = false
			}
		}
	}
	// The window from the oldest time found: the scans skip the row groups before it, and
	// the days before it.
	w.start = time.UnixMilli(max(oldest, w.start.UnixMilli())).UTC()
	rows, used, err := s.runUnion(ctx, tables, limit, ipSelect(dialect, forms, w, limit, f, false))
	if err != nil {
		return nil, used, err
	}
	out := *rows // rows may be the query cache's, which must not change
	out.Info.ExecutionMS += times.Info.ExecutionMS
	out.Info.Cached = rows.Info.Cached && times.Info.Cached
	return &out, used, nil
}

// ipFound is what the address pass of ipSlice found: the events' times (epoch ms) and the
// partitions they are in, when every table had partition columns.
type ipFound struct {
	at, regions, accounts []any
	partitions            bool
}

// partitionText is the partition column col of t as text, or NULL.
func partitionText(t *Table, col string) string {
	if t.Time != ByEventDay || !t.Has(col) {
		return "CAST(NULL AS VARCHAR)"
	}
	return asText(quoteIdent(col))
}

// firstIPSlice is the newest part of an IP search's window, searched first.
const firstIPSlice = 15 * time.Minute

// ipSlices cuts w into at most two windows that do not overlap, newest first: its last
// firstIPSlice, then the rest. The bounds are whole milliseconds, the precision of the time
// column. (More, growing slices were measured: each query costs the listing of the files
// and a scan's setup, so an address with few events paid more for them than the smaller
// reads saved.)
func ipSlices(w window) []window {
	lo, hi := w.start.UnixMilli(), w.end.UnixMilli()
	mid := hi - firstIPSlice.Milliseconds() + 1
	if mid <= lo {
		return []window{{time.UnixMilli(lo).UTC(), time.UnixMilli(hi).UTC()}}
	}
	return []window{
		{time.UnixMilli(mid).UTC(), time.UnixMilli(hi).UTC()},
		{time.UnixMilli(lo).UTC(), time.UnixMilli(mid - 1).UTC()},
	}
}

// ipSelect builds a table's selects of ipRows over w, each keeping its newest limit+1 rows.
// With found, only the events at the times found and in the partitions found; with narrow,
// the selects return only event_time and the partition (region, accountid).
func ipSelect(dialect string, forms []string, w window, limit int, found *ipFound, narrow bool) func(t *Table) (string, []any) {
	vals := make([]any, len(forms))
	for i, f := range forms {
		vals[i] = f
	}
	in := " IN " + inList(len(forms))
	cols := [][]column{commonColumns, eventColumns}
	return func(t *Table) (string, []any) {
		var addrs []string
		for _, p := range []string{"src_endpoint.ip", "dst_endpoint.ip"} {
			if t.Has(p) {
				addrs = append(addrs, qpath(p))
			}
		}
		if len(addrs) == 0 {
			return "", nil
		}
		tp, targs := timePredicate(t, w)
		if found != nil {
			tp += ` AND "time" IN ` + inList(len(found.at))
			targs = append(targs, found.at...)
			if found.partitions && t.Has("region") && t.Has("accountid") {
				// Partition columns: DuckDB skips the files of other partitions.
				tp += ` AND "region" IN ` + inList(len(found.regions)) + ` AND "accountid" IN ` + inList(len(found.accounts))
				targs = append(append(targs, found.regions...), found.accounts...)
			}
		}
		if dialect == "athena" || narrow {
			// One scan with the address conditions ORed: on Athena, see ipRows; a narrow
			// select reads the address columns whatever the form, and once this way.
			args := slices.Clone(targs)
			var ors []string
			for _, a := range addrs {
				ors = append(ors, a+in)
				args = append(args, vals...)
			}
			where := tp + " AND (" + strings.Join(ors, " OR ") + ")"
			if narrow {
				return "(SELECT " + asInt(qpath("time")) + " AS event_time, " + partitionText(t, "region") + " AS p_region, " +
					partitionText(t, "accountid") + " AS p_account FROM " + t.Ref + " WHERE " + where +
					" ORDER BY event_time DESC LIMIT " + strconv.Itoa(limit+1) + ")", append(slices.Clone(t.refArgs), args...)
			}
			return selectFrom(dialect, t, cols, where, args)
		}
		var parts []string
		var args []any
		for i, a := range addrs {
			where := tp + " AND " + a + in
			wargs := append(slices.Clone(targs), vals...)
			for _, prev := range addrs[:i] {
				where += " AND NOT coalesce(" + prev + in + ", false)"
				wargs = append(wargs, vals...)
			}
			sql, sargs := selectFrom(dialect, t, cols, where, wargs)
			parts = append(parts, "("+sql+" ORDER BY event_time DESC LIMIT "+strconv.Itoa(limit+1)+")")
			args = append(args, sargs...)
		}
		return strings.Join(parts, " UNION ALL "), args
	}
}

func ipVersion(v4 bool) string {
	if v4 {
		return "IPv4"
	}
	return "IPv6"
}

// ipResult shapes one event as the Python server does.
func ipResult(m map[string]any, forms []string) map[string]any {
	src, _ := m["src_ip"].(string)
	dst, _ := m["dst_ip"].(string)
	isSrc, isDst := slices.Contains(forms, src), slices.Contains(forms, dst)
	role, dir := "destination", "inbound"
	switch {
	case isSrc && isDst:
		role, dir = "both", "internal"
	case isSrc:
		role, dir = "source", "outbound"
	}
	eventType := firstText(m["type_name"], m["class_name"])
	return map[string]any{
		"timestamp":    millisISO(m["event_time"]),
		"event_type":   eventType,
		"class_name":   m["class_name"],
		"activity":     m["activity_name"],
		"severity":     m["severity"],
		"severity_id":  m["severity_id"],
		"source_table": m["source_table"],
		"ip_context": map[string]any{
			"role": role, "direction": dir, "connection_direction": m["direction"],
			"counterpart_ip": map[bool]any{true: m["dst_ip"], false: m["src_ip"]}[role == "source"],
		},
		"network_info": map[string]any{
			"src_ip": m["src_ip"], "src_port": m["src_port"], "dst_ip": m["dst_ip"], "dst_port": m["dst_port"],
			"protocol": protocolName(m["protocol_num"]), "protocol_num": m["protocol_num"], "action": m["action"],
			"bytes": m["bytes"], "packets": m["packets"],
		},
		"aws_context": map[string]any{
			"account_id": m["account_id"], "region": m["region"], "vpc_id": m["vpc_uid"],
			"src_instance_id": m["src_instance"], "dst_instance_id": m["dst_instance"],
			"api_operation": m["api_operation"], "api_service": m["api_service"], "user": m["actor_user"],
			"user_type": m["actor_user_type"], "user_agent": m["user_agent"], "dns_query": m["query_hostname"],
		},
		"product_info": map[string]any{"product_name": m["product_name"], "vendor_name": m["vendor_name"], "event_uid": m["event_uid"]},
	}
}

// severityRank orders OCSF severity captions.
var severityRank = map[string]int{"unknown": 0, "informational": 1, "low": 2, "medium": 3, "high": 4, "critical": 5, "fatal": 6, "other": 0}

func ipSummary(results []map[string]any) map[string]any {
	types := map[string]int{}
	tables := map[string]int{}
	highest, rank := "", -1
	var first, last string
	for _, r := range results {
		if t, _ := r["event_type"].(string); t != "" {
			types[t]++
		}
		if t, _ := r["source_table"].(string); t != "" {
			tables[t]++
		}
		if sv, _ := r["severity"].(string); sv != "" {
			if k := severityRank[strings.ToLower(sv)]; k > rank {
				highest, rank = sv, k
			}
		}
		if ts, _ := r["timestamp"].(string); ts != "" {
			if first == "" || ts < first {
				first = ts
			}
			if ts > last {
				last = ts
			}
		}
	}
	out := map[string]any{"total_events": len(results), "most_common_event_type": mostCommon(types),
		"highest_severity": nilIfEmpty(highest), "events_by_type": types, "events_by_table": tables}
	if first != "" {
		out["first_seen"], out["last_seen"] = first, last
	}
	return out
}

func mostCommon(counts map[string]int) any {
	best, n := "", 0
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		if counts[k] > n {
			best, n = k, counts[k]
		}
	}
	return nilIfEmpty(best)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func firstText(vs ...any) any {
	for _, v := range vs {
		if s, ok := v.(string); ok && s != "" {
			return s
		}
	}
	return nil
}

func millisISO(v any) any {
	ms, ok := v.(int64)
	if !ok {
		return nil
	}
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}

func protocolName(v any) any {
	n, ok := v.(int64)
	if !ok {
		return nil
	}
	switch n {
	case 1:
		return "ICMP"
	case 6:
		return "TCP"
	case 17:
		return "UDP"
	case 58:
		return "ICMPv6"
	}
	return strconv.FormatInt(n, 10)
}

// findingFilters are the filters of a finding search.
type findingFilters struct {
	id, severity, typ, product, title string
}

var severities = []string{"Informational", "Low", "Medium", "High", "Critical"}

func (s *Server) searchGuardDuty(ctx context.Context, in GuardDutyInput) (*Envelope, error) {
	f := findingFilters{product: "GuardDuty"}
	var err error
	if f.id, err = parseText("finding_id", in.FindingID); err != nil {
		return nil, err
	}
	if in.Severity != "" {
		if f.severity, err = parseEnum("severity", in.Severity, severities...); err != nil {
			return nil, err
		}
	}
	if f.typ, err = parseText("finding_type", in.FindingType); err != nil {
		return nil, err
	}
	def := DefaultWindow
	if f.id != "" {
		def = 90 * 24 * time.Hour
	}
	w, err := parseWindow(in.StartTime, in.EndTime, def, s.opts.Now())
	if err != nil {
		return nil, err
	}
	limit, err := parseLimit(intPtr(in.Limit), DefaultLimit, s.settings.MaxQueryResults)
	if err != nil {
		return nil, err
	}
	env, err := s.findings(ctx, f, w, limit, false)
	if err != nil {
		return nil, err
	}
	return env, nil
}

// findings searches Security Hub finding tables. With fallback, when the product filter
// matches nothing, the search is repeated over every product's findings.
func (s *Server) findings(ctx context.Context, f findingFilters, w window, limit int, fallback bool) (*Envelope, error) {
	all, err := s.tables(ctx)
	if err != nil {
		return nil, err
	}
	tables := tablesOf(all, "SH_FINDINGS")
	rows, used, err := s.findingRows(ctx, tables, f, w, limit)
	if err != nil {
		return nil, err
	}
	extra := map[string]any{"limit": limit, "data_source": "Security Hub findings (sh_findings)", "filters": f.public()}
	if f.product != "" {
		extra["product_filter"] = f.product
	}
	if fallback && f.product != "" && len(rows.Rows) == 0 {
		g := f
		g.product = ""
		if rows, used, err = s.findingRows(ctx, tables, g, w, limit); err != nil {
			return nil, err
		}
		extra["fallback"] = "no " + f.product + " finding matched; showing every product's Security Hub findings"
	}
	if len(tables) == 0 {
		extra["note"] = "no Security Hub findings table (SH_FINDINGS) in this lake: GuardDuty findings reach Security Lake through Security Hub"
	}
	results := make([]map[string]any, 0, len(rows.Rows))
	for _, m := range rows.Maps() {
		results = append(results, findingResult(m))
	}
	return success(results, s.queryInfo(rows, used, w, extra), findingSummary(results), true), nil
}

func (f findingFilters) public() map[string]any {
	m := map[string]any{}
	for k, v := range map[string]string{"finding_id": f.id, "severity": f.severity, "finding_type": f.typ, "title_contains": f.title} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

func (s *Server) findingRows(ctx context.Context, tables []Table, f findingFilters, w window, limit int) (*Rows, []string, error) {
	dialect := s.backend.Name()
	return s.runUnion(ctx, tables, limit, func(t *Table) (string, []any) {
		where, args := timePredicate(t, w)
		add := func(cond string, vals ...any) {
			where += " AND " + cond
			args = append(args, vals...)
		}
		if f.product != "" {
			add("lower("+asText(field(t, "metadata.product.name"))+") = ?", strings.ToLower(f.product))
		}
		if f.id != "" {
			add(asText(field(t, "finding_info.uid", "finding.uid"))+" = ?", f.id)
		}
		if f.severity != "" {
			add("lower("+asText(field(t, "severity"))+") = ?", strings.ToLower(f.severity))
		}
		if f.typ != "" {
			add("lower("+asText(joinArray(dialect, field(t, "finding_info.types", "finding.types")))+`) LIKE ? ESCAPE '\'`, likePattern(f.typ))
		}
		if f.title != "" {
			add("lower("+asText(field(t, "finding_info.title", "finding.title"))+`) LIKE ? ESCAPE '\'`, likePattern(f.title))
		}
		return selectFrom(dialect, t, [][]column{commonColumns, findingColumns}, where, args)
	})
}

func findingResult(m map[string]any) map[string]any {
	types := []string{}
	if s, _ := m["types"].(string); s != "" {
		types = strings.Split(s, "|")
	}
	var ftype any
	if len(types) > 0 {
		ftype = types[0]
	}
	sev, _ := m["severity"].(string)
	return map[string]any{
		"finding_id":   m["finding_id"],
		"title":        m["title"],
		"finding_type": ftype,
		"severity":     m["severity"],
		"severity_id":  m["severity_id"],
		"timestamp":    millisISO(m["event_time"]),
		"status":       m["status"],
		"source_table": m["source_table"],
		"product_name": m["product_name"],
		"aws_context":  map[string]any{"account_id": m["account_id"], "region": m["region"]},
		"risk_assessment": map[string]any{
			"severity": m["severity"], "severity_id": m["severity_id"], "risk_level": riskLevel(sev),
			"confidence": m["confidence"],
		},
		"finding_details": map[string]any{
			"description": m["description"], "types": types, "src_url": m["src_url"],
			"created_time": millisISO(m["created_time"]), "first_seen": millisISO(m["first_seen_time"]), "last_seen": millisISO(m["last_seen_time"]),
		},
	}
}

func riskLevel(sev string) string {
	switch k := severityRank[strings.ToLower(sev)]; {
	case k >= 5:
		return "critical"
	case k == 4:
		return "high"
	case k == 3:
		return "medium"
	case k >= 1:
		return "low"
	}
	return "unknown"
}

func findingSummary(results []map[string]any) map[string]any {
	bySev := map[string]int{}
	byType := map[string]int{}
	highest, rank := "", -1
	for _, r := range results {
		if sv, _ := r["severity"].(string); sv != "" {
			bySev[sv]++
			if k := severityRank[strings.ToLower(sv)]; k > rank {
				highest, rank = sv, k
			}
		}
		if t, _ := r["finding_type"].(string); t != "" {
			byType[t]++
		}
	}
	return map[string]any{"total_findings": len(results), "highest_severity": nilIfEmpty(highest),
		"by_severity": bySev, "most_common_finding_type": mostCommon(byType), "by_finding_type": byType}
}

func (s *Server) listDataSources(ctx context.Context, in ListSourcesInput) (*Envelope, error) {
	tables, err := s.tables(ctx)
	if err != nil {
		return nil, err
	}
	results := make([]map[string]any, 0, len(tables))
	versions := map[string]int{}
	for _, t := range tables {
		r := map[string]any{
			"table_name": t.Name, "source": t.Source, "source_version": t.SourceVersion, "ocsf_version": t.OCSFVersion(),
			"time_partition": map[TimeFilter]string{ByEventDay: "eventday", ByTimeDT: "time_dt"}[t.Time],
			"column_count":   len(t.Columns), "schema_resource": schemaURI(t.Name),
		}
		if bool(in.IncludeSchema) {
			cols := make([]map[string]any, len(t.Columns))
			for i, c := range t.Columns {
				cols[i] = map[string]any{"name": c.Name, "type": c.Type}
			}
			r["columns"] = cols
		}
		versions[t.OCSFVersion()]++
		results = append(results, r)
	}
	slices.SortFunc(results, func(a, b map[string]any) int {
		return cmp.Compare(a["table_name"].(string), b["table_name"].(string))
	})
	info := map[string]any{"backend": s.backend.Name(), "include_schema": bool(in.IncludeSchema)}
	return success(results, info, map[string]any{"total_sources": len(results), "ocsf_versions": versions}, false), nil
}

func (s *Server) discover(ctx context.Context) (*Envelope, error) {
	d, err := s.backend.Discover(ctx)
	if err != nil {
		return nil, err
	}
	summary := map[string]any{}
	for _, k := range []string{"missing", "recommendations"} {
		if v, ok := d[k]; ok {
			summary[k] = v
		}
	}
	ready := true
	if m, ok := d["missing"].([]string); ok && len(m) > 0 {
		ready = false
	}
	summary["ready"] = ready
	return success([]map[string]any{d}, map[string]any{"backend": s.backend.Name()}, summary, false), nil
}

func (s *Server) testConnection(ctx context.Context) (*Envelope, error) {
	start := time.Now()
	d, err := s.backend.Check(ctx)
	if d == nil {
		d = map[string]any{}
	}
	d["configuration"] = s.settings.Public()
	info := map[string]any{"backend": s.backend.Name(), "elapsed_ms": time.Since(start).Milliseconds()}
	if err != nil {
		e := failure("connection test failed: "+err.Error(), info)
		e.Results = []map[string]any{d}
		e.Count = 1
		return e, nil
	}
	d["status"] = "connected"
	return success([]map[string]any{d}, info, map[string]any{"status": "connected"}, false), nil
}

// universal dispatches universal_security_search.
func (s *Server) universal(ctx context.Context, in UniversalInput) (*Envelope, error) {
	qt, err := parseEnum("query_type", in.QueryType, "findings", "network", "api_calls", "ip_search")
	if err != nil {
		return nil, err
	}
	allowed := map[string][]string{
		"findings":  {"severity", "finding_type", "finding_id", "product", "title_contains"},
		"network":   {"ip_address", "src_ip", "dst_ip", "port", "protocol", "direction", "action"},
		"api_calls": {"operation", "service", "user", "ip_address", "status", "account_id"},
		"ip_search": {"ip_address", "sources"},
	}[qt]
	allowed = append(allowed, "start_time", "end_time")
	f := map[string]string{}
	var sources []string
	for k, v := range in.Filters {
		if !slices.Contains(allowed, k) {
			return nil, badInput("filter %s does not apply to query_type %s: use %s", quoteInput(k), qt, strings.Join(allowed, ", "))
		}
		if k == "sources" {
			list, ok := v.([]any)
			if !ok {
				return nil, badInput("filter sources must be a list of source names")
			}
			for _, x := range list {
				xs, ok := x.(string)
				if !ok {
					return nil, badInput("filter sources must be a list of source names")
				}
				sources = append(sources, xs)
			}
			continue
		}
		var text string
		switch x := v.(type) {
		case string:
			text = x
		case float64:
			if x != float64(int64(x)) {
				return nil, badInput("filter %s must be a whole number or text", k)
			}
			text = strconv.FormatInt(int64(x), 10)
		default:
			return nil, badInput("filter %s must be text or a number", k)
		}
		if text, err = parseText("filter "+k, text); err != nil {
			return nil, err
		}
		f[k] = text
	}
	limit, err := parseLimit(intPtr(in.Limit), DefaultLimit, s.settings.MaxQueryResults)
	if err != nil {
		return nil, err
	}
	var env *Envelope
	switch qt {
	case "ip_search":
		if f["ip_address"] == "" {
			return nil, badInput("query_type ip_search needs filters.ip_address")
		}
		l := Number(limit)
		env, err = s.searchIP(ctx, SearchIPInput{IPAddress: f["ip_address"], StartTime: f["start_time"], EndTime: f["end_time"], Sources: sources, Limit: &l})
	case "findings":
		var ff findingFilters
		if ff.severity = f["severity"]; ff.severity != "" {
			if ff.severity, err = parseEnum("severity", ff.severity, severities...); err != nil {
				return nil, err
			}
		}
		ff.id, ff.typ, ff.product, ff.title = f["finding_id"], f["finding_type"], f["product"], f["title_contains"]
		var w window
		if w, err = parseWindow(f["start_time"], f["end_time"], DefaultWindow, s.opts.Now()); err != nil {
			return nil, err
		}
		env, err = s.findings(ctx, ff, w, limit, true)
	case "network":
		env, err = s.network(ctx, f, limit)
	case "api_calls":
		env, err = s.apiCalls(ctx, f, limit)
	}
	if err != nil {
		return nil, err
	}
	env.Metadata.QueryInfo["query_type"] = qt
	return env, nil
}

func (s *Server) network(ctx context.Context, f map[string]string, limit int) (*Envelope, error) {
	w, err := parseWindow(f["start_time"], f["end_time"], DefaultWindow, s.opts.Now())
	if err != nil {
		return nil, err
	}
	type cond struct {
		paths []string
		vals  []any
	}
	var conds []cond
	for _, k := range []string{"ip_address", "src_ip", "dst_ip"} {
		if f[k] == "" {
			continue
		}
		_, forms, err := parseIP(f[k])
		if err != nil {
			return nil, badInput("filter %s: %s", k, strings.TrimPrefix(err.Error(), "ip_address "))
		}
		paths := map[string][]string{"ip_address": {"src_endpoint.ip", "dst_endpoint.ip"}, "src_ip": {"src_endpoint.ip"}, "dst_ip": {"dst_endpoint.ip"}}[k]
		vals := make([]any, len(forms))
		for i, x := range forms {
			vals[i] = x
		}
		conds = append(conds, cond{paths, vals})
	}
	if p := f["port"]; p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 65535 {
			return nil, badInput("filter port %s: use a number from 0 to 65535", quoteInput(p))
		}
		conds = append(conds, cond{[]string{"src_endpoint.port", "dst_endpoint.port"}, []any{int64(n)}})
	}
	if p := f["protocol"]; p != "" {
		n, ok := map[string]int64{"icmp": 1, "tcp": 6, "udp": 17, "icmpv6": 58}[strings.ToLower(p)]
		if !ok {
			v, err := strconv.Atoi(p)
			if err != nil || v < 0 || v > 255 {
				return nil, badInput("filter protocol %s: use tcp, udp, icmp, icmpv6 or a protocol number 0-255", quoteInput(p))
			}
			n = int64(v)
		}
		conds = append(conds, cond{[]string{"connection_info.protocol_num"}, []any{n}})
	}
	var dir string
	if d := f["direction"]; d != "" {
		if dir, err = parseEnum("filter direction", d, "inbound", "outbound", "lateral"); err != nil {
			return nil, err
		}
	}
	var actions []any
	if a := f["action"]; a != "" {
		v, err := parseEnum("filter action", a, "accept", "reject")
		if err != nil {
			return nil, err
		}
		actions = map[string][]any{"accept": {"allowed", "accepted", "accept"}, "reject": {"denied", "blocked", "rejected", "reject"}}[v]
	}
	all, err := s.tables(ctx)
	if err != nil {
		return nil, err
	}
	dialect := s.backend.Name()
	rows, used, err := s.runUnion(ctx, tablesOf(all, "VPC_FLOW"), limit, func(t *Table) (string, []any) {
		where, args := timePredicate(t, w)
		for _, c := range conds {
			var ors []string
			for _, p := range c.paths {
				if t.Has(p) {
					ors = append(ors, qpath(p)+" IN "+inList(len(c.vals)))
					args = append(args, c.vals...)
				}
			}
			if len(ors) == 0 {
				return "", nil // the table cannot answer this filter
			}
			where += " AND (" + strings.Join(ors, " OR ") + ")"
		}
		if dir != "" {
			where += " AND lower(" + asText(field(t, "connection_info.direction")) + ") = ?"
			args = append(args, dir)
		}
		if actions != nil {
			where += " AND lower(" + asText(field(t, "action", "disposition")) + ") IN " + inList(len(actions))
			args = append(args, actions...)
		}
		return selectFrom(dialect, t, [][]column{commonColumns, eventColumns}, where, args)
	})
	if err != nil {
		return nil, err
	}
	results := make([]map[string]any, 0, len(rows.Rows))
	for _, m := range rows.Maps() {
		r := ipResult(m, nil)
		delete(r, "ip_context")
		results = append(results, r)
	}
	sum := ipSummary(results)
	var bytes int64
	for _, m := range rows.Maps() {
		if b, ok := m["bytes"].(int64); ok {
			bytes += b
		}
	}
	sum["total_bytes"] = bytes
	return success(results, s.queryInfo(rows, used, w, map[string]any{"limit": limit, "filters": f}), sum, true), nil
}

func (s *Server) apiCalls(ctx context.Context, f map[string]string, limit int) (*Envelope, error) {
	w, err := parseWindow(f["start_time"], f["end_time"], DefaultWindow, s.opts.Now())
	if err != nil {
		return nil, err
	}
	var ipForms []any
	if f["ip_address"] != "" {
		_, forms, err := parseIP(f["ip_address"])
		if err != nil {
			return nil, err
		}
		for _, x := range forms {
			ipForms = append(ipForms, x)
		}
	}
	all, err := s.tables(ctx)
	if err != nil {
		return nil, err
	}
	dialect := s.backend.Name()
	rows, used, err := s.runUnion(ctx, tablesOf(all, "CLOUD_TRAIL_MGMT"), limit, func(t *Table) (string, []any) {
		where, args := timePredicate(t, w)
		eq := func(val string, paths ...string) bool {
			if val == "" {
				return true
			}
			e := field(t, paths...)
			if e == "NULL" {
				return false
			}
			where += " AND lower(" + asText(e) + ") = ?"
			args = append(args, strings.ToLower(val))
			return true
		}
		ok := eq(f["operation"], "api.operation") &&
			eq(f["service"], "api.service.name") &&
			eq(f["status"], "status") &&
			eq(f["account_id"], "cloud.account.uid", "cloud.account_uid", "accountid")
		if !ok {
			return "", nil
		}
		if u := f["user"]; u != "" {
			var ors []string
			for _, p := range []string{"actor.user.name", "actor.user.uid", "actor.user.credential_uid", "identity.user.name", "identity.user.uid"} {
				if t.Has(p) {
					ors = append(ors, "lower("+asText(qpath(p))+") = ?")
					args = append(args, strings.ToLower(u))
				}
			}
			if len(ors) == 0 {
				return "", nil
			}
			where += " AND (" + strings.Join(ors, " OR ") + ")"
		}
		if ipForms != nil {
			if !t.Has("src_endpoint.ip") {
				return "", nil
			}
			where += " AND " + qpath("src_endpoint.ip") + " IN " + inList(len(ipForms))
			args = append(args, ipForms...)
		}
		return selectFrom(dialect, t, [][]column{commonColumns, eventColumns}, where, args)
	})
	if err != nil {
		return nil, err
	}
	results := make([]map[string]any, 0, len(rows.Rows))
	ops := map[string]int{}
	users := map[string]int{}
	for _, m := range rows.Maps() {
		r := ipResult(m, nil)
		delete(r, "ip_context")
		delete(r, "network_info")
		r["source_ip"] = m["src_ip"]
		results = append(results, r)
		if o, _ := m["api_operation"].(string); o != "" {
			ops[o]++
		}
		if u, _ := m["actor_user"].(string); u != "" {
			users[u]++
		}
	}
	sum := ipSummary(results)
	sum["most_common_operation"], sum["operations"], sum["users"] = mostCommon(ops), ops, users
	return success(results, s.queryInfo(rows, used, w, map[string]any{"limit": limit, "filters": f}), sum, true), nil
}

var errNoLake = errors.New("mcpwatch's local lake is not available to this server: start it with --lake pointing at a lake built by `mcpwatch ingest` or `mcpwatch demo`")
