package catalogue

import (
	"strings"

	"github.com/mcpwatch/mcpwatch/internal/glob"
)

// LookupHost says whether a host name (a DNS query name, a TLS server name, a resolved name
// of a flow's address) is an MCP endpoint: High for a host that serves MCP only, Low for the
// host of an MCP endpoint that also serves other traffic (BasisSharedHost) or for a host name
// with an "mcp" label (HostLabel heuristic), None otherwise or for a not-mcp entry. Case and a
// trailing dot are ignored; host must not carry a port. It does not allocate.
func (c *Catalogue) LookupHost(host string) Match {
	if g, ok := c.hosts.Lookup(host); ok {
		return c.groups[g].hostMatch()
	}
	if h := hostHeuristic(host); h != 0 {
		return Match{Confidence: Low, Basis: BasisHeuristic, Heuristic: h}
	}
	return Match{}
}

// hostMatch is the answer for a catalogue host without a path.
func (g *hostGroup) hostMatch() Match {
	if g.notMCP != nil {
		return Match{Entry: g.notMCP, Basis: BasisNotMCP}
	}
	if g.dedicated {
		for _, e := range g.entries {
			if e.Dedicated {
				return Match{Entry: e, Confidence: High, Basis: BasisHost}
			}
		}
	}
	return Match{Entry: g.entries[0], Confidence: Low, Basis: BasisSharedHost}
}

// LookupURL says whether a URL is an MCP endpoint: High when its host and path are those of a
// catalogue entry (the longest matching path wins) or its host serves MCP only; for other
// URLs, heuristics: Medium when the host has an "mcp" label and the path an /mcp or /sse
// segment, Low for one of them alone. A URL on a shared catalogue host whose path is not the
// MCP endpoint's is not MCP (but for path heuristics). Schemes http, https, ws and wss are
// understood; a string without a scheme is read as host[:port][/path]. It does not allocate.
func (c *Catalogue) LookupURL(u string) Match {
	host, path := splitURL(u)
	if g, ok := c.hosts.Lookup(host); ok {
		grp := &c.groups[g]
		if grp.notMCP != nil {
			return Match{Entry: grp.notMCP, Basis: BasisNotMCP}
		}
		var best *Entry
		bestLen := -1
		for _, e := range grp.entries {
			if n := pathMatch(e.Path, path); n > bestLen {
				best, bestLen = e, n
			}
		}
		if best != nil {
			return Match{Entry: best, Confidence: High, Basis: BasisURL}
		}
		if grp.dedicated {
			return grp.hostMatch()
		}
		if h := pathHeuristic(path); h != 0 {
			return Match{Confidence: Low, Basis: BasisHeuristic, Heuristic: h}
		}
		return Match{}
	}
	h := hostHeuristic(host) | pathHeuristic(path)
	switch {
	case h == 0:
		return Match{}
	case h&HostLabel != 0 && h&(PathMCP|PathSSE) != 0:
		return Match{Confidence: Medium, Basis: BasisHeuristic, Heuristic: h}
	}
	return Match{Confidence: Low, Basis: BasisHeuristic, Heuristic: h}
}

// splitURL returns the host (without port or user info; as written) and the path (without
// query or fragment; "/" when empty) of an http(s) or ws(s) URL, or of "host[:port][/path]".
func splitURL(u string) (host, path string) {
	rest := u
	if i := strings.Index(u, "://"); i >= 0 {
		switch strings.ToLower(u[:i]) {
		case "http", "https", "ws", "wss":
			rest = u[i+3:]
		default:
			return "", "/"
		}
	}
	end := strings.IndexAny(rest, "/?#")
	auth := rest
	path = "/"
	if end >= 0 {
		auth = rest[:end]
		if rest[end] == '/' {
			path = rest[end:]
			if j := strings.IndexAny(path, "?#"); j >= 0 {
				path = path[:j]
			}
		}
	}
	if i := strings.LastIndexByte(auth, '@'); i >= 0 {
		auth = auth[i+1:]
	}
	if strings.HasPrefix(auth, "[") { // an IPv6 literal: no host name
		return "", path
	}
	if i := strings.LastIndexByte(auth, ':'); i >= 0 {
		auth = auth[:i]
	}
	return auth, path
}

// pathMatch matches an entry path (segments, '*' within one) against a request path as a
// prefix of whole segments, ignoring case. It returns the number of segments matched, or -1.
func pathMatch(pattern, path string) int {
	if pattern == "/" {
		return 0
	}
	p := strings.TrimPrefix(pattern, "/")
	q := strings.TrimPrefix(path, "/")
	n := 0
	for p != "" {
		if q == "" {
			return -1
		}
		ps, prest, _ := strings.Cut(p, "/")
		qs, qrest, _ := strings.Cut(q, "/")
		if !glob.MatchFold(ps, qs) {
			return -1
		}
		n++
		p, q = prest, qrest
	}
	return n
}

// hasWord reports whether s, split at any byte of seps, has a part equal to word (lower-case)
// ignoring case.
func hasWord(s, seps, word string) bool {
	for s != "" {
		i := strings.IndexAny(s, seps)
		part := s
		if i >= 0 {
			part, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		if len(part) == len(word) && glob.MatchFold(word, part) {
			return true
		}
	}
	return false
}

// hostHeuristic applies HostLabel to a host name: an "mcp" word in any label but the last.
func hostHeuristic(host string) Heuristic {
	host = strings.TrimSuffix(host, ".")
	if i := strings.LastIndexByte(host, '.'); i >= 0 {
		host = host[:i]
	}
	if hasWord(host, ".-_", "mcp") {
		return HostLabel
	}
	return 0
}

// pathHeuristic applies PathMCP and PathSSE to a URL path.
func pathHeuristic(path string) Heuristic {
	var h Heuristic
	for path != "" {
		seg := path
		if i := strings.IndexByte(path, '/'); i >= 0 {
			seg, path = path[:i], path[i+1:]
		} else {
			path = ""
		}
		switch {
		case seg == "":
		case len(seg) == 3 && glob.MatchFold("sse", seg):
			h |= PathSSE
		case hasWord(seg, "-_.", "mcp"):
			h |= PathMCP
		}
	}
	return h
}
