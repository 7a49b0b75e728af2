package detect

import (
	"strings"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/catalogue"
	"github.com/mcpwatch/mcpwatch/internal/intel"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/policy"
	"github.com/mcpwatch/mcpwatch/internal/rules"
)

// Defaults of EngineConfig's bounds.
const (
	DefaultMaxGroups   = 100_000
	DefaultMaxFindings = 100_000
	defaultMaxEvidence = 5
	maxIndicators      = 16 // addresses and domains a finding remembers for escalation
	maxEscalations     = 100_000
)

// EngineConfig configures an Engine.
type EngineConfig struct {
	// Rules is the compiled rule set (rules.Compile).
	Rules *rules.Set
	// Policy says which MCP servers are sanctioned for whom; nil sanctions nothing.
	Policy *policy.Policy
	// Catalogue identifies MCP servers; nil means the built-in catalogue.
	Catalogue *catalogue.Catalogue
	// Intel is the threat-intel set: a finding with a listed address or domain is raised one
	// severity level. Nil for none.
	Intel *intel.Set
	// MaxGroups bounds the live groups of each correlation rule (default
	// DefaultMaxGroups); the least recently seen are evicted first.
	MaxGroups int
	// MaxFindings bounds the findings a Flush can hold (default DefaultMaxFindings); matches
	// of further entities are counted as dropped.
	MaxFindings int
	// ProductVersion is mcpwatch's version, for finding metadata.
	ProductVersion string
}

// EngineStats is what an Engine did: per-rule match counts, sanctioned uses, and the size
// of its bounded state.
type EngineStats struct {
	Events     int64            `json:"events"`
	Matches    map[string]int64 `json:"matches,omitempty"`
	Sanctioned map[string]int64 `json:"sanctioned,omitempty"`
	// Groups is the number of live correlation groups, GroupsPeak the most at once, and
	// GroupsEvicted how many were evicted before expiring because a correlation was full.
	Groups        int   `json:"correlation_groups"`
	GroupsPeak    int   `json:"correlation_groups_peak"`
	GroupsEvicted int64 `json:"correlation_groups_evicted"`
	// FindingsDropped counts matches not kept because MaxFindings findings were held.
	FindingsDropped int64 `json:"findings_dropped,omitempty"`
	// Escalators is the number of addresses and domains other products' findings tie to.
	Escalators int `json:"escalators,omitempty"`
}

// Engine is a Detector that evaluates a rule set: single-event rules raise findings (subject
// to the policy when the rule names an MCP server), correlation rules keep bounded groups of
// their rules' matches and raise findings when their condition holds, and escalate rules
// remember the addresses and domains of other products' findings, which raise the severity
// of findings sharing them (Escalate). Not safe for concurrent use.
type Engine struct {
	cfg      EngineConfig
	set      *rules.Set
	cat      *catalogue.Catalogue
	infos    map[*rules.Rule]*ruleInfo
	corrs    []*correlation
	findings map[string]*ruleAgg
	escal    map[string][]escalator
	stats    EngineStats

	// The event being observed, for onMatch (a method value bound once: Observe allocates
	// nothing for events that match no rule).
	ev       ocsf.Event
	ref      Ref
	onMatch  func(*rules.Rule)
	buf      []string
	noServer [1]use // the use of rules that name no server (read only)
}

// ruleInfo is what the engine derived from a rule.
type ruleInfo struct {
	rule     *rules.Rule
	emit     bool // its matches become findings
	escalate bool
	corrs    []*correlation // the correlations it feeds
	attacks  []ocsf.Attack
}

// NewEngine returns an engine over cfg.Rules.
func NewEngine(cfg EngineConfig) *Engine {
	if cfg.MaxGroups <= 0 {
		cfg.MaxGroups = DefaultMaxGroups
	}
	if cfg.MaxFindings <= 0 {
		cfg.MaxFindings = DefaultMaxFindings
	}
	if cfg.Catalogue == nil {
		cfg.Catalogue = catalogue.Builtin()
	}
	e := &Engine{
		cfg: cfg, set: cfg.Rules, cat: cfg.Catalogue,
		infos:    map[*rules.Rule]*ruleInfo{},
		findings: map[string]*ruleAgg{},
		escal:    map[string][]escalator{},
		stats:    EngineStats{Matches: map[string]int64{}, Sanctioned: map[string]int64{}},
	}
	e.onMatch = e.match
	all := cfg.Rules.Rules()
	byName := map[string]*rules.Rule{}
	for _, r := range all {
		byName[r.Name] = r
		e.infos[r] = &ruleInfo{rule: r, attacks: r.Attacks(),
			escalate: r.Meta.Role == rules.RoleEscalate}
	}
	generated := map[*rules.Rule]bool{}
	referenced := map[*rules.Rule]bool{}
	for _, r := range all {
		if !r.IsCorrelation() {
			continue
		}
		c := newCorrelation(e, e.infos[r], byName)
		e.corrs = append(e.corrs, c)
		for _, m := range c.members {
			referenced[m.rule] = true
			if r.Correlation.Generate {
				generated[m.rule] = true
			}
			info := e.infos[m.rule]
			info.corrs = append(info.corrs, c)
		}
	}
	for r, info := range e.infos {
		info.emit = !r.IsCorrelation() && !info.escalate && r.Meta.Role != rules.RoleSignal &&
			(!referenced[r] || generated[r])
	}
	return e
}

// Observe implements Detector.
func (e *Engine) Observe(ev ocsf.Event, ref Ref) {
	e.stats.Events++
	e.ev, e.ref = ev, ref
	e.set.Match(ev, e.onMatch)
	e.ev = nil
}

// match handles one rule matching the current event.
func (e *Engine) match(r *rules.Rule) {
	info := e.infos[r]
	if info == nil {
		return
	}
	e.stats.Matches[r.Name]++
	if info.escalate {
		e.addEscalator(info)
	}
	uses := e.uses(info)
	if uses == nil {
		// Every server the event names is sanctioned for its subject: neither a finding nor
		// evidence for a correlation.
		e.stats.Sanctioned[r.Name]++
		return
	}
	for _, c := range info.corrs {
		c.add(info, e.ev, e.ref)
	}
	if info.emit {
		e.raise(info, uses)
	}
}

// use is one server the current event names and the policy's decision about it.
type use struct {
	server   serverID
	decision policy.Decision
}

// uses returns the unsanctioned uses of MCP servers in the current event for a rule with a
// server spec (nil when every one is sanctioned), or one use with no server for other rules.
func (e *Engine) uses(info *ruleInfo) []use {
	r := info.rule
	if r.Meta.Server.IsZero() {
		return e.noServer[:]
	}
	servers := e.servers(r, e.ev)
	if len(servers) == 0 {
		servers = []serverID{{}}
	}
	sub := e.subject(r, e.ev)
	var out []use
	for _, s := range servers {
		d := e.decide(&s, sub, e.ev.Header().Time)
		if !d.Allowed {
			out = append(out, use{server: s, decision: d})
		}
	}
	return out
}

// values returns the values of path in the current event; the slice is reused by the next call.
func (e *Engine) values(path string) []string {
	e.buf = e.set.Values(e.ev, path, e.buf[:0])
	return e.buf
}

// first returns the first value of the first of paths that has one in ev.
func (e *Engine) first(ev ocsf.Event, paths []string) string {
	for _, p := range paths {
		if strings.IndexByte(p, '{') >= 0 {
			if s := e.render(ev, p); s != "" {
				return s
			}
			continue
		}
		if vs := e.set.Values(ev, p, e.buf[:0]); len(vs) > 0 {
			e.buf = vs
			return vs[0]
		}
	}
	return ""
}

// render fills a template's "{path}" references with the first value of each path in ev
// ("" when a path has none).
func (e *Engine) render(ev ocsf.Event, tpl string) string {
	return expand(tpl, func(name string) string {
		name, filter, _ := strings.Cut(name, "|")
		v := e.first(ev, []string{name})
		if filter == "short" {
			v = shortARN(v)
		}
		if strings.HasSuffix(v, ".") && !strings.ContainsAny(v, " \t") {
			v = v[:len(v)-1] // a fully qualified DNS name reads better without its root dot
		}
		return v
	})
}

// shortARN renders an IAM or STS ARN by its resource part, the way a person names the
// principal ("assumed-role/Admin/alice@example.com" → "Admin/alice@example.com",
// "user/bob"); other values are returned as they are.
func shortARN(v string) string {
	if !strings.HasPrefix(v, "arn:") {
		return v
	}
	parts := strings.SplitN(v, ":", 6)
	if len(parts) < 6 {
		return v
	}
	return strings.TrimPrefix(parts[5], "assumed-role/")
}

// expand replaces every "{name}" of tpl with lookup(name).
func expand(tpl string, lookup func(string) string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(tpl, '{')
		if i < 0 {
			b.WriteString(tpl)
			return b.String()
		}
		j := strings.IndexByte(tpl[i:], '}')
		if j < 0 {
			b.WriteString(tpl)
			return b.String()
		}
		b.WriteString(tpl[:i])
		b.WriteString(lookup(tpl[i+1 : i+j]))
		tpl = tpl[i+j+1:]
	}
}

// Stats returns the engine's statistics so far.
func (e *Engine) Stats() EngineStats {
	s := e.stats
	s.Matches = cloneMap(s.Matches)
	s.Sanctioned = cloneMap(s.Sanctioned)
	s.Groups = 0
	for _, c := range e.corrs {
		s.Groups += len(c.groups)
	}
	s.Escalators = len(e.escal)
	return s
}

func cloneMap(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Flush implements Detector: the findings of the rules and of the correlations whose
// condition holds, escalated (see Escalate), sorted. Correlation groups stay (their windows
// go on across flushes); findings start afresh.
func (e *Engine) Flush(now time.Time) []ocsf.DetectionFinding {
	for _, c := range e.corrs {
		c.settle()
	}
	out := make([]ocsf.DetectionFinding, 0, len(e.findings))
	for _, g := range e.findings {
		e.applyIntel(g)
		out = append(out, e.build(g, now))
	}
	clear(e.findings)
	for _, c := range e.corrs {
		c.detach()
	}
	e.Escalate(out)
	Sort(out)
	return out
}
