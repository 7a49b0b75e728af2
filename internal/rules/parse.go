package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/bradleyjkemp/sigma-go"
	"gopkg.in/yaml.v3"
)

// Parse reads every rule of a rule file: each YAML document is one rule, a Sigma rule (with
// a detection section) or a correlation rule (with a correlation section), with its mcpwatch
// section and tests. file names the file in errors and in the rules' File. Errors say
// "file:line: what is wrong"; when several documents are wrong, the error joins one error
// per document.
func Parse(data []byte, file string) ([]*Rule, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var (
		out  []*Rule
		errs []error
	)
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if err == io.EOF {
			break
		}
		if err != nil {
			// The decoder cannot resynchronize after a syntax error.
			errs = append(errs, fmt.Errorf("%s: %w", file, err))
			break
		}
		if len(doc.Content) == 0 {
			continue
		}
		root := doc.Content[0]
		if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			continue // an empty document ("---" followed by nothing, comments only)
		}
		r, err := parseRule(root, file)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, r)
	}
	if len(errs) > 0 {
		return out, errors.Join(errs...)
	}
	return out, nil
}

// posError is an error at a line of a rule file.
type posError struct {
	file string
	line int
	msg  string
}

func (e *posError) Error() string { return fmt.Sprintf("%s:%d: %s", e.file, e.line, e.msg) }

// errAt returns an error at n's line.
func errAt(file string, n *yaml.Node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &posError{file: file, line: line, msg: fmt.Sprintf(format, args...)}
}

// sigmaKeys are the Sigma rule attributes mcpwatch accepts and ignores or reads through
// sigma-go (besides those parseRule reads itself).
var sigmaKeys = map[string]bool{
	"related": true, "license": true, "fields": true, "scope": true, "taxonomy": true,
	"timeframe": true, "schema": true,
}

// parseRule reads one rule document.
func parseRule(root *yaml.Node, file string) (*Rule, error) {
	if root.Kind != yaml.MappingNode {
		return nil, errAt(file, root, "a rule is a mapping (title, id, name, ...), not a %s", kindName(root))
	}
	r := &Rule{File: file, Line: root.Line, Meta: Meta{Role: RoleFinding}}
	seen := map[string]bool{}
	var detection, correlation *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if seen[k.Value] {
			return nil, errAt(file, k, "%s given twice", k.Value)
		}
		seen[k.Value] = true
		var err error
		switch k.Value {
		case "title":
			r.Title, err = scalar(file, k.Value, v)
		case "id":
			r.ID, err = scalar(file, k.Value, v)
		case "name":
			r.Name, err = scalar(file, k.Value, v)
		case "status":
			r.Status, err = scalar(file, k.Value, v)
		case "description":
			r.Description, err = scalar(file, k.Value, v)
		case "author":
			r.Author, err = scalar(file, k.Value, v)
		case "date":
			r.Date, err = scalar(file, k.Value, v)
		case "modified":
			r.Modified, err = scalar(file, k.Value, v)
		case "level":
			var s string
			if s, err = scalar(file, k.Value, v); err == nil {
				if r.Level, err = ParseLevel(s); err != nil {
					err = errAt(file, v, "%v", err)
				}
			}
		case "tags":
			r.Tags, err = scalars(file, k.Value, v)
		case "references":
			r.References, err = scalars(file, k.Value, v)
		case "falsepositives":
			r.FalsePositives, err = scalars(file, k.Value, v)
		case "logsource":
			if v.Kind != yaml.MappingNode {
				err = errAt(file, v, "logsource is a mapping (product, service, category)")
			} else if err = v.Decode(&r.Logsource); err != nil {
				err = errAt(file, v, "logsource: %v", err)
			}
		case "detection":
			detection = v
		case "correlation":
			correlation = v
		case "mcpwatch":
			err = parseMeta(file, v, &r.Meta)
		case "tests":
			r.Tests, err = parseTests(file, v)
		default:
			if !sigmaKeys[k.Value] {
				r.unknown = append(r.unknown, keyAt{k.Value, k.Line})
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if r.Name == "" {
		return nil, errAt(file, root, "rule %q has no name (the rule's unique, stable identifier, such as dns.mcp_lookup)", r.Title)
	}
	switch {
	case detection != nil && correlation != nil:
		return nil, errAt(file, correlation, "rule %s has both a detection and a correlation section", r.Name)
	case detection != nil:
		if detection.Kind != yaml.MappingNode {
			return nil, errAt(file, detection, "rule %s: detection is a mapping of searches and a condition", r.Name)
		}
		var d sigma.Detection
		if err := detection.Decode(&d); err != nil {
			return nil, errAt(file, detection, "rule %s: detection: %v", r.Name, err)
		}
		if len(d.Conditions) == 0 {
			return nil, errAt(file, detection, "rule %s: detection has no condition", r.Name)
		}
		r.Detection = &d
		r.detectionLine = detection.Line
	case correlation != nil:
		c, err := parseCorrelation(file, correlation)
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", r.Name, err)
		}
		r.Correlation = c
		r.detectionLine = correlation.Line
	default:
		return nil, errAt(file, root, "rule %s has neither a detection nor a correlation section", r.Name)
	}
	return r, nil
}

// keyAt is a key of a rule document and its line.
type keyAt struct {
	key  string
	line int
}

// kindName names a YAML node's kind for errors.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "scalar"
	case yaml.AliasNode:
		return "alias"
	}
	return "document"
}

// scalar reads a scalar value.
func scalar(file, key string, v *yaml.Node) (string, error) {
	if v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	if v.Kind != yaml.ScalarNode {
		return "", errAt(file, v, "%s is a single value, not a %s", key, kindName(v))
	}
	if v.Tag == "!!null" {
		return "", nil
	}
	return v.Value, nil
}

// scalars reads a list of scalars; a single scalar is a list of one.
func scalars(file, key string, v *yaml.Node) ([]string, error) {
	if v.Kind == yaml.ScalarNode {
		if v.Tag == "!!null" {
			return nil, nil
		}
		return []string{v.Value}, nil
	}
	if v.Kind != yaml.SequenceNode {
		return nil, errAt(file, v, "%s is a list of values, not a %s", key, kindName(v))
	}
	out := make([]string, 0, len(v.Content))
	for _, e := range v.Content {
		s, err := scalar(file, key, e)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// boolean reads a YAML boolean.
func boolean(file, key string, v *yaml.Node) (bool, error) {
	var b bool
	if v.Kind != yaml.ScalarNode || v.Decode(&b) != nil {
		return false, errAt(file, v, "%s is true or false, not %q", key, v.Value)
	}
	return b, nil
}

// number reads a YAML number.
func number(file, key string, v *yaml.Node) (float64, error) {
	var f float64
	if v.Kind != yaml.ScalarNode || (v.Tag != "!!int" && v.Tag != "!!float") || v.Decode(&f) != nil {
		return 0, errAt(file, v, "%s is a number, not %q", key, v.Value)
	}
	return f, nil
}

// mapping iterates over a mapping's keys and values, rejecting duplicate keys.
func mapping(file, what string, v *yaml.Node, fn func(k, v *yaml.Node) error) error {
	if v.Kind != yaml.MappingNode {
		return errAt(file, v, "%s is a mapping, not a %s", what, kindName(v))
	}
	seen := make(map[string]bool, len(v.Content)/2)
	for i := 0; i+1 < len(v.Content); i += 2 {
		k := v.Content[i]
		if seen[k.Value] {
			return errAt(file, k, "%s: %s given twice", what, k.Value)
		}
		seen[k.Value] = true
		if err := fn(k, v.Content[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// unknownKey is the error for a key a section does not have.
func unknownKey(file, what string, k *yaml.Node, known string) error {
	return errAt(file, k, "%s has no attribute %q (known: %s)", what, k.Value, known)
}

// trimLower lower-cases and trims s.
func trimLower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
