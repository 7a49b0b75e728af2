// Package mcpinventory reads what mcpwatch's discovery writes — the OCSF Device Inventory
// Info events of `mcpwatch scan host` and `mcpwatch scan net` (NDJSON, a JSON array or one
// object) — and the SSM custom inventory of MCP servers (Custom:MCPServers) that the
// MCP-Process-Monitor SSM document leaves on instances, in each form Systems Manager moves it
// in: the custom inventory file, a PutInventory request, and Resource Data Sync's JSON lines
// in S3. Every record becomes an OCSF Device Inventory Info event for the MCP_INVENTORY table.
//
// Events are rebuilt from the record they carry (inventory.FromEvent, then inventory.Event),
// so what reaches the lake is always a valid, consistently classified event whatever the
// input claimed; a record without a time, or that carries no MCP server, is dead-lettered.
package mcpinventory

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/scan/inventory"
	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/version"
)

// MaxInputBytes bounds an input: inventory documents are small (Systems Manager caps an
// inventory item at 10,000 entries of 50 attributes).
const MaxInputBytes = 256 << 20

// Format is the MCP inventory source format. The zero value is ready to use.
type Format struct{}

var _ source.Format = Format{}

// Name returns "mcpinventory".
func (Format) Name() string { return "mcpinventory" }

// Table returns "MCP_INVENTORY".
func (Format) Table() string { return "MCP_INVENTORY" }

// Sniff reports whether head is JSON holding MCP inventory: OCSF events of class 5001 that
// carry an MCP server, or Custom:MCPServers inventory.
func (Format) Sniff(head []byte) bool {
	t := bytes.TrimLeft(head, " \t\r\n\xef\xbb\xbf")
	if len(t) == 0 || t[0] != '{' && t[0] != '[' {
		return false
	}
	compact := bytes.ReplaceAll(bytes.ReplaceAll(t, []byte(" "), nil), []byte("\t"), nil)
	switch {
	case bytes.Contains(compact, []byte(`"class_uid":5001`)) && bytes.Contains(compact, []byte(`"mcp.source"`)):
		return true
	case bytes.Contains(compact, []byte(`"Custom:MCPServers"`)):
		return true
	case bytes.Contains(compact, []byte(`"resourceId"`)) && (bytes.Contains(compact, []byte(`"source":"config"`)) ||
		bytes.Contains(compact, []byte(`"source":"process"`)) || bytes.Contains(compact, []byte(`"source":"probe"`))):
		return true
	}
	return false
}

// Read streams every record of in to sink: each OCSF event, or each entry of SSM inventory,
// is one Event or DeadLetter call, numbered from 1 in input order.
func (f Format) Read(ctx context.Context, in source.Input, sink source.Sink) error {
	r := in.R
	if r == nil {
		if in.ReaderAt == nil {
			return fmt.Errorf("mcpinventory: %s: input has no content reader", in.Name)
		}
		r = io.NewSectionReader(in.ReaderAt, 0, in.Size)
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxInputBytes+1))
	if err != nil {
		return fmt.Errorf("mcpinventory: %s: reading: %w", in.Name, err)
	}
	if len(data) > MaxInputBytes {
		return fmt.Errorf("mcpinventory: %s: larger than %d bytes", in.Name, MaxInputBytes)
	}
	rd := &reader{in: in, sink: sink}
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	dec.UseNumber()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		start := dec.InputOffset()
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			// The rest cannot be split into values: one dead letter holds it.
			rd.pos++
			rest := data[min(int(start), len(data)):]
			return rd.dead(bytes.TrimSpace(rest), "not JSON: "+err.Error())
		}
		if err := rd.value(v); err != nil {
			return err
		}
	}
}

// reader is one Read in progress.
type reader struct {
	in   source.Input
	sink source.Sink
	pos  int64
}

func (rd *reader) dead(raw []byte, reason string) error {
	return rd.sink.DeadLetter(raw, rd.pos, reason)
}

// value reads one top-level JSON value: an array of records, or an object that is an event,
// a custom inventory document, a PutInventory request or a Resource Data Sync line.
func (rd *reader) value(v json.RawMessage) error {
	t := bytes.TrimSpace(v)
	if len(t) > 0 && t[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(t, &items); err != nil {
			rd.pos++
			return rd.dead(t, "not a JSON array: "+err.Error())
		}
		for _, it := range items {
			if err := rd.object(it, ""); err != nil {
				return err
			}
		}
		return nil
	}
	return rd.object(t, "")
}

// object reads one JSON object; instance is the instance id its container named.
func (rd *reader) object(raw json.RawMessage, instance string) error {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(raw, &probe); err != nil {
		rd.pos++
		return rd.dead(raw, "not a JSON object")
	}
	switch {
	case probe["class_uid"] != nil:
		rd.pos++
		return rd.event(raw)
	case probe["TypeName"] != nil && probe["Content"] != nil:
		return rd.document(raw, instance)
	case probe["Items"] != nil:
		var req struct {
			InstanceID string            `json:"InstanceId"`
			Items      []json.RawMessage `json:"Items"`
		}
		if err := json.Unmarshal(raw, &req); err != nil {
			rd.pos++
			return rd.dead(raw, "not a PutInventory request: "+err.Error())
		}
		for _, it := range req.Items {
			if err := rd.object(it, req.InstanceID); err != nil {
				return err
			}
		}
		return nil
	default:
		rd.pos++
		var m map[string]any
		json.Unmarshal(raw, &m)
		attrs := stringAttrs(m)
		if attrs == nil {
			return rd.dead(raw, "neither an OCSF event nor MCP inventory")
		}
		return rd.entry(raw, attrs, instance, "")
	}
}

// event rebuilds an OCSF event from the MCP server it carries.
func (rd *reader) event(raw json.RawMessage) error {
	var ev ocsf.InventoryInfo
	if err := json.Unmarshal(raw, &ev); err != nil {
		return rd.dead(raw, "not an OCSF Device Inventory Info event: "+err.Error())
	}
	if ev.ClassUID != ocsf.ClassInventoryInfo {
		return rd.dead(raw, fmt.Sprintf("class_uid %d is not Device Inventory Info (5001)", ev.ClassUID))
	}
	r, d, ok := inventory.FromEvent(&ev)
	if !ok {
		return rd.dead(raw, "the event carries no MCP server (no unmapped mcp.source)")
	}
	if ev.Time <= 0 {
		return rd.dead(raw, "the event has no time")
	}
	return rd.emit(raw, &r, d, time.UnixMilli(ev.Time), ev.Metadata.Product.Version)
}

// document reads a custom inventory document; each Content entry is one record.
func (rd *reader) document(raw json.RawMessage, instance string) error {
	var doc struct {
		TypeName    string          `json:"TypeName"`
		CaptureTime string          `json:"CaptureTime"`
		Content     json.RawMessage `json:"Content"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		rd.pos++
		return rd.dead(raw, "not a custom inventory document: "+err.Error())
	}
	if doc.TypeName != inventory.SSMTypeName {
		rd.pos++
		return rd.sink.Skip(rd.pos, "inventory type "+doc.TypeName+" is not "+inventory.SSMTypeName)
	}
	var entries []json.RawMessage
	if t := bytes.TrimSpace(doc.Content); len(t) > 0 && t[0] == '{' {
		entries = []json.RawMessage{t} // Content may be one object
	} else if err := json.Unmarshal(doc.Content, &entries); err != nil {
		rd.pos++
		return rd.dead(raw, "Content is neither an object nor an array")
	}
	for _, e := range entries {
		rd.pos++
		var m map[string]any
		if json.Unmarshal(e, &m) != nil {
			if err := rd.dead(e, "an inventory entry that is not an object"); err != nil {
				return err
			}
			continue
		}
		attrs := stringAttrs(m)
		if attrs == nil {
			attrs = map[string]string{}
		}
		if err := rd.entry(e, attrs, instance, doc.CaptureTime); err != nil {
			return err
		}
	}
	return nil
}

// entry reads one Custom:MCPServers entry (or a Resource Data Sync line).
func (rd *reader) entry(raw json.RawMessage, attrs map[string]string, instance, capture string) error {
	r, d, t := inventory.FromSSM(attrs)
	if r.Source != inventory.SourceConfig && r.Source != inventory.SourceProcess && r.Source != inventory.SourceProbe {
		return rd.dead(raw, "an inventory entry without a known Source (config, process or probe)")
	}
	if d.InstanceID == "" {
		d.InstanceID = instance
	}
	if d.InstanceID == "" {
		d.InstanceID = attrs["resourceId"]
	}
	for _, v := range []string{capture, attrs["captureTime"], attrs["CaptureTime"]} {
		if t.IsZero() && v != "" {
			t, _ = time.Parse(time.RFC3339, v)
		}
	}
	if t.IsZero() {
		return rd.dead(raw, "an inventory entry without a time (ScanTime or CaptureTime)")
	}
	return rd.emit(raw, &r, d, t, "")
}

func (rd *reader) emit(raw []byte, r *inventory.Record, d inventory.Device, t time.Time, ver string) error {
	if d.Region == "" {
		d.Region = rd.in.Region
	}
	if d.Account == "" {
		d.Account = rd.in.Account
	}
	if ver == "" {
		ver = version.Version
	}
	ev := inventory.Event(r, d, t, ver)
	return rd.sink.Event(&ev, rd.pos)
}

// stringAttrs returns the string attributes of an inventory entry (numbers as text), or nil
// when it has none.
func stringAttrs(m map[string]any) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		switch x := v.(type) {
		case string:
			out[k] = x
		case json.Number:
			out[k] = x.String()
		case float64:
			out[k] = strings.TrimSuffix(fmt.Sprintf("%f", x), ".000000")
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
