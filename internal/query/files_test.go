package query

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// TestDataFiles checks that DataFiles lists a table's files of the days asked for, and that
// FilesFrom reads those files as the view does, partition columns included.
func TestDataFiles(t *testing.T) {
	lake := t.TempDir()
	day := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	a := writeTable(t, lake, "VPC_FLOW", partition{"us-east-1", "111122223333", "20260301"}, "a.parquet",
		[]ocsf.NetworkActivity{flow("us-east-1", "111122223333", "10.0.0.1", "10.0.0.2", 443, 10, day)})
	b := writeTable(t, lake, "VPC_FLOW", partition{"eu-west-1", "111122223333", "20260302"}, "b.parquet",
		[]ocsf.NetworkActivity{flow("eu-west-1", "111122223333", "10.0.0.3", "10.0.0.4", 22, 20, day.Add(24*time.Hour))})
	writeTable(t, lake, "VPC_FLOW", partition{"eu-west-1", "111122223333", "20260303"}, "c.parquet",
		[]ocsf.NetworkActivity{flow("eu-west-1", "111122223333", "10.0.0.5", "10.0.0.6", 22, 30, day.Add(48*time.Hour))})
	ctx := context.Background()
	db, err := Open(ctx, lake)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	files, ok, err := db.DataFiles("vpc_flow", "20260301", "20260302")
	if err != nil || !ok {
		t.Fatalf("DataFiles: %v, %v", ok, err)
	}
	abs := func(p string) string {
		r, _ := filepath.EvalSymlinks(p)
		return filepath.ToSlash(r)
	}
	if len(files) != 2 || files[0].Path != abs(b) || files[1].Path != abs(a) || files[0].Size == 0 || files[0].ModTime.IsZero() {
		t.Fatalf("files %+v, want %s and %s", files, b, a)
	}
	res, err := db.QueryTrusted(ctx, `SELECT src_endpoint.ip, region, accountid, eventday FROM `+FilesFrom()+` ORDER BY 1`,
		[]string{files[1].Path})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Rows[0][0] != "10.0.0.1" || res.Rows[0][1] != "us-east-1" || res.Rows[0][2] != "111122223333" || res.Rows[0][3] != "20260301" {
		t.Fatalf("rows %v", res.Rows)
	}
	// Not a table of files: the findings view, an unknown view, a table without files.
	for _, v := range []string{"findings", "nope", "route53"} {
		if _, ok, err := db.DataFiles(v, "20260301", "20260302"); ok || err != nil {
			t.Fatalf("%s: %v, %v", v, ok, err)
		}
	}
	if !HasGlob("/lake/x*.parquet") || HasGlob("/lake/x.parquet") {
		t.Fatal("HasGlob")
	}
}
