package mcpinventory

import (
	"context"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/ocsf/schema"
	"github.com/mcpwatch/mcpwatch/internal/source"
)

// counting is a Sink that checks each event and counts records.
type counting struct {
	t     *testing.T
	n     int64
	last  int64
	valid int
}

func (c *counting) check(pos int64) {
	c.n++
	if pos < c.last {
		c.t.Fatalf("position %d after %d", pos, c.last)
	}
	c.last = pos
}
func (c *counting) Event(ev ocsf.Event, pos int64) error {
	c.check(pos)
	if err := schema.Validate(ev); err != nil {
		c.t.Fatalf("invalid event: %v", err)
	}
	return nil
}
func (c *counting) DeadLetter(raw []byte, pos int64, reason string) error { c.check(pos); return nil }
func (c *counting) Skip(pos int64, reason string) error                   { c.check(pos); return nil }

// FuzzRead reads any input: it must never panic, every event it gives must be valid OCSF,
// and positions never go back.
func FuzzRead(f *testing.F) {
	for _, s := range []string{
		`{"class_uid":5001,"time":1795000000000,"unmapped":{"mcp.source":"config","mcp.name":"x","mcp.args":"[\"a\"]","mcp.port":"99999999999"},"device":{"hostname":"h"}}`,
		`{"SchemaVersion":"1.0","TypeName":"Custom:MCPServers","CaptureTime":"2026-11-21T09:00:00Z","Content":[{"Source":"process","PID":"-1","Listen":"a,,b"}]}`,
		`{"InstanceId":"i-1","Items":[{"TypeName":"Custom:MCPServers","Content":{"Source":"probe","Port":"80"}}]}`,
		`{"resourceId":"i-1","captureTime":"2026-11-21T09:00:00Z","source":"config","name":"n"}` + "\n" + `[1,{"a":2}]`,
		`{"class_uid":5001,"time":-5}{"Items":7}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := &counting{t: t}
		(Format{}).Sniff([]byte(s))
		if err := (Format{}).Read(context.Background(), source.Input{Name: "f", R: strings.NewReader(s)}, c); err != nil {
			t.Fatalf("Read: %v", err)
		}
	})
}
