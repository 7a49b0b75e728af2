package rules

import (
	"os"
	"strings"
	"testing"
)

func TestLintPackAndTestdataClean(t *testing.T) {
	rs, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range Lint(rs, Env{}) {
		if p.Error {
			t.Errorf("built-in pack: %s", p)
		}
	}
	data, err := os.ReadFile("testdata/match.yml")
	if err != nil {
		t.Fatal(err)
	}
	rs, err = Parse(data, "testdata/match.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range Lint(rs, Env{}) {
		t.Errorf("testdata: %s", p)
	}
}

func TestLintFindsProblems(t *testing.T) {
	rs, err := LoadDir("testdata/lint")
	if err != nil {
		t.Fatal(err)
	}
	probs := Lint(rs, Env{})
	var got []string
	for _, p := range probs {
		got = append(got, p.String())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		`bad.yaml:1: error: bad.single: id "not-a-uuid" is not a UUID`,
		`bad.yaml:1: warning: bad.single: tag "mitre.t1071" is not of the form attack.*`,
		`bad.yaml:1: warning: bad.single: tag "attack.t99" is neither`,
		`bad.yaml:1: error: bad.single: no test with match: false`,
		`bad.yaml:9: error: bad.single: dst_endpoint.port|cidr: cidr applies to text, and dst_endpoint.port is integer`,
		`bad.yaml:10: error: bad.single: src_endpoint.hostname|internal: internal applies to IP addresses`,
		`bad.yaml:11: error: bad.single: dst_endpoint.ip|mcp_port: mcp_port applies to ports`,
		`error: bad.single: mcpwatch.entity: NetworkActivity events (class 4001) has no field src_endpoint.nope`,
		`error: bad.single: mcpwatch.title: NetworkActivity events (class 4001) has no field query.hostname`,
		`bad.yaml:22: error: bad.single: name bad.single already used at testdata/lint/bad.yaml:1`,
		`bad.yaml:22: error: bad.single: no test with match: true`,
		`bad.yaml:29: error: bad.single: DNSActivity events (class 4003) has no field query.nothing`,
		`bad.yaml:34: error: bad.correlation: no title`,
		`bad.yaml:34: error: bad.correlation: id 0b7f2a44-1d1e-4a57-9a35-3f0a7f5a00ff already used by bad.single`,
		`error: bad.correlation: correlation has no timespan`,
		`error: bad.correlation: correlation names rule missing.rule, which does not exist`,
		`error: bad.correlation: alias client has no field for rule missing.rule`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing problem %q", want)
		}
	}
	for _, p := range probs {
		if strings.Contains(p.Msg, "is not what the logsource") {
			t.Errorf("spurious problem: %s", p)
		}
	}
	if strings.Count(all, "dst_endpoint.port|cidr") != 1 {
		t.Errorf("cidr on a port reported %d times, want once", strings.Count(all, "dst_endpoint.port|cidr"))
	}
	if t.Failed() {
		t.Logf("problems:\n%s", all)
	}
}
