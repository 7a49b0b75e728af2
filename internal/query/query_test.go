package query

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

var (
	day1 = time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)
	day2 = time.Date(2024, 1, 2, 10, 0, 0, 0, time.UTC)
)

// testLake is the shared fixture: a lake with several partitions and tables, and files
// outside it that queries must not reach.
type testLake struct {
	root       string // temp dir holding the lake and the outside files
	lake       string
	outside    string // a CSV file next to the lake
	sibling    string // a CSV file in a directory whose name starts with the lake's
	deadLetter string // a file inside the lake that is not a table
}

func buildTestLake(t *testing.T) testLake {
	t.Helper()
	root := t.TempDir()
	tl := testLake{root: root, lake: filepath.Join(root, "lake")}

	east := partition{"us-east-1", "012345678901", "20240101"}
	east2 := partition{"us-east-1", "012345678901", "20240102"}
	eu := partition{"eu-west-1", "210987654321", "20240101"}
	writeTable(t, tl.lake, "VPC_FLOW", east, "a.parquet", []ocsf.NetworkActivity{
		flow("us-east-1", "012345678901", "10.0.0.1", "203.0.113.10", 443, 1000, day1),
		flow("us-east-1", "012345678901", "10.0.0.1", "203.0.113.10", 443, 500, day1.Add(time.Minute)),
		flow("us-east-1", "012345678901", "10.0.0.2", "198.51.100.5", 8080, 300, day1.Add(2*time.Minute)),
	})
	writeTable(t, tl.lake, "VPC_FLOW", east2, "b.parquet", []ocsf.NetworkActivity{
		flow("us-east-1", "012345678901", "10.0.0.1", "203.0.113.11", 443, 200, day2),
		flow("us-east-1", "012345678901", "10.0.0.3", "203.0.113.10", 443, 50, day2.Add(time.Minute)),
	})
	writeTable(t, tl.lake, "VPC_FLOW", eu, "c.parquet", []ocsf.NetworkActivity{
		flow("eu-west-1", "210987654321", "10.1.0.1", "198.51.100.5", 8080, 4000, day1),
	})
	writeTable(t, tl.lake, "VPC_FLOW", eu, "d.parquet", []ocsf.NetworkActivity{
		flow("eu-west-1", "210987654321", "10.1.0.2", "203.0.113.10", 443, 10, day1),
	})

	// Finding A has two versions, B one; C has two versions with the same modified and
	// event times, which the file name decides (the later file, f2, wins).
	t1, t2, t3 := day1, day1.Add(time.Hour), day2
	writeTable(t, tl.lake, "FINDINGS", east, "f1.parquet", []ocsf.DetectionFinding{
		finding("A", "New", ocsf.StatusNew, t1, t1),
		finding("B", "New", ocsf.StatusNew, t1, t1),
		finding("C", "New", ocsf.StatusNew, t2, t2),
	})
	writeTable(t, tl.lake, "FINDINGS", east2, "f2.parquet", []ocsf.DetectionFinding{
		finding("A", "In Progress", ocsf.StatusInProgress, t3, t1),
		finding("C", "Resolved", ocsf.StatusResolved, t2, t2),
	})

	writeTable(t, tl.lake, "ROUTE53", east, "r.parquet", []ocsf.DNSActivity{
		dnsQuery("mcp.atlassian.com", day1), dnsQuery("example.com", day1),
	})
	// CLOUD_TRAIL_MGMT has no file but a schema file; SH_FINDINGS has neither.
	writeParquet[ocsf.APIActivity](t, filepath.Join(tl.lake, "_mcpwatch", "schema", "CLOUD_TRAIL_MGMT.parquet"), nil)
	// A source mcpwatch has no view for in advance.
	var api ocsf.APIActivity
	api.Classify(ocsf.ClassAPIActivity, 2)
	api.SetTime(day1)
	api.API.Operation = "get"
	writeTable(t, tl.lake, "EKS_AUDIT", east, "e.parquet", []ocsf.APIActivity{api})

	// Directories that are not tables of their own: a name a view already has, and names
	// that are not source names.
	for _, d := range []string{"FINDINGS_HISTORY", "notes", "1X"} {
		if err := os.MkdirAll(filepath.Join(tl.lake, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tl.deadLetter = filepath.Join(tl.lake, "_deadletter", "VPC_FLOW", "x.csv")
	tl.outside = filepath.Join(root, "secret.csv")
	tl.sibling = filepath.Join(root, "lake-other", "secret.csv")
	for _, p := range []string{tl.deadLetter, tl.outside, tl.sibling} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("k,v\nsecret,42\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return tl
}

// TestDB runs every test that needs the shared lake against one DB.
func TestDB(t *testing.T) {
	tl := buildTestLake(t)
	ctx := context.Background()
	db, err := Open(ctx, tl.lake, WithThreads(2))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	mustQuery := func(t *testing.T, sql string, args ...any) *Result {
		t.Helper()
		res, err := db.Query(ctx, sql, args...)
		if err != nil {
			t.Fatalf("Query(%q): %v", sql, err)
		}
		return res
	}

	t.Run("Tables", func(t *testing.T) {
		want := []Table{
			{Name: "vpc_flow", Source: "VPC_FLOW", Files: 4},
			{Name: "cloud_trail_mgmt", Source: "CLOUD_TRAIL_MGMT", Schema: true},
			{Name: "route53", Source: "ROUTE53", Files: 1},
			{Name: "sh_findings", Source: "SH_FINDINGS"},
			{Name: "findings_history", Source: "FINDINGS", Files: 2},
			{Name: "findings", Source: "FINDINGS", Files: 2},
			{Name: "mcp_inventory", Source: "MCP_INVENTORY"},
			{Name: "eks_audit", Source: "EKS_AUDIT", Files: 1},
		}
		for i := range want {
			want[i].Dir = db.LakeDir() + "/" + want[i].Source + "/2.0"
		}
		if got := db.Tables(); !reflect.DeepEqual(got, want) {
			t.Errorf("Tables() =\n%+v\nwant\n%+v", got, want)
		}
		res := mustQuery(t, "SHOW TABLES")
		var names []string
		for _, r := range res.Rows {
			names = append(names, r[0].(string))
		}
		if want := "cloud_trail_mgmt eks_audit findings findings_history mcp_inventory route53 sh_findings vpc_flow"; strings.Join(names, " ") != want {
			t.Errorf("SHOW TABLES = %v, want %s", names, want)
		}
	})

	t.Run("partitions", func(t *testing.T) {
		res := mustQuery(t, `SELECT region, accountid, eventday, count(*) AS n FROM vpc_flow GROUP BY ALL ORDER BY ALL`)
		if got := strings.Join(res.ColumnNames(), ","); got != "region,accountid,eventday,n" {
			t.Errorf("ColumnNames() = %s", got)
		}
		wantCols := []Column{{"region", "VARCHAR"}, {"accountid", "VARCHAR"}, {"eventday", "VARCHAR"}, {"n", "BIGINT"}}
		if !reflect.DeepEqual(res.Columns, wantCols) {
			t.Errorf("columns = %v, want %v", res.Columns, wantCols)
		}
		want := [][]any{
			{"eu-west-1", "210987654321", "20240101", int64(2)},
			{"us-east-1", "012345678901", "20240101", int64(3)},
			{"us-east-1", "012345678901", "20240102", int64(2)},
		}
		if !reflect.DeepEqual(res.Rows, want) {
			t.Errorf("rows = %v, want %v", res.Rows, want)
		}
		// The partition columns come last, in Security Lake's order.
		desc := mustQuery(t, "DESCRIBE vpc_flow")
		n := len(desc.Rows)
		var last []string
		for _, r := range desc.Rows[n-3:] {
			last = append(last, r[0].(string))
		}
		if strings.Join(last, ",") != "region,accountid,eventday" {
			t.Errorf("last columns of vpc_flow = %v", last)
		}
		// Partition pruning: a filter on eventday reads only that day.
		one := mustQuery(t, `SELECT count(*) FROM vpc_flow WHERE eventday = '20240102'`)
		if one.Rows[0][0] != int64(2) {
			t.Errorf("count for 20240102 = %v, want 2", one.Rows[0][0])
		}
	})

	t.Run("top talkers", func(t *testing.T) {
		res := mustQuery(t, `SELECT src_endpoint.ip AS ip, sum(traffic.bytes) AS bytes, count(*) AS flows
			FROM vpc_flow GROUP BY 1 ORDER BY bytes DESC, ip LIMIT 3`)
		want := [][]any{
			{"10.1.0.1", int64(4000), int64(1)},
			{"10.0.0.1", int64(1700), int64(3)},
			{"10.0.0.2", int64(300), int64(1)},
		}
		if !reflect.DeepEqual(res.Rows, want) {
			t.Errorf("rows = %v, want %v", res.Rows, want)
		}
	})

	t.Run("nested values", func(t *testing.T) {
		res := mustQuery(t, `SELECT dst_endpoint, observables, unmapped, time_dt FROM vpc_flow
			WHERE src_endpoint.ip = '10.1.0.1'`)
		if len(res.Rows) != 1 {
			t.Fatalf("got %d rows", len(res.Rows))
		}
		row := res.Rows[0]
		dst, ok := row[0].(map[string]any)
		if !ok || dst["ip"] != "198.51.100.5" || dst["port"] != int64(8080) || dst["hostname"] != nil {
			t.Errorf("dst_endpoint = %#v", row[0])
		}
		obs, ok := row[1].([]any)
		if !ok || len(obs) != 1 || obs[0].(map[string]any)["value"] != "198.51.100.5" || obs[0].(map[string]any)["type_id"] != int64(2) {
			t.Errorf("observables = %#v", row[1])
		}
		if !reflect.DeepEqual(row[2], map[string]any{"interface_id": "eni-0123"}) {
			t.Errorf("unmapped = %#v", row[2])
		}
		if ts, ok := row[3].(time.Time); !ok || !ts.Equal(day1) || ts.Location() != time.UTC {
			t.Errorf("time_dt = %#v, want %v in UTC", row[3], day1)
		}
	})

	t.Run("findings latest version", func(t *testing.T) {
		res := mustQuery(t, `SELECT finding_info.uid, status, status_id, eventday FROM findings ORDER BY 1`)
		want := [][]any{
			{"A", "In Progress", int64(2), "20240102"},
			{"B", "New", int64(1), "20240101"},
			{"C", "Resolved", int64(4), "20240102"},
		}
		if !reflect.DeepEqual(res.Rows, want) {
			t.Errorf("findings = %v, want %v", res.Rows, want)
		}
		hist := mustQuery(t, `SELECT finding_info.uid, count(*) FROM findings_history GROUP BY 1 ORDER BY 1`)
		wantHist := [][]any{{"A", int64(2)}, {"B", int64(1)}, {"C", int64(2)}}
		if !reflect.DeepEqual(hist.Rows, wantHist) {
			t.Errorf("findings_history = %v, want %v", hist.Rows, wantHist)
		}
	})

	t.Run("empty tables", func(t *testing.T) {
		for _, tc := range []struct {
			table  string
			column string // a column the view must have, beyond the partition columns
		}{
			{"cloud_trail_mgmt", "api"},
			{"sh_findings", ""},
		} {
			res := mustQuery(t, "SELECT count(*) FROM "+tc.table)
			if res.Rows[0][0] != int64(0) {
				t.Errorf("%s has %v rows, want 0", tc.table, res.Rows[0][0])
			}
			desc := mustQuery(t, "DESCRIBE "+tc.table)
			cols := map[string]bool{}
			for _, r := range desc.Rows {
				cols[r[0].(string)] = true
			}
			for _, c := range []string{"region", "accountid", "eventday", tc.column} {
				if c != "" && !cols[c] {
					t.Errorf("%s has no column %s (has %v)", tc.table, c, cols)
				}
			}
		}
	})

	t.Run("other source", func(t *testing.T) {
		res := mustQuery(t, "SELECT api.operation, accountid FROM eks_audit")
		if !reflect.DeepEqual(res.Rows, [][]any{{"get", "012345678901"}}) {
			t.Errorf("eks_audit = %v", res.Rows)
		}
	})

	t.Run("read-only", func(t *testing.T) { testRefusals(t, db, tl) })

	t.Run("allowed statements", func(t *testing.T) {
		for _, sql := range []string{
			"SELECT 1",
			"select 1;",
			"SELECT 1 -- trailing comment",
			"  /* leading comment */ SELECT 1 ;  ",
			"WITH t AS (SELECT src_endpoint.ip FROM vpc_flow) SELECT count(*) FROM t",
			"FROM route53 SELECT query.hostname",
			"VALUES (1, 'a')",
			"DESCRIBE findings",
			"SUMMARIZE route53",
			"SHOW TABLES",
			"EXPLAIN SELECT count(*) FROM vpc_flow",
			"EXPLAIN ANALYZE SELECT count(*) FROM vpc_flow",
			"UNPIVOT (SELECT 1 AS a, 2 AS b) ON a, b",
			"SELECT * FROM read_csv(" + quoteString(filepath.ToSlash(tl.deadLetter)) + ")",
		} {
			if _, err := db.Query(ctx, sql); err != nil {
				t.Errorf("Query(%q): %v", sql, err)
			}
		}
	})

	t.Run("errors that are not refusals", func(t *testing.T) {
		for _, tc := range []struct{ sql, want string }{
			{"SELEC 1", "syntax error"},
			{"SELECT * FROM no_such_table", "no_such_table"},
			{"SELECT 1 /* open", "unterminated"},
		} {
			_, err := db.Query(ctx, tc.sql)
			if err == nil || errors.Is(err, ErrNotReadOnly) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Query(%q) = %v, want an error mentioning %q that is not a refusal", tc.sql, err, tc.want)
			}
		}
		for _, sql := range []string{"", "  ", "-- only a comment", ";"} {
			if _, err := db.Query(ctx, sql); !errors.Is(err, ErrEmptyQuery) {
				t.Errorf("Query(%q) = %v, want ErrEmptyQuery", sql, err)
			}
		}
	})

	t.Run("file access outside the lake", func(t *testing.T) {
		for _, path := range []string{tl.outside, tl.sibling, "/etc/passwd"} {
			p := quoteString(filepath.ToSlash(path))
			queries := []string{
				"SELECT * FROM read_csv(" + p + ")",
				"SELECT * FROM read_text(" + p + ")",
				"SELECT * FROM glob(" + quoteString(filepath.ToSlash(filepath.Dir(path))+"/*") + ")",
			}
			if strings.HasSuffix(path, ".csv") { // DuckDB reads a quoted file name by its extension
				queries = append(queries, "SELECT * FROM "+p)
			}
			for _, sql := range queries {
				_, err := db.Query(ctx, sql)
				if err == nil || !strings.Contains(err.Error(), "Permission Error") {
					t.Errorf("Query(%q) = %v, want a permission error", sql, err)
				}
			}
		}
		// Not even the trusted path can lift the restriction: the configuration is locked.
		for _, sql := range []string{"SET enable_external_access = true", "RESET allowed_directories",
			"SET allowed_directories = ['/']", "SET lock_configuration = false"} {
			if _, err := db.QueryTrusted(ctx, sql); err == nil || !strings.Contains(err.Error(), "locked") {
				t.Errorf("QueryTrusted(%q) = %v, want a locked-configuration error", sql, err)
			}
		}
		if _, err := db.QueryTrusted(ctx, "SELECT * FROM read_csv("+quoteString(filepath.ToSlash(tl.outside))+")"); err == nil {
			t.Errorf("trusted query read a file outside the lake")
		}
	})

	t.Run("parameters", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			sql  string
			args []any
			want int64
		}{
			{"dollar", "SELECT count(*) FROM vpc_flow WHERE src_endpoint.ip = $1", []any{"10.0.0.1"}, 3},
			{"question marks", "SELECT count(*) FROM vpc_flow WHERE src_endpoint.ip = ? AND dst_endpoint.port = ?", []any{"10.0.0.1", 443}, 3},
			{"named", "SELECT count(*) FROM vpc_flow WHERE accountid = $acct", []any{sql.Named("acct", "210987654321")}, 2},
			{"time", "SELECT count(*) FROM vpc_flow WHERE time_dt >= $1", []any{day2}, 2},
			{"not spliced", "SELECT count(*) FROM vpc_flow WHERE src_endpoint.ip = $1", []any{"x' OR '1'='1"}, 0},
			{"statement in a value", "SELECT count(*) FROM vpc_flow WHERE src_endpoint.ip = $1", []any{"'; DROP VIEW vpc_flow; --"}, 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := mustQuery(t, tc.sql, tc.args...)
				if res.Rows[0][0] != tc.want {
					t.Errorf("count = %v, want %d", res.Rows[0][0], tc.want)
				}
			})
		}
		if _, err := db.Query(ctx, "SELECT $1 + $2", 1); err == nil {
			t.Errorf("a missing parameter was not reported")
		}
		if res := mustQuery(t, "SELECT count(*) FROM vpc_flow"); res.Rows[0][0] != int64(7) {
			t.Errorf("vpc_flow has %v rows after the parameter tests, want 7", res.Rows[0][0])
		}
	})

	t.Run("cancellation", func(t *testing.T) {
		// Without an interrupt this query runs for minutes; only the cancellation ends it.
		long := "SELECT count(*) FROM range(100000000000) t(a) WHERE a % 7 = 3"
		cctx, cancel := context.WithCancel(ctx)
		go func() {
			time.Sleep(20 * time.Millisecond)
			cancel()
		}()
		if _, err := db.Query(cctx, long); !errors.Is(err, context.Canceled) {
			t.Errorf("Query after cancel = %v, want context.Canceled", err)
		}
		done, cancel2 := context.WithCancel(ctx)
		cancel2()
		if _, err := db.Query(done, "SELECT 1"); !errors.Is(err, context.Canceled) {
			t.Errorf("Query with a canceled context = %v, want context.Canceled", err)
		}
		if res := mustQuery(t, "SELECT 42"); res.Rows[0][0] != int64(42) {
			t.Errorf("DB unusable after cancellation: %v", res.Rows)
		}
	})

	t.Run("types", func(t *testing.T) {
		res := mustQuery(t, `SELECT
			NULL AS n, true AS b, 42::TINYINT AS i8, 18446744073709551615::UBIGINT AS u64,
			170141183460469231731687303715884105727::HUGEINT AS huge, 12::HUGEINT AS small_huge,
			0.1::FLOAT AS f32, 'NaN'::DOUBLE AS nan, 12.34::DECIMAL(10,2) AS dec,
			'héllo ✓'::VARCHAR AS s, 'b'::ENUM('a', 'b') AS e,
			TIMESTAMPTZ '2024-01-02 03:04:05.678+02' AS tstz, TIMESTAMP '2024-01-02 03:04:05' AS ts,
			DATE '2024-01-02' AS d, TIME '01:02:03.5' AS tm,
			INTERVAL '1 year 2 months 3 days 04:05:06' AS iv, INTERVAL '1 day' AS iv1,
			'0d8c4d6a-33b5-4a2c-9a4f-6a5e3d2c1b0a'::UUID AS u, '\xAB\x41\x5C'::BLOB AS bl,
			[1, NULL, 3] AS l, {'k': 'v', 'n': {'x': 1}} AS st, MAP {'a': 1, 'b': 2} AS m,
			'{"j": [1, "x"]}'::JSON AS j, [1, 2]::INTEGER[2] AS arr`)
		want := map[string]any{
			"n": nil, "b": true, "i8": int64(42), "u64": "18446744073709551615",
			"huge": "170141183460469231731687303715884105727", "small_huge": int64(12),
			"f32": 0.1, "dec": 12.34, "s": "héllo ✓", "e": "b",
			"tstz": time.Date(2024, 1, 2, 1, 4, 5, 678000000, time.UTC),
			"ts":   time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
			"d":    time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), "tm": "01:02:03.5",
			"iv": "1 year 2 months 3 days 04:05:06", "iv1": "1 day",
			"u": "0d8c4d6a-33b5-4a2c-9a4f-6a5e3d2c1b0a", "bl": `\xABA\x5C`,
			"l":   []any{int64(1), nil, int64(3)},
			"st":  map[string]any{"k": "v", "n": map[string]any{"x": int64(1)}},
			"m":   map[string]any{"a": int64(1), "b": int64(2)},
			"j":   map[string]any{"j": []any{float64(1), "x"}},
			"arr": []any{int64(1), int64(2)},
		}
		for i, c := range res.Columns {
			got := res.Rows[0][i]
			if c.Name == "nan" {
				if f, ok := got.(float64); !ok || !math.IsNaN(f) {
					t.Errorf("nan = %#v", got)
				}
				continue
			}
			if !reflect.DeepEqual(got, want[c.Name]) {
				t.Errorf("%s (%s) = %#v, want %#v", c.Name, c.Type, got, want[c.Name])
			}
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		errs := make(chan error, 8)
		for g := range 8 {
			go func() {
				for range 5 {
					res, err := db.Query(ctx, "SELECT count(*) FROM vpc_flow WHERE accountid = $1", "012345678901")
					if err == nil && res.Rows[0][0] != int64(5) {
						err = fmt.Errorf("count = %v, want 5", res.Rows[0][0])
					}
					if err == nil && g%2 == 0 {
						if _, rerr := db.Query(ctx, "DROP VIEW vpc_flow"); !errors.Is(rerr, ErrNotReadOnly) {
							err = fmt.Errorf("DROP VIEW: %v", rerr)
						}
					}
					if err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}()
		}
		for range 8 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	})

	t.Run("trusted", func(t *testing.T) {
		res, err := db.QueryTrusted(ctx, "SELECT count(*) FROM findings WHERE status_id = $1", int32(ocsf.StatusNew))
		if err != nil {
			t.Fatal(err)
		}
		if res.Rows[0][0] != int64(1) {
			t.Errorf("count = %v, want 1", res.Rows[0][0])
		}
	})
}

// testRefusals checks that every statement but a read-only query is refused, with a message
// naming it, and had no effect.
func testRefusals(t *testing.T, db *DB, tl testLake) {
	ctx := context.Background()
	inLake := filepath.ToSlash(filepath.Join(tl.lake, "copied.csv"))
	for _, tc := range []struct {
		sql, statement string
	}{
		{"INSERT INTO vpc_flow SELECT * FROM vpc_flow", "INSERT"},
		{"UPDATE vpc_flow SET action = 'x'", "UPDATE"},
		{"DELETE FROM vpc_flow", "DELETE"},
		{"COPY vpc_flow TO " + quoteString(inLake), "COPY"},
		{"COPY (SELECT 1) TO " + quoteString(inLake), "COPY"},
		{"COPY vpc_flow FROM '/etc/passwd'", "COPY"},
		{"ATTACH ':memory:' AS other", "ATTACH"},
		{"DETACH memory", "DETACH"},
		{"CREATE TABLE t AS SELECT 1", "CREATE"},
		{"CREATE OR REPLACE VIEW vpc_flow AS SELECT 1", "CREATE"},
		{"CREATE MACRO m(x) AS x", "CREATE"},
		{"DROP VIEW vpc_flow", "DROP"},
		{"ALTER VIEW vpc_flow RENAME TO v", "ALTER"},
		{"SET threads = 1", "SET"},
		{"RESET threads", "RESET"},
		{"SET VARIABLE x = 1", "SET"},
		{"USE memory", "USE"},
		{"PRAGMA version", "PRAGMA"},
		{"PRAGMA enable_profiling", "PRAGMA"},
		{"pragma table_info('vpc_flow')", "PRAGMA"},
		{"INSTALL httpfs", "INSTALL"},
		{"FORCE INSTALL httpfs", "FORCE INSTALL"},
		{"LOAD httpfs", "LOAD"},
		{"EXPORT DATABASE " + quoteString(filepath.ToSlash(filepath.Join(tl.lake, "export"))), "EXPORT"},
		{"CALL pragma_version()", "CALL"},
		{"CHECKPOINT", "CHECKPOINT"},
		{"BEGIN TRANSACTION", "BEGIN"},
		{"VACUUM", "VACUUM"},
		{"ANALYZE", "ANALYZE"},
		{"PREPARE p AS SELECT 1", "PREPARE"},
		{"EXPLAIN ANALYZE CREATE TABLE t AS SELECT 1", "EXPLAIN CREATE"},
		{"EXPLAIN COPY vpc_flow TO " + quoteString(inLake), "EXPLAIN COPY"},
		{"SELECT 1; SELECT 2", multipleStatements},
		{"CREATE TABLE t2 AS SELECT 1; SELECT 1", multipleStatements},
		{"SELECT 1; DROP VIEW vpc_flow", multipleStatements},
		{"SELECT 1; CREATE TABLE t3 AS SELECT 1;", multipleStatements},
	} {
		t.Run(tc.sql, func(t *testing.T) {
			_, err := db.Query(ctx, tc.sql)
			var re *RefusedError
			if !errors.As(err, &re) || !errors.Is(err, ErrNotReadOnly) {
				t.Fatalf("Query(%q) = %v, want a *RefusedError", tc.sql, err)
			}
			if re.Statement != tc.statement {
				t.Errorf("refused statement = %q, want %q", re.Statement, tc.statement)
			}
			if !strings.Contains(err.Error(), tc.statement) {
				t.Errorf("message %q does not name %q", err, tc.statement)
			}
		})
	}
	// The whole message, as people and assistants read it.
	for sql, want := range map[string]string{
		"INSERT INTO vpc_flow SELECT * FROM vpc_flow": "query refused: INSERT statements are not allowed; only read-only " +
			"queries (SELECT, WITH ... SELECT, DESCRIBE, SUMMARIZE, SHOW, EXPLAIN SELECT) can run",
		"SELECT 1; SELECT 2": "query refused: multiple statements are not allowed, send one query at a time",
	} {
		if _, err := db.Query(ctx, sql); err == nil || err.Error() != want {
			t.Errorf("Query(%q) = %v, want %q", sql, err, want)
		}
	}
	// Nothing ran: no table, no file, the views are intact.
	res, err := db.QueryTrusted(ctx, "SELECT count(*) FROM duckdb_tables() WHERE NOT internal")
	if err != nil || res.Rows[0][0] != int64(0) {
		t.Errorf("tables created by refused statements: %v %v", res, err)
	}
	res, err = db.QueryTrusted(ctx, "SELECT count(*) FROM duckdb_databases() WHERE NOT internal")
	if err != nil || res.Rows[0][0] != int64(1) {
		t.Errorf("databases after refused statements: %v %v", res, err)
	}
	for _, p := range []string{inLake, filepath.Join(tl.lake, "export")} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("refused statement wrote %s", p)
		}
	}
	if res, err := db.Query(ctx, "SELECT count(*) FROM vpc_flow"); err != nil || res.Rows[0][0] != int64(7) {
		t.Errorf("vpc_flow after refused statements: %v %v", res, err)
	}
}

func TestRowLimit(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir(), WithMaxRows(3), WithThreads(1))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tc := range []struct {
		sql       string
		want      []any // the first column
		truncated bool
	}{
		{"SELECT range FROM range(10) ORDER BY range DESC", []any{int64(9), int64(8), int64(7)}, true},
		{"SELECT range FROM range(10) ORDER BY range DESC;", []any{int64(9), int64(8), int64(7)}, true},
		{"SELECT range FROM range(10) ORDER BY range DESC -- comment", []any{int64(9), int64(8), int64(7)}, true},
		{"SELECT range FROM range(3)", []any{int64(0), int64(1), int64(2)}, false},
		{"SELECT range FROM range(2)", []any{int64(0), int64(1)}, false},
		{"SELECT range FROM range(100) LIMIT 2", []any{int64(0), int64(1)}, false},
		{"SELECT range FROM range(5) WHERE range > $1", []any{int64(1), int64(2), int64(3)}, true},
		{"EXPLAIN SELECT 1", nil, false},
	} {
		var args []any
		if strings.Contains(tc.sql, "$1") {
			args = []any{0}
		}
		res, err := db.Query(ctx, tc.sql, args...)
		if err != nil {
			t.Errorf("Query(%q): %v", tc.sql, err)
			continue
		}
		if tc.want != nil {
			var got []any
			for _, r := range res.Rows {
				got = append(got, r[0])
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Query(%q) = %v, want %v", tc.sql, got, tc.want)
			}
		}
		if res.Truncated != tc.truncated {
			t.Errorf("Query(%q).Truncated = %v, want %v", tc.sql, res.Truncated, tc.truncated)
		}
	}
	// The trusted path has no limit.
	res, err := db.QueryTrusted(ctx, "SELECT range FROM range(10)")
	if err != nil || len(res.Rows) != 10 || res.Truncated {
		t.Errorf("QueryTrusted = %v rows, %v", len(res.Rows), err)
	}
}

func TestEmptyLakeAndRefresh(t *testing.T) {
	ctx := context.Background()
	lake := t.TempDir()
	db, err := Open(ctx, lake, WithThreads(1))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, table := range []string{"vpc_flow", "cloud_trail_mgmt", "route53", "sh_findings", "findings_history", "findings"} {
		res, err := db.Query(ctx, "SELECT * FROM "+table)
		if err != nil {
			t.Errorf("%s: %v", table, err)
			continue
		}
		if len(res.Rows) != 0 || len(res.Columns) != 3 {
			t.Errorf("%s: %d rows, columns %v; want 0 rows and the partition columns", table, len(res.Rows), res.Columns)
		}
	}
	// Files that appear later are seen after Refresh.
	writeTable(t, lake, "VPC_FLOW", partition{"us-east-1", "012345678901", "20240101"}, "a.parquet",
		[]ocsf.NetworkActivity{flow("us-east-1", "012345678901", "10.0.0.1", "203.0.113.1", 443, 1, day1)})
	writeTable(t, lake, "FINDINGS", partition{"us-east-1", "012345678901", "20240101"}, "f.parquet",
		[]ocsf.DetectionFinding{finding("A", "New", 1, day1, day1), finding("A", "Resolved", 4, day2, day2)})
	if err := db.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	for table, want := range map[string]int64{"vpc_flow": 1, "findings_history": 2, "findings": 1} {
		res, err := db.Query(ctx, "SELECT count(*) FROM "+table)
		if err != nil || res.Rows[0][0] != want {
			t.Errorf("%s after Refresh: %v %v, want %d rows", table, res, err, want)
		}
	}
	// A view over files sees new files without Refresh.
	writeTable(t, lake, "VPC_FLOW", partition{"us-east-1", "012345678901", "20240102"}, "b.parquet",
		[]ocsf.NetworkActivity{flow("us-east-1", "012345678901", "10.0.0.1", "203.0.113.1", 443, 1, day2)})
	if res, err := db.Query(ctx, "SELECT count(*) FROM vpc_flow"); err != nil || res.Rows[0][0] != int64(2) {
		t.Errorf("vpc_flow after a new file: %v %v, want 2 rows", res, err)
	}
}

func TestUnreadableTable(t *testing.T) {
	ctx := context.Background()
	lake := t.TempDir()
	bad := filepath.Join(lake, "ROUTE53", SourceVersion, "region=us-east-1", "accountId=1", "eventDay=20240101", "bad.parquet")
	if err := os.MkdirAll(filepath.Dir(bad), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("not parquet"), 0o644); err != nil {
		t.Fatal(err)
	}
	writeTable(t, lake, "VPC_FLOW", partition{"us-east-1", "1", "20240101"}, "a.parquet",
		[]ocsf.NetworkActivity{flow("us-east-1", "1", "10.0.0.1", "203.0.113.1", 443, 1, day1)})
	var logs bytes.Buffer
	db, err := Open(ctx, lake, WithThreads(1), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var route Table
	for _, tb := range db.Tables() {
		if tb.Name == "route53" {
			route = tb
		}
	}
	if route.Err == "" || route.Files != 1 {
		t.Errorf("route53 table = %+v, want an error and 1 file", route)
	}
	if !strings.Contains(logs.String(), "route53") {
		t.Errorf("no warning logged about route53: %q", logs.String())
	}
	if res, err := db.Query(ctx, "SELECT count(*) FROM route53"); err != nil || res.Rows[0][0] != int64(0) {
		t.Errorf("route53: %v %v, want an empty view", res, err)
	}
	if res, err := db.Query(ctx, "SELECT count(*) FROM vpc_flow"); err != nil || res.Rows[0][0] != int64(1) {
		t.Errorf("vpc_flow: %v %v, want 1 row", res, err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	glob := filepath.Join(dir, "la[ke]")
	if err := os.Mkdir(glob, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ dir, want string }{
		{filepath.Join(dir, "missing"), "no such file"},
		{file, "not a directory"},
		{glob, "glob characters"},
	} {
		db, err := Open(context.Background(), tc.dir)
		if err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded", tc.dir)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%q) = %v, want an error mentioning %q", tc.dir, err, tc.want)
		}
	}
}

// TestSecurityLakeSample reads a Parquet file written by Amazon Security Lake next to one
// written by mcpwatch's types, in the same table.
func TestSecurityLakeSample(t *testing.T) {
	data := repoData(t)
	if data == "" {
		t.Skip("shared reference data not found")
	}
	sample := filepath.Join(data, "security-lake-samples", "samples", "1.0.0-rc.2", "VPC_FLOW", "example0.gz.parquet")
	raw, err := os.ReadFile(sample)
	if err != nil {
		t.Skip(err)
	}
	lake := t.TempDir()
	dst := filepath.Join(lake, "VPC_FLOW", SourceVersion, "region=us-east-1", "accountId=123456789012", "eventDay=20230101", "sl.parquet")
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	writeTable(t, lake, "VPC_FLOW", partition{"us-east-1", "012345678901", "20240101"}, "ours.parquet",
		[]ocsf.NetworkActivity{flow("us-east-1", "012345678901", "10.0.0.1", "203.0.113.1", 443, 1, day1)})
	db, err := Open(context.Background(), lake, WithThreads(1))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if tb := db.Tables()[0]; tb.Err != "" {
		t.Fatalf("vpc_flow: %s", tb.Err)
	}
	res, err := db.Query(context.Background(), `SELECT accountid, count(*), count(src_endpoint.ip), count(traffic.bytes)
		FROM vpc_flow GROUP BY 1 ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 2 {
		t.Fatalf("rows = %v", res.Rows)
	}
	for _, r := range res.Rows {
		if r[1].(int64) == 0 || r[1] != r[2] || r[1] != r[3] {
			t.Errorf("account %v: %v rows, %v with src ip, %v with bytes", r[0], r[1], r[2], r[3])
		}
	}
}

func TestStatementHelpers(t *testing.T) {
	for _, tc := range []struct{ text, word, rest string }{
		{"select 1", "SELECT", " 1"},
		{"  -- c\n /* d */ (( Insert into", "INSERT", " into"},
		{"-- only", "", ""},
		{"/* open", "", ""},
		{"123", "", "123"},
	} {
		w, r := leadingWord(tc.text)
		if w != tc.word || r != tc.rest {
			t.Errorf("leadingWord(%q) = %q, %q; want %q, %q", tc.text, w, r, tc.word, tc.rest)
		}
	}
	for _, tc := range []struct {
		text, target string
		ok           bool
	}{
		{"EXPLAIN SELECT 1", "SELECT 1", true},
		{"explain analyze SELECT 1", "SELECT 1", true},
		{"EXPLAIN (FORMAT json) SELECT 1", " SELECT 1", true},
		{"EXPLAIN (FORMAT json SELECT 1", "", false},
		{"SELECT 1", "", false},
	} {
		target, ok := explainTarget(tc.text)
		if target != tc.target || ok != tc.ok {
			t.Errorf("explainTarget(%q) = %q, %v; want %q, %v", tc.text, target, ok, tc.target, tc.ok)
		}
	}
	for _, tc := range []struct{ text, want string }{
		{"SELECT 1", "SELECT * FROM (\nSELECT 1\n) LIMIT 5"},
		{"SELECT 1 ; \n", "SELECT * FROM (\nSELECT 1\n) LIMIT 5"},
		{"SELECT 1 -- c", "SELECT * FROM (\nSELECT 1 -- c\n) LIMIT 5"},
	} {
		if got := limitSQL(tc.text, 5); got != tc.want {
			t.Errorf("limitSQL(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestPlain(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want any
	}{
		{int32(-5), int64(-5)},
		{uint64(7), int64(7)},
		{uint64(math.MaxUint64), "18446744073709551615"},
		{float32(0.1), 0.1},
		{[]byte("a\x00\\"), `a\x00\x5C`},
		{time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)), time.Date(2024, 1, 2, 2, 4, 5, 0, time.UTC)},
		{[]any{int16(1), []any{"x"}}, []any{int64(1), []any{"x"}}},
		{duckdb.Interval{Micros: -3_600_000_500}, "-01:00:00.0005"},
		{duckdb.Interval{Months: 13, Days: -1}, "1 year 1 month -1 day"},
		{duckdb.Interval{}, "00:00:00"},
	} {
		if got := plain(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("plain(%#v) = %#v, want %#v", tc.in, got, tc.want)
		}
	}
}
