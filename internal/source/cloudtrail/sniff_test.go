package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/guardduty"
	"github.com/mcpwatch/mcpwatch/internal/source/mcpinventory"
	"github.com/mcpwatch/mcpwatch/internal/source/route53"
	"github.com/mcpwatch/mcpwatch/internal/source/securityhub"
	"github.com/mcpwatch/mcpwatch/internal/source/securitylake"
	"github.com/mcpwatch/mcpwatch/internal/source/sourcetest"
	"github.com/mcpwatch/mcpwatch/internal/source/vpcflow"
)

// head returns what format detection sees of a file, as the ingest pipeline builds it: the
// first 64 KiB of its content (decompressed), or for Parquet the magic and the footer.
func head(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	if bytes.HasPrefix(b, []byte("PAR1")) && len(b) >= 12 {
		n := int(binary.LittleEndian.Uint32(b[len(b)-8:]))
		if n > 0 && n <= len(b)-12 {
			return append([]byte("PAR1"), b[len(b)-8-n:len(b)-8]...)
		}
	}
	return b[:min(len(b), 64<<10)]
}

// TestSniffReferenceData runs format detection, with every format mcpwatch reads, over every
// file of the reference data: the CloudTrail inputs are CloudTrail's and the Route 53 inputs
// Route 53's, every other file is neither, and no file is claimed by two formats (VPC Flow
// Logs, Security Hub findings, Security Lake's Parquet, OCSF JSON, the OCSF schema, ...).
func TestSniffReferenceData(t *testing.T) {
	reg := source.NewRegistry(vpcflow.Format{}, Format{}, route53.Format{}, securityhub.Format{},
		guardduty.Format{}, securitylake.Format{}, mcpinventory.Format{})
	root := sourcetest.DataDir(t)
	want := func(rel string) string {
		switch {
		case strings.Contains(rel, "/CLOUD_TRAIL/") && strings.Contains(rel, "/input/"),
			strings.Contains(rel, "/CloudTrail/") && strings.HasSuffix(rel, ".raw"):
			return "cloudtrail"
		case strings.Contains(rel, "/ROUTE53/inputs/"),
			strings.Contains(rel, "/Route53/") && strings.HasSuffix(rel, ".raw"):
			return "route53"
		}
		return ""
	}
	counts := map[string]int{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = "/" + filepath.ToSlash(rel)
		h := head(t, p)
		if len(h) == 0 {
			return nil
		}
		f, derr := reg.Detect(h)
		if derr != nil && strings.Contains(derr.Error(), "several formats") {
			t.Errorf("%s: %v", rel, derr)
		}
		got := ""
		if derr == nil && (f.Name() == "cloudtrail" || f.Name() == "route53") {
			got = f.Name()
		}
		if w := want(rel); got != w {
			t.Errorf("%s: detected as %q, want %q (%v)", rel, got, w, derr)
		}
		counts[want(rel)]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// 21 Security Lake inputs and 3 OCSF examples at each of 3 versions; 4 inputs and 3 examples.
	if counts["cloudtrail"] != 30 || counts["route53"] != 7 || counts[""] < 100 {
		t.Errorf("files by expected format: %v", counts)
	}
}

func TestSniffShapes(t *testing.T) {
	tests := []struct {
		head string
		want bool
	}{
		{`{"Records":[` + evDescribe, true},
		{`{"Records":[{"eventVersion":"1.08","userIdentity":{"type":"Ro`, true}, // cut early
		{`{"Records":[]}`, false},
		{evDescribe + "\n", true},
		{"[" + evDescribe, true},
		{digestFile, true},
		{`{"version":"0","detail-type":"AWS API Call via CloudTrail","source":"aws.s3","detail":{`, true},
		{`{"version":"0","detail-type":"GuardDuty Finding","source":"aws.guardduty","detail":{`, false},
		{`{"Events":[{"EventId":"x","CloudTrailEvent":"{}"}]}`, true},
		{`{"Events":[{"EventId":"x"}]}`, false},
		{"2025-01-02T03:04:05.000Z " + evDescribe, true},
		{`{"eventVersion":"1.08","foo":1}`, false},
		{`{"query_timestamp":"x","query_name":"y","srcaddr":"z"}`, false},
		{"PAR1\x00", false},
		{"2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1 2 ACCEPT OK", false},
	}
	for _, tt := range tests {
		if got := (Format{}).Sniff([]byte(tt.head)); got != tt.want {
			t.Errorf("Sniff(%.80q) = %v, want %v", tt.head, got, tt.want)
		}
	}
}
