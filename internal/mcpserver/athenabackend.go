package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/mcpwatch/mcpwatch/internal/athena"
)

// Athena is the backend over Amazon Security Lake through Athena, with the Glue catalog
// telling which tables exist.
type Athena struct {
	c        *athena.Client
	settings Settings

	mu       sync.Mutex
	database string // resolved Glue database
	output   string // resolved result location
	tables   []Table
}

// NewAthena returns the backend; nothing is called until a tool needs it.
func NewAthena(c *athena.Client, s Settings) *Athena {
	return &Athena{c: c, settings: s, output: s.AthenaOutputLocation}
}

// Name is "athena".
func (a *Athena) Name() string { return "athena" }

// resolve finds the Glue database (and caches the catalog): the configured one when it
// exists, else Security Lake's database for the configured region, else (with
// auto-discovery) any Security Lake database.
func (a *Athena) resolve(ctx context.Context) (string, []Table, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.database != "" {
		return a.database, a.tables, nil
	}
	dbs, err := a.c.Databases(ctx)
	if err != nil {
		return "", nil, err
	}
	want := a.settings.SecurityLakeDatabase
	candidates := []string{want, athena.DatabaseForRegion(a.settings.AWSRegion)}
	if strings.HasPrefix(want, athena.SecurityLakeDatabasePrefix) && want != athena.SecurityLakeDatabasePrefix {
		candidates = candidates[:1]
	}
	db := ""
	for _, c := range candidates {
		if slices.Contains(dbs, c) {
			db = c
			break
		}
	}
	if db == "" && a.settings.AutoDiscoverResources {
		for _, d := range dbs {
			if strings.HasPrefix(d, athena.SecurityLakeDatabasePrefix) {
				db = d
				break
			}
		}
	}
	if db == "" {
		return "", nil, fmt.Errorf("no Security Lake Glue database found (looked for %s; the catalog has %s): set ASL_MCP_SECURITY_LAKE_DATABASE",
			strings.Join(candidates, ", "), strings.Join(dbs, ", "))
	}
	gts, err := a.c.Tables(ctx, db)
	if err != nil {
		return "", nil, err
	}
	var tables []Table
	for _, gt := range gts {
		source, version := sourceFromName(gt.Name)
		t := Table{Name: gt.Name, Ref: quoteIdent(db) + "." + quoteIdent(gt.Name), Source: source, SourceVersion: version,
			Columns: append(slices.Clone(gt.Columns), gt.PartitionKeys...), Time: ByTimeDT}
		if version == "" {
			t.SourceVersion = "2.0"
		}
		for _, pk := range gt.PartitionKeys {
			if strings.EqualFold(pk.Name, "eventday") {
				t.Time = ByEventDay
			}
		}
		t.index()
		if t.Time == ByTimeDT && !t.Has("time_dt") {
			t.Time = ByEventDay
		}
		tables = append(tables, t)
	}
	a.database, a.tables = db, tables
	return db, tables, nil
}

// Tables lists the Security Lake tables of the resolved Glue database.
func (a *Athena) Tables(ctx context.Context) ([]Table, error) {
	_, t, err := a.resolve(ctx)
	return t, err
}

// outputLocation returns where results go: the setting, else the workgroup's, else (with
// auto-discovery) the account's aws-athena-query-results-<account>-<region> bucket; "" when
// none is known (Athena then refuses the query with its own message).
func (a *Athena) outputLocation(ctx context.Context) string {
	a.mu.Lock()
	out := a.output
	a.mu.Unlock()
	if out != "" {
		return out
	}
	if loc, err := a.c.WorkgroupOutputLocation(ctx); err == nil && loc != "" {
		return "" // the workgroup's location applies by itself
	}
	if !a.settings.AutoDiscoverResources {
		return ""
	}
	if b := a.resultsBucket(ctx); b != "" {
		out = "s3://" + b + "/asl-mcp-server/"
		a.mu.Lock()
		a.output = out
		a.mu.Unlock()
	}
	return out
}

func (a *Athena) resultsBucket(ctx context.Context) string {
	buckets, err := a.c.Buckets(ctx)
	if err != nil {
		return ""
	}
	for _, b := range buckets {
		if strings.HasPrefix(b, "aws-athena-query-results-") && strings.HasSuffix(b, a.settings.AWSRegion) {
			return b
		}
	}
	return ""
}

// Query runs st on Athena with its values as execution parameters.
func (a *Athena) Query(ctx context.Context, st Stmt, maxRows int) (*Rows, error) {
	db, _, err := a.resolve(ctx)
	if err != nil {
		return nil, err
	}
	params := make([]string, len(st.Args))
	for i, v := range st.Args {
		switch x := v.(type) {
		case string:
			params[i] = athena.StringLiteral(x)
		case int64:
			params[i] = athena.IntLiteral(x)
		case int:
			params[i] = athena.IntLiteral(int64(x))
		case bool:
			params[i] = strings.ToUpper(fmt.Sprint(x))
		default:
			return nil, fmt.Errorf("athena backend: unsupported parameter type %T", v)
		}
	}
	c := a.c
	if loc := a.outputLocation(ctx); loc != "" && loc != c.Options().OutputLocation {
		c = a.withOutput(loc)
	}
	res, err := c.Query(ctx, db, st.SQL, params, maxRows)
	info := QueryInfo{Backend: "athena"}
	if res != nil {
		info.QueryID, info.BytesScanned, info.ExecutionMS = res.QueryID, res.BytesScanned, res.EngineMillis
	}
	if err != nil {
		if info.QueryID != "" {
			return nil, fmt.Errorf("%w (query id %s)", err, info.QueryID)
		}
		return nil, err
	}
	cols := make([]string, len(res.Columns))
	for i, col := range res.Columns {
		cols[i] = col.Name
	}
	return &Rows{Columns: cols, Rows: res.Rows, Truncated: res.Truncated, Info: info}, nil
}

// withOutput returns a client like a's that writes results to loc.
func (a *Athena) withOutput(loc string) *athena.Client {
	return a.c.WithOutputLocation(loc)
}

// Discover reports the Security Lake resources found and what to set.
func (a *Athena) Discover(ctx context.Context) (map[string]any, error) {
	out := map[string]any{"backend": "athena", "region": a.settings.AWSRegion, "configuration": a.settings.Public()}
	var missing, recs []string
	if id, err := a.c.Identity(ctx); err == nil {
		out["account_id"] = id.Account
		out["caller_arn"] = id.ARN
	} else {
		missing = append(missing, "AWS credentials: "+err.Error())
		recs = append(recs, "Configure credentials (ASL_MCP_AWS_PROFILE, AWS_PROFILE, environment variables or an instance role)")
	}
	buckets, err := a.c.Buckets(ctx)
	var lakeBuckets, resultBuckets []string
	if err == nil {
		for _, b := range buckets {
			if strings.HasPrefix(b, athena.SecurityLakeBucketPrefix) {
				lakeBuckets = append(lakeBuckets, b)
			}
			if strings.HasPrefix(b, "aws-athena-query-results-") {
				resultBuckets = append(resultBuckets, b)
			}
		}
	} else {
		out["s3_error"] = err.Error()
	}
	out["security_lake_buckets"] = nonNil(lakeBuckets)
	out["athena_result_buckets"] = nonNil(resultBuckets)
	if len(lakeBuckets) == 0 {
		missing = append(missing, "Security Lake S3 bucket (aws-security-data-lake-<region>-*)")
		recs = append(recs, "Enable Amazon Security Lake in "+a.settings.AWSRegion+", or check ASL_MCP_AWS_REGION")
	}
	dbs, err := a.c.Databases(ctx)
	var lakeDBs []string
	if err == nil {
		for _, d := range dbs {
			if strings.HasPrefix(d, athena.SecurityLakeDatabasePrefix) {
				lakeDBs = append(lakeDBs, d)
			}
		}
	} else {
		out["glue_error"] = err.Error()
	}
	out["glue_databases"] = nonNil(lakeDBs)
	if db, tables, err := a.resolve(ctx); err == nil {
		out["database"] = db
		var names []string
		for _, t := range tables {
			names = append(names, t.Name)
		}
		out["tables"] = nonNil(names)
		if !a.settings.IsSet("SECURITY_LAKE_DATABASE") || a.settings.SecurityLakeDatabase != db {
			recs = append(recs, "Set ASL_MCP_SECURITY_LAKE_DATABASE="+db)
		}
	} else {
		missing = append(missing, "Security Lake Glue database: "+err.Error())
	}
	wgLoc, wgErr := a.c.WorkgroupOutputLocation(ctx)
	out["athena_workgroup"] = a.settings.AthenaWorkgroup
	if wgErr != nil {
		missing = append(missing, "Athena workgroup: "+wgErr.Error())
		recs = append(recs, "Set ASL_MCP_ATHENA_WORKGROUP to an existing workgroup")
	}
	loc := a.settings.AthenaOutputLocation
	switch {
	case loc != "":
		out["athena_output_location"] = loc
	case wgLoc != "":
		out["athena_output_location"] = wgLoc
		out["athena_output_location_from"] = "workgroup"
	default:
		if b := a.resultsBucket(ctx); b != "" {
			out["athena_output_location"] = "s3://" + b + "/asl-mcp-server/"
			out["athena_output_location_from"] = "discovered bucket"
			recs = append(recs, "Set ASL_MCP_ATHENA_OUTPUT_LOCATION=s3://"+b+"/asl-mcp-server/")
		} else {
			missing = append(missing, "Athena query result location")
			recs = append(recs, "Set ASL_MCP_ATHENA_OUTPUT_LOCATION=s3://<bucket>/<prefix>/ or configure a result location on the workgroup")
		}
	}
	out["missing"] = nonNil(missing)
	out["recommendations"] = nonNil(recs)
	return out, nil
}

// Check verifies credentials, the catalog and Athena with a trivial query.
func (a *Athena) Check(ctx context.Context) (map[string]any, error) {
	out := map[string]any{"backend": "athena", "region": a.settings.AWSRegion, "workgroup": a.settings.AthenaWorkgroup}
	id, err := a.c.Identity(ctx)
	if err != nil {
		return out, err
	}
	out["account_id"], out["caller_arn"] = id.Account, id.ARN
	db, tables, err := a.resolve(ctx)
	if err != nil {
		return out, err
	}
	out["database"], out["tables"] = db, len(tables)
	r, err := a.Query(ctx, Stmt{SQL: "SELECT 1 AS ok"}, 1)
	if err != nil {
		return out, err
	}
	out["query_id"] = r.Info.QueryID
	if len(r.Rows) != 1 {
		return out, errors.New("test query returned no row")
	}
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
