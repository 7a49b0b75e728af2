package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/mcpwatch/mcpwatch/internal/demo"
	"github.com/mcpwatch/mcpwatch/internal/lake"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/vpcflow"
)

func formats() *source.Registry { return source.NewRegistry(vpcflow.Format{}) }

func openLake(t *testing.T) *lake.Lake {
	t.Helper()
	lk, err := lake.Open(filepath.Join(t.TempDir(), "lake"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lk.Close() })
	return lk
}

func countRows(t *testing.T, lk *lake.Lake) int {
	t.Helper()
	n := 0
	err := lake.Scan(context.Background(), lk, "VPC_FLOW", nil, func(_ lake.Partition, rows []ocsf.NetworkActivity) error {
		n += len(rows)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDemoDataRoundTrip ingests generated flow logs: every record is stored, the counts
// reconcile, the lake holds exactly the records, and ingesting again adds nothing.
func TestDemoDataRoundTrip(t *testing.T) {
	dir := t.TempDir()
	res, err := demo.Generate(context.Background(), demo.Config{Dir: dir, Records: 20000, Seed: 7,
		Day: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	lk := openLake(t)
	refs, err := Resolve([]string{filepath.Join(dir, "AWSLogs")})
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != len(res.Files) {
		t.Fatalf("resolved %d inputs, generated %d files", len(refs), len(res.Files))
	}
	for _, r := range refs {
		if r.Region == "" || r.Account == "" {
			t.Fatalf("no region/account hint from %s", r.Path)
		}
	}
	sum, err := Run(context.Background(), lk, refs, Options{Formats: formats()})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Read != 20000 || sum.Stored != 20000 || !sum.Reconciles() || sum.Failed != 0 {
		t.Fatalf("summary %+v", sum.Counts)
	}
	if got := countRows(t, lk); got != 20000 {
		t.Fatalf("lake holds %d rows, want 20000", got)
	}
	// The 96 hourly files are committed together: one Parquet file per partition (four
	// account-region pairs, one day), not one per input.
	files := map[string]bool{}
	for _, r := range sum.Inputs {
		if len(r.Files) == 0 {
			t.Fatalf("%s: no files recorded", r.Input)
		}
		for _, f := range r.Files {
			files[f] = true
		}
	}
	if len(files) != 4 {
		t.Fatalf("%d Parquet files for %d inputs, want 4", len(files), len(refs))
	}

	again, err := Run(context.Background(), lk, refs, Options{Formats: formats()})
	if err != nil {
		t.Fatal(err)
	}
	if again.Read != 0 || again.Duplicates != len(refs) {
		t.Fatalf("re-ingest: %+v, %d duplicates of %d", again.Counts, again.Duplicates, len(refs))
	}
	if got := countRows(t, lk); got != 20000 {
		t.Fatalf("after re-ingest the lake holds %d rows, want 20000", got)
	}
}

func gz(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	zw.Close()
	return b.Bytes()
}

const header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"

func goodLines(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "2 123456789012 eni-0a1b2c3d4e5f60718 10.0.1.5 203.0.113.9 %d 443 6 10 8400 %d %d ACCEPT OK\n",
			32768+i%20000, 1772323200+i, 1772323260+i)
	}
	return b.String()
}

// TestBadInputs feeds broken inputs: each is reported clearly, nothing crashes, and the
// records that could be read are stored with counts that reconcile.
func TestBadInputs(t *testing.T) {
	full := gz(t, []byte(header+goodLines(2000)))
	tests := []struct {
		name       string
		data       []byte
		wantRead   int64
		wantStored int64
		wantDead   int64
		wantErr    string // substring of the input's error, "" for none
	}{
		{name: "truncated gzip", data: full[:len(full)/2], wantErr: "unexpected EOF"},
		{name: "binary", data: []byte("\x00\x01\x02\xff\xfe binary \x00 garbage"), wantErr: "matches no known format"},
		{name: "empty", data: nil, wantErr: "empty input"},
		{name: "unknown header field", data: []byte("version account-id bogus-field srcaddr\n2 1 2 3\n2 1 2 3\n"),
			wantRead: 2, wantDead: 2, wantErr: `unknown flow log field "bogus-field"`},
		{name: "missing and extra fields", data: []byte(header + goodLines(3) +
			"2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40\n" +
			"2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1772323200 1772323260 ACCEPT OK extra\n"),
			wantRead: 5, wantStored: 3, wantDead: 2},
		{name: "non-UTF-8", data: []byte(header + goodLines(1) +
			"2 123456789012 eni-\xff\xfe 10.0.0.1 10.0.0.2 1 2 6 1 40 1772323200 1772323260 ACCEPT OK\n"),
			wantRead: 2, wantStored: 1, wantDead: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "input.log")
			if err := os.WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			refs, err := Resolve([]string{path})
			if err != nil {
				t.Fatal(err)
			}
			lk := openLake(t)
			sum, err := Run(context.Background(), lk, refs, Options{Formats: formats(), Region: "us-east-1"})
			if err != nil {
				t.Fatalf("run stopped: %v", err)
			}
			r := sum.Inputs[0]
			if !r.Reconciles() {
				t.Fatalf("counts do not reconcile: %+v", r.Counts)
			}
			if tt.wantErr != "" {
				if r.Err == nil || !strings.Contains(r.Err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to mention %q", r.Err, tt.wantErr)
				}
			} else if r.Err != nil {
				t.Fatalf("unexpected error %v", r.Err)
			}
			if tt.name == "truncated gzip" {
				// Whatever was decompressed before the break is stored, not lost.
				if r.Read == 0 || r.Stored != r.Read {
					t.Fatalf("truncated gzip: %+v", r.Counts)
				}
				if got := countRows(t, lk); int64(got) != r.Stored {
					t.Fatalf("lake holds %d rows, summary says %d", got, r.Stored)
				}
				return
			}
			if tt.wantErr != "" && tt.wantRead == 0 {
				if r.Read != 0 {
					t.Fatalf("read %d records of an unreadable input", r.Read)
				}
				return
			}
			if r.Read != tt.wantRead || r.Stored != tt.wantStored || r.DeadLettered != tt.wantDead {
				t.Fatalf("counts %+v, want read %d stored %d dead %d", r.Counts, tt.wantRead, tt.wantStored, tt.wantDead)
			}
		})
	}
}

// TestStdin reads standard input (spooled, so it is hashed and deduplicated like a file).
func TestStdin(t *testing.T) {
	lk := openLake(t)
	data := gz(t, []byte(header+goodLines(10)))
	for i, wantDup := range []bool{false, true} {
		sum, err := Run(context.Background(), lk, []Ref{{Path: "-"}},
			Options{Formats: formats(), Region: "us-east-1", Stdin: bytes.NewReader(data)})
		if err != nil {
			t.Fatal(err)
		}
		r := sum.Inputs[0]
		if r.Duplicate != wantDup {
			t.Fatalf("run %d: duplicate = %v", i, r.Duplicate)
		}
		if !wantDup && (r.Stored != 10 || r.Format != "vpcflow") {
			t.Fatalf("run %d: %+v", i, r)
		}
	}
}

func TestHintsFromPath(t *testing.T) {
	tests := []struct{ path, region, account string }{
		{"x/AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/01/01/f.log.gz", "us-east-1", "123456789012"},
		{"AWSLogs/o-abc123/123456789012/CloudTrail/eu-west-1/2026/01/01/f.json.gz", "eu-west-1", "123456789012"},
		{"AWSLogs/12345/vpcflowlogs/us-east-1/f", "", ""},
		{"AWSLogs/123456789012/vpcdnsquerylogs/vpc-0abc/2026/01/01/f.log.gz", "", "123456789012"},
		{"AWSLogs/123456789012/GuardDuty/ap-south-1/2026/01/01/f.jsonl.gz", "ap-south-1", "123456789012"},
		{"logs/f.log", "", ""},
	}
	for _, tt := range tests {
		r, a := hintsFromPath(tt.path)
		if r != tt.region || a != tt.account {
			t.Errorf("%s: got %q %q", tt.path, r, a)
		}
	}
}

// flowRow is a flow-log record as AWS delivers it in Parquet (field names with underscores).
type flowRow struct {
	Version     int32  `parquet:"version"`
	AccountID   string `parquet:"account_id"`
	InterfaceID string `parquet:"interface_id"`
	Srcaddr     string `parquet:"srcaddr"`
	Dstaddr     string `parquet:"dstaddr"`
	Srcport     int32  `parquet:"srcport"`
	Dstport     int32  `parquet:"dstport"`
	Protocol    int32  `parquet:"protocol"`
	Packets     int64  `parquet:"packets"`
	Bytes       int64  `parquet:"bytes"`
	Start       int64  `parquet:"start"`
	End         int64  `parquet:"end"`
	Action      string `parquet:"action"`
	LogStatus   string `parquet:"log_status"`
	Region      string `parquet:"region"`
}

// TestParquetInputs reads flow logs delivered as Parquet, detected by content: Security
// Lake's real input samples, and a file large enough that its schema (in the footer) lies far
// beyond the first 64 KiB.
func TestParquetInputs(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	samples, _ := filepath.Glob(filepath.Join(root, "..", "shared", "data", "security-lake-samples", "samples",
		"1.0.0-rc.2", "VPC_FLOW", "inputs", "*.parquet"))
	if len(samples) != 4 {
		t.Fatalf("found %d Security Lake VPC_FLOW input samples, want 4", len(samples))
	}

	big := filepath.Join(t.TempDir(), "big.parquet")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[flowRow](f)
	rows := make([]flowRow, 20000)
	for i := range rows {
		rows[i] = flowRow{Version: 5, AccountID: "123456789012", InterfaceID: fmt.Sprintf("eni-%017x", i),
			Srcaddr: fmt.Sprintf("10.0.%d.%d", i/250%250, i%250+1), Dstaddr: "198.51.100.7", Srcport: int32(32768 + i%20000),
			Dstport: 443, Protocol: 6, Packets: 3, Bytes: int64(500 + i), Start: 1772323200 + int64(i), End: 1772323260 + int64(i),
			Action: "ACCEPT", LogStatus: "OK", Region: "eu-west-1"}
	}
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(w.Close(), f.Close()); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(big); st.Size() < 2*sniffSize {
		t.Fatalf("test file is only %d bytes: its footer would be in the head", st.Size())
	}

	refs, err := Resolve(append(samples, big))
	if err != nil {
		t.Fatal(err)
	}
	lk := openLake(t)
	sum, err := Run(context.Background(), lk, refs, Options{Formats: formats(), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range sum.Inputs {
		if r.Err != nil || r.Format != "vpcflow" || r.Stored == 0 {
			t.Errorf("%s: format %q, %+v, err %v", r.Input, r.Format, r.Counts, r.Err)
		}
	}
	if sum.Stored != 4+20000 || !sum.Reconciles() {
		t.Fatalf("%+v", sum.Counts)
	}
}

// TestBatchLimits commits every few inputs when the batch limits say so, and every input's
// records still land exactly once.
func TestBatchLimits(t *testing.T) {
	dir := t.TempDir()
	if _, err := demo.Generate(context.Background(), demo.Config{Dir: dir, Records: 5000, Seed: 3,
		Day: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	refs, err := Resolve([]string{dir + "/AWSLogs"})
	if err != nil {
		t.Fatal(err)
	}
	lk := openLake(t)
	sum, err := Run(context.Background(), lk, refs, Options{Formats: formats(), BatchInputs: 10})
	if err != nil {
		t.Fatal(err)
	}
	// (Hours without records have identical header-only files: the later ones are duplicates,
	// stored nowhere.)
	commits := map[string]bool{}
	stored := 0
	for _, r := range sum.Inputs {
		if !r.Duplicate {
			commits[strings.Join(r.Files, ",")] = true
			stored++
		}
	}
	if want := (stored + 9) / 10; len(commits) != want {
		t.Fatalf("%d commits of %d inputs, want %d", len(commits), stored, want)
	}
	if got := countRows(t, lk); got != 5000 || sum.Stored != 5000 {
		t.Fatalf("lake holds %d rows, summary %d", got, sum.Stored)
	}
}

// TestSameContentTwiceInOneRun stores content given twice (two paths, one content) once.
func TestSameContentTwiceInOneRun(t *testing.T) {
	dir := t.TempDir()
	data := []byte(header + goodLines(5))
	a, b := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	os.WriteFile(a, data, 0o644)
	os.WriteFile(b, data, 0o644)
	refs, err := Resolve([]string{a, b})
	if err != nil {
		t.Fatal(err)
	}
	lk := openLake(t)
	sum, err := Run(context.Background(), lk, refs, Options{Formats: formats(), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Stored != 5 || !sum.Inputs[1].Duplicate || sum.Inputs[1].PreviousRecords != 5 {
		t.Fatalf("%+v / %+v", sum.Counts, sum.Inputs[1])
	}
	if got := countRows(t, lk); got != 5 {
		t.Fatalf("lake holds %d rows", got)
	}
}
