package athena_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/mcpwatch/mcpwatch/internal/athena"
	"github.com/mcpwatch/mcpwatch/internal/athena/athenatest"
)

// sharedData finds ../shared/data beside the repository root (the directory with go.mod).
func sharedData(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
	d := filepath.Join(dir, "..", "shared", "data")
	if _, err := os.Stat(d); err != nil {
		t.Skipf("shared data not found at %s", d)
	}
	return d
}

func standIn(t *testing.T, opts athenatest.Options) (*athenatest.Server, *athenatest.SecurityLake) {
	t.Helper()
	opts.Root = t.TempDir()
	srv, err := athenatest.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	sl, err := srv.BuildSecurityLake(context.Background(), sharedData(t), "")
	if err != nil {
		t.Fatal(err)
	}
	return srv, sl
}

func client(srv *athenatest.Server, opts athena.Options) *athena.Client {
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		BaseEndpoint: aws.String(srv.URL),
	}
	return athena.New(cfg, opts)
}

func TestQueryWithParameters(t *testing.T) {
	srv, sl := standIn(t, athenatest.Options{Workgroups: map[string]string{"primary": "s3://results/"}, PageSize: 1})
	c := client(srv, athena.Options{PageSize: 2})
	ctx := context.Background()

	dbs, err := c.Databases(ctx)
	if err != nil || len(dbs) != 1 || dbs[0] != sl.Database {
		t.Fatalf("databases %v %v", dbs, err)
	}
	tables, err := c.Tables(ctx, sl.Database)
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != len(sl.Tables) {
		t.Fatalf("Glue lists %d tables, built %d", len(tables), len(sl.Tables))
	}
	var v1Flow, v2Flow *athena.Table
	for i, tb := range tables {
		switch {
		case strings.HasSuffix(tb.Name, "_vpc_flow_1_0"):
			v1Flow = &tables[i]
		case strings.HasSuffix(tb.Name, "_vpc_flow_2_0"):
			v2Flow = &tables[i]
		}
	}
	if v1Flow == nil || v2Flow == nil {
		t.Fatalf("tables %v", tables)
	}
	if len(v1Flow.PartitionKeys) != 3 || v1Flow.PartitionKeys[2].Name != "eventday" || len(v2Flow.PartitionKeys) != 0 {
		t.Fatalf("partition keys v1 %v v2 %v", v1Flow.PartitionKeys, v2Flow.PartitionKeys)
	}
	var cloud1, cloud2 string
	for _, col := range v1Flow.Columns {
		if col.Name == "cloud" {
			cloud1 = col.Type
		}
	}
	for _, col := range v2Flow.Columns {
		if col.Name == "cloud" {
			cloud2 = col.Type
		}
	}
	if !strings.Contains(cloud1, "account_uid:string") || !strings.Contains(cloud2, "account:struct<uid:string>") {
		t.Fatalf("cloud types v1 %q v2 %q", cloud1, cloud2)
	}

	// A value that would break out of a spliced literal is bound as a parameter instead.
	evil := "1.2.3.4' OR '1'='1"
	sql := `SELECT src_endpoint.ip AS ip, "time" FROM "` + sl.Database + `"."` + v1Flow.Name + `" WHERE src_endpoint.ip = ? OR src_endpoint.ip = ? ORDER BY "time"`
	res, err := c.Query(ctx, sl.Database, sql, []string{athena.StringLiteral(evil), athena.StringLiteral("1.2.3.4")}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.QueryID == "" || res.BytesScanned <= 0 {
		t.Fatalf("query id %q bytes %d", res.QueryID, res.BytesScanned)
	}
	if len(res.Columns) != 2 || res.Columns[1].Type != "bigint" {
		t.Fatalf("columns %v", res.Columns)
	}
	for _, r := range res.Rows {
		if r[0] != "1.2.3.4" {
			t.Fatalf("row %v", r)
		}
		if _, ok := r[1].(int64); !ok {
			t.Fatalf("time not converted to int64: %T", r[1])
		}
	}
	got := srv.Received()
	last := got[len(got)-1]
	if strings.Contains(last.SQL, "1.2.3.4") || len(last.Params) != 2 {
		t.Fatalf("value spliced into the SQL or parameters lost: %+v", last)
	}

	// Pagination: all rows come back over pages of 2, and a limit cuts them.
	all, err := c.Query(ctx, sl.Database, `SELECT severity FROM "`+sl.Database+`"."`+v1Flow.Name+`"`, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Rows) < 3 {
		t.Fatalf("want several v1 flow rows, got %d", len(all.Rows))
	}
	cut, err := c.Query(ctx, sl.Database, `SELECT severity FROM "`+sl.Database+`"."`+v1Flow.Name+`"`, nil, 2)
	if err != nil || len(cut.Rows) != 2 || !cut.Truncated {
		t.Fatalf("limited query: %d rows truncated=%v err=%v", len(cut.Rows), cut.Truncated, err)
	}
}

func TestQueryErrors(t *testing.T) {
	srv, sl := standIn(t, athenatest.Options{Workgroups: map[string]string{"primary": "", "analysts": "s3://results/"}})
	ctx := context.Background()
	tests := []struct {
		name string
		opts athena.Options
		sql  string
		want string
	}{
		{"no output location", athena.Options{}, "SELECT 1", "No output location"},
		{"unknown workgroup", athena.Options{Workgroup: "nope"}, "SELECT 1", "not found"},
		{"bad SQL", athena.Options{Workgroup: "analysts"}, "SELEC 1", "failed"},
		{"missing table", athena.Options{OutputLocation: "s3://out/"}, `SELECT * FROM "` + sl.Database + `"."nope"`, "failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client(srv, tc.opts).Query(ctx, sl.Database, tc.sql, nil, 0)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}

func TestTimeoutStopsQuery(t *testing.T) {
	srv, _ := standIn(t, athenatest.Options{Workgroups: map[string]string{"primary": "s3://results/"}})
	srv.SetDelay(5 * time.Second)
	c := client(srv, athena.Options{Timeout: 300 * time.Millisecond, PollInterval: 20 * time.Millisecond})
	res, err := c.Query(context.Background(), "", "SELECT 1", nil, 0)
	if !errors.Is(err, athena.ErrTimeout) {
		t.Fatalf("err %v, want ErrTimeout", err)
	}
	stopped := srv.Stopped()
	if len(stopped) != 1 || stopped[0] != res.QueryID {
		t.Fatalf("stopped %v, query %s", stopped, res.QueryID)
	}
	deadline := time.Now().Add(5 * time.Second)
	for srv.State(res.QueryID) != "CANCELLED" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if st := srv.State(res.QueryID); st != "CANCELLED" {
		t.Fatalf("state %s after stop", st)
	}
}

func TestIdentityBucketsWorkgroup(t *testing.T) {
	srv, _ := standIn(t, athenatest.Options{Account: "111122223333", Buckets: []string{"aws-security-data-lake-us-east-1-abc", "other"},
		Workgroups: map[string]string{"primary": "s3://wg-results/"}})
	c := client(srv, athena.Options{})
	ctx := context.Background()
	id, err := c.Identity(ctx)
	if err != nil || id.Account != "111122223333" {
		t.Fatalf("identity %+v %v", id, err)
	}
	b, err := c.Buckets(ctx)
	if err != nil || len(b) != 2 || b[0] != "aws-security-data-lake-us-east-1-abc" {
		t.Fatalf("buckets %v %v", b, err)
	}
	loc, err := c.WorkgroupOutputLocation(ctx)
	if err != nil || loc != "s3://wg-results/" {
		t.Fatalf("workgroup location %q %v", loc, err)
	}
}

func TestParseType(t *testing.T) {
	tests := []struct {
		in, hive string
		paths    []string
	}{
		{"struct<ip:string,port:int>", "struct<ip:string,port:int>", []string{".ip", ".port"}},
		{`STRUCT(uid VARCHAR, "name" VARCHAR, feature STRUCT(uid VARCHAR))`, "struct<uid:string,name:string,feature:struct<uid:string>>",
			[]string{".uid", ".name", ".feature", ".feature.uid"}},
		{"STRUCT(a INTEGER[], m MAP(VARCHAR, VARCHAR))[]", "array<struct<a:array<int>,m:map<string,string>>>", nil},
		{"array<struct<uid:string>>", "array<struct<uid:string>>", nil},
		{"DECIMAL(10,2)", "decimal(10,2)", nil},
		{"TIMESTAMP WITH TIME ZONE", "timestamp", nil},
		{"map<string,array<bigint>>", "map<string,array<bigint>>", nil},
	}
	for _, tc := range tests {
		typ, err := athena.ParseType(tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if h := typ.Hive(); h != tc.hive {
			t.Errorf("%s: hive %s, want %s", tc.in, h, tc.hive)
		}
		if p := typ.Paths(""); strings.Join(p, ",") != strings.Join(tc.paths, ",") {
			t.Errorf("%s: paths %v, want %v", tc.in, p, tc.paths)
		}
	}
	for _, bad := range []string{"", "struct<a:string", "STRUCT(a)", "struct<a:int>>"} {
		if _, err := athena.ParseType(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestLiterals(t *testing.T) {
	if got := athena.StringLiteral("it's"); got != "'it''s'" {
		t.Fatal(got)
	}
	if got := athena.IntLiteral(-42); got != "-42" {
		t.Fatal(got)
	}
}
