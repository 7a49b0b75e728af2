package mcpserver

import (
	"context"
	"strings"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// ListFindingsInput is list_findings' input.
type ListFindingsInput struct {
	Severity string  `json:"severity,omitempty" jsonschema:"minimum severity: Informational, Low, Medium, High or Critical"`
	Status   string  `json:"status,omitempty" jsonschema:"finding status: New, In Progress, Suppressed or Resolved"`
	Rule     string  `json:"rule,omitempty" jsonschema:"rule id, such as flow.threat_intel, flow.mcp_port or flow.exfiltration"`
	Since    string  `json:"since,omitempty" jsonschema:"only findings seen at or after this ISO 8601 time"`
	Limit    *Number `json:"limit,omitempty" jsonschema:"most findings to return, 1 to 1000 (default 100)"`
}

// GetFindingInput is get_finding's input.
type GetFindingInput struct {
	FindingID string `json:"finding_id" jsonschema:"the finding's uid (finding_info.uid), as list_findings shows it"`
}

// ListServersInput is list_mcp_servers' input.
type ListServersInput struct {
	Limit *Number `json:"limit,omitempty" jsonschema:"most servers to return, 1 to 1000 (default 100)"`
}

func (s *Server) addFindingTools() {
	addTool(s, "list_findings", "List mcpwatch findings",
		"List mcpwatch's shadow-MCP findings (current version of each), most severe and most recent first, filtered by minimum severity, status, rule and time.",
		limitParam, s.listFindings)
	addTool(s, "get_finding", "Get an mcpwatch finding",
		"One mcpwatch finding with everything it holds: the evidence flows and their lake location, observables, MITRE ATT&CK techniques, remediation, and how many versions it has had.",
		nil, s.getFinding)
	addTool(s, "list_mcp_servers", "Inventory of MCP servers seen",
		"The MCP servers mcpwatch's findings point at (address and port), with the rules that flagged each, its clients, bytes, first and last seen, and highest severity.",
		limitParam, s.listServers)
}

func (s *Server) lakeQuery(ctx context.Context, st Stmt, maxRows int) (*Rows, error) {
	if s.opts.Lake == nil {
		return nil, errNoLake
	}
	start := time.Now()
	res, err := s.opts.Lake.QueryTrusted(ctx, st.SQL, st.Args...)
	if err != nil {
		return nil, err
	}
	r := &Rows{Columns: res.ColumnNames(), Rows: res.Rows, Info: QueryInfo{Backend: "local", ExecutionMS: time.Since(start).Milliseconds()}}
	if maxRows > 0 && len(r.Rows) > maxRows {
		r.Rows, r.Truncated = r.Rows[:maxRows], true
	}
	return r, nil
}

// hasFindings reports whether the lake's findings view has its columns (a lake without
// findings has an empty view without them).
func (s *Server) hasFindings(ctx context.Context) (bool, error) {
	r, err := s.lakeQuery(ctx, Stmt{SQL: `SELECT count(*) FROM (DESCRIBE "findings") WHERE column_name = 'finding_info'`}, 1)
	if err != nil {
		return false, err
	}
	n, _ := r.Rows[0][0].(int64)
	return n > 0, nil
}

func (s *Server) listFindings(ctx context.Context, in ListFindingsInput) (*Envelope, error) {
	limit, err := parseLimit(intPtr(in.Limit), DefaultLimit, s.settings.MaxQueryResults)
	if err != nil {
		return nil, err
	}
	where := "TRUE"
	var args []any
	filters := map[string]any{}
	if in.Severity != "" {
		sev, err := parseEnum("severity", in.Severity, severities...)
		if err != nil {
			return nil, err
		}
		where += " AND severity_id >= ?"
		args = append(args, int64(severityRank[strings.ToLower(sev)]))
		filters["min_severity"] = sev
	}
	if in.Status != "" {
		st, err := parseEnum("status", in.Status, "New", "In Progress", "Suppressed", "Resolved")
		if err != nil {
			return nil, err
		}
		id, _ := ocsf.FindingStatusID(st)
		where += " AND status_id = ?"
		args = append(args, int64(id))
		filters["status"] = st
	}
	if in.Rule != "" {
		r, err := parseText("rule", in.Rule)
		if err != nil {
			return nil, err
		}
		where += " AND finding_info.analytic.uid = ?"
		args = append(args, r)
		filters["rule"] = r
	}
	if in.Since != "" {
		t, err := parseTime("since", in.Since)
		if err != nil {
			return nil, err
		}
		where += " AND finding_info.last_seen_time >= ?"
		args = append(args, t.UnixMilli())
		filters["since"] = t.Format(time.RFC3339)
	}
	info := map[string]any{"backend": "local", "table": "findings", "filters": filters, "limit": limit}
	ok, err := s.hasFindings(ctx)
	if err != nil {
		return nil, err
	}
	if !ok {
		info["note"] = "the lake holds no findings yet"
		return success(nil, info, map[string]any{"total_findings": 0}, true), nil
	}
	sql := `SELECT finding_info.uid AS finding_id, finding_info.title AS title, finding_info.analytic.uid AS rule,
  severity, severity_id, status, "count" AS event_count, confidence, risk_score,
  finding_info.first_seen_time AS first_seen, finding_info.last_seen_time AS last_seen,
  cloud.account.uid AS account_id, cloud.region AS region, len(evidences) AS evidence_count,
  list_transform(observables, o -> o."value") AS observables
FROM "findings" WHERE ` + where + `
ORDER BY severity_id DESC, finding_info.last_seen_time DESC, finding_info.uid LIMIT ` + itoa(limit+1)
	rows, err := s.lakeQuery(ctx, Stmt{SQL: sql, Args: args}, limit)
	if err != nil {
		return nil, err
	}
	info["truncated"], info["execution_time_ms"] = rows.Truncated, rows.Info.ExecutionMS
	results := rows.Maps()
	bySev := map[string]int{}
	byRule := map[string]int{}
	for _, r := range results {
		r["first_seen"], r["last_seen"] = millisISO(r["first_seen"]), millisISO(r["last_seen"])
		if sv, _ := r["severity"].(string); sv != "" {
			bySev[sv]++
		}
		if rl, _ := r["rule"].(string); rl != "" {
			byRule[rl]++
		}
	}
	return success(results, info, map[string]any{"total_findings": len(results), "by_severity": bySev, "by_rule": byRule}, true), nil
}

func (s *Server) getFinding(ctx context.Context, in GetFindingInput) (*Envelope, error) {
	id, err := parseText("finding_id", in.FindingID)
	if err != nil {
		return nil, err
	}
	if id == "" {
		return nil, badInput("finding_id is required: take it from list_findings")
	}
	info := map[string]any{"backend": "local", "table": "findings", "finding_id": id}
	ok, err := s.hasFindings(ctx)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, badInput("no finding %s: the lake holds no findings yet", quoteInput(id))
	}
	rows, err := s.lakeQuery(ctx, Stmt{SQL: `SELECT * EXCLUDE (region, accountid, eventday) FROM "findings" WHERE finding_info.uid = ? LIMIT 2`, Args: []any{id}}, 1)
	if err != nil {
		return nil, err
	}
	if len(rows.Rows) == 0 {
		return nil, badInput("no finding %s: list_findings shows the ids", quoteInput(id))
	}
	f := rows.Maps()[0]
	hist, err := s.lakeQuery(ctx, Stmt{SQL: `SELECT count(*) AS versions, min(metadata.modified_time) AS first_version, max(metadata.modified_time) AS last_version FROM "findings_history" WHERE finding_info.uid = ?`, Args: []any{id}}, 1)
	if err != nil {
		return nil, err
	}
	h := hist.Maps()[0]
	ev, _ := f["evidences"].([]any)
	summary := map[string]any{"versions": h["versions"], "evidence_count": len(ev), "severity": f["severity"], "status": f["status"]}
	return success([]map[string]any{f}, info, summary, true), nil
}

func (s *Server) listServers(ctx context.Context, in ListServersInput) (*Envelope, error) {
	limit, err := parseLimit(intPtr(in.Limit), DefaultLimit, s.settings.MaxQueryResults)
	if err != nil {
		return nil, err
	}
	info := map[string]any{"backend": "local", "table": "findings", "limit": limit}
	ok, err := s.hasFindings(ctx)
	if err != nil {
		return nil, err
	}
	if !ok {
		info["note"] = "the lake holds no findings yet"
		return success(nil, info, map[string]any{"total_servers": 0}, true), nil
	}
	sql := `SELECT e.dst_endpoint.ip AS server_ip, e.dst_endpoint.port AS server_port,
  list(DISTINCT rule ORDER BY rule) AS rules, list(DISTINCT finding_id ORDER BY finding_id) AS finding_ids,
  count(DISTINCT e.src_endpoint.ip) AS client_count, list(DISTINCT e.src_endpoint.ip ORDER BY e.src_endpoint.ip)[1:20] AS clients,
  max(severity_id) AS max_severity_id, arg_max(severity, severity_id) AS highest_severity,
  min(first_seen) AS first_seen, max(last_seen) AS last_seen, max(e.dst_endpoint.instance_uid) AS instance_id,
  list(DISTINCT status ORDER BY status) AS statuses
FROM (SELECT finding_info.uid AS finding_id, finding_info.analytic.uid AS rule, severity, severity_id, status,
        finding_info.first_seen_time AS first_seen, finding_info.last_seen_time AS last_seen, unnest(evidences) AS e
      FROM "findings") AS f
WHERE e.dst_endpoint.ip IS NOT NULL
GROUP BY 1, 2 ORDER BY max_severity_id DESC, last_seen DESC, server_ip, server_port LIMIT ` + itoa(limit+1)
	rows, err := s.lakeQuery(ctx, Stmt{SQL: sql}, limit)
	if err != nil {
		return nil, err
	}
	info["truncated"], info["execution_time_ms"] = rows.Truncated, rows.Info.ExecutionMS
	results := rows.Maps()
	for _, r := range results {
		r["first_seen"], r["last_seen"] = millisISO(r["first_seen"]), millisISO(r["last_seen"])
		delete(r, "max_severity_id")
	}
	return success(results, info, map[string]any{"total_servers": len(results)}, true), nil
}
