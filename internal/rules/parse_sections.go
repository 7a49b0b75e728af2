package rules

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// parseMeta reads the mcpwatch section.
func parseMeta(file string, v *yaml.Node, m *Meta) error {
	const known = "role, finding_types, server, subject, entity, title, confidence, remediation, remediation_references, raise"
	return mapping(file, "mcpwatch", v, func(k, v *yaml.Node) error {
		var err error
		switch k.Value {
		case "role":
			var s string
			if s, err = scalar(file, "role", v); err == nil {
				switch Role(trimLower(s)) {
				case RoleFinding, "":
					m.Role = RoleFinding
				case RoleEscalate, RoleSignal:
					m.Role = Role(trimLower(s))
				default:
					err = errAt(file, v, "role %q: want finding, escalate or signal", s)
				}
			}
		case "finding_types":
			m.FindingTypes, err = scalars(file, k.Value, v)
		case "server":
			err = parseServer(file, v, &m.Server)
		case "subject":
			err = mapping(file, "mcpwatch.subject", v, func(k, v *yaml.Node) error {
				var err error
				switch k.Value {
				case "account":
					m.Subject.Account, err = scalars(file, k.Value, v)
				case "principal":
					m.Subject.Principal, err = scalars(file, k.Value, v)
				case "source_ip":
					m.Subject.SourceIP, err = scalars(file, k.Value, v)
				default:
					err = unknownKey(file, "mcpwatch.subject", k, "account, principal, source_ip")
				}
				return err
			})
		case "entity":
			m.Entity, err = scalars(file, k.Value, v)
		case "title":
			m.Title, err = scalar(file, k.Value, v)
		case "confidence":
			var s string
			if s, err = scalar(file, k.Value, v); err == nil {
				switch s = trimLower(s); s {
				case "catalogue", "low", "medium", "high":
					m.Confidence = s
				default:
					err = errAt(file, v, "confidence %q: want catalogue, low, medium or high", s)
				}
			}
		case "remediation":
			m.Remediation, err = scalar(file, k.Value, v)
		case "remediation_references":
			m.RemediationReferences, err = scalars(file, k.Value, v)
		case "raise":
			m.Raise, err = parseRaise(file, v)
		default:
			err = unknownKey(file, "mcpwatch", k, known)
		}
		return err
	})
}

// parseServer reads mcpwatch.server.
func parseServer(file string, v *yaml.Node, s *ServerSpec) error {
	return mapping(file, "mcpwatch.server", v, func(k, v *yaml.Node) error {
		var dst *[]string
		switch k.Value {
		case "host":
			dst = &s.Host
		case "url":
			dst = &s.URL
		case "package":
			dst = &s.Package
		case "ecosystem":
			dst = &s.Ecosystem
		case "server_name":
			dst = &s.ServerName
		case "command":
			dst = &s.Command
		case "image":
			dst = &s.Image
		default:
			return unknownKey(file, "mcpwatch.server", k, "host, url, package, ecosystem, server_name, command, image")
		}
		var err error
		*dst, err = scalars(file, k.Value, v)
		return err
	})
}

// parseRaise reads mcpwatch.raise, the severity ladder.
func parseRaise(file string, v *yaml.Node) ([]Raise, error) {
	if v.Kind != yaml.SequenceNode {
		return nil, errAt(file, v, "raise is a list of {sum: FIELD | count: true, gte: N, level: LEVEL}")
	}
	var out []Raise
	for _, e := range v.Content {
		st := Raise{Line: e.Line}
		var hasGte, hasLevel bool
		err := mapping(file, "raise step", e, func(k, v *yaml.Node) error {
			var err error
			switch k.Value {
			case "sum":
				st.Sum, err = scalar(file, k.Value, v)
			case "count":
				st.Count, err = boolean(file, k.Value, v)
			case "gte":
				st.Gte, err = number(file, k.Value, v)
				hasGte = true
			case "level":
				var s string
				if s, err = scalar(file, k.Value, v); err == nil {
					if st.Level, err = ParseLevel(s); err != nil {
						err = errAt(file, v, "%v", err)
					}
				}
				hasLevel = true
			default:
				err = unknownKey(file, "raise step", k, "sum, count, gte, level")
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		switch {
		case (st.Sum == "") == !st.Count:
			return nil, errAt(file, e, "a raise step has either sum: FIELD or count: true")
		case !hasGte || !hasLevel:
			return nil, errAt(file, e, "a raise step needs gte and level")
		}
		out = append(out, st)
	}
	return out, nil
}

// parseCorrelation reads a correlation section.
func parseCorrelation(file string, v *yaml.Node) (*Correlation, error) {
	c := &Correlation{}
	const known = "type, rules, group-by, aliases, timespan, condition, field, generate"
	err := mapping(file, "correlation", v, func(k, v *yaml.Node) error {
		var err error
		switch k.Value {
		case "type":
			var s string
			if s, err = scalar(file, k.Value, v); err == nil {
				switch t := CorrelationType(trimLower(s)); t {
				case EventCount, ValueCount, ValueSum, Temporal, TemporalOrdered:
					c.Type = t
				default:
					err = errAt(file, v, "correlation type %q: want event_count, value_count, value_sum, temporal or temporal_ordered", s)
				}
			}
		case "rules":
			c.Rules, err = scalars(file, k.Value, v)
		case "group-by":
			c.GroupBy, err = scalars(file, k.Value, v)
		case "aliases":
			c.Aliases = map[string]map[string]string{}
			err = mapping(file, "aliases", v, func(alias, v *yaml.Node) error {
				per := map[string]string{}
				c.Aliases[alias.Value] = per
				return mapping(file, "alias "+alias.Value, v, func(rule, v *yaml.Node) error {
					f, err := scalar(file, rule.Value, v)
					per[rule.Value] = f
					return err
				})
			})
		case "timespan":
			var s string
			if s, err = scalar(file, k.Value, v); err == nil {
				if c.Timespan, err = ParseTimespan(s); err != nil {
					err = errAt(file, v, "%v", err)
				}
			}
		case "condition":
			err = mapping(file, "condition", v, func(k, v *yaml.Node) error {
				f, err := number(file, k.Value, v)
				if err != nil {
					return err
				}
				switch k.Value {
				case "gt":
					c.Condition.Gt = &f
				case "gte":
					c.Condition.Gte = &f
				case "lt":
					c.Condition.Lt = &f
				case "lte":
					c.Condition.Lte = &f
				case "eq":
					c.Condition.Eq = &f
				default:
					return unknownKey(file, "condition", k, "gt, gte, lt, lte, eq")
				}
				return nil
			})
		case "field":
			c.Field, err = scalar(file, k.Value, v)
		case "generate":
			c.Generate, err = boolean(file, k.Value, v)
		default:
			err = unknownKey(file, "correlation", k, known)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	switch {
	case c.Type == "":
		return nil, errAt(file, v, "correlation has no type")
	case len(c.Rules) == 0:
		return nil, errAt(file, v, "correlation names no rules")
	case (c.Type == ValueCount || c.Type == ValueSum) && c.Field == "":
		return nil, errAt(file, v, "a %s correlation needs field", c.Type)
	case (c.Type == EventCount || c.Type == ValueCount || c.Type == ValueSum) && c.Condition.IsZero():
		return nil, errAt(file, v, "a %s correlation needs a condition ({gte: N})", c.Type)
	}
	return c, nil
}

// ParseTimespan parses a Sigma timespan: a positive integer and a unit, s (seconds), m
// (minutes), h (hours), d (days) or w (weeks): "10m", "1h", "1d".
func ParseTimespan(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 {
		return 0, fmt.Errorf("timespan %q: want a number and a unit (s, m, h, d, w), such as 10m", s)
	}
	n, err := strconv.ParseInt(s[:len(s)-1], 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("timespan %q: want a positive number and a unit (s, m, h, d, w), such as 10m", s)
	}
	var unit time.Duration
	switch s[len(s)-1] {
	case 's':
		unit = time.Second
	case 'm':
		unit = time.Minute
	case 'h':
		unit = time.Hour
	case 'd':
		unit = 24 * time.Hour
	case 'w':
		unit = 7 * 24 * time.Hour
	default:
		return 0, fmt.Errorf("timespan %q: unknown unit %q (want s, m, h, d or w)", s, s[len(s)-1:])
	}
	if n > int64(math.MaxInt64/unit) {
		return 0, fmt.Errorf("timespan %q is too long", s)
	}
	return time.Duration(n) * unit, nil
}

// parseTests reads the tests section.
func parseTests(file string, v *yaml.Node) ([]Test, error) {
	if v.Kind != yaml.SequenceNode {
		return nil, errAt(file, v, "tests is a list of test cases")
	}
	var out []Test
	for _, e := range v.Content {
		t := Test{Line: e.Line}
		hasMatch := false
		err := mapping(file, "test", e, func(k, v *yaml.Node) error {
			var err error
			switch k.Value {
			case "name":
				t.Name, err = scalar(file, k.Value, v)
			case "match":
				t.Match, err = boolean(file, k.Value, v)
				hasMatch = true
			case "events":
				t.Events, err = parseEvents(file, v)
			case "policy":
				t.Policy, err = scalar(file, k.Value, v)
			case "intel":
				t.Intel, err = scalars(file, k.Value, v)
			case "severity":
				if t.Severity, err = scalar(file, k.Value, v); err == nil {
					if _, err = ParseLevel(t.Severity); err != nil {
						err = errAt(file, v, "%v", err)
					}
				}
			default:
				err = unknownKey(file, "test", k, "name, match, events, policy, intel, severity")
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		switch {
		case !hasMatch:
			return nil, errAt(file, e, "test %q: match (true or false) is required", t.Name)
		case len(t.Events) == 0:
			return nil, errAt(file, e, "test %q has no events", t.Name)
		}
		out = append(out, t)
	}
	return out, nil
}

// parseEvents reads a test's events: YAML mappings, or strings holding JSON objects.
func parseEvents(file string, v *yaml.Node) ([]json.RawMessage, error) {
	if v.Kind == yaml.MappingNode {
		v = &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{v}, Line: v.Line}
	}
	if v.Kind != yaml.SequenceNode {
		return nil, errAt(file, v, "events is a list of OCSF events")
	}
	out := make([]json.RawMessage, 0, len(v.Content))
	for _, e := range v.Content {
		switch {
		case e.Kind == yaml.ScalarNode && e.Tag == "!!str":
			if !json.Valid([]byte(e.Value)) || !strings.HasPrefix(strings.TrimSpace(e.Value), "{") {
				return nil, errAt(file, e, "an event given as a string must be a JSON object")
			}
			out = append(out, json.RawMessage(e.Value))
		case e.Kind == yaml.MappingNode:
			b, err := appendNodeJSON(nil, file, e, 0)
			if err != nil {
				return nil, err
			}
			out = append(out, b)
		default:
			return nil, errAt(file, e, "an event is a mapping (an OCSF event), not a %s", kindName(e))
		}
	}
	return out, nil
}

// appendNodeJSON appends the JSON form of a YAML node, keeping the order of mapping keys.
// Integers, floats, booleans and nulls become JSON numbers, booleans and nulls; every other
// scalar (dates included) a JSON string.
func appendNodeJSON(dst []byte, file string, n *yaml.Node, depth int) ([]byte, error) {
	if depth > 64 {
		return nil, errAt(file, n, "event nested too deeply")
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, errAt(file, n, "unknown alias")
		}
		return appendNodeJSON(dst, file, n.Alias, depth+1)
	case yaml.MappingNode:
		dst = append(dst, '{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				dst = append(dst, ',')
			}
			key, err := json.Marshal(n.Content[i].Value)
			if err != nil {
				return nil, errAt(file, n.Content[i], "%v", err)
			}
			dst = append(append(dst, key...), ':')
			if dst, err = appendNodeJSON(dst, file, n.Content[i+1], depth+1); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	case yaml.SequenceNode:
		dst = append(dst, '[')
		for i, e := range n.Content {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendNodeJSON(dst, file, e, depth+1); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return append(dst, "null"...), nil
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err != nil {
				return nil, errAt(file, n, "%v", err)
			}
			return strconv.AppendBool(dst, b), nil
		case "!!int":
			var i int64
			if err := n.Decode(&i); err != nil {
				return nil, errAt(file, n, "integer %s: %v", n.Value, err)
			}
			return strconv.AppendInt(dst, i, 10), nil
		case "!!float":
			var f float64
			if err := n.Decode(&f); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				return nil, errAt(file, n, "number %s is not a JSON number", n.Value)
			}
			return strconv.AppendFloat(dst, f, 'g', -1, 64), nil
		}
		b, err := json.Marshal(n.Value)
		if err != nil {
			return nil, errAt(file, n, "%v", err)
		}
		return append(dst, b...), nil
	}
	return nil, errAt(file, n, "unexpected YAML node")
}
