// Package policy says which MCP use is sanctioned. A policy file (YAML, see docs/policy.md)
// lists allow entries — MCP servers, by domain, URL pattern, package or serverInfo name, and
// who may use them, by AWS account, IAM principal, source CIDR or resource tag — and
// exceptions, which are allow entries with a mandatory reason and an expiry date.
//
// Parse compiles a file into an immutable Policy; Policy.Evaluate decides one Usage on the
// detection hot path without allocating, and its Decision names the entry (id, file and line)
// that allowed the use, or the entry that named the server but not this subject, or that
// none did — the finding quotes it. A nil *Policy sanctions nothing: with no policy file,
// every MCP use is reported.
package policy

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/catalogue/dnsname"
	"github.com/mcpwatch/mcpwatch/internal/glob"
)

// Usage is one use of an MCP server: which server, by whom, when.
type Usage struct {
	Server  Server
	Subject Subject
	// Time is when the use happened, for exceptions' expiry; the zero time means now.
	Time time.Time
}

// Server identifies the MCP server used. Fill in what the event shows; empty fields match
// nothing.
type Server struct {
	// Host is the server's host name (a DNS query, a TLS server name, the resolved name of a
	// flow's address). When empty, the host of URL is used.
	Host string
	// URL is the endpoint URL, when known (CloudTrail, host-scan client configurations).
	URL string
	// Package is the package, image or executable of a local server, normalized as the
	// catalogue normalizes it ("@playwright/mcp", "mcp-server-fetch", "mcp/github").
	Package string
	// Ecosystem is the package's ecosystem: "npm", "pypi", "docker", "exec", or "".
	Ecosystem string
	// ServerName is the serverInfo name the server gave in the MCP initialize handshake.
	ServerName string
}

// Subject is who (or what) used the server.
type Subject struct {
	Account   string            // AWS account ID
	Principal string            // IAM principal ARN (a user, role or assumed-role session)
	SourceIP  netip.Addr        // the client's address
	Tags      map[string]string // tags of the resource the use came from (an instance, a role)
}

// EntryType tells allow entries and exceptions apart.
type EntryType uint8

// The entry types.
const (
	Allow EntryType = iota
	Exception
)

// String returns "allow" or "exception".
func (t EntryType) String() string {
	if t == Exception {
		return "exception"
	}
	return "allow"
}

// Entry is one allow entry or exception of a policy. Its fields are read-only.
type Entry struct {
	// ID is the entry's id key, or "allow[N]" / "exceptions[N]" (0-based) when it has none.
	ID          string
	Type        EntryType
	Description string
	// Reason is an exception's mandatory reason.
	Reason string
	// Expires is the first instant an exception no longer applies ("expires: 2026-12-31"
	// is 2027-01-01T00:00:00Z: the whole day is covered); zero for allow entries.
	Expires time.Time
	// File and Line locate the entry in the policy file.
	File string
	Line int

	anyServer bool
	domains   []string
	urls      []string // lower-cased URL globs
	packages  []pkgPattern
	names     []string // lower-cased serverInfo name globs

	accounts   []string
	principals []string // lower-cased globs, role patterns with their assumed-role forms
	cidrs      []netip.Prefix
	tags       []tagPattern

	critLines     []critLine // where each criterion was written
	expiresLine   int
	idLine, idCol int
}

// pkgPattern is a compiled package pattern.
type pkgPattern struct {
	eco  string // "" for any ecosystem
	glob string // lower-case
	sep  string // the glob with '-', '_' and '.' runs as '-' (PyPI normalization)
}

// tagPattern requires a tag, with a value glob ("*" for any value).
type tagPattern struct{ key, value string }

// Ref renders the entry for findings: `allow "atlassian" (policy.yaml:12)`.
func (e *Entry) Ref() string {
	return fmt.Sprintf("%s %q (%s:%d)", e.Type, e.ID, e.File, e.Line)
}

// everyone reports whether the entry sanctions its servers for every subject.
func (e *Entry) everyone() bool {
	return len(e.accounts) == 0 && len(e.principals) == 0 && len(e.cidrs) == 0 && len(e.tags) == 0
}

// Miss says why an entry naming the server did not allow a use.
type Miss uint8

// The reasons.
const (
	MissNone      Miss = iota
	MissAccount        // the entry names accounts; the use's account is not one (or unknown)
	MissPrincipal      // the entry names principals; the use's principal is not one (or unknown)
	MissSourceIP       // the entry names CIDRs; the use's source address is in none (or unknown)
	MissTags           // the entry requires tags the use's resource does not have
	MissExpired        // the exception had expired when the use happened
)

var missText = [...]string{MissNone: "", MissAccount: "but not for this account", MissPrincipal: "but not for this principal",
	MissSourceIP: "but not from this source address", MissTags: "but not for a resource with these tags", MissExpired: "but it had expired"}

// String describes the reason.
func (m Miss) String() string {
	if int(m) < len(missText) {
		return missText[m]
	}
	return fmt.Sprintf("Miss(%d)", int(m))
}

// Decision is the answer of Evaluate.
type Decision struct {
	// Allowed is true when an entry sanctions the use.
	Allowed bool
	// Entry is the entry that allowed the use (the first in the file, allow entries before
	// exceptions), nil when denied.
	Entry *Entry
	// NearMiss is, for a denied use, the first entry that names the server but did not
	// apply, and Miss why; nil when no entry names the server.
	NearMiss *Entry
	Miss     Miss
	// Checked is how many entries name the server.
	Checked int
	// Policy is the policy file's name, "" when there is no policy.
	Policy string
}

// String explains the decision for findings.
func (d Decision) String() string {
	switch {
	case d.Allowed && d.Entry.Type == Exception:
		return fmt.Sprintf("allowed by %s until %s: %s", d.Entry.Ref(), d.Entry.Expires.UTC().Format(time.RFC3339), d.Entry.Reason)
	case d.Allowed:
		return "allowed by " + d.Entry.Ref()
	case d.Policy == "":
		return "not sanctioned: no policy loaded, so nothing is sanctioned"
	case d.NearMiss != nil:
		return fmt.Sprintf("not sanctioned: %s names this server, %s", d.NearMiss.Ref(), d.Miss)
	}
	return fmt.Sprintf("not sanctioned: no entry of %s names this server", d.Policy)
}

// Policy is a compiled, immutable policy, safe for concurrent use. A nil *Policy sanctions
// nothing.
type Policy struct {
	name    string
	entries []*Entry // allow entries, then exceptions, each in file order
	// Entries by domain: the table maps a domain or pattern to an index in byDomain.
	domains  dnsname.Table
	byDomain [][]int32
	// Entries by the host of their URL patterns (patterns whose host has no '*').
	urlHosts  dnsname.Table
	byURLHost [][]int32
	// Entries by the literal prefix of their package and server-name patterns.
	packages, names prefixIndex
	// Entries that sanction every server or have URL patterns with a wildcard host: checked
	// on every use.
	scan []int32
}

// prefixIndex finds the entries whose patterns may match a name by the patterns' literal
// prefixes (the text before the first '*'; the whole name for an exact one). It
// over-approximates: candidates are then matched for real.
type prefixIndex struct {
	byPrefix map[string][]int32
	lens     []int // the distinct prefix lengths, ascending
}

func (x *prefixIndex) add(prefix string, entry int32) {
	if x.byPrefix == nil {
		x.byPrefix = make(map[string][]int32)
	}
	if !has(x.byPrefix[prefix], entry) {
		x.byPrefix[prefix] = append(x.byPrefix[prefix], entry)
	}
	i, found := slices.BinarySearch(x.lens, len(prefix))
	if !found {
		x.lens = slices.Insert(x.lens, i, len(prefix))
	}
}

// appendCandidates appends the entries of the prefixes of key not yet in dst.
func (x *prefixIndex) appendCandidates(dst []int32, key []byte) []int32 {
	for _, l := range x.lens {
		if l > len(key) {
			break
		}
		for _, i := range x.byPrefix[string(key[:l])] {
			if !has(dst, i) {
				dst = append(dst, i)
			}
		}
	}
	return dst
}

// keyBuf normalizes a name into buf for a prefixIndex: lower-case, and with runs of '-', '_'
// and '.' as one '-' when sep. It returns nil for names longer than buf.
func keyBuf(buf *[256]byte, s string, sep bool) []byte {
	if len(s) > len(buf) {
		return nil
	}
	n := 0
	prev := false
	for i := 0; i < len(s); i++ {
		c := lower(s[i])
		if sep && (c == '-' || c == '_' || c == '.') {
			if !prev {
				buf[n] = '-'
				n++
			}
			prev = true
			continue
		}
		prev = false
		buf[n] = c
		n++
	}
	return buf[:n]
}

// Name returns the policy file's name.
func (p *Policy) Name() string {
	if p == nil {
		return ""
	}
	return p.name
}

// Entries returns the entries: allow entries, then exceptions, each in file order.
func (p *Policy) Entries() []*Entry {
	if p == nil {
		return nil
	}
	return append([]*Entry(nil), p.entries...)
}

// maxCandidates is how many entries naming a server Evaluate considers without allocating.
const maxCandidates = 32

// Evaluate decides whether the policy sanctions a use. It does not allocate (unless more than
// 32 entries name the same server).
func (p *Policy) Evaluate(u Usage) Decision {
	if p == nil {
		return Decision{}
	}
	d := Decision{Policy: p.name}
	host := u.Server.Host
	if host == "" && u.Server.URL != "" {
		host = urlHost(u.Server.URL)
	}
	// The entries naming the server: through the indexes, then the scan list.
	var cbuf [maxCandidates]int32
	cand := cbuf[:0]
	if host != "" && p.domains.Len() > 0 {
		var gbuf [8]int32
		for _, g := range p.domains.AppendMatches(gbuf[:0], host) {
			for _, i := range p.byDomain[g] {
				if !has(cand, i) {
					cand = append(cand, i)
				}
			}
		}
	}
	if u.Server.URL != "" && p.urlHosts.Len() > 0 {
		var gbuf [8]int32
		for _, g := range p.urlHosts.AppendMatches(gbuf[:0], urlHost(u.Server.URL)) {
			for _, i := range p.byURLHost[g] {
				if !has(cand, i) && p.entries[i].urlMatch(u.Server.URL) {
					cand = append(cand, i)
				}
			}
		}
	}
	var kbuf [256]byte
	var ibuf [maxCandidates]int32
	if u.Server.Package != "" && len(p.packages.lens) > 0 {
		for _, i := range p.packages.appendCandidates(ibuf[:0], keyBuf(&kbuf, u.Server.Package, true)) {
			if !has(cand, i) && p.entries[i].packageMatch(u.Server.Ecosystem, u.Server.Package) {
				cand = append(cand, i)
			}
		}
	}
	if u.Server.ServerName != "" && len(p.names.lens) > 0 {
		for _, i := range p.names.appendCandidates(ibuf[:0], keyBuf(&kbuf, u.Server.ServerName, false)) {
			if !has(cand, i) && p.entries[i].nameMatch(u.Server.ServerName) {
				cand = append(cand, i)
			}
		}
	}
	for _, i := range p.scan {
		if !has(cand, i) && p.entries[i].serverMatchOther(&u.Server) {
			cand = append(cand, i)
		}
	}
	d.Checked = len(cand)
	if len(cand) == 0 {
		return d
	}
	now := u.Time
	if now.IsZero() {
		now = time.Now()
	}
	best, near := int32(-1), int32(-1)
	for _, i := range cand {
		e := p.entries[i]
		miss := e.subjectMiss(&u.Subject)
		if miss == MissNone && e.Type == Exception && !now.Before(e.Expires) {
			miss = MissExpired
		}
		switch {
		case miss == MissNone && (best < 0 || i < best):
			best = i
		case miss != MissNone && (near < 0 || i < near):
			near, d.Miss = i, miss
		}
	}
	if best >= 0 {
		d.Allowed, d.Entry, d.Miss = true, p.entries[best], MissNone
	} else {
		d.NearMiss = p.entries[near]
	}
	return d
}

func has(list []int32, x int32) bool {
	for _, y := range list {
		if y == x {
			return true
		}
	}
	return false
}

// serverMatchOther reports whether the entry's non-domain server criteria match.
func (e *Entry) serverMatchOther(s *Server) bool {
	return e.anyServer || e.urlMatch(s.URL) || e.packageMatch(s.Ecosystem, s.Package) || e.nameMatch(s.ServerName)
}

func (e *Entry) urlMatch(u string) bool {
	if u == "" {
		return false
	}
	for _, g := range e.urls {
		if glob.MatchFold(g, u) {
			return true
		}
	}
	return false
}

func (e *Entry) packageMatch(eco, name string) bool {
	if name == "" {
		return false
	}
	for i := range e.packages {
		if e.packages[i].match(eco, name) {
			return true
		}
	}
	return false
}

func (e *Entry) nameMatch(name string) bool {
	if name == "" {
		return false
	}
	for _, g := range e.names {
		if glob.MatchFold(g, name) {
			return true
		}
	}
	return false
}

// match reports whether a package pattern matches a package of an ecosystem.
func (p *pkgPattern) match(eco, name string) bool {
	if p.eco != "" && !strings.EqualFold(p.eco, eco) {
		return false
	}
	if glob.MatchFold(p.glob, name) {
		return true
	}
	return strings.EqualFold(eco, "pypi") && globSep(p.sep, name)
}

// subjectMiss returns MissNone when the subject fits the entry, else the first dimension
// that does not.
func (e *Entry) subjectMiss(s *Subject) Miss {
	if len(e.accounts) > 0 {
		ok := false
		for _, a := range e.accounts {
			if a == s.Account {
				ok = true
				break
			}
		}
		if !ok {
			return MissAccount
		}
	}
	if len(e.principals) > 0 {
		ok := false
		if s.Principal != "" {
			for _, g := range e.principals {
				if glob.MatchFold(g, s.Principal) {
					ok = true
					break
				}
			}
		}
		if !ok {
			return MissPrincipal
		}
	}
	if len(e.cidrs) > 0 {
		ok := false
		if s.SourceIP.IsValid() {
			a := s.SourceIP.Unmap()
			for _, c := range e.cidrs {
				if c.Contains(a) {
					ok = true
					break
				}
			}
		}
		if !ok {
			return MissSourceIP
		}
	}
	for _, t := range e.tags {
		v, ok := s.Tags[t.key]
		if !ok || !glob.MatchFold(t.value, v) {
			return MissTags
		}
	}
	return MissNone
}

// urlHost returns the host of a URL (without user info or port), "" when there is none.
func urlHost(u string) string {
	i := strings.Index(u, "://")
	if i < 0 {
		return ""
	}
	rest := u[i+3:]
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		rest = rest[:j]
	}
	if j := strings.LastIndexByte(rest, '@'); j >= 0 {
		rest = rest[j+1:]
	}
	if strings.HasPrefix(rest, "[") {
		return ""
	}
	if j := strings.LastIndexByte(rest, ':'); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// globSep is glob.MatchFold with runs of '-', '_' and '.' in s compared as one '-' (pat is already
// normalized so). Names longer than 256 bytes do not match.
func globSep(pat, s string) bool {
	var buf [256]byte
	if len(s) > len(buf) {
		return false
	}
	n := 0
	prev := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' || c == '_' || c == '.' {
			if !prev {
				buf[n] = '-'
				n++
			}
			prev = true
			continue
		}
		prev = false
		buf[n] = c
		n++
	}
	return glob.MatchFold(pat, buf[:n])
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
