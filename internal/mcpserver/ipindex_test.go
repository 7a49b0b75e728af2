package mcpserver_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpwatch/mcpwatch/internal/mcpserver"
	"github.com/mcpwatch/mcpwatch/internal/query"
)

// copyLake copies the demo lake into a temporary directory, which the test may change.
func copyLake(t *testing.T) string {
	t.Helper()
	src := demoLake(t)
	dst := filepath.Join(t.TempDir(), "lake")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// oneFileAddress returns an address of the lake's flows that is in one VPC_FLOW file only
// (the one with the most events, below 500), and that file.
func oneFileAddress(t *testing.T, db *query.DB) (ip, file string) {
	t.Helper()
	glob := db.LakeDir() + "/VPC_FLOW/2.0/*/*/*/*.parquet"
	res, err := db.QueryTrusted(context.Background(), `SELECT ip, min(filename), count(*) FROM (
		SELECT src_endpoint.ip AS ip, filename FROM read_parquet(?, filename = true)
		UNION ALL SELECT dst_endpoint.ip, filename FROM read_parquet(?, filename = true))
		WHERE ip IS NOT NULL GROUP BY ip HAVING count(DISTINCT filename) = 1 AND count(*) < 500 ORDER BY 3 DESC, 1 LIMIT 1`, glob, glob)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) == 0 {
		t.Fatal("no address of the demo lake is in one file only")
	}
	files, err := filepath.Glob(filepath.FromSlash(glob))
	if err != nil || len(files) < 2 {
		t.Fatalf("the demo lake has %d VPC_FLOW files, want several (%v)", len(files), err)
	}
	return res.Rows[0][0].(string), res.Rows[0][1].(string)
}

// checkSearchDay searches ip over the demo day (limit 1000) and checks that the results
// are the address's events as SQL over the views finds them, newest first; it returns how
// many there are.
func checkSearchDay(t *testing.T, cs *mcp.ClientSession, db *query.DB, ip string) int {
	t.Helper()
	want, err := db.QueryTrusted(context.Background(), `SELECT CAST("time" AS BIGINT), metadata.uid FROM (
		SELECT "time", metadata FROM vpc_flow WHERE src_endpoint.ip = $1 OR dst_endpoint.ip = $1
		UNION ALL SELECT "time", metadata FROM cloud_trail_mgmt WHERE src_endpoint.ip = $1 OR dst_endpoint.ip = $1
		UNION ALL SELECT "time", metadata FROM route53 WHERE src_endpoint.ip = $1 OR dst_endpoint.ip = $1)`, ip)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Rows) >= 1000 {
		t.Fatalf("%s has %d events: pick an address with fewer than the limit", ip, len(want.Rows))
	}
	e := call(t, cs, "search_ip_addresses", map[string]any{"ip_address": ip, "limit": 1000,
		"start_time": demoDay.Format(time.RFC3339), "end_time": demoDay.Add(24*time.Hour - time.Millisecond).Format(time.RFC3339)})
	mustSucceed(t, "search_ip_addresses", e)
	var got, exp []string
	prev := "9999"
	for _, r := range e.Results {
		ts := r["timestamp"].(string)
		if ts > prev {
			t.Fatalf("results not newest first: %s after %s", ts, prev)
		}
		prev = ts
		uid, _ := r["product_info"].(map[string]any)["event_uid"].(string)
		got = append(got, ts+" "+uid)
	}
	for _, r := range want.Rows {
		uid, _ := r[1].(string)
		exp = append(exp, time.UnixMilli(r[0].(int64)).UTC().Format("2006-01-02T15:04:05.000Z")+" "+uid)
	}
	slices.Sort(got)
	slices.Sort(exp)
	if !slices.Equal(got, exp) {
		t.Fatalf("%s: %d results, the lake has %d events:\ngot  %v\nwant %v", ip, len(got), len(exp), got, exp)
	}
	return len(got)
}

// noCache is the default settings with the query cache off.
func noCache(t *testing.T) mcpserver.Settings {
	t.Helper()
	s := mcpserver.DefaultSettings()
	if err := s.Set("ENABLE_QUERY_CACHING", "false"); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestLocalSearchIPOneFile checks that an address held by one file of the window only, which
// the address index lets the search read alone, is found with all its events.
func TestLocalSearchIPOneFile(t *testing.T) {
	srv, db := localServer(t, noCache(t))
	cs := connect(t, srv)
	ip, _ := oneFileAddress(t, db)
	if n := checkSearchDay(t, cs, db, ip); n == 0 {
		t.Fatalf("%s: no result", ip)
	}
	// Again, with the index built.
	checkSearchDay(t, cs, db, ip)
}

// TestLocalSearchIPNewFile checks that a file added to the lake after the address index was
// built is searched: the index covers each file, a new file gets its entry when first needed.
func TestLocalSearchIPNewFile(t *testing.T) {
	lake := copyLake(t)
	db, err := query.Open(context.Background(), lake, query.WithLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	ip, file := oneFileAddress(t, db)
	db.Close()
	// Take the address's file out of the lake, search, then put it back.
	aside := filepath.Join(t.TempDir(), "aside.parquet")
	if err := os.Rename(filepath.FromSlash(file), aside); err != nil {
		t.Fatal(err)
	}
	db, err = query.Open(context.Background(), lake, query.WithLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	srv, err := mcpserver.New(mcpserver.Options{Settings: noCache(t), Backend: mcpserver.NewLocal(db), Lake: db, Logger: quiet(),
		Now: func() time.Time { return demoDay.Add(36 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	cs := connect(t, srv)
	// Without the file, the address's events are those of the other tables, if any.
	before := checkSearchDay(t, cs, db, ip)
	if err := os.Rename(aside, filepath.FromSlash(file)); err != nil {
		t.Fatal(err)
	}
	if n := checkSearchDay(t, cs, db, ip); n <= before {
		t.Fatalf("%s: %d results once its file is back in the lake, %d without it", ip, n, before)
	}
}

// TestLocalSearchIPConcurrent checks searches that start together on a server whose index is
// not built yet: each file is indexed once, the others wait for it, and every search finds
// the address's events.
func TestLocalSearchIPConcurrent(t *testing.T) {
	srv, db := localServer(t, noCache(t))
	cs := connect(t, srv)
	ip, _ := oneFileAddress(t, db)
	t.Run("searches", func(t *testing.T) {
		for i := range 6 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				addr := ip
				if i%2 == 1 {
					addr = "198.51.100.200" // absent
				}
				if n := checkSearchDay(t, cs, db, addr); (n > 0) != (addr == ip) {
					t.Fatalf("%s: %d results", addr, n)
				}
			})
		}
	})
}
