package detect

import (
	"fmt"
	"strings"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/intel"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/policy"
	"github.com/mcpwatch/mcpwatch/internal/rules"
)

// TestResult is the outcome of one test case of a rule.
type TestResult struct {
	Rule string `json:"rule"`
	Test string `json:"test"`
	File string `json:"file"`
	Line int    `json:"line"`
	// Want is whether the test expects a match, Got whether there was one: a finding of the
	// rule for rules that raise findings, a match of the rule for the others (signal and
	// escalate rules, and rules only correlations use).
	Want bool `json:"want_match"`
	Got  bool `json:"got_match"`
	// Severity is the severity of the rule's finding, when there is one.
	Severity string `json:"severity,omitempty"`
	Pass     bool   `json:"pass"`
	// Problem says why the test failed.
	Problem string `json:"problem,omitempty"`
}

// RunTests runs the test cases of every rule of rs. Each test runs on its own engine over
// the whole set (correlations need the rules they refer to), with the test's threat intel
// and policy only; env supplies the catalogue and the network settings.
func RunTests(rs []*rules.Rule, env rules.Env) []TestResult {
	var out []TestResult
	for _, r := range rs {
		for _, tc := range r.Tests {
			out = append(out, runTest(rs, r, tc, env))
		}
	}
	return out
}

// runTest runs one test case.
func runTest(rs []*rules.Rule, r *rules.Rule, tc rules.Test, env rules.Env) TestResult {
	res := TestResult{Rule: r.Name, Test: tc.Name, File: r.File, Line: tc.Line, Want: tc.Match}
	fail := func(format string, args ...any) TestResult {
		res.Problem = fmt.Sprintf(format, args...)
		return res
	}
	env.Intel = nil
	if len(tc.Intel) > 0 {
		set, bad, err := intel.LoadFormat(intel.PlainText{}, fmt.Sprintf("%s:%d", r.File, tc.Line),
			strings.NewReader(strings.Join(tc.Intel, "\n")))
		if err != nil {
			return fail("intel: %v", err)
		}
		if len(bad) > 0 {
			return fail("intel: %v", &bad[0])
		}
		env.Intel = set
	}
	var pol *policy.Policy
	if tc.Policy != "" {
		p, diags, err := policy.Parse(fmt.Sprintf("%s:%d", r.File, tc.Line), []byte(tc.Policy))
		if err != nil {
			return fail("policy: %v", err)
		}
		for _, d := range diags {
			if d.Severity == policy.Error {
				return fail("policy: %v", d)
			}
		}
		pol = p
	}
	set, err := rules.Compile(rs, env)
	if err != nil {
		return fail("compile: %v", err)
	}
	eng := NewEngine(EngineConfig{Rules: set, Policy: pol, Catalogue: env.Catalogue, Intel: env.Intel})
	var last int64
	for i, raw := range tc.Events {
		ev, err := rules.DecodeEvent(raw)
		if err != nil {
			return fail("event %d: %v", i+1, err)
		}
		last = max(last, ev.Header().Time)
		eng.Observe(ev, Ref{Table: "test", Input: r.File, Pos: int64(i + 1)})
	}
	fs := eng.Flush(time.UnixMilli(last).Add(time.Minute))
	compiled, _ := set.Rule(r.Name)
	info := eng.infos[compiled]
	if info != nil && (info.emit || r.IsCorrelation()) {
		var best *ocsf.DetectionFinding
		for i := range fs {
			if fs[i].FindingInfo.Analytic.UID == r.Name && (best == nil || fs[i].SeverityID > best.SeverityID) {
				best = &fs[i]
			}
		}
		res.Got = best != nil
		if best != nil {
			res.Severity = strings.ToLower(ocsf.SeverityName(best.SeverityID))
		}
	} else {
		res.Got = eng.stats.Matches[r.Name] > 0
	}
	switch {
	case res.Got != res.Want && res.Want:
		return fail("expected a match, got none")
	case res.Got != res.Want:
		return fail("expected no match, got one (severity %s)", or(res.Severity, "n/a"))
	case tc.Severity != "" && res.Got && !strings.EqualFold(tc.Severity, res.Severity):
		return fail("severity %s, want %s", res.Severity, tc.Severity)
	}
	res.Pass = true
	return res
}
