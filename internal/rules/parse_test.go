package rules

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

const minimalRule = `title: T
id: 0b7f2a44-1d1e-4a57-9a35-3f0a7f5a0101
name: x.rule
level: low
logsource: {product: aws, service: route53}
detection:
  selection: {query.hostname: a.example}
  condition: selection
`

func TestParse(t *testing.T) {
	data := "# leading comment\n" + minimalRule + `mcpwatch:
  server: {host: [query.hostname]}
  subject: {source_ip: [src_endpoint.ip]}
  entity: [src_endpoint.ip]
  title: "{src_endpoint.ip} looked up {query.hostname}"
  confidence: High
tests:
  - name: yes
    match: true
    intel: [203.0.113.7]
    severity: high
    policy: |
      version: 1
    events:
      - {class_uid: 4003, time: 1763800000000, query: {hostname: a.example}, cloud: {account: {uid: "0111"}}, ok: [true, null, 1.5], d: 2026-11-22}
---
---
title: C
id: 0b7f2a44-1d1e-4a57-9a35-3f0a7f5a0102
name: x.corr
level: high
correlation:
  type: value_sum
  rules: [x.rule]
  group-by: [src_endpoint.ip]
  timespan: 1d
  condition: {gte: 100, lt: 1000}
  field: traffic.bytes
  generate: true
mcpwatch:
  raise:
    - {sum: traffic.bytes, gte: 500, level: critical}
    - {count: true, gte: 3, level: high}
`
	rs, err := Parse([]byte(data), "f.yml")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 {
		t.Fatalf("%d rules, want 2", len(rs))
	}
	r := rs[0]
	if r.Name != "x.rule" || r.Line != 2 || r.File != "f.yml" || r.Level != Low || r.Detection == nil || r.IsCorrelation() {
		t.Errorf("rule 0 = %+v", r)
	}
	if r.Meta.Role != RoleFinding || r.Meta.Confidence != "high" || r.Meta.Server.Host[0] != "query.hostname" || r.Meta.Subject.SourceIP[0] != "src_endpoint.ip" {
		t.Errorf("meta = %+v", r.Meta)
	}
	if len(r.Tests) != 1 {
		t.Fatalf("tests = %+v", r.Tests)
	}
	tc := r.Tests[0]
	if !tc.Match || tc.Severity != "high" || tc.Intel[0] != "203.0.113.7" || tc.Policy != "version: 1\n" || tc.Line != 17 {
		t.Errorf("test = %+v", tc)
	}
	const wantEv = `{"class_uid":4003,"time":1763800000000,"query":{"hostname":"a.example"},"cloud":{"account":{"uid":"0111"}},"ok":[true,null,1.5],"d":"2026-11-22"}`
	if string(tc.Events[0]) != wantEv || !json.Valid(tc.Events[0]) {
		t.Errorf("event = %s\nwant    %s", tc.Events[0], wantEv)
	}
	c := rs[1]
	if !c.IsCorrelation() || c.Line != 27 {
		t.Fatalf("rule 1 = %+v", c)
	}
	cr := c.Correlation
	if cr.Type != ValueSum || cr.Timespan != 24*time.Hour || !cr.Generate || cr.Field != "traffic.bytes" ||
		*cr.Condition.Gte != 100 || *cr.Condition.Lt != 1000 || !cr.Condition.Holds(100) || cr.Condition.Holds(1000) {
		t.Errorf("correlation = %+v", cr)
	}
	if len(c.Meta.Raise) != 2 || c.Meta.Raise[0] != (Raise{Sum: "traffic.bytes", Gte: 500, Level: Critical, Line: 41}) ||
		!c.Meta.Raise[1].Count || c.Meta.Raise[1].Level != High {
		t.Errorf("raise = %+v", c.Meta.Raise)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ data, want string }{
		{"title: [", "f.yml: yaml: line 1"},
		{"- a\n- b\n", "f.yml:1: a rule is a mapping"},
		{"title: x\n", "f.yml:1: rule \"x\" has no name"},
		{"name: a\n", "f.yml:1: rule a has neither a detection nor a correlation section"},
		{"name: a\nlevel: severe\n", "f.yml:2: level \"severe\""},
		{"name: a\ntitle: x\ntitle: y\n", "f.yml:3: title given twice"},
		{"name: a\ndetection: {sel: {a: 1}}\n", "f.yml:2: rule a: detection has no condition"},
		{"name: a\ndetection: {sel: {a: 1}, condition: sel and (}\n", "f.yml:2: rule a: detection:"},
		{minimalRule + "mcpwatch: {rol: finding}\n", `f.yml:9: mcpwatch has no attribute "rol"`},
		{minimalRule + "mcpwatch: {role: boss}\n", `f.yml:9: role "boss"`},
		{minimalRule + "mcpwatch:\n  raise: [{gte: 1, level: high}]\n", "f.yml:10: a raise step has either sum"},
		{minimalRule + "tests:\n  - {name: a, events: [{class_uid: 4003}]}\n", "f.yml:10: test \"a\": match (true or false) is required"},
		{minimalRule + "tests:\n  - {name: a, match: yes please, events: [{}]}\n", "f.yml:10: match is true or false"},
		{minimalRule + "tests:\n  - {name: a, match: true}\n", "f.yml:10: test \"a\" has no events"},
		{minimalRule + "tests:\n  - {name: a, match: true, events: [[1]]}\n", "f.yml:10: an event is a mapping"},
		{minimalRule + "tests:\n  - {name: a, match: true, severity: huge, events: [{}]}\n", `f.yml:10: level "huge"`},
		{"name: c\ncorrelation: {type: temporal, rules: [a, b], timespan: 10x}\n", `f.yml:2: timespan "10x": unknown unit`},
		{"name: c\ncorrelation: {type: sometimes, rules: [a]}\n", `f.yml:2: correlation type "sometimes"`},
		{"name: c\ncorrelation: {type: event_count, rules: [a], timespan: 1h}\n", "f.yml:2: a event_count correlation needs a condition"},
		{"name: c\ncorrelation: {type: value_count, rules: [a], condition: {gte: 2}}\n", "f.yml:2: a value_count correlation needs field"},
		{"name: c\ncorrelation: {type: temporal, rules: [a], condition: {gte: many}}\n", `f.yml:2: gte is a number, not "many"`},
		{"name: c\ncorrelation: {type: temporal, rules: [a], group_by: [x]}\n", `f.yml:2: correlation has no attribute "group_by"`},
		{"name: c\ncorrelation: {type: temporal}\ndetection: {s: {a: 1}, condition: s}\n", "f.yml:2: rule c has both"},
	}
	for _, tc := range tests {
		_, err := Parse([]byte(tc.data), "f.yml")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want an error with %q", tc.data, err, tc.want)
		}
	}
}

func TestParseJoinsErrorsAndKeepsGoodRules(t *testing.T) {
	data := "name: a\n---\n" + minimalRule + "---\nname: b\n"
	rs, err := Parse([]byte(data), "f.yml")
	if err == nil || !strings.Contains(err.Error(), "f.yml:1:") || !strings.Contains(err.Error(), "f.yml:12:") {
		t.Errorf("err = %v", err)
	}
	if len(rs) != 1 || rs[0].Name != "x.rule" {
		t.Errorf("rules = %v", rs)
	}
}

func TestParseTimespan(t *testing.T) {
	for s, want := range map[string]time.Duration{"30s": 30 * time.Second, "10m": 10 * time.Minute, "1h": time.Hour, "2d": 48 * time.Hour, "1w": 168 * time.Hour} {
		if got, err := ParseTimespan(s); err != nil || got != want {
			t.Errorf("ParseTimespan(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "m", "0m", "-1h", "1.5h", "10", "99999999999999d"} {
		if _, err := ParseTimespan(s); err == nil {
			t.Errorf("ParseTimespan(%q) succeeded", s)
		}
	}
}

func TestMerge(t *testing.T) {
	a, b, c := &Rule{Name: "a", Builtin: true}, &Rule{Name: "b", Builtin: true}, &Rule{Name: "c", Builtin: true}
	b2, d := &Rule{Name: "b"}, &Rule{Name: "d"}
	got := Merge([]*Rule{a, b, c}, []*Rule{d, b2})
	want := []*Rule{a, b2, c, d}
	if len(got) != len(want) {
		t.Fatalf("Merge = %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Merge[%d] = %s, want %s", i, got[i].Name, want[i].Name)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(minimalRule))
	f.Add([]byte("name: c\ncorrelation: {type: temporal, rules: [a, b], timespan: 1h, aliases: {x: {a: b}}}\n---\n"))
	f.Add([]byte(minimalRule + "tests:\n  - {name: a, match: true, events: [{a: &x [1], b: *x}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, _ := Parse(data, "fuzz.yml")
		for _, r := range rs {
			if r.Name == "" || (r.Detection == nil) == (r.Correlation == nil) {
				t.Fatalf("invalid rule %+v", r)
			}
			for _, tc := range r.Tests {
				for _, ev := range tc.Events {
					if !json.Valid(ev) {
						t.Fatalf("invalid event JSON %s", ev)
					}
				}
			}
			// Compiling and linting whatever parsed must not panic.
			Compile([]*Rule{r}, Env{})
			Lint([]*Rule{r}, Env{})
		}
	})
}
