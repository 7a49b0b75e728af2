package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestSSMDocument checks deploy/ssm/MCP-Process-Monitor.yaml: every parameter it uses is
// declared, its Linux script is valid bash once parameters are filled in, and the flags it
// passes to mcpwatch scan host exist.
func TestSSMDocument(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "deploy", "ssm", "MCP-Process-Monitor.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	declared := map[string]bool{}
	inParams := false
	for _, l := range strings.Split(doc, "\n") {
		switch {
		case l == "parameters:":
			inParams = true
		case l == "mainSteps:":
			inParams = false
		case inParams && strings.HasPrefix(l, "  ") && !strings.HasPrefix(l, "   ") && strings.HasSuffix(l, ":"):
			declared[strings.TrimSuffix(strings.TrimSpace(l), ":")] = true
		}
	}
	for _, m := range regexp.MustCompile(`\{\{ *(\w+) *\}\}`).FindAllStringSubmatch(doc, -1) {
		if !declared[m[1]] {
			t.Errorf("parameter %s is used but not declared", m[1])
		}
	}
	// The Linux script: the runCommand items of the scanLinux step, YAML double-quoted strings.
	step := doc[strings.Index(doc, "name: scanLinux"):strings.Index(doc, "name: scanWindows")]
	var lines []string
	for _, l := range strings.Split(step, "\n") {
		l = strings.TrimSpace(l)
		if v, ok := strings.CutPrefix(l, "- \""); ok {
			var s string
			if err := json.Unmarshal([]byte(`"`+v), &s); err != nil {
				t.Fatalf("%s: %v", l, err)
			}
			lines = append(lines, s)
		}
	}
	script := strings.Join(lines, "\n")
	params := map[string]string{"Output": "both", "S3Bucket": "my-bucket", "S3Prefix": "mcpwatch/host-scan", "McpwatchPath": "/usr/local/bin/mcpwatch",
		"McpwatchS3Url": "", "ProjectDepth": "3", "AccountId": "123456789012"}
	script = regexp.MustCompile(`\{\{ *(\w+) *\}\}`).ReplaceAllStringFunc(script, func(m string) string {
		return params[strings.Trim(m, "{} ")]
	})
	if out, err := exec.Command("bash", "-n", "-c", script).CombinedOutput(); err != nil {
		t.Fatalf("bash -n: %v\n%s\n%s", err, out, script)
	}
	host := newScanHostCmd(&env{})
	for _, m := range regexp.MustCompile(`scan host ([^\n]*)`).FindAllStringSubmatch(script, -1) {
		for _, flag := range regexp.MustCompile(`--([a-z-]+)`).FindAllStringSubmatch(m[1], -1) {
			if host.Flags().Lookup(flag[1]) == nil {
				t.Errorf("the document passes --%s, which scan host does not have", flag[1])
			}
		}
	}
}
