package rules

import (
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/bradleyjkemp/sigma-go"

	"github.com/mcpwatch/mcpwatch/internal/catalogue"
	"github.com/mcpwatch/mcpwatch/internal/rules/fields"
)

// Modifiers are the value modifiers rules may use: Sigma's and mcpwatch's.
var modifierKinds = map[string]bool{
	"contains": true, "startswith": true, "endswith": true, "re": true, "cidr": true,
	"gt": true, "gte": true, "lt": true, "lte": true, "exists": true,
	"catalogue": true, "catalogue_command": true, "catalogue_image": true,
	"intel": true, "internal": true, "mcp_port": true,
}

// modifierFlags are the modifiers that qualify another: all, cased, base64 and the regular
// expression flags i, m, s.
var modifierFlags = map[string]bool{"all": true, "cased": true, "base64": true, "i": true, "m": true, "s": true}

// modSpec is a field's modifiers, read.
type modSpec struct {
	kind            string // "" for equality (with wildcards)
	all, cased, b64 bool
	reI, reM, reS   bool
}

// parseModifiers reads a field's modifiers.
func parseModifiers(mods []string) (modSpec, error) {
	var m modSpec
	for _, raw := range mods {
		mod := strings.ToLower(strings.TrimSpace(raw))
		switch {
		case modifierKinds[mod]:
			if m.kind != "" {
				return m, fmt.Errorf("modifiers %s and %s cannot be combined", m.kind, mod)
			}
			m.kind = mod
		case modifierFlags[mod]:
			switch mod {
			case "all":
				m.all = true
			case "cased":
				m.cased = true
			case "base64":
				m.b64 = true
			case "i":
				m.reI = true
			case "m":
				m.reM = true
			case "s":
				m.reS = true
			}
		default:
			return m, fmt.Errorf("unknown modifier %q", raw)
		}
	}
	if (m.reI || m.reM || m.reS) && m.kind != "re" {
		return m, fmt.Errorf("modifiers i, m and s qualify re")
	}
	return m, nil
}

// fieldMatch compiles one field of a search with its modifiers and values.
func (cc *compiler) fieldMatch(t fields.Type, fm sigma.FieldMatcher) (*fieldMatch, error) {
	src, err := cc.resolve(t, fm.Field)
	if err != nil {
		return nil, err
	}
	spec, err := parseModifiers(fm.Modifiers)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fieldDesc(fm), err)
	}
	m := &fieldMatch{src: src, all: spec.all, b64: spec.b64}
	if err := checkKind(src, spec.kind); err != nil {
		return nil, fmt.Errorf("%s: %w", fieldDesc(fm), err)
	}
	if spec.kind == "exists" {
		if len(fm.Values) != 1 {
			return nil, fmt.Errorf("%s: exists takes true or false", fieldDesc(fm))
		}
		b, ok := fm.Values[0].(bool)
		if !ok {
			return nil, fmt.Errorf("%s: exists takes true or false, not %v", fieldDesc(fm), fm.Values[0])
		}
		m.exists = -1
		if b {
			m.exists = 1
		}
		return m, nil
	}
	if len(fm.Values) == 0 {
		return nil, fmt.Errorf("%s has no value", fieldDesc(fm))
	}
	for _, v := range fm.Values {
		if v == nil || v == "" && spec.kind == "" {
			m.null = true
			continue
		}
		p, err := cc.pred(src, spec, v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fieldDesc(fm), err)
		}
		m.preds = append(m.preds, p)
	}
	m.addr = !m.b64 && !m.all && len(m.preds) > 0 && src.json == nil && !src.field.Multi && src.kind == fields.String
	for _, p := range m.preds {
		if _, ok := p.(addrPred); !ok {
			m.addr = false
		}
	}
	if m.all && m.null {
		return nil, fmt.Errorf("%s: all cannot be combined with a null value", fieldDesc(fm))
	}
	return m, nil
}

// fieldDesc renders a field with its modifiers: "query.hostname|endswith".
func fieldDesc(fm sigma.FieldMatcher) string {
	if len(fm.Modifiers) == 0 {
		return fm.Field
	}
	return fm.Field + "|" + strings.Join(fm.Modifiers, "|")
}

// checkKind rejects a modifier the field's kind cannot take.
func checkKind(src *source, kind string) error {
	switch kind {
	case "cidr", "intel", "internal", "catalogue", "catalogue_command", "catalogue_image", "re":
		if src.kind != fields.String && kind != "re" {
			return fmt.Errorf("%s applies to text, and %s is %s", kind, src.path, src.kind)
		}
	case "mcp_port":
		if src.kind == fields.Bool {
			return fmt.Errorf("mcp_port applies to ports, and %s is %s", src.path, src.kind)
		}
	case "contains", "startswith", "endswith":
		if src.kind == fields.Bool {
			return fmt.Errorf("%s applies to text, and %s is %s", kind, src.path, src.kind)
		}
	}
	return nil
}

// pred compiles one value.
func (cc *compiler) pred(src *source, spec modSpec, v any) (pred, error) {
	text, isText := valueText(v)
	switch spec.kind {
	case "", "contains", "startswith", "endswith":
		if !isText {
			return nil, fmt.Errorf("value %v: want text or a number", v)
		}
		if spec.kind == "" && src.kind == fields.Int && !strings.ContainsAny(text, "*?") {
			n, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("value %q: %s is an integer", text, src.path)
			}
			return intEqPred{n}, nil
		}
		switch spec.kind {
		case "contains":
			text = "*" + text + "*"
		case "startswith":
			text = text + "*"
		case "endswith":
			text = "*" + text
		}
		return globPred{compileGlob(text, spec.cased)}, nil
	case "re":
		flags := ""
		if spec.reI {
			flags += "i"
		}
		if spec.reM {
			flags += "m"
		}
		if spec.reS {
			flags += "s"
		}
		if flags != "" {
			text = "(?" + flags + ")" + text
		}
		re, err := regexp.Compile(text)
		if err != nil {
			return nil, fmt.Errorf("regular expression: %w", err)
		}
		return rePred{re}, nil
	case "cidr":
		p, err := netip.ParsePrefix(strings.TrimSpace(text))
		if err != nil {
			a, err2 := netip.ParseAddr(strings.TrimSpace(text))
			if err2 != nil {
				return nil, fmt.Errorf("cidr %q: %w", text, err)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return cidrPred{p.Masked()}, nil
	case "gt", "gte", "lt", "lte":
		f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
		if err != nil || math.IsNaN(f) {
			return nil, fmt.Errorf("%s takes a number, not %v", spec.kind, v)
		}
		return cmpPred{spec.kind, f}, nil
	case "catalogue", "catalogue_command", "catalogue_image":
		c, err := parseConfidence(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", spec.kind, err)
		}
		switch spec.kind {
		case "catalogue":
			return cataloguePred{cc.env.Catalogue, c}, nil
		case "catalogue_command":
			return commandPred{cc.env.Catalogue, c}, nil
		}
		return imagePred{cc.env.Catalogue, c}, nil
	case "intel", "internal", "mcp_port":
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("%s takes true or false, not %v", spec.kind, v)
		}
		switch spec.kind {
		case "intel":
			return intelPred{cc.env.Intel, b}, nil
		case "internal":
			return internalPred{cc.env.Internal, b}, nil
		}
		return portPred{cc.env.MCPPorts, b}, nil
	}
	return nil, fmt.Errorf("modifier %s: not implemented", spec.kind)
}

// valueText renders a YAML scalar value as text.
func valueText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// parseConfidence reads a catalogue modifier's value: low, medium or high (true is low).
func parseConfidence(v any) (catalogue.Confidence, error) {
	if b, ok := v.(bool); ok && b {
		return catalogue.Low, nil
	}
	s, _ := v.(string)
	switch trimLower(s) {
	case "low":
		return catalogue.Low, nil
	case "medium":
		return catalogue.Medium, nil
	case "high":
		return catalogue.High, nil
	}
	return 0, fmt.Errorf("want low, medium or high, not %v", v)
}
