package mcpserver

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpwatch/mcpwatch/internal/athena"
	"github.com/mcpwatch/mcpwatch/internal/ocsf/schema"
)

// SchemaURIPrefix starts the URI of a source's OCSF schema resource: ocsf://schema/<table>.
const SchemaURIPrefix = "ocsf://schema/"

func schemaURI(table string) string { return SchemaURIPrefix + url.PathEscape(table) }

// sourceClasses are the OCSF classes each Security Lake source holds, by source version.
var sourceClasses = map[string]map[string][]int64{
	"VPC_FLOW":         {"1.0": {4001}, "2.0": {4001}},
	"ROUTE53":          {"1.0": {4003}, "2.0": {4003}},
	"CLOUD_TRAIL_MGMT": {"1.0": {3001, 3002, 3005}, "2.0": {3001, 3002, 6003}},
	"LAMBDA_EXECUTION": {"1.0": {3005}, "2.0": {6003}},
	"S3_DATA":          {"1.0": {3005}, "2.0": {6003}},
	"SH_FINDINGS":      {"1.0": {2001}, "2.0": {2002, 2003, 2004}},
	"EKS_AUDIT":        {"2.0": {6003}},
	"WAF":              {"2.0": {4002}},
}

func (s *Server) addResources() {
	s.mcp.AddResource(&mcp.Resource{
		URI: SchemaURIPrefix, Name: "ocsf-sources", Title: "Security Lake sources and their OCSF schemas",
		Description: "Every queryable table with its source, OCSF version and the URI of its schema resource.", MIMEType: "application/json",
	}, s.readSourceIndex)
	s.mcp.AddResourceTemplate(&mcp.ResourceTemplate{
		URITemplate: SchemaURIPrefix + "{table}", Name: "ocsf-schema", Title: "OCSF schema of a Security Lake source",
		Description: "The OCSF version, event classes and columns (with types) of one table, such as ocsf://schema/vpc_flow.",
		MIMEType:    "application/json",
	}, s.readSchema)
}

func (s *Server) readSourceIndex(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	tables, err := s.tables(ctx)
	if err != nil {
		return nil, err
	}
	var list []map[string]any
	for _, t := range tables {
		list = append(list, map[string]any{"table": t.Name, "source": t.Source, "source_version": t.SourceVersion,
			"ocsf_version": t.OCSFVersion(), "uri": schemaURI(t.Name)})
	}
	return jsonResource(req.Params.URI, map[string]any{"backend": s.backend.Name(), "sources": list})
}

func (s *Server) readSchema(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	name, err := url.PathUnescape(strings.TrimPrefix(req.Params.URI, SchemaURIPrefix))
	if err != nil || name == "" || len(name) > 200 {
		return nil, mcp.ResourceNotFoundError(req.Params.URI)
	}
	tables, err := s.tables(ctx)
	if err != nil {
		return nil, err
	}
	var t *Table
	for i := range tables {
		if strings.EqualFold(tables[i].Name, name) {
			t = &tables[i]
			break
		}
	}
	if t == nil { // a source name (VPC_FLOW) picks its newest table
		if ts := tablesOf(tables, strings.ToUpper(name)); len(ts) > 0 {
			t = &ts[0]
		}
	}
	if t == nil {
		return nil, mcp.ResourceNotFoundError(req.Params.URI)
	}
	var classes []map[string]any
	if sch, err := schema.Load(t.OCSFVersion()); err == nil {
		for _, uid := range sourceClasses[t.Source][t.SourceVersion] {
			classes = append(classes, map[string]any{"class_uid": uid, "class_name": sch.ClassName(uid)})
		}
	}
	cols := make([]map[string]any, len(t.Columns))
	for i, c := range t.Columns {
		col := map[string]any{"name": c.Name, "type": c.Type}
		if typ, err := athena.ParseType(c.Type); err == nil {
			if p := typ.Paths(c.Name); len(p) > 0 {
				col["fields"] = p
			}
		}
		cols[i] = col
	}
	doc := map[string]any{
		"table": t.Name, "source": t.Source, "source_version": t.SourceVersion, "ocsf_version": t.OCSFVersion(),
		"classes": classes, "time_partition": map[TimeFilter]string{ByEventDay: "eventday", ByTimeDT: "time_dt"}[t.Time],
		"columns": cols, "backend": s.backend.Name(),
	}
	return jsonResource(req.Params.URI, doc)
}

func jsonResource(uri string, v any) (*mcp.ReadResourceResult, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: "application/json", Text: string(b)}}}, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
