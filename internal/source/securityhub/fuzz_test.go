package securityhub

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/ocsf/schema"
	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/sourcetest"
)

// FuzzRead reads any content as Security Hub findings: Read must not panic, must account for
// every record once (events, dead letters and skips with consecutive positions), and every
// event must be valid OCSF 1.1.0.
func FuzzRead(f *testing.F) {
	for _, p := range []string{
		"ocsf-examples/aws/v1.1.0/Security Hub/Detection Finding/samples/sechub-guardduty.raw",
		"ocsf-examples/aws/v1.1.0/Security Hub/Compliance Finding/samples/sechub-pci.raw",
		"ocsf-examples/aws/v1.1.0/Security Hub/Vulnerability Finding/samples/inspector.raw",
	} {
		b, err := os.ReadFile(filepath.Join(sourcetest.DataDir(f), p))
		if err != nil {
			f.Fatal(err)
		}
		var c bytes.Buffer
		json.Compact(&c, b)
		f.Add(c.Bytes())
		f.Add(append([]byte(`{"Findings":[`), append(c.Bytes(), ']', '}')...))
	}
	ssh, err := os.ReadFile(filepath.Join("testdata", "guardduty-ssh-bruteforce.asff.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ssh)
	f.Add([]byte(`{"detail-type":"Security Hub Findings - Imported","source":"aws.securityhub","detail":{"findings":[{"Id":"x","Title":"t","UpdatedAt":"2024-01-01T00:00:00Z","Action":{"PortProbeAction":{"PortProbeDetails":[{"LocalPortDetails":{"Port":3000},"RemoteIpDetails":{"IpAddressV4":"1.2.3.4"}}]}},"Network":{"SourceIpV6":"::1","DestinationDomain":"a.b"}}]}}` + "\n[1,{}]\n"))
	f.Add([]byte("{\"Id\":\"a\"}\n{\"Id\":\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &recordingSink{T: t}
		err := Format{MaxValueBytes: 1 << 20}.Read(context.Background(), source.Input{Name: "fuzz", R: bytes.NewReader(data)}, s)
		_ = err // a broken document ends the input; what came before is accounted for
		seen := map[int64]bool{}
		for _, p := range append(append([]int64{}, s.Pos...), deadPositions(s)...) {
			if p < 1 || seen[p] {
				t.Fatalf("position %d repeated or invalid", p)
			}
			seen[p] = true
		}
		if len(seen) > s.Records() {
			t.Fatalf("%d positions for %d records", len(seen), s.Records())
		}
		for _, ev := range s.Events {
			if err := schema.Validate(ev); err != nil {
				b, _ := json.Marshal(ev)
				t.Fatalf("invalid event %s: %v", b, err)
			}
		}
	})
}

func deadPositions(s *recordingSink) []int64 {
	var out []int64
	for _, d := range s.Dead {
		out = append(out, d.Pos)
	}
	return out
}
