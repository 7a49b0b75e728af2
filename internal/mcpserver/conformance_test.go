package mcpserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/mcpwatch/mcpwatch/internal/mcpserver"
)

// conformanceBaseline is the committed list of scenarios expected to fail, with reasons.
const conformanceBaseline = "testdata/npm/conformance/baseline.yml"

// baseline is conformanceBaseline decoded: the suite version it is for and, for each
// scenario expected to fail, why.
type baseline struct {
	version string
	reasons map[string]string
}

// loadBaseline reads the baseline, which is in the suite's own --expected-failures format
// (a "server" list) with a reason as the line comment of every entry.
func loadBaseline(t *testing.T, path string) baseline {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		t.Fatalf("%s: not a mapping", path)
	}
	b := baseline{reasons: map[string]string{}}
	top := doc.Content[0].Content
	for i := 0; i+1 < len(top); i += 2 {
		key, val := top[i].Value, top[i+1]
		switch key {
		case "suite_version":
			b.version = val.Value
		case "server":
			if val.Kind != yaml.SequenceNode {
				t.Fatalf("%s: server is not a list", path)
			}
			for _, e := range val.Content {
				reason := strings.TrimSpace(strings.TrimPrefix(e.LineComment, "#"))
				if e.Kind != yaml.ScalarNode || reason == "" {
					t.Fatalf("%s:%d: every expected failure needs its scenario name and a reason as a comment on its line", path, e.Line)
				}
				if _, dup := b.reasons[e.Value]; dup {
					t.Fatalf("%s:%d: %s is listed twice", path, e.Line, e.Value)
				}
				b.reasons[e.Value] = reason
			}
		case "client":
		default:
			t.Fatalf("%s: unknown key %q", path, key)
		}
	}
	if b.version == "" {
		t.Fatalf("%s: suite_version is missing", path)
	}
	return b
}

// check is one result of the suite's checks.json.
type check struct {
	ID           string `json:"id"`
	Status       string `json:"status"`
	ErrorMessage string `json:"errorMessage"`
}

// resultDir matches the suite's result directories: server-<scenario>-<ISO time with - for : and .>.
var resultDir = regexp.MustCompile(`^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$`)

// readResults reads the checks of every scenario the suite wrote to dir.
func readResults(t *testing.T, dir string) map[string][]check {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]check{}
	for _, e := range entries {
		m := resultDir.FindStringSubmatch(e.Name())
		if m == nil || !e.IsDir() {
			t.Fatalf("unexpected entry %s in the suite's output", e.Name())
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name(), "checks.json"))
		if os.IsNotExist(err) {
			out[m[1]] = nil // the scenario threw before it produced checks
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		var checks []check
		if err := json.Unmarshal(data, &checks); err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		out[m[1]] = checks
	}
	return out
}

// failed reports whether a scenario failed as the suite's baseline evaluation counts it: no
// checks at all, or a check with status FAILURE or WARNING. why lists those checks.
func failed(checks []check) (bool, []string) {
	if len(checks) == 0 {
		return true, []string{"no checks: the scenario did not run"}
	}
	var why []string
	for _, c := range checks {
		if c.Status == "FAILURE" || c.Status == "WARNING" {
			why = append(why, c.Status+" "+c.ID+": "+c.ErrorMessage)
		}
	}
	return len(why) > 0, why
}

// TestConformance runs the official MCP conformance suite (server mode, every scenario)
// against the server over Streamable HTTP and compares the scenarios that fail with the
// committed baseline: a new failure fails the test, and so does a listed failure that now
// passes, so that the baseline stays true.
func TestConformance(t *testing.T) {
	root := repoRoot(t)
	pkg := filepath.Join(root, "testdata", "npm", "node_modules", "@modelcontextprotocol", "conformance")
	if _, err := os.Stat(pkg); err != nil {
		t.Skip("MCP conformance suite not installed: run npm ci --prefix testdata/npm")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("testdata/npm/node_modules is installed but node is not on the PATH")
	}
	var meta struct {
		Version string            `json:"version"`
		Bin     map[string]string `json:"bin"`
	}
	if data, err := os.ReadFile(filepath.Join(pkg, "package.json")); err != nil {
		t.Fatal(err)
	} else if err := json.Unmarshal(data, &meta); err != nil {
		t.Fatal(err)
	}
	base := loadBaseline(t, filepath.Join(root, conformanceBaseline))
	if meta.Version != base.version {
		t.Fatalf("installed conformance %s, the baseline is for %s: run npm ci --prefix testdata/npm, or re-run the suite and update %s",
			meta.Version, base.version, conformanceBaseline)
	}
	cli := filepath.Join(pkg, meta.Bin["conformance"])

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		cmd := exec.CommandContext(ctx, node, append([]string{cli}, args...)...)
		cmd.Stdout, cmd.Stderr = &out, &out
		cmd.Env = append(os.Environ(), "NO_COLOR=1")
		err := cmd.Run()
		return out.String(), err
	}

	// Every scenario of the suite, so that one the suite adds is noticed.
	list, err := run("list", "--server")
	if err != nil {
		t.Fatalf("conformance list: %v\n%s", err, list)
	}
	var scenarios []string
	for _, line := range strings.Split(list, "\n") {
		if strings.HasPrefix(line, "Client scenarios") {
			break
		}
		if name, ok := strings.CutPrefix(strings.TrimSpace(line), "- "); ok {
			scenarios = append(scenarios, strings.Fields(name)[0])
		}
	}
	if len(scenarios) < 20 {
		t.Fatalf("conformance list --server gave %d scenarios:\n%s", len(scenarios), list)
	}
	for name := range base.reasons {
		if !slices.Contains(scenarios, name) {
			t.Errorf("baseline lists %s, which the suite does not have: remove it", name)
		}
	}

	srv, _ := localServer(t, mcpserver.DefaultSettings())
	url := serveHTTP(t, srv, mcpserver.HTTPOptions{Logger: quiet()})
	outDir := t.TempDir()
	// The suite checks the baseline itself too (exit status 0 when the failures are exactly
	// the listed ones); the comparison below says which scenario differs and why.
	out, runErr := run("server", "--url", url, "--suite", "all", "--output-dir", outDir,
		"--expected-failures", filepath.Join(root, conformanceBaseline))
	if ctx.Err() != nil {
		t.Fatalf("conformance suite did not finish: %v\n%s", ctx.Err(), out)
	}
	results := readResults(t, outDir)

	var passed []string
	for _, name := range scenarios {
		checks, ran := results[name]
		if !ran {
			t.Errorf("%s: the suite wrote no result", name)
			continue
		}
		bad, why := failed(checks)
		_, expected := base.reasons[name]
		switch {
		case bad && !expected:
			t.Errorf("%s fails and is not in the baseline:\n\t%s", name, strings.Join(why, "\n\t"))
		case !bad && expected:
			t.Errorf("%s passes but the baseline expects it to fail (%s): remove it from %s", name, base.reasons[name], conformanceBaseline)
		case !bad:
			passed = append(passed, name)
		}
	}
	if runErr != nil && !t.Failed() {
		t.Errorf("the suite's own baseline check failed (%v) where this test's did not:\n%s", runErr, out)
	}
	if t.Failed() {
		t.Logf("suite output:\n%s", out)
		return
	}
	t.Logf("conformance %s: %d scenarios pass (%s), %d fail as the baseline expects", meta.Version, len(passed),
		strings.Join(passed, ", "), len(base.reasons))
}
