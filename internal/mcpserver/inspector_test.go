package mcpserver_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/mcpserver"
)

// inspector returns the MCP Inspector CLI installed by `npm ci --prefix testdata/npm`.
func inspector(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(repoRoot(t), "testdata", "npm", "node_modules", ".bin", "mcp-inspector")
	if _, err := os.Stat(bin); err != nil {
		t.Skip("MCP Inspector not installed: run npm ci --prefix testdata/npm")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not found")
	}
	return bin
}

// toolCalls are the tool calls the Inspector makes, one per tool.
func toolCalls() [][]string {
	day := "2026-11-21T00:00:00Z"
	end := "2026-11-21T23:59:59Z"
	return [][]string{
		{"search_ip_addresses", "ip_address=10.0.1.10", "start_time=" + day, "end_time=" + end, "limit=5"},
		{"search_guardduty_findings", "severity=High"},
		{"list_data_sources", "include_schema=true"},
		{"discover_aws_resources"},
		{"universal_security_search", "query_type=network", `filters={"port": 443}`, "limit=3"},
		{"test_connection"},
		{"list_findings", "limit=5"},
		{"list_mcp_servers"},
		{"get_finding", "finding_id=flow.none:0"},
	}
}

func runInspector(t *testing.T, bin string, args ...string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--cli"}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("inspector %v: %v\n%s\n%s", args, err, out, stderr)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("inspector output: %v\n%s", err, out)
	}
	return m
}

// checkCall checks the Inspector's result of a tool call: an envelope, failing only for the
// unknown finding.
func checkCall(t *testing.T, tool string, m map[string]any) {
	t.Helper()
	sc, ok := m["structuredContent"].(map[string]any)
	if !ok {
		t.Fatalf("%s: no structured content: %v", tool, m)
	}
	wantOK := tool != "get_finding"
	if sc["success"] != wantOK {
		t.Fatalf("%s: success %v: %v", tool, sc["success"], sc["error"])
	}
}

// TestInspectorStdioAndHTTP drives the real MCP Inspector CLI against the asl-mcp-server
// command over stdio, calling every tool and reading a resource, and against the Streamable
// HTTP handler. The tools are transport-agnostic, so over HTTP it lists the tools and makes
// the two calls whose arguments the Inspector sends as strings of other types (numbers,
// a JSON object); the HTTP transport itself is exercised by the conformance suite.
func TestInspectorStdioAndHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("runs node")
	}
	insp := inspector(t)
	lake := demoLake(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	toolArgs := func(c []string) []string {
		args := []string{"--method", "tools/call", "--tool-name", c[0]}
		for _, a := range c[1:] {
			args = append(args, "--tool-arg", a)
		}
		return args
	}

	t.Run("stdio", func(t *testing.T) {
		target := []string{"-e", aslServerEnv + "=1", "-e", "MCPWATCH_LAKE=" + lake, "-e", "ASL_MCP_LOG_LEVEL=ERROR", self}
		list := runInspector(t, insp, append(target, "--method", "tools/list")...)
		if tools, _ := list["tools"].([]any); len(tools) != len(allTools) {
			t.Fatalf("tools/list: %v", list)
		}
		for _, c := range toolCalls() {
			checkCall(t, c[0], runInspector(t, insp, append(slices.Clone(target), toolArgs(c)...)...))
		}
		res := runInspector(t, insp, append(target, "--method", "resources/read", "--uri", "ocsf://schema/vpc_flow")...)
		if !strings.Contains(mustJSON(res), "Network Activity") {
			t.Fatalf("resources/read: %.300v", res)
		}
	})

	t.Run("http", func(t *testing.T) {
		srv, _ := localServer(t, mcpserver.DefaultSettings())
		url := serveHTTP(t, srv, mcpserver.HTTPOptions{Logger: quiet()})
		target := []string{url, "--transport", "http"}
		list := runInspector(t, insp, append(target, "--method", "tools/list")...)
		if tools, _ := list["tools"].([]any); len(tools) != len(allTools) {
			t.Fatalf("tools/list: %v", list)
		}
		for _, c := range toolCalls() {
			if c[0] == "search_ip_addresses" || c[0] == "universal_security_search" {
				checkCall(t, c[0], runInspector(t, insp, append(slices.Clone(target), toolArgs(c)...)...))
			}
		}
	})
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
