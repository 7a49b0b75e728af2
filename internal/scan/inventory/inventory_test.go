package inventory

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/ocsf/schema"
)

var when = time.Date(2026, 11, 21, 10, 30, 0, 0, time.UTC)

// samples are one record of each source, with every field its scanner fills.
func samples() []Record {
	return []Record{
		{Source: SourceConfig, Name: "github", Client: "claude-desktop", Scope: "user",
			ConfigPath: "/home/alice/.config/Claude/claude_desktop_config.json", Transport: TransportStdio,
			Command: "npx", Args: []string{"-y", "@modelcontextprotocol/server-github"},
			CmdLine: "npx -y @modelcontextprotocol/server-github", Package: "@modelcontextprotocol/server-github",
			Ecosystem: "npm", Launcher: "npx", EnvNames: []string{"GITHUB_PERSONAL_ACCESS_TOKEN"}, User: "alice"},
		{Source: SourceConfig, Name: "atlassian", Client: "cursor", Scope: "project", Project: "/srv/app",
			ConfigPath: "/srv/app/.cursor/mcp.json", Transport: TransportSSE, URL: "https://mcp.atlassian.com/v1/sse",
			Host: "mcp.atlassian.com", Port: 443, HeaderNames: []string{"Authorization"}, Disabled: true},
		{Source: SourceProcess, Name: "server-everything", Transport: TransportStreamableHTTP, PID: 4242, PPID: 4200,
			UID: "1000", User: "alice", ProcessName: "node", Executable: "/usr/bin/node",
			CmdLine: "node /opt/node_modules/.bin/mcp-server-everything streamableHttp", Package: "@modelcontextprotocol/server-everything",
			PackageVersion: "2026.8.31", Ecosystem: "npm", Launcher: "node", PIDs: []int{4200, 4242},
			Listen: []string{"127.0.0.1:3001", "[::1]:3001"}, ClientProcess: "claude", ProcessStarted: when.UnixMilli()},
		{Source: SourceProbe, Name: "mcp-servers/everything", URL: "http://10.0.3.7:3001/mcp", Host: "10.0.3.7", Port: 3001,
			Transport: TransportStreamableHTTP, Status: StatusConfirmed, ProtocolVersion: "2025-06-18",
			ServerName: "mcp-servers/everything", ServerVersion: "2.0.0", ServerTitle: "Everything",
			Capabilities: []string{"prompts", "resources", "tools"}, Auth: "none", Tools: []string{"echo", "add"},
			Risk: "medium", Evidence: "initialize result"},
		{Source: SourceProbe, URL: "https://10.0.3.8/mcp", Host: "10.0.3.8", Port: 443, Transport: TransportStreamableHTTP,
			Status: StatusAuthRequired, Auth: "oauth", ResourceMetadata: "https://10.0.3.8/.well-known/oauth-protected-resource/mcp",
			AuthorizationServers: []string{"https://auth.example.com"}, Risk: "low"},
	}
}

var host = Device{Hostname: "ip-10-0-3-7.ec2.internal", IP: "10.0.3.7", InstanceID: "i-0abc1234def567890",
	Region: "us-east-1", Account: "123456789012", OS: "linux"}

func TestEventValidAndRoundTrips(t *testing.T) {
	for _, d := range []Device{host, {Hostname: "laptop", OS: "darwin"}, {}} {
		for _, r := range samples() {
			ev := Event(&r, d, when, "1.2.3")
			if err := schema.Validate(&ev); err != nil {
				t.Fatalf("%s %s: invalid OCSF: %v", r.Source, r.Name, err)
			}
			if ev.ClassUID != ocsf.ClassInventoryInfo || ev.ActivityID != 2 || ev.TypeUID != 500102 {
				t.Fatalf("classification %d %d %d", ev.ClassUID, ev.ActivityID, ev.TypeUID)
			}
			if ev.Metadata.UID != r.Key(d) || ev.Message == "" {
				t.Fatalf("uid %q message %q", ev.Metadata.UID, ev.Message)
			}
			// Through JSON, as scans print it and the lake's reader reads it.
			b, err := json.Marshal(&ev)
			if err != nil {
				t.Fatal(err)
			}
			var back ocsf.InventoryInfo
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			got, gotDev, ok := FromEvent(&back)
			if !ok || !reflect.DeepEqual(got, r) {
				t.Fatalf("round trip of %s %s:\n got %+v\nwant %+v", r.Source, r.Name, got, r)
			}
			if gotDev != d {
				t.Fatalf("device %+v, want %+v", gotDev, d)
			}
			if r.PID > 0 && (ev.Actor.Process.PID != int32(r.PID) || ev.Actor.Process.CmdLine != r.CmdLine) {
				t.Fatalf("actor.process %+v", ev.Actor.Process)
			}
		}
	}
}

func TestFromEventWithoutMCP(t *testing.T) {
	if _, _, ok := FromEvent(&ocsf.InventoryInfo{}); ok {
		t.Fatal("an inventory event without mcp.source was read as a server")
	}
	if _, _, ok := FromEvent(nil); ok {
		t.Fatal("nil event")
	}
}

func TestKeyStable(t *testing.T) {
	s := samples()
	a, b := s[2], s[2]
	b.PID, b.PIDs = 9999, nil // a restarted process keeps its key
	if a.Key(host) != b.Key(host) {
		t.Fatal("restart changed the key")
	}
	c := s[0]
	c.Name = "github2"
	if c.Key(host) == s[0].Key(host) {
		t.Fatal("two servers share a key")
	}
	if s[3].Key(host) != s[3].Key(Device{Hostname: "elsewhere"}) {
		t.Fatal("a probed endpoint's key depends on who probed it")
	}
}

func TestSSMRoundTrip(t *testing.T) {
	doc := SSMDocument(Scan{Device: host, Time: when, Records: samples()})
	if doc.TypeName != "Custom:MCPServers" || doc.SchemaVersion != "1.0" || doc.CaptureTime != "2026-11-21T10:30:00Z" {
		t.Fatalf("document header %+v", doc)
	}
	for i, e := range doc.Content {
		if len(e) > SSMMaxAttributes {
			t.Fatalf("entry %d has %d attributes", i, len(e))
		}
		for k, v := range e {
			if len(k) > 64 || len(v) > SSMMaxValueBytes {
				t.Fatalf("attribute %s too long", k)
			}
		}
		// Resource Data Sync lower-cases the first letter of attribute names.
		lower := map[string]string{}
		for k, v := range e {
			lower[strings.ToLower(k[:1])+k[1:]] = v
		}
		for _, m := range []map[string]string{e, lower} {
			r, d, tm := FromSSM(m)
			if !reflect.DeepEqual(r, samples()[i]) || d != host || !tm.Equal(when) {
				t.Fatalf("entry %d: got %+v %+v %v", i, r, d, tm)
			}
		}
	}
}

func TestSSMClip(t *testing.T) {
	r := Record{Source: SourceConfig, CmdLine: strings.Repeat("é", 3000)}
	e := SSMEntry(&r, Device{}, time.Time{})
	if v := e["CommandLine"]; len(v) > SSMMaxValueBytes || !strings.HasSuffix(v, "...") || !strings.HasPrefix(v, "éé") {
		t.Fatalf("clipped to %d bytes", len(v))
	}
}
