package policy

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/mcpwatch/mcpwatch/internal/catalogue/dnsname"
	"github.com/mcpwatch/mcpwatch/internal/glob"
)

// Severity grades a Diagnostic.
type Severity uint8

// The severities.
const (
	Error Severity = iota
	Warning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Diagnostic is a problem found in a policy file, with its place.
type Diagnostic struct {
	File     string
	Line     int // 1-based; 0 when unknown
	Column   int // 1-based; 0 when unknown
	Severity Severity
	Entry    string // the entry's ID, "" for the file as a whole
	Message  string
}

// String renders the diagnostic as "file:line:column: severity: [entry: ]message".
func (d Diagnostic) String() string {
	var sb strings.Builder
	sb.WriteString(d.File)
	if d.Line > 0 {
		fmt.Fprintf(&sb, ":%d", d.Line)
		if d.Column > 0 {
			fmt.Fprintf(&sb, ":%d", d.Column)
		}
	}
	fmt.Fprintf(&sb, ": %s: ", d.Severity)
	if d.Entry != "" {
		fmt.Fprintf(&sb, "%s: ", d.Entry)
	}
	sb.WriteString(d.Message)
	return sb.String()
}

// ParseError is returned by Parse when a file has errors; it holds every error diagnostic.
type ParseError struct {
	Diagnostics []Diagnostic
}

// Error lists the errors, one per line.
func (e *ParseError) Error() string {
	lines := make([]string, len(e.Diagnostics))
	for i, d := range e.Diagnostics {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// Version is the policy file format version this package reads.
const Version = 1

// Load reads and compiles the policy file at path (see Parse).
func Load(path string) (*Policy, []Diagnostic, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("policy: %w", err)
	}
	return Parse(path, data)
}

// Parse compiles a policy file named name. It returns the policy, every diagnostic (errors
// and warnings, in file order), and a *ParseError when there is an error diagnostic, in which
// case the policy is nil. Warnings that depend on the time (expired exceptions) come from
// Policy.Lint.
func Parse(name string, data []byte) (*Policy, []Diagnostic, error) {
	ps := &parser{file: name}
	p := ps.parse(data)
	slices.SortStableFunc(ps.diags, func(a, b Diagnostic) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Column - b.Column
	})
	var errs []Diagnostic
	for _, d := range ps.diags {
		if d.Severity == Error {
			errs = append(errs, d)
		}
	}
	if len(errs) > 0 {
		return nil, ps.diags, &ParseError{Diagnostics: errs}
	}
	return p, ps.diags, nil
}

// Lint returns the warnings about p that depend on the time: exceptions expired at now.
func (p *Policy) Lint(now time.Time) []Diagnostic {
	if p == nil {
		return nil
	}
	var ds []Diagnostic
	for _, e := range p.entries {
		if e.Type == Exception && !now.Before(e.Expires) {
			ds = append(ds, Diagnostic{File: e.File, Line: e.expiresLine, Severity: Warning, Entry: e.ID,
				Message: fmt.Sprintf("expired on %s: it no longer allows anything; remove or renew it", e.Expires.Add(-time.Nanosecond).UTC().Format("2006-01-02"))})
		}
	}
	return ds
}

// parser holds the state of one Parse.
type parser struct {
	file  string
	diags []Diagnostic
}

func (ps *parser) add(sev Severity, n *yaml.Node, entry, format string, args ...any) {
	d := Diagnostic{File: ps.file, Severity: sev, Entry: entry, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		d.Line, d.Column = n.Line, n.Column
	}
	ps.diags = append(ps.diags, d)
}

func (ps *parser) errorf(n *yaml.Node, entry, format string, args ...any) {
	ps.add(Error, n, entry, format, args...)
}

func (ps *parser) warnf(n *yaml.Node, entry, format string, args ...any) {
	ps.add(Warning, n, entry, format, args...)
}

// yamlLine finds "line N" in a yaml error message.
var yamlLine = regexp.MustCompile(`line (\d+)`)

func (ps *parser) parse(data []byte) *Policy {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		d := Diagnostic{File: ps.file, Severity: Error, Message: strings.TrimPrefix(err.Error(), "yaml: ")}
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			d.Line, _ = strconv.Atoi(m[1])
			d.Message = strings.TrimPrefix(d.Message, "line "+m[1]+": ")
		}
		ps.diags = append(ps.diags, d)
		return nil
	}
	p := &Policy{name: ps.file}
	if len(doc.Content) == 0 {
		ps.warnf(nil, "", "empty policy: nothing is sanctioned")
		return p
	}
	root := resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		ps.errorf(root, "", "a policy is a mapping with the keys version, description, allow and exceptions")
		return nil
	}
	var allows, exceptions []*Entry
	ps.mapping(root, "", []string{"version", "description", "allow", "exceptions"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "version":
			if s, ok := ps.scalar(v, ""); ok && s != strconv.Itoa(Version) {
				ps.errorf(v, "", "version %s is not supported (this mcpwatch reads version %d)", s, Version)
			}
		case "description":
			ps.scalar(v, "")
		case "allow":
			allows = ps.entries(v, Allow)
		case "exceptions":
			exceptions = ps.entries(v, Exception)
		}
	})
	p.entries = append(allows, exceptions...)
	if len(p.entries) == 0 {
		ps.warnf(root, "", "no allow entries or exceptions: nothing is sanctioned")
	}
	ps.checkIDs(p.entries)
	ps.checkOverlaps(p.entries)
	p.index()
	return p
}

// index builds the lookup tables.
func (p *Policy) index() {
	groups := make(map[string]int32)
	hostGroups := make(map[string]int32)
	for i, e := range p.entries {
		idx := int32(i)
		for _, d := range e.domains {
			g, ok := groups[d]
			if !ok {
				g = int32(len(p.byDomain))
				groups[d] = g
				p.byDomain = append(p.byDomain, nil)
				p.domains.Add(d, g)
			}
			if !has(p.byDomain[g], idx) {
				p.byDomain[g] = append(p.byDomain[g], idx)
			}
		}
		scan := e.anyServer
		for _, u := range e.urls {
			h, ok := urlPatternHost(u)
			if !ok {
				scan = true
				continue
			}
			g, seen := hostGroups[h]
			if !seen {
				g = int32(len(p.byURLHost))
				hostGroups[h] = g
				p.byURLHost = append(p.byURLHost, nil)
				p.urlHosts.Add(h, g)
			}
			if !has(p.byURLHost[g], idx) {
				p.byURLHost[g] = append(p.byURLHost[g], idx)
			}
		}
		for _, pk := range e.packages {
			p.packages.add(literalPrefix(pk.sep), idx)
		}
		for _, n := range e.names {
			p.names.add(strings.ToLower(literalPrefix(n)), idx)
		}
		if scan {
			p.scan = append(p.scan, idx)
		}
	}
}

// literalPrefix returns the text of a pattern before its first '*'.
func literalPrefix(s string) string {
	if i := strings.IndexByte(s, '*'); i >= 0 {
		return s[:i]
	}
	return s
}

// urlPatternHost returns the host of a URL pattern when it has no wildcard (the pattern can
// then only match URLs on that host).
func urlPatternHost(u string) (string, bool) {
	h := urlHost(u)
	if h == "" || strings.IndexByte(h, '*') >= 0 {
		return "", false
	}
	// A '*' right after the host (https://host*) could extend it.
	rest := u[strings.Index(u, "://")+3:]
	if end := strings.IndexAny(rest, "/?#"); end >= 0 {
		rest = rest[:end]
	}
	if strings.IndexByte(rest, '*') >= 0 {
		return "", false
	}
	n, err := dnsname.Normalize(h)
	return n, err == nil
}

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 16; i++ {
		n = n.Alias
	}
	return n
}

// mapping walks a mapping node, reporting unknown and repeated keys.
func (ps *parser) mapping(n *yaml.Node, entry string, keys []string, fn func(key string, k, v *yaml.Node)) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		ps.errorf(n, entry, "want a mapping (keys: %s)", strings.Join(keys, ", "))
		return
	}
	seen := make(map[string]bool)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		key := k.Value
		switch {
		case !slices.Contains(keys, key):
			ps.errorf(k, entry, "unknown key %q (valid here: %s)", key, strings.Join(keys, ", "))
			continue
		case seen[key]:
			ps.errorf(k, entry, "key %q given twice", key)
			continue
		}
		seen[key] = true
		fn(key, k, v)
	}
}

// scalar returns a scalar node's value.
func (ps *parser) scalar(n *yaml.Node, entry string) (string, bool) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode {
		ps.errorf(n, entry, "want a single value, not a list or mapping")
		return "", false
	}
	return n.Value, true
}

// list returns the scalar items of a sequence (a single scalar is a list of one).
func (ps *parser) list(n *yaml.Node, entry, what string) []*yaml.Node {
	n = resolve(n)
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			ps.warnf(n, entry, "%s: empty", what)
			return nil
		}
		return []*yaml.Node{n}
	case yaml.SequenceNode:
		var items []*yaml.Node
		for _, it := range n.Content {
			it = resolve(it)
			if it.Kind != yaml.ScalarNode || it.Tag == "!!null" {
				ps.errorf(it, entry, "%s: want single values", what)
				continue
			}
			items = append(items, it)
		}
		if len(n.Content) == 0 {
			ps.warnf(n, entry, "%s: empty list", what)
		}
		return items
	}
	ps.errorf(n, entry, "%s: want a list", what)
	return nil
}

// entries reads the allow or exceptions list.
func (ps *parser) entries(n *yaml.Node, typ EntryType) []*Entry {
	section := "allow"
	if typ == Exception {
		section = "exceptions"
	}
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		ps.errorf(n, "", "%s: want a list of entries", section)
		return nil
	}
	keys := []string{"id", "description", "servers", "subjects"}
	if typ == Exception {
		keys = []string{"id", "description", "reason", "expires", "servers", "subjects"}
	}
	var out []*Entry
	for idx, item := range n.Content {
		item = resolve(item)
		e := &Entry{ID: fmt.Sprintf("%s[%d]", section, idx), Type: typ, File: ps.file, Line: item.Line}
		// The id first, so that diagnostics name the entry.
		if item.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(item.Content); i += 2 {
				if item.Content[i].Value == "id" {
					if v := resolve(item.Content[i+1]); v.Kind == yaml.ScalarNode && strings.TrimSpace(v.Value) != "" {
						e.ID, e.idLine, e.idCol = strings.TrimSpace(v.Value), v.Line, v.Column
					}
					break
				}
			}
		}
		var serversNode, reasonNode, expiresNode *yaml.Node
		ps.mapping(item, e.ID, keys, func(key string, k, v *yaml.Node) {
			switch key {
			case "id":
				if s, ok := ps.scalar(v, e.ID); ok && strings.TrimSpace(s) == "" {
					ps.errorf(v, e.ID, "id: empty")
				}
			case "description":
				e.Description, _ = ps.scalar(v, e.ID)
			case "reason":
				reasonNode = v
				e.Reason, _ = ps.scalar(v, e.ID)
				e.Reason = strings.TrimSpace(e.Reason)
			case "expires":
				expiresNode = v
				if s, ok := ps.scalar(v, e.ID); ok {
					t, err := parseExpiry(s)
					if err != nil {
						ps.errorf(v, e.ID, "expires: %v", err)
					}
					e.Expires, e.expiresLine = t, v.Line
				}
			case "servers":
				serversNode = v
				ps.servers(v, e)
			case "subjects":
				ps.subjects(v, e)
			}
		})
		if item.Kind != yaml.MappingNode {
			continue
		}
		if serversNode == nil {
			ps.errorf(item, e.ID, "servers: missing (say which MCP servers the entry sanctions)")
		}
		if typ == Exception {
			if reasonNode == nil || e.Reason == "" {
				at := reasonNode
				if at == nil {
					at = item
				}
				ps.errorf(at, e.ID, "reason: an exception needs a reason")
			}
			if expiresNode == nil {
				ps.errorf(item, e.ID, "expires: an exception needs an expiry date (YYYY-MM-DD)")
			}
		}
		out = append(out, e)
	}
	return out
}

// parseExpiry reads an expiry: a date (the exception covers that whole day, UTC) or an RFC
// 3339 time. It returns the first instant no longer covered.
func parseExpiry(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.AddDate(0, 0, 1), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD) or an RFC 3339 time", s)
}

// servers reads a servers selector.
func (ps *parser) servers(n *yaml.Node, e *Entry) {
	if n.Kind == yaml.ScalarNode && n.Value == "*" {
		e.anyServer = true
		ps.warnf(n, e.ID, `servers: "*" sanctions every MCP server`)
		return
	}
	named := false
	ps.mapping(n, e.ID, []string{"domains", "urls", "packages", "server_names"}, func(key string, k, v *yaml.Node) {
		for _, it := range ps.list(v, e.ID, key) {
			s := strings.TrimSpace(it.Value)
			crit, err := compileServer(key, s, e)
			if err != nil {
				ps.errorf(it, e.ID, "%s: %v", key, err)
				continue
			}
			named = true
			e.critLines = append(e.critLines, critLine{key: key, value: crit, line: it.Line, col: it.Column})
			if key == "domains" && crit == "*" {
				ps.warnf(it, e.ID, `domains: "*" sanctions every remote MCP server`)
			}
		}
	})
	if !named && n.Kind == yaml.MappingNode {
		ps.errorf(n, e.ID, "servers: names no server (domains, urls, packages or server_names)")
	}
}

// compileServer validates one server criterion and adds it to e; it returns its canonical
// form.
func compileServer(key, s string, e *Entry) (string, error) {
	if s == "" {
		return "", errors.New("empty value")
	}
	switch key {
	case "domains":
		if strings.Contains(s, "://") || strings.ContainsAny(s, "/:") {
			return "", fmt.Errorf("%q is not a domain name (put URLs under urls)", s)
		}
		d := s
		if d != "*" {
			var err error
			if d, err = dnsname.NormalizePattern(s); err != nil {
				return "", fmt.Errorf("%q: %w", s, err)
			}
		}
		if !slices.Contains(e.domains, d) {
			e.domains = append(e.domains, d)
		}
		return d, nil
	case "urls":
		l := strings.ToLower(s)
		ok := false
		for _, scheme := range []string{"https://", "http://", "wss://", "ws://"} {
			if strings.HasPrefix(l, scheme) && len(l) > len(scheme) && l[len(scheme)] != '/' {
				ok = true
			}
		}
		if !ok || strings.ContainsAny(s, " \t") {
			return "", fmt.Errorf("%q is not a URL pattern (https://host/path, '*' for any text)", s)
		}
		e.urls = append(e.urls, s)
		return s, nil
	case "packages":
		eco, name := "", s
		if i := strings.IndexByte(s, ':'); i > 0 {
			switch p := strings.ToLower(s[:i]); p {
			case "npm", "pypi", "docker", "exec":
				eco, name = p, s[i+1:]
			}
		}
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" || strings.ContainsAny(name, " \t") || strings.Trim(name, "*") == "" {
			return "", fmt.Errorf("%q is not a package name or pattern", s)
		}
		e.packages = append(e.packages, pkgPattern{eco: eco, glob: name, sep: normSep(name)})
		if eco != "" {
			return eco + ":" + name, nil
		}
		return name, nil
	case "server_names":
		if strings.Trim(s, "*") == "" {
			return "", fmt.Errorf("%q matches every server name", s)
		}
		e.names = append(e.names, s)
		return s, nil
	}
	return "", fmt.Errorf("unknown criterion %s", key)
}

// normSep replaces runs of '-', '_' and '.' by one '-'.
func normSep(s string) string {
	var sb strings.Builder
	prev := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' || c == '_' || c == '.' {
			if !prev {
				sb.WriteByte('-')
			}
			prev = true
			continue
		}
		prev = false
		sb.WriteByte(c)
	}
	return sb.String()
}

// roleARN matches an IAM role ARN pattern: partition, account, path and name.
var roleARN = regexp.MustCompile(`^arn:([^:]*):iam::([^:]*):role/(.*)$`)

// accountID is an AWS account ID.
var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// subjects reads a subjects selector.
func (ps *parser) subjects(n *yaml.Node, e *Entry) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	ps.mapping(n, e.ID, []string{"accounts", "principals", "cidrs", "tags"}, func(key string, k, v *yaml.Node) {
		if key == "tags" {
			if v.Kind != yaml.MappingNode {
				ps.errorf(v, e.ID, "tags: want a mapping of tag key to value (\"*\" for any value)")
				return
			}
			for i := 0; i+1 < len(v.Content); i += 2 {
				tk, tv := v.Content[i], resolve(v.Content[i+1])
				val, ok := ps.scalar(tv, e.ID)
				if !ok {
					continue
				}
				if tk.Value == "" {
					ps.errorf(tk, e.ID, "tags: empty tag key")
					continue
				}
				e.tags = append(e.tags, tagPattern{key: tk.Value, value: val})
				e.critLines = append(e.critLines, critLine{key: "tags", value: tk.Value + "=" + val, line: tk.Line, col: tk.Column, subject: true})
			}
			return
		}
		for _, it := range ps.list(v, e.ID, key) {
			s := strings.TrimSpace(it.Value)
			switch key {
			case "accounts":
				if !accountID.MatchString(s) {
					ps.errorf(it, e.ID, "accounts: %q is not an AWS account ID (12 digits; quote it in YAML)", s)
					continue
				}
				e.accounts = append(e.accounts, s)
			case "principals":
				if !strings.HasPrefix(s, "arn:") || strings.Count(s, ":") < 5 {
					ps.errorf(it, e.ID, "principals: %q is not an ARN pattern (arn:aws:iam::123456789012:role/Name, '*' for any text)", s)
					continue
				}
				e.principals = append(e.principals, s)
				if m := roleARN.FindStringSubmatch(s); m != nil {
					// Sessions of the role: arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION.
					name := m[3][strings.LastIndexByte(m[3], '/')+1:]
					e.principals = append(e.principals, fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/*", m[1], m[2], name))
				}
			case "cidrs":
				p, err := parseCIDR(s)
				if err != nil {
					ps.errorf(it, e.ID, "cidrs: %v", err)
					continue
				}
				if p != p.Masked() {
					ps.warnf(it, e.ID, "cidrs: %s has host bits set; it means %s", s, p.Masked())
					p = p.Masked()
				}
				if p.Bits() == 0 {
					ps.warnf(it, e.ID, "cidrs: %s matches every address", s)
				}
				e.cidrs = append(e.cidrs, p)
			}
			e.critLines = append(e.critLines, critLine{key: key, value: s, line: it.Line, col: it.Column, subject: true})
		}
	})
}

// parseCIDR parses a CIDR block or a single address; IPv4-mapped IPv6 as IPv4.
func parseCIDR(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR block", s)
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR block", s)
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p, nil
}

// critLine records where a criterion was written, for diagnostics.
type critLine struct {
	key, value string
	line, col  int
	subject    bool
}

// checkIDs reports explicit IDs given to two entries.
func (ps *parser) checkIDs(entries []*Entry) {
	first := make(map[string]*Entry)
	for _, e := range entries {
		if f, dup := first[e.ID]; dup {
			ps.errorf(&yaml.Node{Line: e.idLine, Column: e.idCol}, e.ID, "id also used by the entry at line %d", f.Line)
			continue
		}
		first[e.ID] = e
	}
}

// checkOverlaps warns about server criteria that an earlier entry (or an allow entry, for an
// exception) already sanctions for every subject the later entry names.
func (ps *parser) checkOverlaps(entries []*Entry) {
	for j, b := range entries {
		for i, a := range entries {
			// Entries are allow entries then exceptions: an earlier entry of the same type, or an
			// allow entry for an exception.
			if i >= j {
				continue
			}
			if !subjectsCover(a, b) {
				continue
			}
			verb := "also sanctioned by"
			if a.Type == b.Type && sameSubjects(a, b) {
				verb = "a duplicate of"
			}
			if a.anyServer {
				ps.warnf(&yaml.Node{Line: b.Line}, b.ID, "redundant: %s already sanctions every server for these subjects", a.Ref())
				continue
			}
			for _, c := range b.critLines {
				if !c.subject && a.coversCriterion(c.key, c.value) {
					ps.warnf(&yaml.Node{Line: c.line, Column: c.col}, b.ID, "%s %s is %s %s", strings.TrimSuffix(c.key, "s"), c.value, verb, a.Ref())
				}
			}
		}
	}
}

// subjectsCover reports whether a sanctions every subject b names: a names everyone, or the
// same subjects.
func subjectsCover(a, b *Entry) bool {
	return a.everyone() || sameSubjects(a, b)
}

func sameSubjects(a, b *Entry) bool {
	return slices.Equal(sorted(a.accounts), sorted(b.accounts)) && slices.Equal(sorted(a.principals), sorted(b.principals)) &&
		slices.EqualFunc(a.cidrs, b.cidrs, func(x, y netip.Prefix) bool { return x == y }) && slices.Equal(a.tags, b.tags)
}

func sorted(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// coversCriterion reports whether the entry's server criteria include a criterion of the
// given key and canonical value.
func (e *Entry) coversCriterion(key, value string) bool {
	switch key {
	case "domains":
		for _, d := range e.domains {
			switch {
			case d == value || d == "*":
				return true
			case !strings.Contains(value, "*") && dnsname.Match(d, value):
				return true
			case strings.HasPrefix(value, "*.") && strings.HasPrefix(d, "*.") && !strings.Contains(d[2:], "*") &&
				!strings.Contains(value[2:], "*") && strings.HasSuffix("."+value[2:], "."+d[2:]):
				return true // *.a.example.com below *.example.com
			}
		}
	case "urls":
		for _, g := range e.urls {
			if glob.MatchFold(g, value) {
				return true
			}
		}
	case "packages":
		for i := range e.packages {
			p := &e.packages[i]
			eco, name := "", value
			if j := strings.IndexByte(value, ':'); j > 0 {
				switch value[:j] {
				case "npm", "pypi", "docker", "exec":
					eco, name = value[:j], value[j+1:]
				}
			}
			if (p.eco == "" || p.eco == eco) && glob.MatchFold(p.glob, name) {
				return true
			}
		}
	case "server_names":
		for _, g := range e.names {
			if glob.MatchFold(g, value) {
				return true
			}
		}
	}
	return false
}
