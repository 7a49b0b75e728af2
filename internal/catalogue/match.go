package catalogue

import (
	"fmt"
	"strings"
)

// Confidence is how sure a Match is that something is MCP.
type Confidence uint8

// The confidences, in increasing order.
const (
	// None: not MCP as far as the catalogue knows (no match, or a not-mcp entry).
	None Confidence = iota
	// Low: a heuristic (a host label "mcp", a path /mcp or /sse, an "mcp" token in a package
	// name), or the host of a catalogue entry that also serves other traffic.
	Low
	// Medium: a naming pattern of MCP packages (mcp-server-*, *-mcp), or two heuristics
	// agreeing (a host label "mcp" and a path /mcp).
	Medium
	// High: a known catalogue entry — a dedicated MCP host, a host and path, a known package.
	High
)

var confidenceNames = [...]string{None: "none", Low: "low", Medium: "medium", High: "high"}

// String returns "none", "low", "medium" or "high".
func (c Confidence) String() string {
	if int(c) < len(confidenceNames) {
		return confidenceNames[c]
	}
	return fmt.Sprintf("Confidence(%d)", int(c))
}

// Basis says what a Match rests on.
type Basis uint8

// The bases.
const (
	BasisNone           Basis = iota
	BasisHost                 // the host (or host pattern) of a dedicated catalogue entry
	BasisSharedHost           // the host of a catalogue entry that also serves other traffic; path unknown
	BasisURL                  // the host and path of a catalogue entry
	BasisPackage              // a known package, image or executable
	BasisPackagePattern       // a naming pattern of MCP packages
	BasisHeuristic            // heuristics only (see Heuristic)
	BasisNotMCP               // a not-mcp catalogue entry
)

var basisNames = [...]string{BasisNone: "none", BasisHost: "host", BasisSharedHost: "shared-host",
	BasisURL: "url", BasisPackage: "package", BasisPackagePattern: "package-pattern",
	BasisHeuristic: "heuristic", BasisNotMCP: "not-mcp"}

// String returns the basis' name.
func (b Basis) String() string {
	if int(b) < len(basisNames) {
		return basisNames[b]
	}
	return fmt.Sprintf("Basis(%d)", int(b))
}

// Heuristic is a set of heuristics that fired.
type Heuristic uint8

// The heuristics.
const (
	// HostLabel: a label of the host name, other than the top-level domain, has "mcp" as a
	// '-'/'_'-separated word (mcp.example.com, foo-mcp.example.com; not mcpherson.com).
	HostLabel Heuristic = 1 << iota
	// PathMCP: a segment of the URL path is "mcp" or has "mcp" as a word (/mcp, /api/mcp,
	// /mcp-server).
	PathMCP
	// PathSSE: a segment of the URL path is "sse" (the SSE transport's endpoint).
	PathSSE
	// NameToken: a package, image, module, script or executable name has "mcp" as a word
	// (weather_mcp, my.mcp.tool).
	NameToken
)

var heuristicNames = [...]string{"host-label-mcp", "path-mcp", "path-sse", "name-token-mcp"}

// String returns the heuristics' names joined by '+', "" for none.
func (h Heuristic) String() string {
	var parts []string
	for i, n := range heuristicNames {
		if h&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	return strings.Join(parts, "+")
}

// Match is the catalogue's answer about one host, URL, package or command: whether it is MCP,
// how sure, and on what basis — the catalogue entry (with its ID and Source) or the
// heuristics. It is a small value; the lookups that return it do not allocate.
type Match struct {
	// Entry is the catalogue entry used, or nil for a heuristic match or no match.
	Entry      *Entry
	Confidence Confidence
	Basis      Basis
	Heuristic  Heuristic // BasisHeuristic: the heuristics that fired
}

// OK reports whether the match says MCP (Confidence above None).
func (m Match) OK() bool { return m.Confidence > None }

// Kind returns the entry's kind, or "" for a heuristic match.
func (m Match) Kind() Kind {
	if m.Entry == nil {
		return ""
	}
	return m.Entry.Kind
}

// String explains the match for findings, for example "known MCP endpoint Atlassian (saas,
// mcp.atlassian.com/v1/sse, builtin/remote-mcp-servers.csv:4); confidence high, basis url"
// or "heuristic host-label-mcp; confidence low".
func (m Match) String() string {
	switch {
	case m.Basis == BasisNone:
		return "no catalogue match"
	case m.Basis == BasisNotMCP:
		return "marked not MCP by " + m.Entry.String()
	case m.Basis == BasisHeuristic:
		return fmt.Sprintf("heuristic %s; confidence %s", m.Heuristic, m.Confidence)
	}
	what := "known MCP endpoint"
	switch m.Basis {
	case BasisSharedHost:
		what = "host of MCP endpoint"
	case BasisPackage:
		what = "known MCP package"
	case BasisPackagePattern:
		what = "MCP package pattern"
	}
	return fmt.Sprintf("%s %s; confidence %s, basis %s", what, m.Entry, m.Confidence, m.Basis)
}
