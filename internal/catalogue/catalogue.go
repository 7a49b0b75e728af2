// Package catalogue knows what MCP looks like from the outside: the remote MCP servers by host
// name and URL, the local MCP server packages by name (npm, PyPI, container images,
// executables), and heuristics for the ones nobody listed. Detection rules ask it, for every
// DNS query, flow, CloudTrail event or host-scan record, "is this MCP, which server, how
// sure?"; every answer (a Match) names the catalogue entry it used and where that entry was
// defined, so a finding can quote it.
//
// The built-in catalogue is embedded: every row of remote-mcp-servers.csv (derived from
// github.com/jaw9c/awesome-remote-mcp-servers, MIT), with mcpwatch.csv layered over it (hubs,
// AWS endpoints, packages). Users extend or override it with files in the same CSV format
// (see Load and docs/policy.md).
//
// Host and URL lookups are allocation-free (hits and misses); command matching allocates a
// little and is meant for CloudTrail and host-scan records, not packets.
package catalogue

import (
	"bytes"
	"embed"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/mcpwatch/mcpwatch/internal/catalogue/dnsname"
)

// Kind classifies a catalogue entry.
type Kind string

// The kinds of entries.
const (
	// KindSaaS is a vendor's remote MCP server for its own product.
	KindSaaS Kind = "saas"
	// KindHub is a gateway, marketplace or aggregator that serves many third parties' tools
	// through one endpoint or package (Smithery, Zapier, Composio, Pipedream, ...): the
	// server behind it is unknown.
	KindHub Kind = "hub"
	// KindAWS is an MCP endpoint or package operated or published by AWS.
	KindAWS Kind = "aws"
	// KindInternal is an MCP server an organization runs itself (user catalogue files).
	KindInternal Kind = "internal"
	// KindReference is a reference server of the Model Context Protocol project.
	KindReference Kind = "reference"
	// KindVendorLocal is a vendor's official MCP server run locally.
	KindVendorLocal Kind = "vendor-local"
	// KindCommunity is a third-party MCP server package, or a naming convention of them.
	KindCommunity Kind = "community"
	// KindBridge relays between a local client and a remote server given by URL
	// (mcp-remote): the remote server is what matters.
	KindBridge Kind = "bridge"
	// KindDevTool is a developer tool that starts or connects to MCP servers (the Inspector).
	KindDevTool Kind = "devtool"
	// KindFramework is a framework whose run command starts an MCP server (FastMCP).
	KindFramework Kind = "framework"
	// KindNotMCP marks a host or package as not MCP, so that no entry or heuristic matches it
	// (user catalogue files, for false positives).
	KindNotMCP Kind = "not-mcp"
)

// kinds lists every Kind, for validation and help. Never modified.
var kinds = [...]Kind{KindSaaS, KindHub, KindAWS, KindInternal, KindReference, KindVendorLocal,
	KindCommunity, KindBridge, KindDevTool, KindFramework, KindNotMCP}

// Kinds returns every kind.
func Kinds() []Kind { return slices.Clone(kinds[:]) }

// ParseKind returns the kind named s (case-insensitive).
func ParseKind(s string) (Kind, error) {
	k := Kind(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(kinds[:], k) {
		return k, nil
	}
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k)
	}
	return "", fmt.Errorf("unknown kind %q (valid: %s)", s, strings.Join(names, ", "))
}

// Ecosystem is where a package comes from.
type Ecosystem string

// The ecosystems.
const (
	NPM    Ecosystem = "npm"    // npm packages (npx, node)
	PyPI   Ecosystem = "pypi"   // Python packages (uvx, pipx, python -m)
	Docker Ecosystem = "docker" // container images (docker run)
	Exec   Ecosystem = "exec"   // an executable's name
	// AnyEcosystem is the ecosystem of a naming pattern that applies to npm, PyPI and
	// executable names alike (not to container images, whose names have a registry and a
	// namespace).
	AnyEcosystem Ecosystem = "*"
)

// Entry is one catalogue entry: a remote endpoint (Host set) or a package (Package set).
// Entries are immutable once in a Catalogue.
type Entry struct {
	// ID identifies the entry in findings: "host/path" for a remote endpoint
	// ("mcp.atlassian.com/v1/sse"), "ecosystem:package" for a package ("npm:@playwright/mcp").
	ID      string `json:"id"`
	Service string `json:"service"`
	Kind    Kind   `json:"kind"`
	// URL is the endpoint as published (informational; may hold <placeholders>).
	URL string `json:"url,omitempty"`
	// Host is the lower-case host name or host pattern (see package dnsname) of a remote
	// endpoint; "" for a package.
	Host string `json:"host,omitempty"`
	// Path is the endpoint's path; "/" means the whole host. A '*' matches within one path
	// segment.
	Path string `json:"path,omitempty"`
	Auth string `json:"auth,omitempty"`
	// Dedicated says the host serves MCP only, so that the host name alone (a DNS query, a
	// TLS SNI) identifies MCP use. A shared host (api.githubcopilot.com) needs the path.
	Dedicated bool `json:"dedicated,omitempty"`
	// Package is the normalized package, image or executable name, or a pattern of them
	// ('*' never matches a '/'); "" for a remote endpoint.
	Package   string    `json:"package,omitempty"`
	Ecosystem Ecosystem `json:"ecosystem,omitempty"`
	Notes     string    `json:"notes,omitempty"`
	// Source says where the entry was defined: "file:line", then "; file:line" for every
	// row that overrode it.
	Source string `json:"source"`
}

// Remote reports whether e is a remote endpoint (else a package).
func (e *Entry) Remote() bool { return e.Host != "" }

// IsPattern reports whether e's host or package is a pattern.
func (e *Entry) IsPattern() bool {
	return strings.IndexByte(e.Host, '*') >= 0 || strings.IndexByte(e.Package, '*') >= 0
}

// String renders the entry for findings: "Atlassian (saas, mcp.atlassian.com/v1/sse,
// builtin/remote-mcp-servers.csv:4)".
func (e *Entry) String() string {
	return fmt.Sprintf("%s (%s, %s, %s)", e.Service, e.Kind, e.ID, e.Source)
}

// Catalogue is an immutable set of entries with indexes for the lookups. It is safe for
// concurrent use. Build one with Builtin or Load.
type Catalogue struct {
	entries []*Entry
	hosts   dnsname.Table // host or host pattern -> index in groups
	groups  []hostGroup
	// Packages: exact names per ecosystem, and patterns.
	packages map[Ecosystem]map[string]*Entry
	patterns []*Entry
}

// hostGroup is the entries sharing one host (or host pattern), in definition order.
type hostGroup struct {
	entries   []*Entry
	dedicated bool // any entry of the host is dedicated
	notMCP    *Entry
}

//go:embed data/remote-mcp-servers.csv data/mcpwatch.csv
var builtinFS embed.FS

// builtinFiles are the embedded files, in the order they are layered.
var builtinFiles = [...]string{"remote-mcp-servers.csv", "mcpwatch.csv"}

// builtinRows parses the embedded files once; the rows are never modified afterwards.
var builtinRows = sync.OnceValues(func() ([]row, error) {
	var rows []row
	for _, f := range builtinFiles {
		data, err := builtinFS.ReadFile("data/" + f)
		if err != nil {
			return nil, err
		}
		rs, err := readRows("builtin/"+f, bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		rows = append(rows, rs...)
	}
	return rows, nil
})

// builtin is the embedded catalogue, built once; it is immutable, so shared.
var builtin = sync.OnceValue(func() *Catalogue {
	c, err := build(nil)
	if err != nil {
		panic(fmt.Sprintf("catalogue: embedded data: %v", err)) // covered by tests
	}
	return c
})

// Builtin returns the embedded catalogue (the same immutable value on every call).
func Builtin() *Catalogue { return builtin() }

// Load returns the built-in catalogue extended by the named files, in order (later rows
// override earlier ones; see docs/policy.md for the format).
func Load(files ...string) (*Catalogue, error) {
	if len(files) == 0 {
		return Builtin(), nil
	}
	var extra []row
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("catalogue: %w", err)
		}
		rs, err := readRows(name, f)
		f.Close()
		if err != nil {
			return nil, err
		}
		extra = append(extra, rs...)
	}
	return build(extra)
}

// LoadReader is Load for one file already open, named name in errors and sources.
func LoadReader(name string, r io.Reader) (*Catalogue, error) {
	rs, err := readRows(name, r)
	if err != nil {
		return nil, err
	}
	return build(rs)
}

// Entries returns the entries, in definition order (built-in first).
func (c *Catalogue) Entries() []*Entry { return slices.Clone(c.entries) }

// Len is the number of entries.
func (c *Catalogue) Len() int { return len(c.entries) }

// Entry returns the entry with the given ID.
func (c *Catalogue) Entry(id string) (*Entry, bool) {
	for _, e := range c.entries {
		if e.ID == id {
			return e, true
		}
	}
	return nil, false
}
