package inventory

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// Product names mcpwatch as the product that logged the events, and Feature names the scan.
const (
	ProductName = "mcpwatch"
	FeatureHost = "scan host"
	FeatureNet  = "scan net"
)

// OS type ids of the OCSF os object.
var osTypes = map[string]struct {
	id   int32
	name string
}{"linux": {200, "Linux"}, "darwin": {300, "macOS"}, "windows": {100, "Windows"}}

// Event returns the OCSF Device Inventory Info event (class 5001, activity Collect) that
// reports r on d, found at t by mcpwatch version.
func Event(r *Record, d Device, t time.Time, version string) ocsf.InventoryInfo {
	var ev ocsf.InventoryInfo
	ev.Classify(ocsf.ClassInventoryInfo, 2)
	ev.SetSeverity(ocsf.SeverityInformational)
	ev.SetTime(t)
	feature := FeatureHost
	if r.Source == SourceProbe {
		feature = FeatureNet
	}
	ev.Metadata = ocsf.Metadata{
		Version:  ocsf.Version,
		Product:  ocsf.Product{Name: ProductName, VendorName: ProductName, Version: version, Feature: ocsf.Feature{Name: feature}},
		Profiles: []string{"host", "datetime"},
		UID:      r.Key(d),
	}
	if d.Account != "" || d.Region != "" || d.InstanceID != "" {
		ev.Metadata.Profiles = append(ev.Metadata.Profiles, "cloud")
		ev.Cloud = ocsf.Cloud{Provider: "AWS", Region: d.Region, Account: ocsf.Account{UID: d.Account}}
	}
	ev.Device = device(d)
	if r.User != "" {
		ev.Actor.User = ocsf.User{Name: r.User}
	}
	if r.PID > 0 {
		p := ocsf.Process{PID: int32(min(r.PID, 1<<31-1)), Name: r.ProcessName, CmdLine: r.CmdLine}
		if r.Executable != "" {
			p.File = ocsf.File{Name: baseName(r.Executable), Path: r.Executable, Type: "Regular File", TypeID: 1}
		}
		if r.User != "" || r.UID != "" {
			p.User = ocsf.User{Name: r.User, UID: r.UID}
		}
		ev.Actor.Process = p
	}
	ev.Message = Summary(r)
	ev.Unmapped = make(map[string]string, 16)
	for _, f := range Fields {
		if v := f.Get(r); v != "" {
			ev.Unmapped[f.Key] = v
		}
	}
	ev.Observables = observables(r, d)
	return ev
}

func device(d Device) ocsf.Device {
	dev := ocsf.Device{Hostname: d.Hostname, IP: d.IP, Region: d.Region, InstanceUID: d.InstanceID, UID: d.InstanceID}
	if d.InstanceID != "" {
		dev.Type, dev.TypeID = "Virtual", 6
	} else {
		dev.Type, dev.TypeID = "Unknown", 0
	}
	if d.Hostname == "" && d.IP == "" && d.InstanceID == "" {
		dev.Name = "unknown" // OCSF requires something to name the device by
	}
	if t, ok := osTypes[d.OS]; ok {
		dev.OS = ocsf.OS{Name: t.name, Type: t.name, TypeID: t.id}
	}
	return dev
}

func observables(r *Record, d Device) []ocsf.Observable {
	var obs []ocsf.Observable
	if d.Hostname != "" {
		obs = append(obs, ocsf.NewObservable("device.hostname", ocsf.ObservableHostname, d.Hostname))
	}
	if d.IP != "" {
		obs = append(obs, ocsf.NewObservable("device.ip", ocsf.ObservableIP, d.IP))
	}
	if d.InstanceID != "" {
		obs = append(obs, ocsf.NewObservable("device.instance_uid", ocsf.ObservableResourceUID, d.InstanceID))
	}
	if r.User != "" {
		obs = append(obs, ocsf.NewObservable("actor.user.name", ocsf.ObservableUserName, r.User))
	}
	if r.ProcessName != "" && r.PID > 0 {
		obs = append(obs, ocsf.NewObservable("actor.process.name", ocsf.ObservableProcessName, r.ProcessName))
	}
	if r.URL != "" {
		obs = append(obs, ocsf.NewObservable("unmapped.mcp.url", ocsf.ObservableURL, r.URL))
	}
	if r.Host != "" && r.Host != d.Hostname && r.Host != d.IP {
		obs = append(obs, ocsf.NewObservable("unmapped.mcp.host", ocsf.ObservableHostname, r.Host))
	}
	if r.Package != "" {
		obs = append(obs, ocsf.NewObservable("unmapped.mcp.package", ocsf.ObservableOther, r.Package))
	}
	if r.ServerName != "" {
		obs = append(obs, ocsf.NewObservable("unmapped.mcp.server_name", ocsf.ObservableOther, r.ServerName))
	}
	return obs
}

// FromEvent reads back the record and device of an event built by Event. ok is false when ev
// carries no MCP server (no mcp.source in unmapped).
func FromEvent(ev *ocsf.InventoryInfo) (r Record, d Device, ok bool) {
	if ev == nil || ev.Unmapped["mcp.source"] == "" {
		return Record{}, Device{}, false
	}
	for _, f := range Fields {
		if v, found := ev.Unmapped[f.Key]; found {
			f.Set(&r, v)
		}
	}
	d = Device{Hostname: ev.Device.Hostname, IP: ev.Device.IP, InstanceID: ev.Device.InstanceUID,
		Region: ev.Device.Region, Account: ev.Cloud.Account.UID}
	if d.Region == "" {
		d.Region = ev.Cloud.Region
	}
	for k, t := range osTypes {
		if ev.Device.OS.TypeID == t.id && ev.Device.OS.TypeID != 0 {
			d.OS = k
		}
	}
	return r, d, true
}

// Summary is a one-line description of r, the event's message.
func Summary(r *Record) string {
	var b strings.Builder
	switch r.Source {
	case SourceConfig:
		fmt.Fprintf(&b, "MCP server %q", r.Name)
	case SourceProcess:
		fmt.Fprintf(&b, "running MCP server %s (pid %d)", firstNonEmpty(r.Package, r.Name, r.ProcessName), r.PID)
	default:
		fmt.Fprintf(&b, "MCP endpoint %s (%s)", r.URL, r.Status)
	}
	if r.Transport != "" {
		b.WriteString(" over " + r.Transport)
	}
	switch {
	case r.URL != "" && r.Source != SourceProbe:
		b.WriteString(": " + r.URL)
	case r.CmdLine != "" && r.Source == SourceConfig:
		b.WriteString(": " + r.CmdLine)
	}
	if r.ServerName != "" {
		b.WriteString(", serverInfo " + r.ServerName)
		if r.ServerVersion != "" {
			b.WriteString(" " + r.ServerVersion)
		}
	}
	if r.Client != "" && r.Source == SourceConfig {
		b.WriteString(", configured for " + r.Client + " in " + r.ConfigPath)
	}
	if len(r.Listen) > 0 {
		b.WriteString(", listening on " + strings.Join(r.Listen, " "))
	}
	return b.String()
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

func jsonStrings(s []string) string {
	b, _ := json.Marshal(s) // strings always marshal
	return string(b)
}

func parseJSONStrings(v string) []string {
	var s []string
	if json.Unmarshal([]byte(v), &s) != nil {
		return nil
	}
	return s
}
