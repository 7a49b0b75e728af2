package securitylake_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/ingest"
	"github.com/mcpwatch/mcpwatch/internal/lake"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/cloudtrail"
	"github.com/mcpwatch/mcpwatch/internal/source/guardduty"
	"github.com/mcpwatch/mcpwatch/internal/source/mcpinventory"
	"github.com/mcpwatch/mcpwatch/internal/source/route53"
	"github.com/mcpwatch/mcpwatch/internal/source/securityhub"
	"github.com/mcpwatch/mcpwatch/internal/source/securitylake"
	"github.com/mcpwatch/mcpwatch/internal/source/vpcflow"
)

// TestIngestSamples ingests the whole Security Lake samples directory (Security Lake's
// Parquet files, the raw flow log deliveries and the raw Security Hub findings, gzip
// included) with the formats detected by content, as `mcpwatch ingest` does once the formats
// are registered: each input gets the right format, every record is accounted for, and the
// events land in their tables.
func TestIngestSamples(t *testing.T) {
	root := filepath.Join(moduleRoot(t), "..", "shared", "data", "security-lake-samples", "samples")
	refs, err := ingest.Resolve([]string{root})
	if err != nil {
		t.Fatal(err)
	}
	var picked []ingest.Ref
	for _, r := range refs {
		switch {
		case strings.HasSuffix(r.Path, ".parquet"), strings.Contains(r.Path, "securityhub-inputs"):
			picked = append(picked, r)
		}
	}
	l, err := lake.Open(t.TempDir(), lake.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	reg := source.NewRegistry(vpcflow.Format{}, securityhub.Format{}, guardduty.Format{}, securitylake.Format{})
	sum, err := ingest.Run(context.Background(), l, picked, ingest.Options{Formats: reg, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	formats := map[string]int{}
	for _, r := range sum.Inputs {
		if r.Err != nil {
			t.Errorf("%s: %v", r.Input, r.Err)
		}
		formats[r.Format]++
		want := "securitylake"
		switch {
		case strings.Contains(r.Input, "vpc_flow-input"):
			want = "vpcflow"
		case strings.Contains(r.Input, "securityhub-inputs"):
			want = "securityhub"
		}
		if r.Format != want {
			t.Errorf("%s read as %q, want %q", r.Input, r.Format, want)
		}
	}
	// 38 Parquet files (34 of Security Lake, 4 deliveries) and 4 Security Hub findings; the
	// EKS audit event is dead-lettered (no EKS_AUDIT table).
	if !sum.Reconciles() || sum.Read != 42 || sum.Stored != 41 || sum.DeadLettered != 1 {
		t.Errorf("read %d, stored %d, dead-lettered %d, skipped %d; formats %v", sum.Read, sum.Stored, sum.DeadLettered, sum.Skipped, formats)
	}
	count := func(table string, n int) {
		t.Helper()
		if n != map[string]int{lake.VPCFlow: 8, lake.Route53: 4, lake.CloudTrailMgmt: 21, lake.SHFindings: 8}[table] {
			t.Errorf("%s holds %d rows", table, n)
		}
	}
	count(lake.VPCFlow, scanCount[ocsf.NetworkActivity](t, l, lake.VPCFlow))
	count(lake.Route53, scanCount[ocsf.DNSActivity](t, l, lake.Route53))
	count(lake.CloudTrailMgmt, scanCount[lake.CloudTrailRow](t, l, lake.CloudTrailMgmt))
	count(lake.SHFindings, scanCount[ocsf.ImportedFinding](t, l, lake.SHFindings))
}

func scanCount[T any](t *testing.T, l *lake.Lake, table string) int {
	t.Helper()
	n := 0
	err := lake.Scan(context.Background(), l, table, nil, func(_ lake.Partition, rows []T) error {
		n += len(rows)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// moduleRoot is the directory holding go.mod, above the package's.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the package directory")
		}
		dir = parent
	}
}

// TestDetectAllSamples gives every input of the samples directory (raw CloudTrail, Route 53,
// Security Hub and flow log inputs, Security Lake's Parquet) to the detection of a registry
// of every format mcpwatch has: each must be claimed by exactly the format that reads it.
func TestDetectAllSamples(t *testing.T) {
	root := filepath.Join(moduleRoot(t), "..", "shared", "data", "security-lake-samples", "samples")
	reg := source.NewRegistry(vpcflow.Format{}, cloudtrail.Format{}, route53.Format{}, mcpinventory.Format{},
		securityhub.Format{}, guardduty.Format{}, securitylake.Format{})
	n := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".md") {
			return err
		}
		head := sniffHead(t, p)
		want := "securitylake"
		switch {
		case strings.Contains(p, "vpc_flow-input"):
			want = "vpcflow"
		case strings.Contains(p, "securityhub-inputs"):
			want = "securityhub"
		case strings.Contains(p, "route53-inputs"):
			want = "route53"
		case strings.HasSuffix(p, ".test.gz"):
			want = "cloudtrail"
		}
		f, err := reg.Detect(head)
		if err != nil || f.Name() != want {
			t.Errorf("%s: detected %v (%v), want %s", p, f, err, want)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 38+4+4+21 {
		t.Errorf("detected %d inputs, want 67", n)
	}
}

// sniffHead is what the ingest pipeline gives Format.Sniff: the first 64 KiB of the
// decompressed content, or for Parquet the magic and the footer.
func sniffHead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	if bytes.HasPrefix(b, []byte("PAR1")) {
		n := int(binary.LittleEndian.Uint32(b[len(b)-8:]))
		return append([]byte("PAR1"), b[len(b)-8-n:len(b)-8]...)
	}
	return b[:min(len(b), 64<<10)]
}
