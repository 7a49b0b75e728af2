package guardduty

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/ocsf/schema"
	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/sourcetest"
)

// FuzzRead reads any content as GuardDuty findings: Read must not panic, must account for
// every record, and every event must be valid OCSF 1.1.0.
func FuzzRead(f *testing.F) {
	native := sourcetest.ReadFile(f, filepath.Join("testdata", "cloudtrail-logging-disabled.json"))
	var c bytes.Buffer
	json.Compact(&c, []byte(native))
	f.Add(c.Bytes())
	f.Add([]byte(eventBridge(c.String())))
	f.Add([]byte(sourcetest.ReadFile(f, filepath.Join("testdata", "findings-export.jsonl"))))
	f.Add([]byte(`{"Findings":[{"AccountId":"1","Arn":"arn:aws:guardduty:r:1:detector/d/finding/f","Type":"Recon:EC2/Portscan","Title":"t",` +
		`"CreatedAt":"2024-01-01T00:00:00Z","UpdatedAt":"2024-01-01T00:00:01Z","Severity":9.5,"SchemaVersion":"2.0",` +
		`"Resource":{"ResourceType":"S3Bucket","S3BucketDetails":[{"Name":"b","Tags":[{"Key":"k","Value":"v"}]}]},` +
		`"Service":{"Action":{"DnsRequestAction":{"Domain":"x..y","DomainWithSuffix":"-bad-"}}}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &recordingSink{T: t}
		_ = Format{MaxValueBytes: 1 << 20}.Read(context.Background(), source.Input{Name: "fuzz", R: bytes.NewReader(data)}, s)
		for _, ev := range s.Events {
			if err := schema.Validate(ev); err != nil {
				b, _ := json.Marshal(ev)
				t.Fatalf("invalid event %s: %v", b, err)
			}
		}
	})
}
