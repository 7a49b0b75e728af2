// Package inventory is the record of one MCP server found by mcpwatch's discovery — in an MCP
// client's configuration file, as a running process, or by a network probe — and its two
// wire forms: an OCSF 1.1.0 Device Inventory Info event (class 5001), which is what scans
// print and what the lake stores, and an SSM custom inventory entry (Custom:MCPServers),
// which is what an SSM Run Command can leave on an instance for Systems Manager Inventory.
//
// OCSF 1.1.0's Device Inventory Info has only device and actor: the device scanned goes to
// device, a running server's process to actor.process, the user who owns the configuration
// or the process to actor.user, and every MCP attribute (server name, transport, URL, package,
// command line, client, protocol version, serverInfo, auth, ...) to unmapped under the keys
// of Fields, with observables for the hostname, IP address, URL, user and process name. Both
// forms convert to a Record and back without loss (Event/FromEvent, SSMEntry/FromSSM), so
// detection reads one type whatever the input was.
//
// Secrets are never part of a Record: scanners store environment variable and header names,
// never their values, and command lines and URLs only after redaction.
package inventory

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Source is how a server was found.
type Source string

// Sources of a Record.
const (
	// SourceConfig is a server declared in an MCP client's configuration file.
	SourceConfig Source = "config"
	// SourceProcess is a running MCP server process.
	SourceProcess Source = "process"
	// SourceProbe is a network endpoint a probe confirmed speaks MCP (or guards an MCP path
	// with OAuth).
	SourceProbe Source = "probe"
)

// Transports of a Record.
const (
	TransportStdio          = "stdio"
	TransportSSE            = "sse"             // the 2024-11-05 HTTP+SSE transport
	TransportStreamableHTTP = "streamable-http" // Streamable HTTP (2025-03-26 and later)
	// TransportHTTP is a remote server whose configuration does not say which HTTP transport.
	TransportHTTP = "http"
)

// Probe statuses of a Record (Status).
const (
	// StatusConfirmed is an endpoint that answered an MCP request (initialize, server/discover,
	// or the legacy SSE endpoint event) as only an MCP server does.
	StatusConfirmed = "confirmed"
	// StatusAuthRequired is an MCP path that answered 401 with OAuth 2.0 Protected Resource
	// Metadata (RFC 9728) naming that very path as the protected resource, as the MCP
	// authorization specification requires.
	StatusAuthRequired = "auth-required"
	// StatusNotMCP is an open endpoint that did not speak MCP (reported only on request).
	StatusNotMCP = "not-mcp"
)

// Device is the host a scan ran on, or the address a probe reached.
type Device struct {
	Hostname   string `json:"hostname,omitempty"`
	IP         string `json:"ip,omitempty"`
	InstanceID string `json:"instance_id,omitempty"` // EC2 instance id, when known
	Region     string `json:"region,omitempty"`
	Account    string `json:"account,omitempty"`
	OS         string `json:"os,omitempty"` // linux, darwin, windows
}

// Record is one MCP server found by a scan. Fields that do not apply are zero.
type Record struct {
	Source Source `json:"source"`
	// Name is the server's name: its key in the client's configuration, or for processes
	// and probes the package or serverInfo name.
	Name string `json:"name,omitempty"`
	// Client is the MCP client whose configuration declares the server (claude-desktop,
	// claude-code, cursor, vscode, windsurf, gemini-cli, codex, kiro, amazon-q, cline,
	// roo-code, opencode, zed), or for a process the client that started it, when known.
	Client string `json:"client,omitempty"`
	// ConfigPath is the configuration file, as the host names it.
	ConfigPath string `json:"config_path,omitempty"`
	// Scope is where the configuration applies: user, project, local (one project, kept in
	// a user file), managed (system-wide, set by an administrator) or remote (a VS Code
	// remote session's server side).
	Scope string `json:"scope,omitempty"`
	// Project is the project directory a project or local configuration belongs to.
	Project   string `json:"project,omitempty"`
	Transport string `json:"transport,omitempty"`
	// Command and Args are how a stdio server is started; CmdLine is both joined (for a
	// process, its command line). Values that look like secrets are redacted.
	Command string   `json:"command,omitempty"`
	Args    []string `json:"args,omitempty"`
	CmdLine string   `json:"cmd_line,omitempty"`
	// URL is a remote server's URL (query values and secret-looking path segments redacted);
	// Host and Port are its host and port, or a probed endpoint's.
	URL  string `json:"url,omitempty"`
	Host string `json:"host,omitempty"`
	Port int    `json:"port,omitempty"`
	// Package is the package the server runs (@modelcontextprotocol/server-github,
	// mcp-server-fetch, mcp/github), Ecosystem its registry (npm, pypi, docker), Launcher what
	// runs it (npx, uvx, docker, node, python, ...).
	Package        string `json:"package,omitempty"`
	PackageVersion string `json:"package_version,omitempty"`
	Ecosystem      string `json:"ecosystem,omitempty"`
	Launcher       string `json:"launcher,omitempty"`
	// EnvNames and HeaderNames are the names of the environment variables and HTTP headers
	// the configuration sets; their values are never read into a Record.
	EnvNames    []string `json:"env_names,omitempty"`
	HeaderNames []string `json:"header_names,omitempty"`
	Disabled    bool     `json:"disabled,omitempty"`
	// User owns the configuration file or runs the process.
	User string `json:"user,omitempty"`

	// Running processes.
	PID            int      `json:"pid,omitempty"`
	PPID           int      `json:"ppid,omitempty"`
	UID            string   `json:"uid,omitempty"` // the process's user id
	ProcessName    string   `json:"process_name,omitempty"`
	Executable     string   `json:"executable,omitempty"`
	LauncherCmd    string   `json:"launcher_cmd_line,omitempty"` // the launcher process's command line (npx, uvx, ...)
	PIDs           []int    `json:"pids,omitempty"`              // every process of the server (launcher and children)
	Listen         []string `json:"listen,omitempty"`            // listening sockets, "127.0.0.1:3001"
	ClientProcess  string   `json:"client_process,omitempty"`    // the ancestor process that is an MCP client
	ProcessStarted int64    `json:"process_started,omitempty"`   // Unix milliseconds

	// Network probes.
	Status               string   `json:"status,omitempty"`
	ProtocolVersion      string   `json:"protocol_version,omitempty"`
	ServerName           string   `json:"server_name,omitempty"` // serverInfo.name
	ServerVersion        string   `json:"server_version,omitempty"`
	ServerTitle          string   `json:"server_title,omitempty"`
	Capabilities         []string `json:"capabilities,omitempty"` // top-level capability names
	Auth                 string   `json:"auth,omitempty"`         // none, oauth
	ResourceMetadata     string   `json:"resource_metadata,omitempty"`
	AuthorizationServers []string `json:"authorization_servers,omitempty"`
	Tools                []string `json:"tools,omitempty"` // tool names from tools/list
	Risk                 string   `json:"risk,omitempty"`  // low, medium, high
	Evidence             string   `json:"evidence,omitempty"`
}

// Key is a stable identity of the record on its device: the same server found again by the
// same kind of scan has the same key, so that a lake or a detector can tell new from seen.
// Processes are keyed by command line, not pid, so that a restarted server keeps its key.
func (r *Record) Key(d Device) string {
	id := d.InstanceID
	if id == "" {
		id = d.Hostname
	}
	if r.Source == SourceProbe {
		id = "" // a probe's identity is its endpoint, whoever probed it
	}
	parts := []string{string(r.Source), id}
	switch r.Source {
	case SourceConfig:
		parts = append(parts, r.Client, r.ConfigPath, r.Project, r.Name)
	case SourceProcess:
		parts = append(parts, r.User, r.CmdLine)
	default:
		parts = append(parts, r.URL)
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:16])
}

// Scan is the outcome of one scan: the device, when it ran, and what it found.
type Scan struct {
	Device  Device    `json:"device"`
	Time    time.Time `json:"time"`
	Records []Record  `json:"servers"`
}
