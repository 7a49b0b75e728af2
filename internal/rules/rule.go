// Package rules is mcpwatch's detection rule format: Sigma rules for matching single events
// and Sigma v2 correlation rules over them, with field names that are OCSF attribute paths
// ("query.hostname", "api.request.data.userData", "dst_endpoint.port"), an mcpwatch section
// that says what a match means (finding type, MCP server, entity, remediation) and test
// cases — events that must and must not match — in each rule file.
//
// Parse reads rule files (github.com/bradleyjkemp/sigma-go parses the Sigma part); the
// built-in pack is embedded (Builtin); LoadDir adds an organization's own. Compile turns a
// pack into a Set of fast matchers over mcpwatch's typed OCSF events: every field path
// becomes a generated accessor of package fields, regular expressions, CIDR blocks and
// wildcard patterns are compiled once, and rules are indexed by event type so that an event
// only meets the rules of its class. The correlation engine itself, which keeps the windows
// and groups of correlation rules, is package detect's.
//
// See docs/rules.md for the format, the modifiers mcpwatch adds (catalogue, threat intel,
// internal/external address and MCP port predicates) and the pack.
package rules

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/bradleyjkemp/sigma-go"
)

// Level is a rule's Sigma level, which is also the base severity of its findings: its value
// is the OCSF severity_id (informational 1 to critical 5).
type Level int32

// The levels.
const (
	Informational Level = 1
	Low           Level = 2
	Medium        Level = 3
	High          Level = 4
	Critical      Level = 5
)

var levelNames = map[Level]string{Informational: "informational", Low: "low", Medium: "medium", High: "high", Critical: "critical"}

// String returns the Sigma name of the level ("low").
func (l Level) String() string {
	if s, ok := levelNames[l]; ok {
		return s
	}
	return fmt.Sprintf("Level(%d)", int32(l))
}

// ParseLevel returns the level named s (case-insensitive).
func ParseLevel(s string) (Level, error) {
	for l, n := range levelNames {
		if strings.EqualFold(n, strings.TrimSpace(s)) {
			return l, nil
		}
	}
	return 0, fmt.Errorf("level %q: want informational, low, medium, high or critical", s)
}

// Rule is one rule of a pack: a Sigma rule over single events (Detection set) or a
// correlation rule over other rules (Correlation set).
type Rule struct {
	// Name identifies the rule in findings (analytic uid, ASFF GeneratorId, the prefix of
	// finding uids) and in correlations' rules lists: the Sigma "name" attribute, such as
	// "dns.mcp_catalogue_lookup". Never rename a rule whose findings are stored: they would be
	// re-keyed.
	Name string
	// ID is the Sigma id (a UUID).
	ID          string
	Title       string
	Description string
	Status      string
	Author      string
	Date        string
	Modified    string
	// Level is the base severity of the rule's findings.
	Level          Level
	Tags           []string
	References     []string
	FalsePositives []string

	// Logsource and Detection are the Sigma rule (nil Detection for a correlation).
	Logsource sigma.Logsource
	Detection *sigma.Detection
	// Correlation is set for a correlation rule.
	Correlation *Correlation

	// Meta is the mcpwatch section: what a match means.
	Meta Meta
	// Tests are the rule's test cases.
	Tests []Test

	// File and Line locate the rule's YAML document.
	File string
	Line int
	// Builtin is true for the rules of the embedded pack.
	Builtin bool

	detectionLine int     // the line of the detection or correlation section
	unknown       []keyAt // top-level keys neither Sigma nor mcpwatch knows (lint)
}

// IsCorrelation reports whether r is a correlation rule.
func (r *Rule) IsCorrelation() bool { return r.Correlation != nil }

// Pos renders the rule's location as "file:line".
func (r *Rule) Pos() string { return fmt.Sprintf("%s:%d", r.File, r.Line) }

// Role says what a rule's matches do.
type Role string

// The roles.
const (
	// RoleFinding: matches become findings (unless a correlation uses the rule and does not
	// say generate: true).
	RoleFinding Role = "finding"
	// RoleEscalate: matches (findings of other products: GuardDuty, Security Hub) raise the
	// severity of mcpwatch findings that share an IP address or a domain with them.
	RoleEscalate Role = "escalate"
	// RoleSignal: matches only feed correlations and never become findings of their own,
	// whatever a correlation's generate says.
	RoleSignal Role = "signal"
)

// Meta is a rule's mcpwatch section.
type Meta struct {
	// Role is RoleFinding (default), RoleEscalate or RoleSignal.
	Role Role
	// FindingTypes are the finding types (finding_info.types), such as
	// "UnauthorizedMCP/Communication"; package finding maps them to ASFF Types.
	FindingTypes []string
	// Server says which fields of a matching event name the MCP server used; the catalogue
	// identifies it and the policy decides whether the use is sanctioned. A rule without
	// one names no server (a port, an exposure) and is not subject to the policy.
	Server ServerSpec
	// Subject says which fields name who used the server (defaults: the event's account,
	// actor.user.uid, src_endpoint.ip).
	Subject SubjectSpec
	// Entity are the fields a finding is about, besides the account and the server: matches
	// with the same values are one finding (the dedup key). Correlations use group-by.
	Entity []string
	// Title is the title of a finding, a template: "{src_endpoint.ip} looked up {query.hostname}".
	Title string
	// Confidence is the confidence of findings: "catalogue" (the catalogue's confidence about
	// the server; the default for rules with a server), or "low", "medium", "high".
	Confidence string
	// Remediation is what to do about a finding; RemediationReferences link to more.
	Remediation           string
	RemediationReferences []string
	// Raise is the severity ladder of a correlation rule: each step whose aggregate reaches
	// its threshold raises the finding's severity to at least its level.
	Raise []Raise
}

// Raise is one step of a correlation's severity ladder: when the group's aggregate — the sum
// of field Sum, or with Count the number of events — is at least Gte, the finding's severity
// is at least Level.
type Raise struct {
	Sum   string
	Count bool
	Gte   float64
	Level Level
	// Line is the step's line in the rule file.
	Line int
}

// ServerSpec lists, per part of a server's identity, the fields (or templates such as
// "bedrock-agentcore.{cloud.region}.amazonaws.com") to read it from; the first field with a
// value wins. Command and Image fields may name several servers (a script starting two).
type ServerSpec struct {
	Host, URL, Package, Ecosystem, ServerName []string
	Command, Image                            []string
}

// IsZero reports whether the spec names no field.
func (s ServerSpec) IsZero() bool {
	return len(s.Host)+len(s.URL)+len(s.Package)+len(s.Ecosystem)+len(s.ServerName)+len(s.Command)+len(s.Image) == 0
}

// all returns every field or template of the spec with its role.
func (s ServerSpec) all() map[string][]string {
	return map[string][]string{"host": s.Host, "url": s.URL, "package": s.Package, "ecosystem": s.Ecosystem,
		"server_name": s.ServerName, "command": s.Command, "image": s.Image}
}

// SubjectSpec lists the fields naming who used a server.
type SubjectSpec struct {
	Account, Principal, SourceIP []string
}

// CorrelationType is a Sigma correlation type.
type CorrelationType string

// The correlation types: Sigma v2's four, and value_sum (an mcpwatch extension named in
// their style: the sum of a numeric field per group within the timespan).
const (
	EventCount      CorrelationType = "event_count"
	ValueCount      CorrelationType = "value_count"
	ValueSum        CorrelationType = "value_sum"
	Temporal        CorrelationType = "temporal"
	TemporalOrdered CorrelationType = "temporal_ordered"
)

// Correlation is the correlation section of a correlation rule.
type Correlation struct {
	Type CorrelationType
	// Rules are the names of the rules correlated (in order for temporal_ordered).
	Rules []string
	// GroupBy are the fields or aliases whose values must agree within a group.
	GroupBy []string
	// Aliases maps an alias to, per rule name, the field it stands for in that rule's events.
	Aliases map[string]map[string]string
	// Timespan is the window.
	Timespan time.Duration
	// Condition is the threshold on the count, distinct count or sum (for temporal types:
	// the number of rules seen; default all of them).
	Condition Condition
	// Field is the field of value_count (distinct values) and value_sum (summed).
	Field string
	// Generate makes the referenced rules raise findings of their own as well.
	Generate bool
}

// Condition is a correlation condition: every bound set must hold.
type Condition struct {
	Gt, Gte, Lt, Lte, Eq *float64
}

// Holds reports whether v satisfies every bound.
func (c Condition) Holds(v float64) bool {
	return (c.Gt == nil || v > *c.Gt) && (c.Gte == nil || v >= *c.Gte) && (c.Lt == nil || v < *c.Lt) &&
		(c.Lte == nil || v <= *c.Lte) && (c.Eq == nil || v == *c.Eq)
}

// Monotone reports whether the condition can only become true as the value grows (only gt
// and gte bounds): it can then be decided as events arrive.
func (c Condition) Monotone() bool {
	return c.Lt == nil && c.Lte == nil && c.Eq == nil && (c.Gt != nil || c.Gte != nil)
}

// IsZero reports whether no bound is set.
func (c Condition) IsZero() bool {
	return c.Gt == nil && c.Gte == nil && c.Lt == nil && c.Lte == nil && c.Eq == nil
}

// String renders the condition as "gte 5".
func (c Condition) String() string {
	var parts []string
	for _, b := range []struct {
		op string
		v  *float64
	}{{"gt", c.Gt}, {"gte", c.Gte}, {"lt", c.Lt}, {"lte", c.Lte}, {"eq", c.Eq}} {
		if b.v != nil {
			parts = append(parts, fmt.Sprintf("%s %g", b.op, *b.v))
		}
	}
	return strings.Join(parts, " and ")
}

// Test is one test case of a rule: events that must (Match) or must not produce a match.
type Test struct {
	Name  string
	Match bool
	// Events are the OCSF events, as JSON objects, fed in order.
	Events []json.RawMessage
	// Policy is a policy file's text (YAML) to apply; empty means no policy (nothing
	// sanctioned).
	Policy string
	// Intel lists threat-intel indicators (one per entry, plain-text ThreatIntelSet format).
	Intel []string
	// Severity, when set, is the severity the finding must have ("medium").
	Severity string
	// Line is the test's line in the rule file.
	Line int
}
