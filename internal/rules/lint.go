package rules

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mcpwatch/mcpwatch/internal/rules/fields"
)

// Problem is something wrong with a rule: an Error (the rule cannot work as written, or
// lacks what every rule must have) or a warning.
type Problem struct {
	File  string `json:"file"`
	Line  int    `json:"line"`
	Rule  string `json:"rule,omitempty"`
	Error bool   `json:"error"`
	Msg   string `json:"msg"`
}

// String renders the problem as "file:line: error: rule: msg".
func (p Problem) String() string {
	sev := "warning"
	if p.Error {
		sev = "error"
	}
	return fmt.Sprintf("%s:%d: %s: %s: %s", p.File, p.Line, sev, p.Rule, p.Msg)
}

// Lint checks rules: names and ids unique, the required attributes (title, id as a UUID,
// level, a positive and a negative test), fields that exist for the logsource's type,
// modifiers that fit their fields, correlations that name existing rules with complete
// aliases and a timespan, entity, server, subject and title fields that exist, and tags of the
// form attack.*. The problems are sorted by file and line.
func Lint(rs []*Rule, env Env) []Problem {
	l := &linter{env: env, byName: map[string]*Rule{}, types: map[string]fields.Type{}}
	ids := map[string]*Rule{}
	for _, r := range rs {
		if prev, ok := l.byName[r.Name]; ok {
			l.errorf(r, r.Line, "name %s already used at %s", r.Name, prev.Pos())
		} else {
			l.byName[r.Name] = r
		}
		if r.ID != "" {
			if prev, ok := ids[strings.ToLower(r.ID)]; ok {
				l.errorf(r, r.Line, "id %s already used by %s at %s", r.ID, prev.Name, prev.Pos())
			} else {
				ids[strings.ToLower(r.ID)] = r
			}
		}
		if !r.IsCorrelation() {
			if t, _, err := EventType(r.Logsource); err == nil {
				l.types[r.Name] = t
			}
		}
	}
	for _, r := range rs {
		l.rule(r)
	}
	slices.SortStableFunc(l.out, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
	return l.out
}

// linter collects the problems of a pack.
type linter struct {
	env    Env
	byName map[string]*Rule
	types  map[string]fields.Type // single-event rules' types
	out    []Problem
}

func (l *linter) errorf(r *Rule, line int, format string, args ...any) {
	l.out = append(l.out, Problem{File: r.File, Line: line, Rule: r.Name, Error: true, Msg: fmt.Sprintf(format, args...)})
}

func (l *linter) warnf(r *Rule, line int, format string, args ...any) {
	l.out = append(l.out, Problem{File: r.File, Line: line, Rule: r.Name, Msg: fmt.Sprintf(format, args...)})
}

// rule checks one rule.
func (l *linter) rule(r *Rule) {
	switch {
	case r.Title == "":
		l.errorf(r, r.Line, "no title")
	}
	switch {
	case r.ID == "":
		l.errorf(r, r.Line, "no id (a UUID)")
	case !isUUID(r.ID):
		l.errorf(r, r.Line, "id %q is not a UUID", r.ID)
	}
	if r.Level == 0 {
		l.errorf(r, r.Line, "no level (informational, low, medium, high or critical)")
	}
	switch r.Status {
	case "stable", "test", "experimental", "deprecated", "unsupported":
	case "":
		l.warnf(r, r.Line, "no status (stable, test or experimental)")
	default:
		l.warnf(r, r.Line, "status %q: want stable, test or experimental", r.Status)
	}
	for _, k := range r.unknown {
		l.warnf(r, k.line, "unknown attribute %q", k.key)
	}
	l.tags(r)
	l.tests(r)
	if r.IsCorrelation() {
		l.correlation(r)
		return
	}
	t, _, err := EventType(r.Logsource)
	if err != nil {
		l.errorf(r, r.Line, "%v", err)
		return
	}
	if p := trimLower(r.Logsource.Product); p != "aws" && p != "mcpwatch" {
		l.warnf(r, r.Line, "logsource product %q: want aws (or mcpwatch for mcp_inventory)", r.Logsource.Product)
	}
	if r.Meta.Role == RoleEscalate && t != fields.ImportedFinding && t != fields.InventoryInfo {
		l.warnf(r, r.Line, "role escalate is for GuardDuty and Security Hub findings and MCP servers discovery confirmed, and the logsource is %s", r.Logsource.Service)
	}
	// Compiling the rule alone reports unknown fields, modifiers and bad values.
	cc := &compiler{env: l.compileEnv(), slots: map[valueKey]*source{}}
	if _, _, err := cc.rule(r); err != nil {
		l.compileErrors(r, err)
	}
	l.modifierFit(r, t)
	l.meta(r, []fields.Type{t}, nil)
}

// compileEnv is the lint's Env with Compile's defaults.
func (l *linter) compileEnv() Env {
	env := l.env
	if env.MCPPorts == nil {
		env.MCPPorts = DefaultMCPPorts()
	}
	return env
}

// compileErrors turns compile errors into problems.
func (l *linter) compileErrors(r *Rule, err error) {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			l.compileErrors(r, e)
		}
		return
	}
	var pe *posError
	if errors.As(err, &pe) {
		msg := strings.TrimPrefix(pe.msg, "rule "+r.Name+": ")
		l.out = append(l.out, Problem{File: pe.file, Line: pe.line, Rule: r.Name, Error: true, Msg: msg})
		return
	}
	l.errorf(r, r.Line, "%v", err)
}

// modifierFit checks that address and port modifiers are used on addresses and ports.
func (l *linter) modifierFit(r *Rule, t fields.Type) {
	for _, name := range sortedKeys(r.Detection.Searches) {
		for _, em := range r.Detection.Searches[name].EventMatchers {
			for _, fm := range em {
				line, _ := fieldLine(fm)
				spec, err := parseModifiers(fm.Modifiers)
				if err != nil {
					continue // reported by compile
				}
				if src, err := resolveSource(t, fm.Field); err != nil || src.kind == fields.Bool ||
					src.kind == fields.Int && spec.kind != "mcp_port" {
					continue // reported by compile
				}
				last := strings.ToLower(fm.Field[strings.LastIndexByte(fm.Field, '.')+1:])
				switch spec.kind {
				case "cidr", "internal":
					if !addressLike(last) {
						l.errorf(r, line, "%s: %s applies to IP addresses, and %s does not hold one", fieldDesc(fm), spec.kind, fm.Field)
					}
				case "intel":
					if !addressLike(last) && !domainLike(last) {
						l.errorf(r, line, "%s: intel applies to IP addresses and domain names, and %s holds neither", fieldDesc(fm), fm.Field)
					}
				case "mcp_port":
					if !strings.Contains(last, "port") {
						l.errorf(r, line, "%s: mcp_port applies to ports, and %s is not one", fieldDesc(fm), fm.Field)
					}
				case "catalogue":
					if !domainLike(last) && !strings.Contains(last, "url") && last != "value" {
						l.warnf(r, line, "%s: catalogue applies to host names and URLs; is %s one?", fieldDesc(fm), fm.Field)
					}
				}
			}
		}
	}
}

// addressLike reports whether an attribute's name says it holds IP addresses.
func addressLike(last string) bool {
	return last == "ip" || strings.HasSuffix(last, "ip") || strings.HasSuffix(last, "ips") ||
		strings.Contains(last, "ipv6") || strings.Contains(last, "address") || strings.Contains(last, "addr") ||
		last == "rdata" || last == "value" || strings.HasSuffix(last, "cidr")
}

// domainLike reports whether an attribute's name says it holds host or domain names.
func domainLike(last string) bool {
	return strings.Contains(last, "host") || strings.Contains(last, "domain") || last == "rdata" ||
		last == "value" || strings.Contains(last, "url") || strings.Contains(last, "endpoint")
}

// meta checks the fields the mcpwatch section names. types are the types of the events the
// rule's matches come from (one for a single-event rule, the correlated rules' for a
// correlation, where a field must exist in one of them); names are names that stand for fields (a correlation's aliases and group-by).
func (l *linter) meta(r *Rule, types []fields.Type, names map[string]bool) {
	check := func(what, f string) {
		if f == "" || names[f] {
			return
		}
		// A correlation's field may come from any of the correlated rules' events.
		var firstErr error
		for _, t := range types {
			_, err := resolveSource(t, f)
			if err == nil {
				return
			}
			if firstErr == nil {
				firstErr = err
			}
		}
		if firstErr != nil {
			if len(types) > 1 {
				l.errorf(r, r.Line, "mcpwatch.%s: no correlated rule's events have field %s", what, f)
			} else {
				l.errorf(r, r.Line, "mcpwatch.%s: %v", what, firstErr)
			}
		}
	}
	checkTemplate := func(what, s string) {
		if !strings.Contains(s, "{") {
			check(what, s)
			return
		}
		for _, f := range templateFields(s) {
			check(what, f)
		}
	}
	m := r.Meta
	for what, fs := range m.Server.all() {
		for _, f := range fs {
			checkTemplate("server."+what, f)
		}
	}
	for what, fs := range map[string][]string{"subject.account": m.Subject.Account, "subject.principal": m.Subject.Principal,
		"subject.source_ip": m.Subject.SourceIP, "entity": m.Entity} {
		for _, f := range fs {
			check(what, f)
		}
	}
	for _, f := range templateFields(m.Title) {
		f, filter, ok := strings.Cut(f, "|")
		if ok && filter != "short" {
			l.errorf(r, r.Line, "title: {%s|%s}: unknown filter %q (there is: short)", f, filter, filter)
		}
		check("title", f)
	}
	for _, st := range m.Raise {
		if !r.IsCorrelation() {
			l.warnf(r, st.Line, "raise applies to correlations only")
			break
		}
		if st.Sum != "" {
			check("raise.sum", st.Sum)
		}
	}
	if m.Role == RoleSignal && (m.Title != "" || len(m.FindingTypes) > 0 || m.Remediation != "") {
		l.warnf(r, r.Line, "a signal rule never raises a finding: its title, finding_types and remediation are unused")
	}
	if m.Role == RoleFinding && !r.IsCorrelation() && m.Title == "" && !l.referenced(r.Name) {
		l.warnf(r, r.Line, "no mcpwatch.title: findings will have the rule's title")
	}
}

// referenced reports whether a correlation names the rule.
func (l *linter) referenced(name string) bool {
	for _, r := range l.byName {
		if r.IsCorrelation() && slices.Contains(r.Correlation.Rules, name) {
			return true
		}
	}
	return false
}

// templateFields returns the {field} references of a template.
func templateFields(s string) []string {
	var out []string
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return out
		}
		out = append(out, strings.TrimSpace(s[i+1:i+j]))
		s = s[i+j+1:]
	}
}

// correlation checks a correlation rule.
func (l *linter) correlation(r *Rule) {
	c := r.Correlation
	line := r.detectionLine
	if c.Timespan == 0 {
		l.errorf(r, line, "correlation has no timespan (such as 10m, 1h, 1d)")
	}
	var types []fields.Type
	known := true
	for _, n := range c.Rules {
		o, ok := l.byName[n]
		if !ok {
			l.errorf(r, line, "correlation names rule %s, which does not exist", n)
			known = false
			continue
		}
		if n == r.Name {
			l.errorf(r, line, "correlation names itself")
			continue
		}
		if t, ok := l.types[n]; ok {
			if !slices.Contains(types, t) {
				types = append(types, t)
			}
		} else {
			known = false // a correlation of correlations: fields are the inner group-by's
		}
		if o.Meta.Role == RoleSignal && c.Generate {
			l.warnf(r, line, "generate: true has no effect on %s, a signal rule (it never raises a finding)", n)
		}
		if o.Meta.Role == RoleEscalate {
			l.warnf(r, line, "%s is an escalate rule: its matches escalate findings and are not meant to be correlated", n)
		}
	}
	if (c.Type == Temporal || c.Type == TemporalOrdered) && len(c.Rules) < 2 {
		l.errorf(r, line, "a %s correlation needs at least two rules", c.Type)
	}
	if c.Type == TemporalOrdered && !c.Condition.IsZero() {
		l.warnf(r, line, "temporal_ordered: the condition is ignored (every rule must be seen, in order)")
	}
	if len(c.GroupBy) == 0 {
		l.warnf(r, line, "correlation has no group-by: every event of the timespan is one group")
	}
	names := map[string]bool{}
	for alias, per := range c.Aliases {
		names[alias] = true
		for _, n := range c.Rules {
			f, ok := per[n]
			if !ok {
				l.errorf(r, line, "alias %s has no field for rule %s", alias, n)
				continue
			}
			if t, ok := l.types[n]; ok {
				if _, err := resolveSource(t, f); err != nil {
					l.errorf(r, line, "alias %s for rule %s: %v", alias, n, err)
				}
			}
		}
		for n := range per {
			if !slices.Contains(c.Rules, n) {
				l.errorf(r, line, "alias %s names rule %s, which the correlation does not", alias, n)
			}
		}
	}
	for _, g := range c.GroupBy {
		names[g] = true
		if _, ok := c.Aliases[g]; ok {
			continue
		}
		for _, n := range c.Rules {
			if t, ok := l.types[n]; ok {
				if _, err := resolveSource(t, g); err != nil {
					l.errorf(r, line, "group-by %s (not an alias) for rule %s: %v", g, n, err)
				}
			}
		}
	}
	if c.Field != "" {
		if c.Type != ValueCount && c.Type != ValueSum {
			l.warnf(r, line, "field is used by value_count and value_sum only")
		}
		for _, n := range c.Rules {
			if t, ok := l.types[n]; ok {
				src, err := resolveSource(t, c.Field)
				if err != nil {
					l.errorf(r, line, "field for rule %s: %v", n, err)
				} else if c.Type == ValueSum && src.kind != fields.Int && src.json == nil {
					l.errorf(r, line, "value_sum sums %s, which is %s, not a number", c.Field, src.kind)
				}
			}
		}
	}
	if !known {
		types = nil // unknown types: check names only
	}
	l.meta(r, types, names)
}

// tags checks the tags: attack.* with known tactics and technique ids.
func (l *linter) tags(r *Rule) {
	for _, tag := range r.Tags {
		t, ok := strings.CutPrefix(strings.ToLower(strings.TrimSpace(tag)), "attack.")
		if !ok {
			l.warnf(r, r.Line, "tag %q is not of the form attack.*", tag)
			continue
		}
		if _, ok := lookupTactic(t); ok {
			continue
		}
		if _, ok := techniqueUID(t); ok {
			continue
		}
		if strings.HasPrefix(t, "g") || strings.HasPrefix(t, "s") {
			continue // groups and software (attack.g0016, attack.s0154)
		}
		l.warnf(r, r.Line, "tag %q is neither an ATT&CK tactic nor a technique id", tag)
	}
}

// tests checks a rule's test cases: one positive and one negative at least, and events that
// decode into the rule's event type.
func (l *linter) tests(r *Rule) {
	var pos, neg bool
	for _, tc := range r.Tests {
		if tc.Match {
			pos = true
		} else {
			neg = true
		}
		if tc.Name == "" {
			l.warnf(r, tc.Line, "test without a name")
		}
		for i, raw := range tc.Events {
			ev, err := DecodeEvent(raw)
			if err != nil {
				l.errorf(r, tc.Line, "test %q, event %d: %v", tc.Name, i+1, err)
				continue
			}
			if r.IsCorrelation() {
				continue
			}
			if t, _, err := EventType(r.Logsource); err == nil && fields.TypeOf(ev) != t {
				l.warnf(r, tc.Line, "test %q, event %d: class %d is not what the logsource (%s) reads", tc.Name, i+1, ev.Header().ClassUID, r.Logsource.Service)
			}
		}
	}
	switch {
	case !pos && !neg:
		l.errorf(r, r.Line, "no tests: a rule needs a test that matches and one that does not")
	case !pos:
		l.errorf(r, r.Line, "no test with match: true")
	case !neg:
		l.errorf(r, r.Line, "no test with match: false")
	}
}

// isUUID reports whether s is a UUID in its canonical textual form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'f') {
				return false
			}
		}
	}
	return true
}

// sortedKeys returns a map's keys, sorted.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
