package hostscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/mcpwatch/mcpwatch/internal/scan/inventory"
	"github.com/mcpwatch/mcpwatch/internal/scan/redact"
)

// Dialect says where a configuration file keeps its MCP servers.
type Dialect int

// Dialects of the MCP clients' configuration files.
const (
	// DialectAny looks for every container below (for files of unknown origin).
	DialectAny Dialect = iota
	// DialectMCPServers is {"mcpServers": {name: server}}: Claude Desktop, Claude Code's
	// .mcp.json and managed-mcp.json, Cursor, Windsurf, Gemini CLI, Kiro, Amazon Q, Cline.
	DialectMCPServers
	// DialectClaudeJSON is Claude Code's ~/.claude.json: user servers under mcpServers and
	// local (per-project) servers under projects.<dir>.mcpServers.
	DialectClaudeJSON
	// DialectVSCode is VS Code's mcp.json: {"servers": {name: server}, "inputs": [...]}.
	DialectVSCode
	// DialectVSCodeSettings is VS Code's settings.json: {"mcp": {"servers": {...}}}.
	DialectVSCodeSettings
	// DialectOpenCode is opencode.json: {"mcp": {name: {"type": "local"|"remote", ...}}}.
	DialectOpenCode
	// DialectZed is Zed's settings.json: {"context_servers": {name: server}}.
	DialectZed
	// DialectCodex is Codex's config.toml: [mcp_servers.<name>] tables.
	DialectCodex
)

// MaxConfigBytes bounds the size of a configuration file read (~/.claude.json grows with
// history, but not to this).
const MaxConfigBytes = 32 << 20

// ParseConfig reads the MCP servers of a configuration file in dialect d. Each record has
// Name, Transport, Command, Args, CmdLine, URL, Host, Port, Package, Launcher, Ecosystem,
// EnvNames, HeaderNames and Disabled set as the entry says (secrets redacted), and Scope
// "local" with Project set for the per-project servers of ~/.claude.json. projects lists
// the project directories the file knows of (~/.claude.json only). A file that is not valid
// JSON, JSON with comments or TOML (for Codex) is an error; entries that are not objects are
// skipped.
func ParseConfig(data []byte, d Dialect) (recs []inventory.Record, projects []string, err error) {
	if len(data) > MaxConfigBytes {
		return nil, nil, fmt.Errorf("configuration larger than %d bytes", MaxConfigBytes)
	}
	var doc map[string]any
	if d == DialectCodex || d == DialectAny && looksTOML(data) {
		if _, err := toml.Decode(string(data), &doc); err != nil {
			return nil, nil, fmt.Errorf("TOML: %w", err)
		}
	} else {
		dec := json.NewDecoder(bytes.NewReader(standardizeJSONC(data)))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			return nil, nil, fmt.Errorf("JSON: %w", err)
		}
		if doc == nil {
			return nil, nil, errors.New("JSON: not an object")
		}
	}
	add := func(m map[string]any, scope, project string) {
		for _, name := range sortedKeys(m) {
			e, ok := m[name].(map[string]any)
			if !ok {
				continue
			}
			r := entryRecord(name, e)
			r.Scope, r.Project = scope, project
			recs = append(recs, r)
		}
	}
	obj := func(v any) map[string]any { m, _ := v.(map[string]any); return m }
	switch d {
	case DialectMCPServers:
		add(obj(doc["mcpServers"]), "", "")
	case DialectClaudeJSON:
		add(obj(doc["mcpServers"]), "", "")
		ps := obj(doc["projects"])
		for _, dir := range sortedKeys(ps) {
			projects = append(projects, dir)
			add(obj(obj(ps[dir])["mcpServers"]), "local", dir)
		}
	case DialectVSCode:
		add(obj(doc["servers"]), "", "")
	case DialectVSCodeSettings:
		add(obj(obj(doc["mcp"])["servers"]), "", "")
	case DialectOpenCode:
		add(obj(doc["mcp"]), "", "")
	case DialectZed:
		add(obj(doc["context_servers"]), "", "")
	case DialectCodex:
		add(obj(doc["mcp_servers"]), "", "")
	default:
		add(obj(doc["mcpServers"]), "", "")
		add(obj(doc["servers"]), "", "")
		add(obj(doc["mcp_servers"]), "", "")
		add(obj(doc["context_servers"]), "", "")
		if m := obj(doc["mcp"]); m != nil {
			if s := obj(m["servers"]); s != nil {
				add(s, "", "")
			} else {
				add(m, "", "")
			}
		}
	}
	return recs, projects, nil
}

// looksTOML reports whether data starts like TOML rather than JSON.
func looksTOML(data []byte) bool {
	t := bytes.TrimSpace(standardizeJSONC(data))
	return len(t) > 0 && t[0] != '{'
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// entryRecord reads one server entry. It knows every client's spelling: command as a string,
// an array (OpenCode) or an object {path, args, env} (Zed); env, environment (OpenCode),
// env_vars and bearer_token_env_var (Codex); url, serverUrl (Windsurf), httpUrl (Gemini CLI);
// type or transport; headers, http_headers and env_http_headers (Codex); disabled and
// enabled.
func entryRecord(name string, e map[string]any) inventory.Record {
	r := inventory.Record{Source: inventory.SourceConfig, Name: name}
	var command string
	var args []string
	envNames := map[string]bool{}
	headerNames := map[string]bool{}
	addKeys := func(set map[string]bool, v any) {
		if m, ok := v.(map[string]any); ok {
			for k := range m {
				set[k] = true
			}
		}
	}
	switch c := e["command"].(type) {
	case string:
		command = c
	case []any:
		s := strings1(c)
		if len(s) > 0 {
			command, args = s[0], s[1:]
		}
	case map[string]any: // Zed before 0.190: "command": {"path": ..., "args": [...], "env": {...}}
		command, _ = c["path"].(string)
		args = strings1(asSlice(c["args"]))
		addKeys(envNames, c["env"])
	}
	if a := strings1(asSlice(e["args"])); len(a) > 0 {
		args = append(args, a...)
	}
	addKeys(envNames, e["env"])
	addKeys(envNames, e["environment"])
	for _, n := range strings1(asSlice(e["env_vars"])) {
		envNames[n] = true
	}
	if n, ok := e["bearer_token_env_var"].(string); ok && n != "" {
		envNames[n] = true
		headerNames["Authorization"] = true
	}
	addKeys(headerNames, e["headers"])
	addKeys(headerNames, e["http_headers"])
	addKeys(headerNames, e["env_http_headers"])
	if m, ok := e["env_http_headers"].(map[string]any); ok {
		for _, v := range m {
			if s, ok := v.(string); ok && s != "" {
				envNames[s] = true
			}
		}
	}
	rawURL := ""
	httpURL := false
	for _, k := range []string{"url", "serverUrl", "httpUrl", "uri"} {
		if s, ok := e[k].(string); ok && s != "" {
			rawURL, httpURL = s, k == "httpUrl"
			break
		}
	}
	typ, _ := e["type"].(string)
	if typ == "" {
		typ, _ = e["transport"].(string)
	}
	if b, ok := e["disabled"].(bool); ok && b {
		r.Disabled = true
	}
	if b, ok := e["enabled"].(bool); ok && !b {
		r.Disabled = true
	}

	switch strings.ToLower(strings.NewReplacer("-", "", "_", "").Replace(typ)) {
	case "stdio", "local":
		r.Transport = inventory.TransportStdio
	case "sse":
		r.Transport = inventory.TransportSSE
	case "http", "streamablehttp", "streamable":
		r.Transport = inventory.TransportStreamableHTTP
	default:
		switch {
		case command != "":
			r.Transport = inventory.TransportStdio
		case httpURL:
			r.Transport = inventory.TransportStreamableHTTP
		case rawURL != "":
			r.Transport = inventory.TransportHTTP
			if u, err := url.Parse(rawURL); err == nil && strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), "/sse") {
				r.Transport = inventory.TransportSSE
			}
		}
	}
	if command != "" {
		r.Command = redact.Arg(command)
		r.Args = redact.Args(args)
		r.CmdLine = strings.Join(append([]string{r.Command}, r.Args...), " ")
		l := Classify(append([]string{command}, args...))
		r.Launcher, r.Package, r.PackageVersion, r.Ecosystem = l.Launcher, l.Package, l.Version, l.Ecosystem
		if rawURL == "" {
			rawURL = l.URL // a bridge to a remote server: mcp-remote URL, supergateway --sse URL
		}
	}
	if rawURL != "" {
		r.URL = redact.URL(rawURL)
		r.Host, r.Port = hostPort(rawURL)
	}
	r.EnvNames = setList(envNames)
	r.HeaderNames = setList(headerNames)
	return r
}

// hostPort returns the host and port of a URL (the scheme's default port when it has none).
func hostPort(raw string) (string, int) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", 0
	}
	port, _ := strconv.Atoi(u.Port())
	if port == 0 {
		switch strings.ToLower(u.Scheme) {
		case "https", "wss":
			port = 443
		case "http", "ws":
			port = 80
		}
	}
	return strings.ToLower(u.Hostname()), port
}

func setList(set map[string]bool) []string {
	if len(set) == 0 {
		return nil
	}
	out := make([]string, 0, len(set))
	for k := range set {
		// Names go in a comma-separated list; a name with a comma or a blank is not a name.
		if k != "" && !strings.ContainsAny(k, inventory.ListSep+" \t\r\n") {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	if len(out) == 0 {
		return nil
	}
	return out
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

// strings1 returns the string items of s (numbers and booleans as text), skipping others.
func strings1(s []any) []string {
	out := make([]string, 0, len(s))
	for _, v := range s {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case json.Number:
			out = append(out, x.String())
		case int64:
			out = append(out, strconv.FormatInt(x, 10))
		case float64:
			out = append(out, strconv.FormatFloat(x, 'g', -1, 64))
		case bool:
			out = append(out, strconv.FormatBool(x))
		}
	}
	return out
}
