package mcpinventory

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ingest"
	"github.com/mcpwatch/mcpwatch/internal/lake"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/ocsf/schema"
	"github.com/mcpwatch/mcpwatch/internal/scan/hostscan"
	"github.com/mcpwatch/mcpwatch/internal/scan/inventory"
	"github.com/mcpwatch/mcpwatch/internal/source"
)

// collect is a Sink that keeps copies of what it gets.
type collect struct {
	events []ocsf.InventoryInfo
	pos    []int64
	dead   []string
	skips  []string
}

func (c *collect) Event(ev ocsf.Event, pos int64) error {
	c.events = append(c.events, *ev.(*ocsf.InventoryInfo))
	c.pos = append(c.pos, pos)
	return nil
}
func (c *collect) DeadLetter(raw []byte, pos int64, reason string) error {
	c.dead = append(c.dead, reason)
	return nil
}
func (c *collect) Skip(pos int64, reason string) error { c.skips = append(c.skips, reason); return nil }

// fixtureScan is a real host scan of hostscan's Linux fixture.
func fixtureScan(t *testing.T) inventory.Scan {
	t.Helper()
	res, err := hostscan.Scan(context.Background(), hostscan.Options{Root: "../../scan/hostscan/testdata/linux", OS: "linux", AllUsers: true})
	if err != nil || len(res.Records) < 30 {
		t.Fatalf("fixture scan: %d records, %v", len(res.Records), err)
	}
	return inventory.Scan{Device: inventory.Device{Hostname: "ip-10-0-1-5", IP: "10.0.1.5", InstanceID: "i-0123456789abcdef0",
		Region: "us-east-1", Account: "123456789012", OS: "linux"}, Time: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC), Records: res.Records}
}

func ndjson(t *testing.T, s inventory.Scan) []byte {
	var b bytes.Buffer
	for i := range s.Records {
		ev := inventory.Event(&s.Records[i], s.Device, s.Time, "test")
		line, err := json.Marshal(&ev)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(append(line, '\n'))
	}
	return b.Bytes()
}

func read(t *testing.T, data []byte) *collect {
	t.Helper()
	if !(Format{}).Sniff(data[:min(len(data), 64<<10)]) {
		t.Fatalf("Sniff does not recognize %.80q", data)
	}
	c := &collect{}
	if err := (Format{}).Read(context.Background(), source.Input{Name: "t", R: bytes.NewReader(data)}, c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestReadForms reads the same scan in every form it travels in and gets the same servers.
func TestReadForms(t *testing.T) {
	s := fixtureScan(t)
	doc := inventory.SSMDocument(s)
	docJSON, _ := json.Marshal(doc)
	put, _ := json.Marshal(map[string]any{"InstanceId": s.Device.InstanceID, "Items": []any{doc}})
	// Resource Data Sync: one line per entry, attribute names with a lower-case first letter,
	// the instance as resourceId.
	var sync bytes.Buffer
	for _, e := range doc.Content {
		m := map[string]string{"resourceId": s.Device.InstanceID, "resourceType": "ManagedInstanceInventory",
			"captureTime": doc.CaptureTime, "schemaVersion": "1.0"}
		for k, v := range e {
			if k != "InstanceId" {
				m[strings.ToLower(k[:1])+k[1:]] = v
			}
		}
		line, _ := json.Marshal(m)
		sync.Write(append(line, '\n'))
	}
	var array bytes.Buffer
	array.WriteString("[")
	for i, l := range bytes.Split(bytes.TrimSpace(ndjson(t, s)), []byte("\n")) {
		if i > 0 {
			array.WriteString(",\n")
		}
		array.Write(l)
	}
	array.WriteString("]")
	for name, data := range map[string][]byte{"ocsf-ndjson": ndjson(t, s), "ocsf-array": array.Bytes(), "ssm-custom-inventory": docJSON,
		"put-inventory": put, "resource-data-sync": sync.Bytes()} {
		t.Run(name, func(t *testing.T) {
			c := read(t, data)
			if len(c.dead) != 0 || len(c.events) != len(s.Records) {
				t.Fatalf("%d events, dead letters %v; want %d events", len(c.events), c.dead, len(s.Records))
			}
			for i := range c.events {
				ev := &c.events[i]
				if err := schema.Validate(ev); err != nil {
					t.Fatalf("invalid OCSF: %v", err)
				}
				r, d, ok := inventory.FromEvent(ev)
				if !ok || !reflect.DeepEqual(r, s.Records[i]) || d != s.Device || !ev.TimeDT.Equal(s.Time) || c.pos[i] != int64(i+1) {
					t.Fatalf("record %d:\n got %+v %+v %v\nwant %+v %+v", i, r, d, ev.TimeDT, s.Records[i], s.Device)
				}
			}
		})
	}
}

// TestReadBad dead-letters what is not MCP inventory and keeps counting.
func TestReadBad(t *testing.T) {
	s := fixtureScan(t)
	good := ndjson(t, inventory.Scan{Device: s.Device, Time: s.Time, Records: s.Records[:2]})
	in := string(good) + `{"class_uid":4001,"time":1}` + "\n" + `{"class_uid":5001,"time":1,"unmapped":{"x":"y"}}` + "\n" +
		`{"SchemaVersion":"1.0","TypeName":"Custom:Other","Content":[]}` + "\n" +
		`{"SchemaVersion":"1.0","TypeName":"Custom:MCPServers","Content":[{"Source":"config","Name":"x"},{"Name":"no source","ScanTime":"2026-11-21T09:00:00Z"},7]}` + "\n" +
		`{"mcp.source": "config"` + "\n"
	c := &collect{}
	if err := (Format{}).Read(context.Background(), source.Input{Name: "bad", R: strings.NewReader(in)}, c); err != nil {
		t.Fatal(err)
	}
	if len(c.events) != 2 || len(c.skips) != 1 || len(c.dead) != 6 {
		t.Fatalf("%d events, skips %v, dead %v", len(c.events), c.skips, c.dead)
	}
	for _, not := range [][]byte{[]byte("2 123456789012 eni-1 1.1.1.1 2.2.2.2 1 2 6 1 1 1 2 ACCEPT OK"), []byte(`{"eventVersion":"1.08"}`)} {
		if (Format{}).Sniff(not) {
			t.Errorf("Sniff recognizes %q", not)
		}
	}
}

// TestIngestIntoLake ingests a host scan's NDJSON into a lake: every server lands in
// MCP_INVENTORY, and ingesting it again adds nothing.
func TestIngestIntoLake(t *testing.T) {
	s := fixtureScan(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "scan.ndjson")
	if err := os.WriteFile(in, ndjson(t, s), 0o644); err != nil {
		t.Fatal(err)
	}
	lk, err := lake.Open(filepath.Join(dir, "lake"))
	if err != nil {
		t.Fatal(err)
	}
	defer lk.Close()
	for round := range 2 {
		refs, err := ingest.Resolve([]string{in})
		if err != nil {
			t.Fatal(err)
		}
		sum, err := ingest.Run(context.Background(), lk, refs, ingest.Options{Formats: source.NewRegistry(Format{})})
		if err != nil {
			t.Fatal(err)
		}
		want := int64(len(s.Records))
		if round == 1 {
			want = 0
		}
		if sum.Read != want || sum.Stored != want || !sum.Reconciles() {
			t.Fatalf("round %d: %+v", round, sum.Counts)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "lake", "MCP_INVENTORY", "2.0", "region=us-east-1", "accountId=123456789012", "eventDay=20261121", "*.parquet"))
	if len(files) == 0 {
		t.Fatal("no Parquet file in MCP_INVENTORY")
	}
}
