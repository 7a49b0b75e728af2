package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// runCmd runs a command built by one of this package's constructors on its own (the lead
// registers it in cli.go), with args.
func runCmd(t *testing.T, newCmd func(*env) *cobra.Command, args ...string) (stdout string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, log: slog.New(slog.DiscardHandler)}
	cmd := newCmd(e)
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	err = cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestCatalogueCommand(t *testing.T) {
	out, err := runCmd(t, newCatalogueCmd)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"KIND", "ENDPOINT", "mcp.atlassian.com/v1/sse", "knowledge-mcp.global.api.aws/", "server.smithery.ai/",
		"npm:@modelcontextprotocol/server-filesystem", "*.gateway.bedrock-agentcore.*.amazonaws.com/mcp"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q", want)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	var shown, total int
	if _, err := fmt.Sscanf(last, "%d of %d entries", &shown, &total); err != nil || shown != total || total < 150 {
		t.Errorf("summary %q", last)
	}

	// Filters, and every field in JSON.
	out, err = runCmd(t, newCatalogueCmd, "--kind", "hub,aws", "--search", "pipedream", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(rows) != 4 {
		t.Fatalf("%d pipedream hubs: %v", len(rows), rows)
	}
	for _, r := range rows {
		if r["kind"] != "hub" || !strings.Contains(strings.ToLower(r["service"].(string)+r["package"].(string)), "pipedream") || r["source"] == "" {
			t.Errorf("row %v", r)
		}
	}
	out, err = runCmd(t, newCatalogueCmd, "--kind", "aws", "--format", "csv")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) < 8 || recs[0][0] != "id" {
		t.Fatalf("csv: %v %v", recs, err)
	}
	for _, r := range recs[1:] {
		if r[1] != "aws" {
			t.Errorf("non-aws row %v", r)
		}
	}
	if _, err := runCmd(t, newCatalogueCmd, "--kind", "sass"); err == nil || !strings.Contains(err.Error(), "unknown kind") {
		t.Errorf("--kind sass: %v", err)
	}
	if _, err := runCmd(t, newCatalogueCmd, "--format", "xml"); err == nil {
		t.Error("--format xml accepted")
	}
}

func TestCatalogueUserFile(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "ours.csv")
	os.WriteFile(f, []byte("service,host,path,kind,notes\nOur gateway,mcp-gw.corp.example.com,/mcp,internal,sanctioned\n"), 0o644)
	out, err := runCmd(t, newCatalogueCmd, "--catalogue", f, "--kind", "internal", "--format", "ndjson")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out, "\n"); n != 1 || !strings.Contains(out, `"source":"`+f+`:2"`) {
		t.Errorf("ndjson:\n%s", out)
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("service,host,kind\nX,bad host,internal\n"), 0o644)
	if _, err := runCmd(t, newCatalogueCmd, "--catalogue", bad); err == nil || !strings.Contains(err.Error(), bad+":2:") {
		t.Errorf("bad file: %v", err)
	}
	// match uses the user file too.
	out, err = runCmd(t, newCatalogueCmd, "match", "--catalogue", f, "--format", "csv", "mcp-gw.corp.example.com")
	if err != nil || !strings.Contains(out, "mcp-gw.corp.example.com,host,yes,high,host,internal,mcp-gw.corp.example.com/mcp,Our gateway,"+f+":2") {
		t.Errorf("match with user file: %v\n%s", err, out)
	}
}

func TestCatalogueMatchCommand(t *testing.T) {
	out, err := runCmd(t, newCatalogueCmd, "match", "--format", "json",
		"MCP.Atlassian.com", "mcpherson.com", "mcp.internal.example.com", "https://api.githubcopilot.com/mcp/",
		"npx -y mcp-remote https://server.smithery.ai/@acme/x/mcp", "github-mcp-server")
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := []struct{ as, mcp, confidence, basis, kind, entry string }{
		{"host", "yes", "high", "host", "saas", "mcp.atlassian.com/v1/sse"},
		{"host", "no", "none", "none", "", ""},
		{"host", "yes", "low", "heuristic", "", "host-label-mcp"},
		{"url", "yes", "high", "url", "saas", "api.githubcopilot.com/mcp"},
		{"command", "yes", "high", "package", "bridge", "npm:mcp-remote"},
		{"exec", "yes", "high", "package", "vendor-local", "exec:github-mcp-server"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows", len(rows))
	}
	for i, w := range want {
		r := rows[i]
		if r["as"] != w.as || r["mcp"] != w.mcp || r["confidence"] != w.confidence || r["basis"] != w.basis || r["kind"] != w.kind || r["entry"] != w.entry {
			t.Errorf("row %d = %v, want %+v", i, r, w)
		}
	}
	if d := rows[4]["detail"].(string); !strings.Contains(d, "remote https://server.smithery.ai/@acme/x/mcp: known MCP endpoint Smithery (hub") {
		t.Errorf("bridge detail %q", d)
	}
	out, err = runCmd(t, newCatalogueCmd, "match", "--as", "image", "--format", "csv", "mcp/github:latest")
	if err != nil || !strings.Contains(out, "mcp/github:latest,image,yes,medium,package-pattern,community,docker:mcp/*") {
		t.Errorf("image: %v\n%s", err, out)
	}
	if _, err := runCmd(t, newCatalogueCmd, "match", "--as", "rpm", "x"); err == nil {
		t.Error("--as rpm accepted")
	}
	if _, err := runCmd(t, newCatalogueCmd, "match"); err == nil {
		t.Error("match without arguments accepted")
	}
}
