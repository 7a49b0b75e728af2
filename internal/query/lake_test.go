package query

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// This file builds test lakes in Security Lake's layout with parquet-go and the ocsf types,
// as internal/lake does.

// partition is where a file goes in a table.
type partition struct{ region, account, day string }

// writeParquet writes rows to path (creating its directory) as one Parquet file.
func writeParquet[T any](tb testing.TB, path string, rows []T) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := parquet.NewGenericWriter[T](f)
	if len(rows) > 0 {
		if _, err := w.Write(rows); err != nil {
			tb.Fatalf("write %s: %v", path, err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatalf("close parquet %s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

// writeTable writes rows as file name in the partition p of the table source.
func writeTable[T any](tb testing.TB, lake, source string, p partition, name string, rows []T) string {
	tb.Helper()
	path := filepath.Join(lake, source, SourceVersion, "region="+p.region, "accountId="+p.account,
		"eventDay="+p.day, name)
	writeParquet(tb, path, rows)
	return path
}

func port(p int32) *int32 { return &p }

// flow is a VPC Flow Logs record as the normalizer would make it.
func flow(region, account, src, dst string, dstPort int32, bytes int64, at time.Time) ocsf.NetworkActivity {
	var ev ocsf.NetworkActivity
	ev.Classify(ocsf.ClassNetworkActivity, 6)
	ev.SetSeverity(ocsf.SeverityInformational)
	ev.SetTime(at)
	ev.Metadata = ocsf.Metadata{Version: ocsf.Version,
		Product: ocsf.Product{Name: "Amazon VPC", VendorName: "AWS", Feature: ocsf.Feature{Name: "Flowlogs"}}}
	ev.Cloud = ocsf.Cloud{Provider: "AWS", Region: region, Account: ocsf.Account{UID: account}}
	ev.SrcEndpoint = ocsf.NetworkEndpoint{IP: src, Port: port(49152)}
	ev.DstEndpoint = ocsf.NetworkEndpoint{IP: dst, Port: port(dstPort)}
	ev.ConnectionInfo = ocsf.NetworkConnectionInfo{ProtocolNum: 6, DirectionID: 2, Direction: "Outbound"}
	ev.Traffic = ocsf.NetworkTraffic{Bytes: bytes, Packets: 1 + bytes/1000}
	ev.Action, ev.ActionID = "Allowed", 1
	ev.Observables = []ocsf.Observable{ocsf.NewObservable("dst_endpoint.ip", ocsf.ObservableIP, dst)}
	ev.Unmapped = map[string]string{"interface_id": "eni-0123"}
	return ev
}

// finding is one version of a detection finding.
func finding(uid, status string, statusID int32, modified, at time.Time) ocsf.DetectionFinding {
	var f ocsf.DetectionFinding
	f.Classify(ocsf.ClassDetectionFinding, 1)
	f.SetSeverity(ocsf.SeverityHigh)
	f.SetTime(at)
	f.Metadata = ocsf.Metadata{Version: ocsf.Version, ModifiedTime: modified.UnixMilli(),
		Product: ocsf.Product{Name: "mcpwatch", VendorName: "mcpwatch"}}
	f.Cloud = ocsf.Cloud{Provider: "AWS", Region: "us-east-1", Account: ocsf.Account{UID: "012345678901"}}
	f.FindingInfo = ocsf.FindingInfo{UID: uid, Title: "Shadow MCP server " + uid, Types: []string{"shadow-mcp"},
		ModifiedTime: modified.UnixMilli(), ModifiedTimeDT: modified.UTC()}
	f.Status, f.StatusID = status, statusID
	f.Count = 1
	return f
}

// dnsQuery is a Route 53 Resolver query.
func dnsQuery(host string, at time.Time) ocsf.DNSActivity {
	var ev ocsf.DNSActivity
	ev.Classify(ocsf.ClassDNSActivity, 1)
	ev.SetTime(at)
	ev.Metadata = ocsf.Metadata{Version: ocsf.Version, Product: ocsf.Product{Name: "Route 53", VendorName: "AWS"}}
	ev.Cloud = ocsf.Cloud{Provider: "AWS", Region: "us-east-1", Account: ocsf.Account{UID: "012345678901"}}
	ev.Query = ocsf.DNSQuery{Hostname: host, Type: "A", Class: "IN"}
	ev.Answers = []ocsf.DNSAnswer{{Rdata: "203.0.113.7", Type: "A", Class: "IN", TTL: 60}}
	return ev
}

// repoData is the shared reference data directory (../shared/data next to the module root),
// or "" when it is not there.
func repoData(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
	data := filepath.Join(dir, "..", "shared", "data")
	if _, err := os.Stat(data); err != nil {
		return ""
	}
	return data
}

// genFlows generates n flows spread over days partitions of two accounts, written as files
// of at most perFile rows; it returns the number of files. Destinations repeat so that
// aggregates have work to do.
func genFlows(tb testing.TB, lake string, n, perFile int) int {
	tb.Helper()
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	files := 0
	batch := make([]ocsf.NetworkActivity, 0, perFile)
	for i := 0; i < n; {
		batch = batch[:0]
		day := start.AddDate(0, 0, files%7)
		account := []string{"012345678901", "210987654321"}[files%2]
		for ; i < n && len(batch) < perFile; i++ {
			src := fmt.Sprintf("10.0.%d.%d", i%16, i%250+1)
			dst := fmt.Sprintf("203.0.113.%d", (i*7919)%200+1)
			batch = append(batch, flow("us-east-1", account, src, dst, int32(443+i%3), int64(100+i%5000),
				day.Add(time.Duration(i%86400)*time.Second)))
		}
		writeTable(tb, lake, "VPC_FLOW", partition{"us-east-1", account, day.Format("20060102")},
			fmt.Sprintf("part-%04d.parquet", files), batch)
		files++
	}
	return files
}

// TestMetadataCacheSeesRewrittenFile checks that the Parquet footers DuckDB keeps between
// queries do not hide a file rewritten in place.
func TestMetadataCacheSeesRewrittenFile(t *testing.T) {
	lake := t.TempDir()
	p := partition{"us-east-1", "012345678901", "20240301"}
	at := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	rows := func(n int) []ocsf.NetworkActivity {
		var out []ocsf.NetworkActivity
		for i := range n {
			out = append(out, flow(p.region, p.account, "10.0.0.1", "203.0.113.9", 443, int64(i), at))
		}
		return out
	}
	path := writeTable(t, lake, "VPC_FLOW", p, "part-0000.parquet", rows(3))
	ctx := context.Background()
	db, err := Open(ctx, lake)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func() int64 {
		t.Helper()
		res, err := db.QueryTrusted(ctx, "SELECT count(*) FROM vpc_flow")
		if err != nil {
			t.Fatal(err)
		}
		return res.Rows[0][0].(int64)
	}
	if n := count(); n != 3 {
		t.Fatalf("%d rows, want 3", n)
	}
	res, err := db.QueryTrusted(ctx, "SELECT current_setting('parquet_metadata_cache')")
	if err != nil || res.Rows[0][0] != true {
		t.Fatalf("parquet_metadata_cache = %v (%v), want true", res, err)
	}
	writeParquet(t, path, rows(5))
	later := time.Now().Add(2 * time.Second)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 5 {
		t.Fatalf("%d rows after the file was rewritten, want 5", n)
	}
}
