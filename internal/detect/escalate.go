package detect

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// maxEscalatorsPerIndicator bounds the findings remembered for one address or domain.
const maxEscalatorsPerIndicator = 8

// escalator is another product's finding (GuardDuty, Security Hub), or an MCP server
// mcpwatch's network probe confirmed, that an escalate rule matched, remembered by the
// addresses and domains it involves.
type escalator struct {
	uid, title, product string
}

// addEscalator remembers the current event (a finding of another product) under the values
// of its rule's entity fields.
func (e *Engine) addEscalator(info *ruleInfo) {
	var esc escalator
	switch x := e.ev.(type) {
	case *ocsf.ImportedFinding:
		esc = escalator{uid: x.FindingInfo.UID, title: x.FindingInfo.Title, product: x.Metadata.Product.Name}
	case *ocsf.InventoryInfo:
		// An MCP server mcpwatch's discovery confirmed (a network probe's handshake).
		esc = escalator{uid: or(x.Metadata.UID, x.Device.IP), title: or(x.Message, "MCP server confirmed by a probe"),
			product: or(x.Metadata.Product.Name, "mcpwatch") + " scan"}
	default:
		return
	}
	for _, p := range info.rule.Meta.Entity {
		for _, v := range e.values(p) {
			ind := canonValue(v)
			list := e.escal[ind]
			if ind == "" || len(list) >= maxEscalatorsPerIndicator || slices.Contains(list, esc) {
				continue
			}
			if list == nil && len(e.escal) >= maxEscalations {
				continue
			}
			e.escal[ind] = append(list, esc)
		}
	}
}

// parseAddr returns s as a canonical address (IPv4-mapped IPv6 unmapped).
func canonAddr(s string) (string, bool) {
	if s == "" || (s[0] < '0' || s[0] > '9') && !strings.Contains(s, ":") {
		return "", false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return "", false
	}
	return a.Unmap().String(), true
}

// indicatorsOf returns the addresses and host names a finding involves, from its
// observables.
func indicatorsOf(f *ocsf.DetectionFinding) []string {
	var out []string
	for _, o := range f.Observables {
		switch o.TypeID {
		case ocsf.ObservableIP:
			if a, ok := canonAddr(o.Value); ok {
				out = append(out, a)
			}
		case ocsf.ObservableHostname:
			out = append(out, strings.TrimSuffix(strings.ToLower(o.Value), "."))
		}
	}
	return out
}

// Escalate raises by one severity level (up to critical) every finding of fs that shares
// an address or domain with another product's finding matched by an escalate rule, names
// those findings in unmapped.escalated_by and says so in the description. Findings of any
// detector can be escalated; the engine applies it to its own on Flush.
func (e *Engine) Escalate(fs []ocsf.DetectionFinding) {
	if len(e.escal) == 0 {
		return
	}
	for i := range fs {
		f := &fs[i]
		if _, done := f.Unmapped["escalated_by"]; done {
			continue
		}
		var by []escalator
		var on []string
		for _, ind := range indicatorsOf(f) {
			for _, esc := range e.escal[ind] {
				if !slices.Contains(by, esc) {
					by = append(by, esc)
					on = append(on, ind)
				}
			}
		}
		if len(by) == 0 {
			continue
		}
		var uids, what []string
		for j, esc := range by {
			uids = append(uids, esc.uid)
			what = append(what, fmt.Sprintf("%s finding %q (%s) on %s", esc.product, esc.title, esc.uid, on[j]))
		}
		if f.Unmapped == nil {
			f.Unmapped = map[string]string{}
		}
		f.Unmapped["escalated_by"] = strings.Join(uids, ",")
		old := f.SeverityID
		f.SetSeverity(min(old+1, ocsf.SeverityCritical))
		f.FindingInfo.Desc += fmt.Sprintf(" Severity raised from %s to %s: %s involves the same address or domain.",
			ocsf.SeverityName(old), ocsf.SeverityName(f.SeverityID), strings.Join(what, "; "))
		f.FindingInfo.RelatedEvents = appendRelated(f.FindingInfo.RelatedEvents, uids)
	}
}

func appendRelated(list []ocsf.RelatedEvent, uids []string) []ocsf.RelatedEvent {
	for _, u := range uids {
		list = append(list, ocsf.RelatedEvent{UID: u})
	}
	return list
}

// applyIntel raises a rule finding one level when one of its addresses or domains is on
// the threat-intel set.
func (e *Engine) applyIntel(g *ruleAgg) {
	set := e.cfg.Intel
	if set == nil {
		return
	}
	for _, ind := range g.indicators {
		var hit string
		if a, err := netip.ParseAddr(ind); err == nil {
			if ent, ok := set.Lookup(a); ok {
				hit = fmt.Sprintf("%s is listed in threat intel by %s (%s line %d)", ind, ent.Prefix, ent.Source, ent.Line)
			}
		} else if ent, ok := set.LookupDomain(ind); ok {
			hit = fmt.Sprintf("%s is listed in threat intel (%s line %d)", ind, ent.Source, ent.Line)
		}
		if hit != "" {
			g.level = min(g.level+1, 5)
			g.why = append(g.why, hit)
			return
		}
	}
}

// Pack is the Detector mcpwatch runs: the native flow rules and the rule engine, whose
// escalations apply to the findings of both.
type Pack struct {
	Flow   *FlowDetector
	Engine *Engine
}

// Observe implements Detector.
func (p *Pack) Observe(ev ocsf.Event, ref Ref) {
	if p.Flow != nil {
		if na, ok := ev.(*ocsf.NetworkActivity); ok {
			p.Flow.Observe(na, ref)
		}
	}
	if p.Engine != nil {
		p.Engine.Observe(ev, ref)
	}
}

// Flush implements Detector.
func (p *Pack) Flush(now time.Time) []ocsf.DetectionFinding {
	var out []ocsf.DetectionFinding
	if p.Flow != nil {
		out = p.Flow.Flush(now)
	}
	if p.Engine != nil {
		p.Engine.Escalate(out)
		out = append(out, p.Engine.Flush(now)...)
	}
	Sort(out)
	return out
}

// PackStats are the statistics of a Pack's detectors.
type PackStats struct {
	Flow  Stats       `json:"flow"`
	Rules EngineStats `json:"rules"`
}

// Stats returns the statistics of both detectors.
func (p *Pack) Stats() PackStats {
	var s PackStats
	if p.Flow != nil {
		s.Flow = p.Flow.Stats()
	}
	if p.Engine != nil {
		s.Rules = p.Engine.Stats()
	}
	return s
}
