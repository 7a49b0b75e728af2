package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPolicyCheckCommand(t *testing.T) {
	example := filepath.Join("..", "..", "examples", "policy.yaml")
	out, err := runCmd(t, newPolicyCmd, "check", "--at", "2026-12-01", example)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if want := example + ": 0 errors, 0 warnings; 4 allow entries, 1 exceptions\n"; out != want {
		t.Errorf("output %q, want %q", out, want)
	}
	// After the exception's expiry: a warning, exit 0; with --strict, exit 1.
	out, err = runCmd(t, newPolicyCmd, "check", "--at", "2027-06-01", example)
	if err != nil || !strings.Contains(out, example+":60:") || !strings.Contains(out, "warning: EXC-2026-041: expired on 2027-03-31") {
		t.Errorf("expired: %v\n%s", err, out)
	}
	_, err = runCmd(t, newPolicyCmd, "check", "--strict", "--at", "2027-06-01", example)
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Errorf("--strict: %v", err)
	}

	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("allow:\n  - id: x\n    servers: {domains: [mcp.example.com]}\n    subjects: {cidrs: [10.0.0.0/40], acounts: [\"1\"]}\nexceptions:\n  - id: y\n    expires: 2020-01-01\n    servers: {domains: [a.example]}\n"), 0o644)
	out, err = runCmd(t, newPolicyCmd, "check", "--format", "ndjson", bad)
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Errorf("errors: exit %v", err)
	}
	var diags []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var d map[string]any
		if err := json.Unmarshal([]byte(l), &d); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		diags = append(diags, d)
	}
	want := []string{
		"4:24 error x cidrs: \"10.0.0.0/40\" is not an IP address or CIDR block",
		"4:38 error x unknown key \"acounts\"",
		"6:5 error y reason: an exception needs a reason",
	}
	if len(diags) != len(want) {
		t.Fatalf("diagnostics:\n%s", out)
	}
	for i, w := range want {
		d := diags[i]
		got := fmt.Sprintf("%v:%v %v %v %v", d["line"], d["column"], d["severity"], d["entry"], d["message"])
		if !strings.HasPrefix(got, w) || d["file"] != bad {
			t.Errorf("diagnostic %d = %q, want %q", i, got, w)
		}
	}
	// Syntax errors carry a line.
	os.WriteFile(bad, []byte("allow:\n  - id: x\n\tservers: {}\n"), 0o644)
	out, err = runCmd(t, newPolicyCmd, "check", bad)
	if !errors.As(err, &ee) || !strings.HasPrefix(out, bad+":2: error: found a tab character that violates indentation") {
		t.Errorf("syntax error: %v\n%s", err, out)
	}
	if _, err := runCmd(t, newPolicyCmd, "check", filepath.Join(dir, "missing.yaml")); err == nil || errors.As(err, &ee) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := runCmd(t, newPolicyCmd, "check", "--at", "tomorrow", example); err == nil {
		t.Error("--at tomorrow accepted")
	}
}
