package inventory

import (
	"strings"
	"time"
	"unicode/utf8"
)

// SSM custom inventory of MCP servers: the type name and schema version of the entries a
// host scan leaves for Systems Manager Inventory.
const (
	SSMTypeName      = "Custom:MCPServers"
	SSMSchemaVersion = "1.0"
)

// SSM limits on one inventory entry (PutInventory, InventoryItem.Content).
const (
	SSMMaxAttributes = 50
	SSMMaxValueBytes = 4096
	SSMMaxEntries    = 10000
)

// Device attributes of an SSM entry (an SSM entry has no device of its own: Systems Manager
// keys it by instance, so each entry repeats what the scan knew of its host).
const (
	ssmHostname = "Hostname"
	ssmIP       = "IP"
	ssmInstance = "InstanceId"
	ssmRegion   = "Region"
	ssmAccount  = "AccountId"
	ssmOS       = "OS"
	ssmTime     = "ScanTime"
)

// SSMInventory is a custom inventory document as Systems Manager reads it from the
// instance's inventory/custom directory (and as PutInventory takes its items).
type SSMInventory struct {
	SchemaVersion string              `json:"SchemaVersion"`
	TypeName      string              `json:"TypeName"`
	CaptureTime   string              `json:"CaptureTime,omitempty"`
	Content       []map[string]string `json:"Content"`
}

// SSMDocument returns the Custom:MCPServers document of a scan: one entry per record (at most
// SSMMaxEntries).
func SSMDocument(s Scan) SSMInventory {
	doc := SSMInventory{SchemaVersion: SSMSchemaVersion, TypeName: SSMTypeName,
		CaptureTime: s.Time.UTC().Format("2006-01-02T15:04:05Z"), Content: []map[string]string{}}
	for i := range s.Records {
		if len(doc.Content) == SSMMaxEntries {
			break
		}
		doc.Content = append(doc.Content, SSMEntry(&s.Records[i], s.Device, s.Time))
	}
	return doc
}

// SSMEntry returns r as one inventory entry: string attributes, at most SSMMaxAttributes,
// each value at most SSMMaxValueBytes (longer ones are cut at a character boundary and end
// with "..."). Device attributes come first, then Fields in their order.
func SSMEntry(r *Record, d Device, t time.Time) map[string]string {
	m := make(map[string]string, 24)
	add := func(k, v string) {
		if v == "" || len(m) >= SSMMaxAttributes {
			return
		}
		m[k] = clip(v)
	}
	add(ssmHostname, d.Hostname)
	add(ssmIP, d.IP)
	add(ssmInstance, d.InstanceID)
	add(ssmRegion, d.Region)
	add(ssmAccount, d.Account)
	add(ssmOS, d.OS)
	if !t.IsZero() {
		add(ssmTime, t.UTC().Format(time.RFC3339))
	}
	for _, f := range Fields {
		add(f.SSM, f.Get(r))
	}
	return m
}

// FromSSM reads an inventory entry back. Attribute names are matched without regard to case
// (Resource Data Sync writes them with a lower-case first letter). It returns the scan time
// when the entry has one.
func FromSSM(m map[string]string) (r Record, d Device, t time.Time) {
	get := func(name string) string {
		if v, ok := m[name]; ok {
			return v
		}
		for k, v := range m {
			if strings.EqualFold(k, name) {
				return v
			}
		}
		return ""
	}
	for _, f := range Fields {
		if v := get(f.SSM); v != "" {
			f.Set(&r, v)
		}
	}
	d = Device{Hostname: get(ssmHostname), IP: get(ssmIP), InstanceID: get(ssmInstance),
		Region: get(ssmRegion), Account: get(ssmAccount), OS: get(ssmOS)}
	if v := get(ssmTime); v != "" {
		t, _ = time.Parse(time.RFC3339, v)
	}
	return r, d, t
}

// clip cuts v to SSMMaxValueBytes at a character boundary.
func clip(v string) string {
	if len(v) <= SSMMaxValueBytes {
		return v
	}
	const tail = "..."
	cut := SSMMaxValueBytes - len(tail)
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return v[:cut] + tail
}
