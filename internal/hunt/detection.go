package hunt

import (
	"fmt"
	"math"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/bradleyjkemp/sigma-go"

	"github.com/mcpwatch/mcpwatch/internal/catalogue"
	"github.com/mcpwatch/mcpwatch/internal/rules"
)

// baseColumns start the evidence of every event: when, where, which event.
var baseColumns = []struct{ name, path string }{
	{"time", "time"},
	{"account", "cloud.account.uid"},
	{"region", "cloud.region"},
	{"class_uid", "class_uid"},
	{"event_uid", "metadata.uid"},
}

// single writes a single-event rule: its events, with the evidence columns.
func (w *writer) single(r *rules.Rule) error {
	src, err := logsource(r.Logsource.Service, r.Logsource.Category)
	if err != nil {
		return err
	}
	cols, err := evidenceFields(r, src)
	if err != nil {
		return err
	}
	w.sql.WriteString("SELECT ")
	for i, c := range baseColumns {
		if i > 0 {
			w.sql.WriteString(", ")
		}
		w.sql.WriteString(colRef(strings.Split(c.path, ".")) + " AS " + quoteIdent(c.name))
	}
	for _, f := range cols {
		w.sql.WriteString(", " + w.value(f) + " AS " + quoteIdent(f.path))
	}
	w.sql.WriteString(" FROM " + w.tableRef(src.view))
	w.useTable(src.view)
	where, err := w.where(r, src)
	if err != nil {
		return err
	}
	w.sql.WriteString(" WHERE " + where)
	w.sql.WriteString(` ORDER BY "time"`)
	return nil
}

// where is the predicate selecting a rule's events: the time window, the logsource's filter
// and the detection.
func (w *writer) where(r *rules.Rule, src source) (string, error) {
	tw := w.timeWindow()
	parts := []string{tw}
	if src.filter != "" {
		parts = append(parts, src.filter)
	}
	det, err := w.detection(r, src)
	if err != nil {
		return "", err
	}
	return strings.Join(append(parts, det), " AND "), nil
}

// evidenceFields are the fields a rule's events are shown with: those of its entity, its
// server and subject specs, then those its detection reads, each once, in that order.
func evidenceFields(r *rules.Rule, src source) ([]field, error) {
	var paths []string
	add := func(ps ...string) {
		for _, p := range ps {
			if p != "" && !strings.Contains(p, "{") && !slices.Contains(paths, p) && !isBase(p) {
				paths = append(paths, p)
			}
		}
	}
	m := r.Meta
	add(m.Entity...)
	add(m.Server.Host...)
	add(m.Server.URL...)
	add(m.Server.Command...)
	add(m.Server.Image...)
	add(m.Subject.Principal...)
	add(m.Subject.SourceIP...)
	if r.Detection != nil {
		names := make([]string, 0, len(r.Detection.Searches))
		for n := range r.Detection.Searches {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			for _, em := range r.Detection.Searches[n].EventMatchers {
				for _, fm := range em {
					add(fm.Field)
				}
			}
		}
	}
	var out []field
	for _, p := range paths {
		f, err := resolve(src, p)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func isBase(p string) bool {
	for _, c := range baseColumns {
		if c.path == p {
			return true
		}
	}
	return false
}

// detection is the predicate of a rule's Sigma detection.
func (w *writer) detection(r *rules.Rule, src source) (string, error) {
	d := r.Detection
	if d == nil {
		return "", fmt.Errorf("no detection")
	}
	if len(d.Conditions) == 0 {
		return "", fmt.Errorf("detection without condition")
	}
	if d.Timeframe != 0 {
		return "", fmt.Errorf("detection timeframe: %w (use a correlation rule)", ErrUnsupported)
	}
	var ors []string
	for _, c := range d.Conditions {
		if c.Aggregation != nil {
			return "", fmt.Errorf("condition aggregation: %w (use a correlation rule)", ErrUnsupported)
		}
		p, err := w.search(d, src, c.Search)
		if err != nil {
			return "", err
		}
		ors = append(ors, p)
	}
	if len(ors) == 1 {
		return ors[0], nil
	}
	return "(" + strings.Join(ors, " OR ") + ")", nil
}

// search writes a condition expression.
func (w *writer) search(d *sigma.Detection, src source, e sigma.SearchExpr) (string, error) {
	join := func(es []sigma.SearchExpr, op string) (string, error) {
		parts := make([]string, 0, len(es))
		for _, x := range es {
			p, err := w.search(d, src, x)
			if err != nil {
				return "", err
			}
			parts = append(parts, p)
		}
		return "(" + strings.Join(parts, " "+op+" ") + ")", nil
	}
	ofNames := func(names []string, op string) (string, error) {
		if len(names) == 0 {
			return "", fmt.Errorf("condition %s: no search matches", condString(e))
		}
		es := make([]sigma.SearchExpr, len(names))
		for i, n := range names {
			es[i] = sigma.SearchIdentifier{Name: n}
		}
		return join(es, op)
	}
	switch x := e.(type) {
	case sigma.And:
		return join(x, "AND")
	case sigma.Or:
		return join(x, "OR")
	case sigma.Not:
		p, err := w.search(d, src, x.Expr)
		if err != nil {
			return "", err
		}
		return "NOT " + p, nil
	case sigma.SearchIdentifier:
		s, ok := d.Searches[x.Name]
		if !ok {
			return "", fmt.Errorf("condition: no search named %q", x.Name)
		}
		return w.searchBody(x.Name, s, src, "OR")
	case sigma.OneOfIdentifier:
		s, ok := d.Searches[x.Ident.Name]
		if !ok {
			return "", fmt.Errorf("condition: no search named %q", x.Ident.Name)
		}
		return w.searchBody(x.Ident.Name, s, src, "OR")
	case sigma.AllOfIdentifier:
		s, ok := d.Searches[x.Ident.Name]
		if !ok {
			return "", fmt.Errorf("condition: no search named %q", x.Ident.Name)
		}
		return w.searchBody(x.Ident.Name, s, src, "AND")
	case sigma.OneOfPattern:
		return ofNames(searchNames(d, x.Pattern), "OR")
	case sigma.AllOfPattern:
		return ofNames(searchNames(d, x.Pattern), "AND")
	case sigma.OneOfThem:
		return ofNames(searchNames(d, "*"), "OR")
	case sigma.AllOfThem:
		return ofNames(searchNames(d, "*"), "AND")
	}
	return "", fmt.Errorf("condition %T: %w", e, ErrUnsupported)
}

func condString(e sigma.SearchExpr) string { return fmt.Sprintf("%v", e) }

// searchNames are the searches whose names match the glob pattern, sorted (so the SQL is the
// same on every run). Names starting with "_" are left out of "them", as Sigma says.
func searchNames(d *sigma.Detection, pattern string) []string {
	var out []string
	for n := range d.Searches {
		if pattern == "*" && strings.HasPrefix(n, "_") {
			continue
		}
		if ok, _ := path.Match(pattern, n); ok {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// searchBody writes a search: its event matchers joined by op (a list of maps is an OR
// unless "all of" it), each the AND of its field matchers.
func (w *writer) searchBody(name string, s sigma.Search, src source, op string) (string, error) {
	if len(s.Keywords) > 0 {
		return "", fmt.Errorf("search %s: keywords: %w (name a field)", name, ErrUnsupported)
	}
	if len(s.EventMatchers) == 0 {
		return "", fmt.Errorf("search %s is empty", name)
	}
	var ems []string
	for _, em := range s.EventMatchers {
		if len(em) == 0 {
			return "", fmt.Errorf("search %s: empty map", name)
		}
		var ands []string
		for _, fm := range em {
			p, err := w.fieldMatcher(src, fm)
			if err != nil {
				return "", fmt.Errorf("search %s: %w", name, err)
			}
			ands = append(ands, p)
		}
		if len(ands) == 1 {
			ems = append(ems, ands[0])
		} else {
			ems = append(ems, "("+strings.Join(ands, " AND ")+")")
		}
	}
	if len(ems) == 1 {
		return ems[0], nil
	}
	return "(" + strings.Join(ems, " "+op+" ") + ")", nil
}

// mods are the modifiers of a field matcher.
type mods struct {
	contains, startswith, endswith, all, cased bool
	re, reI                                    bool
	cidr, exists                               bool
	cmp                                        string // gt, gte, lt, lte
	env                                        string // intel, catalogue, internal, mcp_port
}

func parseMods(ms []string) (mods, error) {
	var m mods
	for _, s := range ms {
		switch s {
		case "contains":
			m.contains = true
		case "startswith":
			m.startswith = true
		case "endswith":
			m.endswith = true
		case "all":
			m.all = true
		case "cased":
			m.cased = true
		case "re":
			m.re = true
		case "i":
			m.reI = true
		case "cidr":
			m.cidr = true
		case "exists":
			m.exists = true
		case "gt", "gte", "lt", "lte":
			m.cmp = s
		case "intel", "catalogue", "internal", "mcp_port":
			m.env = s
		case "catalogue_command", "catalogue_image":
			return m, fmt.Errorf("modifier %s: %w: the catalogue's command and image matching (a parser of command lines and package names) has no SQL equivalent", s, ErrUnsupported)
		case "base64", "base64offset", "windash", "wide", "utf16", "utf16le", "utf16be", "expand", "fieldref":
			return m, fmt.Errorf("modifier %s: %w", s, ErrUnsupported)
		default:
			return m, fmt.Errorf("unknown modifier %q", s)
		}
	}
	if m.reI && !m.re {
		return m, fmt.Errorf("modifier i without re")
	}
	return m, nil
}

// fieldMatcher writes one field: values.
func (w *writer) fieldMatcher(src source, fm sigma.FieldMatcher) (string, error) {
	label := fm.Field
	if len(fm.Modifiers) > 0 {
		label += "|" + strings.Join(fm.Modifiers, "|")
	}
	m, err := parseMods(fm.Modifiers)
	if err != nil {
		return "", fmt.Errorf("%s: %w", label, err)
	}
	f, err := resolve(src, fm.Field)
	if err != nil {
		return "", fmt.Errorf("%s: %w", label, err)
	}
	if len(fm.Values) == 0 {
		return "", fmt.Errorf("%s: no value", label)
	}
	var parts []string
	if m.all {
		for _, v := range fm.Values {
			p, err := w.holds(f, func(e string) (string, error) { return w.valuePred(f, m, e, v) })
			if err != nil {
				return "", fmt.Errorf("%s: %w", label, err)
			}
			parts = append(parts, p)
		}
		if len(parts) == 1 {
			return parts[0], nil
		}
		return "(" + strings.Join(parts, " AND ") + ")", nil
	}
	// Negated forms (exists: false, a null value, internal/mcp_port/intel false) hold when no
	// value satisfies the positive predicate; the others when any value satisfies any.
	if len(fm.Values) == 1 {
		if neg, v, ok := negative(m, fm.Values[0]); ok {
			p, err := w.holds(f, func(e string) (string, error) { return w.valuePred(f, neg, e, v) })
			if err != nil {
				return "", fmt.Errorf("%s: %w", label, err)
			}
			if m.env == "internal" {
				// An address not internal: a value that is not in the internal networks.
				return "(NOT " + p + " AND " + w.nonNull(f) + ")", nil
			}
			return "NOT " + p, nil
		}
	}
	p, err := w.holds(f, func(e string) (string, error) {
		ors := make([]string, 0, len(fm.Values))
		for _, v := range fm.Values {
			p, err := w.valuePred(f, m, e, v)
			if err != nil {
				return "", err
			}
			ors = append(ors, p)
		}
		if len(ors) == 1 {
			return ors[0], nil
		}
		return "(" + strings.Join(ors, " OR ") + ")", nil
	})
	if err != nil {
		return "", fmt.Errorf("%s: %w", label, err)
	}
	return p, nil
}

// nonNull is the predicate that the field has a value.
func (w *writer) nonNull(f field) string {
	p, _ := w.holds(f, func(e string) (string, error) { return e + " IS NOT NULL", nil })
	return p
}

// negative rewrites a matcher whose value asks for an absence (a null value, exists:
// false, an mcpwatch modifier with false) as the positive matcher to negate.
func negative(m mods, v any) (mods, any, bool) {
	b, isBool := boolValue(v)
	switch {
	case v == nil && !m.exists && m.env == "":
		m.exists = true
		return m, true, true
	case m.exists && isBool && !b:
		return m, true, true
	case (m.env == "internal" || m.env == "mcp_port" || m.env == "intel") && isBool && !b:
		return m, true, true
	}
	return m, nil, false
}

func boolValue(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		b, err := strconv.ParseBool(x)
		return b, err == nil
	}
	return false, false
}

// numValue is v as a number.
func numValue(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

// numArg is a number as the argument it binds as: an int64 when it is whole.
func numArg(f float64) any {
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int64(f)
	}
	return f
}

// valuePred is the predicate that the value expression e matches one value v.
func (w *writer) valuePred(f field, m mods, e string, v any) (string, error) {
	k := f.kind()
	switch {
	case m.exists:
		b, ok := boolValue(v)
		if !ok || !b {
			return "", fmt.Errorf("exists wants true or false, not %v", v)
		}
		if k == kString || k == kJSON {
			return "(" + e + " IS NOT NULL AND " + e + " <> '')", nil
		}
		return e + " IS NOT NULL", nil
	case m.env != "":
		return w.envPred(f, m, e, v)
	case m.cmp != "":
		n, ok := numValue(v)
		if !ok {
			return "", fmt.Errorf("%s wants a number, not %v", m.cmp, v)
		}
		op := map[string]string{"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[m.cmp]
		if k != kInt && k != kFloat {
			e = "TRY_CAST(" + e + " AS DOUBLE)"
		}
		return e + " " + op + " " + w.arg(numArg(n)), nil
	case m.cidr:
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("cidr wants a prefix, not %v", v)
		}
		p, err := netipParsePrefix(s)
		if err != nil {
			return "", fmt.Errorf("cidr: %w", err)
		}
		return w.inPrefixes(e, p, "cidr")
	case m.re:
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("re wants a string, not %v", v)
		}
		if m.reI {
			s = "(?i)" + s
		}
		if _, err := regexp.Compile(s); err != nil {
			return "", fmt.Errorf("re: %w", err)
		}
		return w.regexpMatch(text(e, k, true), w.arg(s)), nil
	}
	if v == nil {
		return "", fmt.Errorf("a null value with other values or modifiers")
	}
	// Equality and wildcard matching.
	if b, ok := v.(bool); ok {
		if k == kBool {
			return e + " = " + w.arg(b), nil
		}
		v = strconv.FormatBool(b)
	}
	if (k == kInt || k == kFloat) && !m.contains && !m.startswith && !m.endswith {
		if n, ok := numValue(v); ok {
			return e + " = " + w.arg(numArg(n)), nil
		}
	}
	if k == kBool && !m.contains && !m.startswith && !m.endswith {
		if b, ok := boolValue(v); ok {
			return e + " = " + w.arg(b), nil
		}
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case int, int64, uint64, float64:
		s = fmt.Sprint(x)
	default:
		return "", fmt.Errorf("value %v: unsupported type %T", v, v)
	}
	pattern, wild := sigmaLike(s)
	if m.contains || m.endswith {
		pattern, wild = "%"+pattern, true
	}
	if m.contains || m.startswith {
		pattern, wild = pattern+"%", true
	}
	if !m.cased {
		pattern = strings.ToLower(pattern)
	}
	t := text(e, k, m.cased)
	if !wild {
		return t + " = " + w.arg(likeLiteral(pattern)), nil
	}
	return t + ` LIKE ` + w.arg(pattern) + ` ESCAPE '\'`, nil
}

// envPred writes mcpwatch's modifiers from the Env.
func (w *writer) envPred(f field, m mods, e string, v any) (string, error) {
	switch m.env {
	case "mcp_port":
		if b, ok := boolValue(v); !ok || !b {
			return "", fmt.Errorf("mcp_port wants true or false, not %v", v)
		}
		if f.kind() != kInt {
			e = "TRY_CAST(" + e + " AS BIGINT)"
		}
		if len(w.env.MCPPorts) == 0 {
			return "FALSE", nil
		}
		ports := make([]any, len(w.env.MCPPorts))
		for i, p := range w.env.MCPPorts {
			ports[i] = int64(p)
		}
		return e + " IN " + w.argList(ports), nil
	case "internal":
		if b, ok := boolValue(v); !ok || !b {
			return "", fmt.Errorf("internal wants true or false, not %v", v)
		}
		return w.inPrefixes(e, w.env.InternalCIDRs, "internal CIDR")
	case "intel":
		if b, ok := boolValue(v); !ok || !b {
			return "", fmt.Errorf("intel wants true or false, not %v", v)
		}
		return w.intelPred(e)
	case "catalogue":
		s, _ := v.(string)
		return w.cataloguePred(f, e, s)
	}
	return "", fmt.Errorf("modifier %s", m.env)
}

// intelPred is the predicate that e is an address or a domain of the threat intel.
func (w *writer) intelPred(e string) (string, error) {
	var ors []string
	if len(w.env.IntelAddrs) > 0 {
		p, err := w.inPrefixes(e, w.env.IntelAddrs, "intel address")
		if err != nil {
			return "", err
		}
		ors = append(ors, p)
	}
	var exact []any
	var parents []string
	for _, d := range w.env.IntelDomains {
		d = strings.TrimSuffix(strings.ToLower(d), ".")
		if p, ok := strings.CutPrefix(d, "*."); ok {
			parents = append(parents, p)
		} else {
			exact = append(exact, d)
		}
	}
	if len(exact) > 0 || len(parents) > 0 {
		h := w.hostName(e)
		if len(exact) > 0 {
			ors = append(ors, h+" IN "+w.argList(exact))
		}
		for _, p := range parents {
			ors = append(ors, h+` LIKE `+w.arg("%."+likeEscape(p))+` ESCAPE '\'`)
		}
	}
	switch len(ors) {
	case 0:
		return "FALSE", nil
	case 1:
		return ors[0], nil
	}
	return "(" + strings.Join(ors, " OR ") + ")", nil
}

// cataloguePred is the predicate that the host name e is an MCP server of the catalogue with
// at least the confidence level. Only a host-name lookup's High (a host serving MCP only) is
// expressible: Low rests on heuristics, and URLs on path matching.
func (w *writer) cataloguePred(f field, e, level string) (string, error) {
	if strings.Contains(strings.ToLower(f.path), "url") {
		return "", fmt.Errorf("catalogue on the URL field %s: %w: URL lookups match endpoint paths", f.path, ErrUnsupported)
	}
	switch strings.ToLower(level) {
	case "medium", "high":
	case "low":
		return "", fmt.Errorf("catalogue: low: %w: the catalogue's heuristics (an \"mcp\" label) and shared hosts", ErrUnsupported)
	default:
		return "", fmt.Errorf("catalogue wants low, medium or high, not %q", level)
	}
	// A lookup finds the exact name first, else the most specific pattern: a CASE in that
	// order, the exact names of the catalogue as two lists (MCP or not).
	var high, other []any
	type pat struct {
		re   string
		high bool
	}
	var pats []pat
	for _, c := range w.env.CatalogueHosts {
		n := strings.TrimSuffix(strings.ToLower(c.Name), ".")
		isHigh := c.Confidence >= catalogue.High
		switch {
		case strings.Contains(n, "*"):
			pats = append(pats, pat{hostRegexp(n), isHigh})
		case isHigh:
			high = append(high, n)
		default:
			other = append(other, n)
		}
	}
	// Patterns after the last one that holds cannot change the answer (FALSE either way).
	for len(pats) > 0 && !pats[len(pats)-1].high {
		pats = pats[:len(pats)-1]
	}
	h := w.hostName(e)
	if len(pats) == 0 {
		if len(high) == 0 {
			return "FALSE", nil
		}
		return h + " IN " + w.argList(high), nil
	}
	var b strings.Builder
	b.WriteString("CASE")
	if len(high) > 0 {
		b.WriteString(" WHEN " + h + " IN " + w.argList(high) + " THEN TRUE")
	}
	if len(other) > 0 {
		b.WriteString(" WHEN " + h + " IN " + w.argList(other) + " THEN FALSE")
	}
	for _, p := range pats {
		b.WriteString(" WHEN " + w.regexpMatch(h, w.arg(p.re)) + " THEN " + strings.ToUpper(strconv.FormatBool(p.high)))
	}
	b.WriteString(" ELSE FALSE END")
	return b.String(), nil
}
