package rules

import (
	"errors"
	"fmt"
	"net/netip"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/bradleyjkemp/sigma-go"

	"github.com/mcpwatch/mcpwatch/internal/catalogue"
	"github.com/mcpwatch/mcpwatch/internal/intel"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/rules/fields"
)

// Env is what mcpwatch's modifiers are evaluated against.
type Env struct {
	// Catalogue is the MCP server catalogue (|catalogue, |catalogue_command,
	// |catalogue_image); nil means catalogue.Builtin().
	Catalogue *catalogue.Catalogue
	// Intel is the threat-intel set (|intel); nil matches nothing.
	Intel *intel.Set
	// Internal are address blocks internal besides RFC 1918, RFC 6598, loopback, link-local
	// and IPv6 ULA (|internal).
	Internal []netip.Prefix
	// MCPPorts are the candidate MCP ports (|mcp_port); nil means DefaultMCPPorts.
	MCPPorts []uint16
}

// DefaultMCPPorts returns the candidate MCP ports used when Env.MCPPorts is nil (the same as
// package detect's default).
func DefaultMCPPorts() []uint16 { return []uint16{8080, 3000, 5000, 8000, 9000, 6274, 6277} }

// Set is a compiled rule pack: Match runs an event through the single-event rules of its
// type. A Set is safe for concurrent use.
type Set struct {
	rules  []*Rule
	byName map[string]*Rule
	byType [fields.NumTypes][]*compiled
	nslots int
	pool   sync.Pool // *ctx

	mu     sync.RWMutex
	values map[valueKey]*source // Values' resolved paths
}

// compiled is a single-event rule compiled.
type compiled struct {
	rule *Rule
	cond expr
}

// valueKey identifies a path of a type.
type valueKey struct {
	t    fields.Type
	path string
}

// Compile compiles rules for matching. Every field path resolves to an accessor of its
// logsource's event type, and every value with its modifiers to a predicate; errors (an
// unknown service, field or modifier, a value that does not fit) say file:line and are
// joined. Correlation rules are kept (Rules, Rule) for package detect; the rules they name
// must exist.
func Compile(rs []*Rule, env Env) (*Set, error) {
	if env.Catalogue == nil {
		env.Catalogue = catalogue.Builtin()
	}
	if env.MCPPorts == nil {
		env.MCPPorts = DefaultMCPPorts()
	}
	s := &Set{byName: make(map[string]*Rule, len(rs)), values: map[valueKey]*source{}}
	cc := &compiler{env: env, slots: map[valueKey]*source{}}
	var errs []error
	for _, r := range rs {
		if prev, ok := s.byName[r.Name]; ok {
			errs = append(errs, &posError{r.File, r.Line, fmt.Sprintf("rule name %s already used at %s", r.Name, prev.Pos())})
			continue
		}
		s.byName[r.Name] = r
		s.rules = append(s.rules, r)
		if r.IsCorrelation() {
			continue
		}
		t, cond, err := cc.rule(r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s.byType[t] = append(s.byType[t], &compiled{rule: r, cond: cond})
	}
	for _, r := range s.rules {
		if !r.IsCorrelation() {
			continue
		}
		for _, name := range r.Correlation.Rules {
			if _, ok := s.byName[name]; !ok {
				errs = append(errs, &posError{r.File, r.Line, fmt.Sprintf("correlation %s names rule %s, which does not exist", r.Name, name)})
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	s.nslots = len(cc.slots)
	s.pool.New = func() any {
		return &ctx{cache: make([]cacheEntry, s.nslots), addrs: make([]addrEntry, s.nslots)}
	}
	return s, nil
}

// Rules returns every rule of the set, correlations included, in the order compiled.
func (s *Set) Rules() []*Rule { return slices.Clone(s.rules) }

// Rule returns the rule named name.
func (s *Set) Rule(name string) (*Rule, bool) {
	r, ok := s.byName[name]
	return r, ok
}

// Match calls fn, in the order of Rules, with each single-event rule that ev matches. It
// does not allocate in steady state (the predicates that consult the catalogue about a
// command line or decode base64 may).
func (s *Set) Match(ev ocsf.Event, fn func(r *Rule)) {
	t := fields.TypeOf(ev)
	cs := s.byType[t]
	if len(cs) == 0 {
		return
	}
	c := s.pool.Get().(*ctx)
	c.reset(ev)
	for _, r := range cs {
		if r.cond.eval(c) {
			fn(r.rule)
		}
	}
	c.release()
	s.pool.Put(c)
}

// Values appends to dst the values of the field path of ev as text: strings as they are,
// integers in base 10, booleans as true/false, JSON members extracted (a path past a JSON
// attribute), every value of a multi-valued path. A path ev's type does not have yields
// nothing.
func (s *Set) Values(ev ocsf.Event, path string, dst []string) []string {
	t := fields.TypeOf(ev)
	if t == 0 {
		return dst
	}
	k := valueKey{t, path}
	s.mu.RLock()
	src, ok := s.values[k]
	s.mu.RUnlock()
	if !ok {
		src, _ = resolveSource(t, path) // nil when t has no such field: remembered as such
		s.mu.Lock()
		s.values[k] = src
		s.mu.Unlock()
	}
	if src == nil {
		return dst
	}
	return src.appendText(ev, dst)
}

// compiler compiles the rules of one Set.
type compiler struct {
	env   Env
	slots map[valueKey]*source // sources shared by every rule, by type and path
}

// rule compiles a single-event rule.
func (cc *compiler) rule(r *Rule) (fields.Type, expr, error) {
	t, onlyGD, err := EventType(r.Logsource)
	if err != nil {
		return 0, nil, &posError{r.File, r.Line, fmt.Sprintf("rule %s: %v", r.Name, err)}
	}
	d := r.Detection
	names := make([]string, 0, len(d.Searches))
	for name := range d.Searches {
		names = append(names, name)
	}
	sort.Strings(names)
	searches := make(map[string]expr, len(names))
	alts := make(map[string][]expr, len(names))
	var errs []error
	for _, name := range names {
		e, parts, err := cc.search(r, t, name, d.Searches[name])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		searches[name], alts[name] = e, parts
	}
	if len(errs) > 0 {
		return 0, nil, errors.Join(errs...)
	}
	var conds orExpr
	for _, c := range d.Conditions {
		line := r.detectionLine
		if l, _ := condPosition(c); l > 0 {
			line = l
		}
		if c.Aggregation != nil {
			return 0, nil, &posError{r.File, line, fmt.Sprintf("rule %s: aggregations in conditions are not supported: write a correlation rule", r.Name)}
		}
		e, err := condExpr(c.Search, names, searches, alts)
		if err != nil {
			return 0, nil, &posError{r.File, line, fmt.Sprintf("rule %s: condition: %v", r.Name, err)}
		}
		conds = append(conds, e)
	}
	var cond expr = conds
	if len(conds) == 1 {
		cond = conds[0]
	}
	if onlyGD {
		src, err := cc.resolve(t, "metadata.product.name")
		if err != nil {
			return 0, nil, &posError{r.File, r.Line, fmt.Sprintf("rule %s: %v", r.Name, err)}
		}
		gd := &fieldMatch{src: src, preds: []pred{globPred{compileGlob("GuardDuty", false)}}}
		cond = andExpr{gd, cond}
	}
	return t, cond, nil
}

// condPosition returns the 1-based line of a condition, 0 when unknown.
func condPosition(c sigma.Condition) (line int, ok bool) {
	defer func() {
		if recover() != nil {
			line, ok = 0, false
		}
	}()
	l, _ := c.Position()
	return l + 1, true
}

// resolve returns the shared source of a path, or an error.
func (cc *compiler) resolve(t fields.Type, p string) (*source, error) {
	k := valueKey{t, fields.Normalize(p)}
	if s, ok := cc.slots[k]; ok {
		return s, nil
	}
	s, err := resolveSource(t, p)
	if err != nil {
		return nil, err
	}
	s.slot = len(cc.slots)
	cc.slots[k] = s
	return s, nil
}

// search compiles one search: the OR of its maps, each the AND of its field matches. parts
// are the maps' expressions (for "all of").
func (cc *compiler) search(r *Rule, t fields.Type, name string, s sigma.Search) (expr, []expr, error) {
	if len(s.Keywords) > 0 {
		line, _ := searchLine(s)
		return nil, nil, &posError{r.File, line, fmt.Sprintf("rule %s: search %s: keyword searches are not supported: name a field", r.Name, name)}
	}
	var parts []expr
	var errs []error
	for _, em := range s.EventMatchers {
		var and andExpr
		for _, fm := range em {
			m, err := cc.fieldMatch(t, fm)
			if err != nil {
				line, _ := fieldLine(fm)
				errs = append(errs, &posError{r.File, line, fmt.Sprintf("rule %s: %v", r.Name, err)})
				continue
			}
			and = append(and, m)
		}
		// Cheap tests first: a rule's fields are ANDed, so the order does not change the result.
		slices.SortStableFunc(and, func(a, b expr) int { return cost(a) - cost(b) })
		if len(and) == 1 {
			parts = append(parts, and[0])
		} else {
			parts = append(parts, and)
		}
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	if len(parts) == 0 {
		line, _ := searchLine(s)
		return nil, nil, &posError{r.File, line, fmt.Sprintf("rule %s: search %s is empty", r.Name, name)}
	}
	if len(parts) == 1 {
		return parts[0], parts, nil
	}
	return orExpr(parts), parts, nil
}

// cost estimates what evaluating a field match costs, to order a search's fields.
func cost(e expr) int {
	m, ok := e.(*fieldMatch)
	if !ok {
		return 10
	}
	c := 0
	switch {
	case m.src.json != nil:
		c = 4
	case m.src.field.Multi:
		c = 2
	case m.src.kind == fields.String && !m.addr:
		c = 1
	}
	for _, p := range m.preds {
		switch p.(type) {
		case cataloguePred, commandPred, imagePred, rePred:
			c += 4
		}
	}
	return c
}

// searchLine and fieldLine return 1-based lines (sigma-go's positions are 0-based).
func searchLine(s sigma.Search) (line int, ok bool) {
	defer func() {
		if recover() != nil {
			line, ok = 0, false
		}
	}()
	l, _ := s.Position()
	return l + 1, true
}

func fieldLine(f sigma.FieldMatcher) (line int, ok bool) {
	defer func() {
		if recover() != nil {
			line, ok = 0, false
		}
	}()
	l, _ := f.Position()
	return l + 1, true
}

// condExpr compiles a condition's search expression.
func condExpr(e sigma.SearchExpr, names []string, searches map[string]expr, alts map[string][]expr) (expr, error) {
	switch x := e.(type) {
	case sigma.And:
		out := make(andExpr, 0, len(x))
		for _, y := range x {
			c, err := condExpr(y, names, searches, alts)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		return out, nil
	case sigma.Or:
		out := make(orExpr, 0, len(x))
		for _, y := range x {
			c, err := condExpr(y, names, searches, alts)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		return out, nil
	case sigma.Not:
		c, err := condExpr(x.Expr, names, searches, alts)
		if err != nil {
			return nil, err
		}
		return notExpr{c}, nil
	case sigma.SearchIdentifier:
		s, ok := searches[x.Name]
		if !ok {
			return nil, fmt.Errorf("no search named %s", x.Name)
		}
		return s, nil
	case sigma.OneOfIdentifier:
		s, ok := searches[x.Ident.Name]
		if !ok {
			return nil, fmt.Errorf("no search named %s", x.Ident.Name)
		}
		return s, nil
	case sigma.AllOfIdentifier:
		p, ok := alts[x.Ident.Name]
		if !ok {
			return nil, fmt.Errorf("no search named %s", x.Ident.Name)
		}
		return andExpr(p), nil
	case sigma.OneOfPattern, sigma.AllOfPattern, sigma.OneOfThem, sigma.AllOfThem:
		var (
			pattern string
			all     bool
		)
		switch y := x.(type) {
		case sigma.OneOfPattern:
			pattern = y.Pattern
		case sigma.AllOfPattern:
			pattern, all = y.Pattern, true
		case sigma.AllOfThem:
			all = true
		}
		var sel []expr
		for _, n := range names {
			if pattern == "" && strings.HasPrefix(n, "_") {
				continue // "them" leaves out searches whose names start with _
			}
			if pattern != "" {
				if ok, _ := path.Match(pattern, n); !ok {
					continue
				}
			}
			sel = append(sel, searches[n])
		}
		if len(sel) == 0 {
			if pattern == "" {
				return nil, fmt.Errorf("no searches")
			}
			return nil, fmt.Errorf("no search matches %s", pattern)
		}
		if all {
			return andExpr(sel), nil
		}
		return orExpr(sel), nil
	}
	return nil, fmt.Errorf("unsupported condition %T", e)
}
