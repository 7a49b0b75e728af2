package rules

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/intel"
)

// runRuleTests runs the test cases of every single-event rule of rs as far as this package
// can: the events are matched and whether the rule matched one of them must be the test's
// match. Policy and severity are package detect's (a test with a policy is skipped); a
// correlation's tests need that every rule it names matches some event when match is true.
func runRuleTests(t *testing.T, rs []*Rule) {
	t.Helper()
	for _, r := range rs {
		for _, tc := range r.Tests {
			t.Run(r.Name+"/"+tc.Name, func(t *testing.T) {
				if tc.Policy != "" && !tc.Match {
					t.Skip("sanctioning is the engine's")
				}
				env := Env{}
				if len(tc.Intel) > 0 {
					set, perrs, err := intel.Load("test", strings.NewReader(strings.Join(tc.Intel, "\n")))
					if err != nil || len(perrs) > 0 {
						t.Fatalf("intel: %v %v", err, perrs)
					}
					env.Intel = set
				}
				set, err := Compile(rs, env)
				if err != nil {
					t.Fatal(err)
				}
				matched := map[string]bool{}
				for i, raw := range tc.Events {
					ev, err := DecodeEvent(raw)
					if err != nil {
						t.Fatalf("event %d: %v", i, err)
					}
					set.Match(ev, func(m *Rule) { matched[m.Name] = true })
				}
				if r.IsCorrelation() {
					if !tc.Match {
						return // a correlation's negative cases need its engine
					}
					for _, n := range r.Correlation.Rules {
						if !matched[n] {
							t.Errorf("%s: correlated rule %s matched no event", r.Pos(), n)
						}
					}
					return
				}
				if matched[r.Name] != tc.Match {
					t.Errorf("%s (test at line %d): matched = %v, want %v", r.Pos(), tc.Line, matched[r.Name], tc.Match)
				}
			})
		}
	}
}

func TestTestdataRules(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.yml")
	var rs []*Rule
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Parse(data, f)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, got...)
	}
	if !slices.ContainsFunc(rs, func(r *Rule) bool { return r.Name == "test.ct_json_arrays" }) {
		t.Fatal("testdata rules missing")
	}
	runRuleTests(t, rs)
}

func TestBuiltinRuleTests(t *testing.T) {
	rs, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	runRuleTests(t, rs)
}
