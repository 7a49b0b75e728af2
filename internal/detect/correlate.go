package detect

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/finding"
	"github.com/mcpwatch/mcpwatch/internal/ipaddr"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/rules"
	"github.com/mcpwatch/mcpwatch/internal/rules/fields"
)

// maxKeyCombos bounds the groups one event may join when group-by fields have several
// values (a DNS answer with many addresses).
const maxKeyCombos = 16

// maxDistinct bounds the distinct values a value_count group remembers when its condition
// has no lower bound to stop at.
const maxDistinct = 1024

// correlation is the streaming state of one correlation rule: its groups, keyed by the
// group-by values, each a window of its member rules' matches.
//
// Windows: a group's window opens at its first event; an event farther than the timespan
// from either end of the window (by event time, in any arrival order) closes it and opens
// a new one. A group whose condition held is reported when its window closes, when it is
// evicted, and on Flush. Groups are bounded by MaxGroups: when full, groups whose window
// ended more than a timespan before the newest event are dropped first, then the least
// recently seen (counted in EngineStats.GroupsEvicted).
type correlation struct {
	e       *Engine
	info    *ruleInfo
	rule    *rules.Rule
	c       *rules.Correlation
	span    int64 // ms
	members []member
	// sumFields are the fields summed per group: value_sum's field and the raise ladder's.
	sumFields []string
	groups    map[string]*group
	newest    int64 // the latest event time seen, ms
	// Buffers reused by add.
	vals     [][]string
	keyBuf   []string
	keyBytes []byte
}

// member is a rule a correlation refers to, and the fields its group-by names read in that
// rule's events.
type member struct {
	rule   *rules.Rule
	paths  []string // per group-by name
	field  string   // the value_count/value_sum field in this rule's events
	sumsOf []string // per sumFields, the field in this rule's events
	// sumInts are, per sumFields, the accessor of an integer field (nil: read as text).
	sumInts []*fields.Field
}

// group is one group of a correlation.
type group struct {
	keys            []string
	account, region string
	first, last     int64
	count           int64
	seen            uint64    // bit i: member i matched
	times           [][]int64 // temporal types: per member, match times (ms), sorted, bounded
	distinct        map[string]struct{}
	sums            []float64
	evidence        []compactEvidence
	agg             *ruleAgg // the finding the group reports into, this flush period
}

// compactEvidence is what a group keeps of an event for its finding's evidence: small,
// since there can be many groups.
type compactEvidence struct {
	ref      Ref
	class    int32
	time     int64
	src, dst string
	port     int32
	host     string
	bytes    int64
}

func newCorrelation(e *Engine, info *ruleInfo, byName map[string]*rules.Rule) *correlation {
	r := info.rule
	c := &correlation{e: e, info: info, rule: r, c: r.Correlation, span: r.Correlation.Timespan.Milliseconds(),
		groups: map[string]*group{}}
	if c.span <= 0 {
		c.span = time.Hour.Milliseconds()
	}
	if c.c.Type == rules.ValueSum && c.c.Field != "" {
		c.sumFields = append(c.sumFields, c.c.Field)
	}
	for _, rz := range r.Meta.Raise {
		if rz.Sum != "" && !slices.Contains(c.sumFields, rz.Sum) {
			c.sumFields = append(c.sumFields, rz.Sum)
		}
	}
	resolve := func(name, rule string) string {
		if a, ok := c.c.Aliases[name]; ok {
			if p, ok := a[rule]; ok {
				return p
			}
		}
		return name
	}
	for _, name := range c.c.Rules {
		mr, ok := byName[name]
		if !ok || len(c.members) == 64 {
			continue // rules.Compile rejects unknown references
		}
		m := member{rule: mr, field: resolve(c.c.Field, name)}
		for _, g := range c.c.GroupBy {
			m.paths = append(m.paths, resolve(g, name))
		}
		t, _, _ := rules.EventType(mr.Logsource)
		for _, f := range c.sumFields {
			p := resolve(f, name)
			m.sumsOf = append(m.sumsOf, p)
			var acc *fields.Field
			if fd, ok := fields.Lookup(t, p); ok && fd.Kind == fields.Int && !fd.Multi {
				acc = fd
			}
			m.sumInts = append(m.sumInts, acc)
		}
		c.members = append(c.members, m)
	}
	return c
}

// add takes a match of member rule info on ev.
func (c *correlation) add(info *ruleInfo, ev ocsf.Event, ref Ref) {
	mi := slices.IndexFunc(c.members, func(m member) bool { return m.rule == info.rule })
	if mi < 0 {
		return
	}
	m := &c.members[mi]
	set := c.e.set
	// The values of each group-by field; an event without one cannot be grouped.
	if len(c.vals) < len(m.paths) {
		c.vals = make([][]string, len(m.paths))
	}
	vals := c.vals[:len(m.paths)]
	combos := 1
	for i, p := range m.paths {
		vals[i] = set.Values(ev, p, vals[i][:0])
		if len(vals[i]) == 0 {
			return
		}
		combos *= len(vals[i])
	}
	combos = min(combos, maxKeyCombos)
	h := ev.Header()
	t := h.Time
	c.newest = max(c.newest, t)
	for n := range combos {
		keys := c.keyBuf[:0]
		key := c.keyBytes[:0]
		k := n
		for i := range vals {
			v := canonValue(vals[i][k%len(vals[i])])
			keys = append(keys, v)
			if i > 0 {
				key = append(key, 0)
			}
			key = append(key, v...)
			k /= len(vals[i])
		}
		c.keyBuf, c.keyBytes = keys, key
		g := c.groups[string(key)] // no allocation for the lookup
		if g == nil {
			if len(c.groups) >= c.e.cfg.MaxGroups {
				c.evict()
			}
			g = &group{keys: slices.Clone(keys)}
			c.groups[string(key)] = g
			c.e.stats.GroupsPeak = max(c.e.stats.GroupsPeak, c.e.totalGroups())
		} else if !c.temporal() && g.count > 0 && max(g.last, t)-min(g.first, t) > c.span {
			c.close(g)
		}
		c.update(g, mi, m, ev, ref, t)
	}
}

// canonValue canonicalizes a group-by value: addresses in their netip form, names in
// lower case without a trailing dot.
func canonValue(v string) string {
	if ipaddr.IsIPv4(v) {
		return v // the common case, kept without allocating
	}
	if a, ok := canonAddr(v); ok {
		return a
	}
	return strings.TrimSuffix(strings.ToLower(v), ".")
}

func (e *Engine) totalGroups() int {
	n := 0
	for _, c := range e.corrs {
		n += len(c.groups)
	}
	return n
}

// update counts one event of member mi into g.
func (c *correlation) update(g *group, mi int, m *member, ev ocsf.Event, ref Ref, t int64) {
	h := ev.Header()
	if g.count == 0 {
		g.first, g.last = t, t
		g.account, g.region = h.Cloud.Account.UID, h.Cloud.Region
		if c.temporal() {
			g.times = make([][]int64, len(c.members))
		}
		if len(c.sumFields) > 0 {
			g.sums = make([]float64, len(c.sumFields))
		}
	}
	g.first, g.last = min(g.first, t), max(g.last, t)
	g.count++
	bit := uint64(1) << mi
	newMember := g.seen&bit == 0
	g.seen |= bit
	if g.times != nil {
		g.times[mi] = addTime(g.times[mi], t, c.span/8)
	}
	set := c.e.set
	if c.c.Type == rules.ValueCount && m.field != "" {
		limit := maxDistinct
		if c.c.Condition.Monotone() {
			// Enough values to decide: the condition can only become true as values add up.
			if g := c.c.Condition.Gte; g != nil {
				limit = min(limit, max(int(*g), 1))
			}
			if g := c.c.Condition.Gt; g != nil {
				limit = min(limit, int(*g)+1)
			}
		}
		for _, v := range set.Values(ev, m.field, nil) {
			if len(g.distinct) >= limit {
				break
			}
			if g.distinct == nil {
				g.distinct = map[string]struct{}{}
			}
			g.distinct[canonValue(v)] = struct{}{}
		}
	}
	for i, p := range m.sumsOf {
		if acc := m.sumInts[i]; acc != nil { // a member rule meets only events of its type
			if v, ok := acc.Int(ev); ok {
				g.sums[i] += float64(v)
			}
			continue
		}
		for _, v := range set.Values(ev, p, nil) {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				g.sums[i] += f
			}
		}
	}
	// Evidence: each member's first match, then more once every member has matched (most
	// groups never get there: keep them small).
	if newMember || len(g.evidence) < defaultMaxEvidence && bits.OnesCount64(g.seen) == len(c.members) {
		if len(g.evidence) >= defaultMaxEvidence {
			g.evidence = g.evidence[:defaultMaxEvidence-1]
		}
		g.evidence = append(g.evidence, compact(ev, ref))
	}
}

// compact copies what a group keeps of an event.
func compact(ev ocsf.Event, ref Ref) compactEvidence {
	h := ev.Header()
	ce := compactEvidence{ref: ref, class: h.ClassUID, time: h.Time, port: -1}
	switch x := ev.(type) {
	case *ocsf.NetworkActivity:
		ce.src, ce.dst = x.SrcEndpoint.IP, x.DstEndpoint.IP
		ce.port = derefOr(x.DstEndpoint.Port, -1)
		ce.bytes = x.Traffic.Bytes
	case *ocsf.DNSActivity:
		ce.src, ce.host = x.SrcEndpoint.IP, x.Query.Hostname
		if len(x.Answers) > 0 {
			ce.dst = x.Answers[0].Rdata
		}
	case *ocsf.APIActivity:
		ce.src, ce.host = x.SrcEndpoint.IP, x.API.Operation
	}
	return ce
}

// evidence expands a compact evidence.
func (ce *compactEvidence) evidence(account, region string) ocsf.Evidence {
	ref := ce.ref.located(region, account, ce.time)
	data, _ := json.Marshal(struct {
		Ref   Ref    `json:"ref"`
		Time  int64  `json:"time"`
		Class int32  `json:"class_uid"`
		Bytes int64  `json:"bytes_out,omitempty"`
		Host  string `json:"host,omitempty"`
	}{ref, ce.time, ce.class, ce.bytes, ce.host})
	out := ocsf.Evidence{SrcEndpoint: ocsf.NetworkEndpoint{IP: ce.src}, DstEndpoint: ocsf.NetworkEndpoint{IP: ce.dst}, Data: string(data)}
	if ce.port >= 0 {
		out.DstEndpoint.Port = int32Ptr(ce.port)
	}
	if ce.class == ocsf.ClassDNSActivity {
		out.Query = ocsf.DNSQuery{Hostname: ce.host}
	}
	return out
}

// value is the aggregate the condition applies to.
func (c *correlation) value(g *group) float64 {
	switch c.c.Type {
	case rules.EventCount:
		return float64(g.count)
	case rules.ValueCount:
		return float64(len(g.distinct))
	case rules.ValueSum:
		if len(g.sums) > 0 {
			return g.sums[0]
		}
		return 0
	}
	return float64(bits.OnesCount64(g.seen))
}

// holds reports whether g's condition holds.
func (c *correlation) holds(g *group) bool {
	if g.count == 0 {
		return false
	}
	switch c.c.Type {
	case rules.Temporal, rules.TemporalOrdered:
		return c.temporalHolds(g)
	}
	return c.c.Condition.Holds(c.value(g))
}

// temporal reports whether c is a temporal correlation: its groups keep their members'
// match times instead of windows, so that matches arriving in any order (a day of DNS
// logs read before the day's flows) still meet.
func (c *correlation) temporal() bool {
	return c.c.Type == rules.Temporal || c.c.Type == rules.TemporalOrdered
}

// maxTimesPerMember bounds the match times a temporal group keeps per member rule.
const maxTimesPerMember = 32

// addTime inserts t into the sorted times ts, unless a time within near of it is there
// already; when full, the earliest is dropped.
func addTime(ts []int64, t, near int64) []int64 {
	i, _ := slices.BinarySearch(ts, t)
	if i < len(ts) && ts[i]-t <= near || i > 0 && t-ts[i-1] <= near {
		return ts
	}
	ts = slices.Insert(ts, i, t)
	if len(ts) > maxTimesPerMember {
		ts = slices.Delete(ts, 0, 1)
	}
	return ts
}

// temporalHolds reports whether some window of the timespan holds matches of enough member
// rules (all of them, or as many as the condition asks), in rule order for temporal_ordered.
func (c *correlation) temporalHolds(g *group) bool {
	need := len(c.members)
	var hits []hit
	for m, ts := range g.times {
		for _, t := range ts {
			hits = append(hits, hit{t, m})
		}
	}
	slices.SortFunc(hits, func(a, b hit) int { return cmp.Compare(a.t, b.t) })
	counts := make([]int, len(c.members))
	distinct, lo := 0, 0
	for hi := range hits {
		if counts[hits[hi].m] == 0 {
			distinct++
		}
		counts[hits[hi].m]++
		for hits[hi].t-hits[lo].t > c.span {
			counts[hits[lo].m]--
			if counts[hits[lo].m] == 0 {
				distinct--
			}
			lo++
		}
		ok := distinct >= need
		if !c.c.Condition.IsZero() {
			ok = c.c.Condition.Holds(float64(distinct))
		}
		if ok && (c.c.Type != rules.TemporalOrdered || ordered(hits[lo:hi+1], len(c.members))) {
			return true
		}
	}
	return false
}

// hit is a match time of a member rule in a temporal group.
type hit struct {
	t int64 // ms
	m int   // member index
}

// ordered reports whether, in a window of hits sorted by time, each member's first match
// comes no earlier than the previous member's.
func ordered(hits []hit, members int) bool {
	first := make([]int64, members)
	seen := make([]bool, members)
	for _, h := range hits {
		if !seen[h.m] {
			seen[h.m], first[h.m] = true, h.t
		}
	}
	for i := 1; i < members; i++ {
		if seen[i] && seen[i-1] && first[i] < first[i-1] {
			return false
		}
	}
	return true
}

// close ends g's window: reported if its condition held, then emptied.
func (c *correlation) close(g *group) {
	if c.holds(g) {
		c.report(g)
	}
	keys := g.keys
	*g = group{keys: keys}
}

// report folds g's window into its finding.
func (c *correlation) report(g *group) {
	e := c.e
	r := c.rule
	a := g.agg
	if a == nil {
		uid := finding.Key(r.Name, append([]string{g.account}, g.keys...)...)
		a = e.findings[uid]
		if a == nil {
			if len(e.findings) >= e.cfg.MaxFindings {
				e.stats.FindingsDropped++
				return
			}
			a = &ruleAgg{info: c.info, uid: uid, account: g.account, region: g.region, level: r.Level,
				corr: &corrSummary{typ: c.c.Type, sums: map[string]float64{}}}
			for i, name := range c.c.GroupBy {
				a.entity = append(a.entity, name+"="+g.keys[i])
			}
			a.title = c.title(g)
			e.findings[uid] = a
		}
		g.agg = a
	}
	s := a.corr
	if a.count == 0 || g.first < a.first {
		a.first = g.first
	}
	a.last = max(a.last, g.last)
	a.count += g.count
	s.count += g.count
	s.distinct = max(s.distinct, len(g.distinct))
	for i, f := range c.sumFields {
		s.sums[f] += g.sums[i]
	}
	for i, m := range c.members {
		if g.seen&(1<<i) != 0 && !slices.Contains(s.seen, m.rule.Name) {
			s.seen = append(s.seen, m.rule.Name)
		}
	}
	for _, ce := range g.evidence {
		if len(a.evidence) < defaultMaxEvidence {
			a.evidence = append(a.evidence, ce.evidence(g.account, g.region))
		}
		if ce.ref.Table != "" && !slices.Contains(a.tables, ce.ref.Table) {
			a.tables = append(a.tables, ce.ref.Table)
		}
		for _, v := range []string{ce.src, ce.dst} {
			a.addIP(v)
		}
		if ce.host != "" && ce.class == ocsf.ClassDNSActivity {
			a.addIndicator(strings.TrimSuffix(strings.ToLower(ce.host), "."))
		}
	}
	// The raise ladder, on the finding's totals.
	for _, rz := range r.Meta.Raise {
		v := float64(s.count)
		if rz.Sum != "" {
			v = s.sums[rz.Sum]
		}
		if v >= rz.Gte && rz.Level > a.level {
			a.level = rz.Level
			what := "events"
			if rz.Sum != "" {
				what = rz.Sum
			}
			a.why = append(a.why, fmt.Sprintf("%s %g ≥ %g: %s", what, v, rz.Gte, rz.Level))
		}
	}
}

// title renders the rule's title template with the group's keys by group-by name, then
// with the evidence's fields.
func (c *correlation) title(g *group) string {
	tpl := c.rule.Meta.Title
	if tpl == "" {
		return c.rule.Title
	}
	return expand(tpl, func(name string) string {
		if i := slices.Index(c.c.GroupBy, name); i >= 0 {
			return g.keys[i]
		}
		for _, ce := range g.evidence {
			switch name {
			case "src_endpoint.ip":
				return ce.src
			case "dst_endpoint.ip":
				return ce.dst
			case "query.hostname":
				if ce.host != "" {
					return ce.host
				}
			}
		}
		return ""
	})
}

// settle reports every group whose condition holds now (Flush).
func (c *correlation) settle() {
	for k, g := range c.groups {
		if c.holds(g) {
			c.report(g)
		}
		if g.last < c.newest-2*c.span {
			delete(c.groups, k) // expired: no later event can fall in its window
		}
	}
}

// detach forgets the findings groups reported into (they were flushed).
func (c *correlation) detach() {
	for _, g := range c.groups {
		g.agg = nil
	}
}

// evict makes room: expired groups first, then the least recently seen, down to 90% of
// the bound.
func (c *correlation) evict() {
	for k, g := range c.groups {
		if g.last < c.newest-c.span {
			c.close(g)
			delete(c.groups, k)
		}
	}
	target := c.e.cfg.MaxGroups * 9 / 10
	if len(c.groups) <= target {
		return
	}
	type aged struct {
		key  string
		last int64
	}
	all := make([]aged, 0, len(c.groups))
	for k, g := range c.groups {
		all = append(all, aged{k, g.last})
	}
	slices.SortFunc(all, func(a, b aged) int { return cmp.Compare(a.last, b.last) })
	for _, a := range all[:len(all)-target] {
		g := c.groups[a.key]
		if c.holds(g) {
			c.report(g)
		}
		delete(c.groups, a.key)
		c.e.stats.GroupsEvicted++
	}
}
