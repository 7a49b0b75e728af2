package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/ocsf/schema"
	"github.com/mcpwatch/mcpwatch/internal/scan/inventory"
)

// runScan runs `mcpwatch scan ARGS` (the command is registered in cli.go by the lead; this
// runs it on its own).
func runScan(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, log: slog.New(slog.DiscardHandler)}
	cmd := newScanCmd(e)
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

func TestScanHostCommand(t *testing.T) {
	root := filepath.Join("..", "scan", "hostscan", "testdata", "linux")
	out, errs, err := runScan(t, "host", "--root", root, "--format", "ndjson", "--instance-id", "i-0123456789abcdef0",
		"--region", "eu-west-1", "--account", "123456789012", "--hostname", "web-1")
	if err != nil {
		t.Fatalf("%v\n%s", err, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 37 {
		t.Fatalf("%d events, want the fixture's 37 servers", len(lines))
	}
	for _, l := range lines {
		var ev ocsf.InventoryInfo
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(&ev); err != nil {
			t.Fatal(err)
		}
		if ev.Device.InstanceUID != "i-0123456789abcdef0" || ev.Cloud.Region != "eu-west-1" || ev.Device.Hostname != "web-1" {
			t.Fatalf("device %+v cloud %+v", ev.Device, ev.Cloud)
		}
	}
	// The SSM inventory document, written atomically where the agent collects it.
	file := filepath.Join(t.TempDir(), "inventory", "custom", "MCPServers.json")
	if _, errs, err := runScan(t, "host", "--root", root, "--format", "ssm", "--output", file); err != nil {
		t.Fatalf("%v %s", err, errs)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc inventory.SSMInventory
	if err := json.Unmarshal(b, &doc); err != nil || doc.TypeName != "Custom:MCPServers" || len(doc.Content) != 37 {
		t.Fatalf("SSM document: %v %s %d", err, doc.TypeName, len(doc.Content))
	}
	out, _, err = runScan(t, "host", "--root", root)
	if err != nil || !strings.Contains(out, "claude-desktop") || !strings.Contains(out, "/home/alice/.codex/config.toml") {
		t.Fatalf("table: %v\n%s", err, out)
	}
	if _, _, err := runScan(t, "host", "--format", "xml"); err == nil || !strings.Contains(err.Error(), "--format") {
		t.Fatalf("bad format: %v", err)
	}
}

func TestScanNetCommand(t *testing.T) {
	srv := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server {
		return mcp.NewServer(&mcp.Implementation{Name: "cli-test", Version: "0.0.1"}, nil)
	}, nil))
	defer srv.Close()
	out, errs, err := runScan(t, "net", "--format", "ndjson", srv.URL+"/mcp")
	if err != nil {
		t.Fatalf("%v\n%s", err, errs)
	}
	var ev ocsf.InventoryInfo
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &ev); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	r, d, ok := inventory.FromEvent(&ev)
	if err := schema.Validate(&ev); err != nil || !ok || r.Status != "confirmed" || r.ServerName != "cli-test" || d.IP != "127.0.0.1" {
		t.Fatalf("%v %+v %+v", err, r, d)
	}
	// A target outside an explicit scope is refused.
	if _, _, err := runScan(t, "net", "--scope", "127.0.0.2", srv.URL); err == nil || !strings.Contains(err.Error(), "scope") {
		t.Fatalf("out-of-scope target: %v", err)
	}
}
