package lake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/parquet-go/parquet-go"
)

// day0 is the day of the generated events.
var day0 = time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)

func i32(v int32) *int32 { return &v }

// hashOf returns the content hash of a fake input named s.
func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// ipPool is a fixed set of addresses the generated flows use, so that generating them does
// not dominate benchmarks.
var ipPool = func() []string {
	out := make([]string, 4096)
	for i := range out {
		r := uint32(i) * 2654435761
		out[i] = fmt.Sprintf("%d.%d.%d.%d", 3+(r>>24)%200, (r>>16)%256, (r>>8)%256, r%256)
	}
	return out
}()

// flow fills e with the i-th generated VPC flow of account and region at t. It reuses e's
// memory as a source reader would.
func flow(e *ocsf.NetworkActivity, i int, account, region string, t time.Time) {
	r := uint32(i)*2654435761 ^ uint32(i>>3)*40503
	*e = ocsf.NetworkActivity{}
	e.Classify(ocsf.ClassNetworkActivity, 6)
	e.SetSeverity(ocsf.SeverityInformational)
	e.Metadata = ocsf.Metadata{Version: ocsf.Version, Product: ocsf.Product{Name: "Amazon VPC", VendorName: "AWS",
		Version: "5", Feature: ocsf.Feature{Name: "Flowlogs"}}, Profiles: []string{"cloud", "security_control", "datetime"}}
	e.SetTime(t)
	e.StartTime = e.Time - 60000
	e.StartTimeDT = time.UnixMilli(e.StartTime).UTC()
	e.EndTime = e.Time
	e.EndTimeDT = e.TimeDT
	e.Cloud = ocsf.Cloud{Provider: "AWS", Region: region, Account: ocsf.Account{UID: account}}
	src := ipPool[r%64]
	dst := ipPool[(r>>7)%4096]
	e.SrcEndpoint = ocsf.NetworkEndpoint{IP: src, Port: i32(int32(1024 + (r>>5)%60000)), InterfaceUID: "eni-0123456789abcdef0",
		VPCUID: "vpc-0abc1234", SubnetUID: "subnet-0abc1234", InstanceUID: "i-0123456789abcdef0"}
	e.DstEndpoint = ocsf.NetworkEndpoint{IP: dst, Port: i32([]int32{443, 80, 22, 8080, 0}[i%5])}
	e.ConnectionInfo = ocsf.NetworkConnectionInfo{ProtocolNum: 6, ProtocolVer: "IPv4", Direction: "Outbound", DirectionID: 2,
		TCPFlags: i32(int32(r % 32))}
	e.Traffic = ocsf.NetworkTraffic{Bytes: int64(r % 100000), Packets: int64(1 + r%97)}
	e.Action, e.ActionID = "Allowed", 1
	e.Disposition, e.DispositionID = "Allowed", 1
	e.Observables = []ocsf.Observable{ocsf.NewObservable("src_endpoint.ip", ocsf.ObservableIP, src),
		ocsf.NewObservable("dst_endpoint.ip", ocsf.ObservableIP, dst)}
	if i%7 == 0 {
		e.Unmapped = map[string]string{"pkt_src_aws_service": "S3", "row": fmt.Sprint(i)}
	}
	e.Message = fmt.Sprintf("flow %d", i)
}

// dnsEvent returns the i-th generated Route 53 Resolver query.
func dnsEvent(i int, account, region string, t time.Time) *ocsf.DNSActivity {
	e := &ocsf.DNSActivity{}
	e.Classify(ocsf.ClassDNSActivity, 1)
	e.SetSeverity(ocsf.SeverityInformational)
	e.Metadata = ocsf.Metadata{Version: ocsf.Version, Product: ocsf.Product{Name: "Route 53", VendorName: "AWS", Version: "1.100000"}}
	e.SetTime(t)
	e.Cloud = ocsf.Cloud{Provider: "AWS", Region: region, Account: ocsf.Account{UID: account}}
	e.SrcEndpoint = ocsf.NetworkEndpoint{IP: "10.0.0.5", Port: i32(53000 + int32(i)), VPCUID: "vpc-1"}
	e.Query = ocsf.DNSQuery{Hostname: fmt.Sprintf("host%d.mcp.example.com.", i), Type: "A", Class: "IN"}
	e.Answers = []ocsf.DNSAnswer{{Rdata: "203.0.113.7", Type: "A", Class: "IN", FlagIDs: []int32{1, 3}, Flags: []string{"Authoritative Answer", "Recursion Desired"}}}
	e.Rcode, e.RcodeID = "NoError", i32(0)
	e.Message = fmt.Sprintf("dns %d", i)
	return e
}

// findingEvent returns the i-th generated detection finding.
func findingEvent(i int, account, region string, t time.Time) *ocsf.DetectionFinding {
	e := &ocsf.DetectionFinding{}
	e.Classify(ocsf.ClassDetectionFinding, 1)
	e.SetSeverity(ocsf.SeverityHigh)
	e.Metadata = ocsf.Metadata{Version: ocsf.Version, Product: ocsf.Product{Name: "mcpwatch", VendorName: "mcpwatch"}}
	e.SetTime(t)
	e.Cloud = ocsf.Cloud{Provider: "AWS", Region: region, Account: ocsf.Account{UID: account}}
	e.FindingInfo = ocsf.FindingInfo{UID: fmt.Sprintf("f-%d", i), Title: "Shadow MCP server", Types: []string{"Shadow MCP"},
		Attacks:       []ocsf.Attack{{Version: "v14", Tactic: ocsf.Technique{UID: "TA0010", Name: "Exfiltration"}}},
		FirstSeenTime: e.Time, FirstSeenTimeDT: e.TimeDT, LastSeenTime: e.Time, LastSeenTimeDT: e.TimeDT}
	e.Count = int32(i + 1)
	e.Status, e.StatusID = "New", ocsf.StatusNew
	e.Evidences = []ocsf.Evidence{{DstEndpoint: ocsf.NetworkEndpoint{IP: "203.0.113.7", Port: i32(443)}, Data: `{"k":1}`}}
	e.Observables = []ocsf.Observable{ocsf.NewObservable("dst_endpoint.ip", ocsf.ObservableIP, "203.0.113.7")}
	return e
}

// openLake opens a lake in a new temporary directory.
func openLake(t testing.TB, opts ...Option) *Lake {
	t.Helper()
	l, err := Open(t.TempDir(), append([]Option{WithLogger(slog.New(slog.DiscardHandler))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// commit commits tx with hash, failing the test on error.
func commit(t testing.TB, tx *Txn, hash string) CommitResult {
	t.Helper()
	res, err := tx.Commit(context.Background(), CommitInfo{ContentHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// begin begins a transaction, failing the test on error.
func begin(t testing.TB, l *Lake, name string) *Txn {
	t.Helper()
	tx, err := l.Begin(context.Background(), InputInfo{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tx.Abort)
	return tx
}

// scanAll returns every row of table.
func scanAll[T any](t testing.TB, l *Lake, table string) []T {
	t.Helper()
	var out []T
	err := Scan(context.Background(), l, table, nil, func(_ Partition, rows []T) error {
		out = append(out, rows...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// jsonLines returns each value as JSON, sorted: an order-free comparison in which nil and
// empty slices are the same (omitempty). An empty "unmapped" map is dropped too: parquet-go
// v0.32.0 writes some nil maps of an optional MAP column as empty maps, depending on how the
// rows are split across Write calls (the content of non-empty maps is always right).
func jsonLines[T any](t testing.TB, rows []T) []string {
	t.Helper()
	out := make([]string, len(rows))
	for i := range rows {
		b, err := json.Marshal(rows[i])
		if err != nil {
			t.Fatal(err)
		}
		out[i] = strings.Replace(strings.Replace(string(b), `"unmapped":{},`, "", 1), `,"unmapped":{}`, "", 1)
	}
	slices.Sort(out)
	return out
}

// treeFiles returns the regular files under dir, relative and slash-separated, sorted.
func treeFiles(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// visibleFiles returns the files of the lake outside its own _mcpwatch area.
func visibleFiles(t testing.TB, l *Lake) []string {
	var out []string
	for _, f := range treeFiles(t, l.Root()) {
		if !strings.HasPrefix(f, "_mcpwatch/") {
			out = append(out, f)
		}
	}
	return out
}

// readParquet opens a Parquet file with parquet-go.
func readParquet(t testing.TB, path string) *parquet.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return pf
}
