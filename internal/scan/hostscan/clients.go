package hostscan

import "strings"

// Location is where an MCP client keeps a configuration file with MCP servers.
type Location struct {
	Client string
	// Scope is user (in a home directory), managed (system-wide, set by an administrator) or
	// remote (a VS Code remote session's server side, in a home directory).
	Scope string
	// Path is the file's path: under the user's home with a leading "~/", under a per-user
	// base with $CONFIG (~/.config on Linux, ~/Library/Application Support on macOS,
	// %APPDATA% on Windows) or $VSCODE (each VS Code flavour's User directory), or absolute
	// for managed files. Slashes separate; the last element may be a glob pattern.
	Path    string
	Dialect Dialect
	// OS limits the location to one operating system ("" for all).
	OS string
}

// ProjectFile is where an MCP client keeps a project's MCP servers, relative to the
// project's directory.
type ProjectFile struct {
	Client  string
	Path    string
	Dialect Dialect
}

// vscodeFlavours are the editors built on VS Code whose User directory holds VS Code's own
// MCP configuration and the Cline and Roo Code extensions' settings.
var vscodeFlavours = []string{"Code", "Code - Insiders", "VSCodium", "Cursor", "Windsurf", "Kiro"}

// remoteServers are the home directories of VS Code (and forks') remote-session servers.
var remoteServers = []string{".vscode-server", ".vscode-server-insiders", ".vscode-remote", ".cursor-server", ".windsurf-server"}

// Locations returns every place an MCP client keeps MCP servers on os (linux, darwin or
// windows): per-user files, the same under VS Code remote servers, and managed system-wide
// files. Sources are each client's documentation; see docs/scan.md.
func Locations(os string) []Location {
	ls := []Location{
		// Claude Desktop.
		{Client: "claude-desktop", Scope: "user", Path: "$CONFIG/Claude/claude_desktop_config.json", Dialect: DialectMCPServers},
		// Claude Code: user and local scopes in ~/.claude.json; managed-mcp.json system-wide.
		{Client: "claude-code", Scope: "user", Path: "~/.claude.json", Dialect: DialectClaudeJSON},
		{Client: "claude-code", Scope: "managed", Path: "/etc/claude-code/managed-mcp.json", Dialect: DialectMCPServers, OS: "linux"},
		{Client: "claude-code", Scope: "managed", Path: "/Library/Application Support/ClaudeCode/managed-mcp.json", Dialect: DialectMCPServers, OS: "darwin"},
		{Client: "claude-code", Scope: "managed", Path: "C:/ProgramData/ClaudeCode/managed-mcp.json", Dialect: DialectMCPServers, OS: "windows"},
		{Client: "claude-code", Scope: "managed", Path: "C:/Program Files/ClaudeCode/managed-mcp.json", Dialect: DialectMCPServers, OS: "windows"},
		// Cursor.
		{Client: "cursor", Scope: "user", Path: "~/.cursor/mcp.json", Dialect: DialectMCPServers},
		// Windsurf (and Windsurf Next).
		{Client: "windsurf", Scope: "user", Path: "~/.codeium/windsurf/mcp_config.json", Dialect: DialectMCPServers},
		{Client: "windsurf", Scope: "user", Path: "~/.codeium/windsurf-next/mcp_config.json", Dialect: DialectMCPServers},
		// Gemini CLI: user settings, then system settings and system defaults.
		{Client: "gemini-cli", Scope: "user", Path: "~/.gemini/settings.json", Dialect: DialectMCPServers},
		{Client: "gemini-cli", Scope: "managed", Path: "/etc/gemini-cli/settings.json", Dialect: DialectMCPServers, OS: "linux"},
		{Client: "gemini-cli", Scope: "managed", Path: "/etc/gemini-cli/system-defaults.json", Dialect: DialectMCPServers, OS: "linux"},
		{Client: "gemini-cli", Scope: "managed", Path: "/Library/Application Support/GeminiCli/settings.json", Dialect: DialectMCPServers, OS: "darwin"},
		{Client: "gemini-cli", Scope: "managed", Path: "/Library/Application Support/GeminiCli/system-defaults.json", Dialect: DialectMCPServers, OS: "darwin"},
		{Client: "gemini-cli", Scope: "managed", Path: "C:/ProgramData/gemini-cli/settings.json", Dialect: DialectMCPServers, OS: "windows"},
		{Client: "gemini-cli", Scope: "managed", Path: "C:/ProgramData/gemini-cli/system-defaults.json", Dialect: DialectMCPServers, OS: "windows"},
		// Codex CLI.
		{Client: "codex", Scope: "user", Path: "~/.codex/config.toml", Dialect: DialectCodex},
		{Client: "codex", Scope: "managed", Path: "/etc/codex/managed_config.toml", Dialect: DialectCodex, OS: "linux"},
		{Client: "codex", Scope: "managed", Path: "/etc/codex/managed_config.toml", Dialect: DialectCodex, OS: "darwin"},
		// Kiro.
		{Client: "kiro", Scope: "user", Path: "~/.kiro/settings/mcp.json", Dialect: DialectMCPServers},
		// Amazon Q Developer (CLI and IDE plugins): global mcp.json and CLI agents.
		{Client: "amazon-q", Scope: "user", Path: "~/.aws/amazonq/mcp.json", Dialect: DialectMCPServers},
		{Client: "amazon-q", Scope: "user", Path: "~/.aws/amazonq/cli-agents/*.json", Dialect: DialectMCPServers},
		{Client: "amazon-q", Scope: "user", Path: "~/.aws/amazonq/agents/*.json", Dialect: DialectMCPServers},
		// Cline's standalone CLI.
		{Client: "cline", Scope: "user", Path: "~/.cline/data/settings/cline_mcp_settings.json", Dialect: DialectMCPServers},
		// OpenCode (~/.config/opencode on every OS).
		{Client: "opencode", Scope: "user", Path: "~/.config/opencode/opencode.json", Dialect: DialectOpenCode},
		{Client: "opencode", Scope: "user", Path: "~/.config/opencode/opencode.jsonc", Dialect: DialectOpenCode},
		{Client: "opencode", Scope: "user", Path: "~/.config/opencode/config.json", Dialect: DialectOpenCode},
		{Client: "opencode", Scope: "managed", Path: "/etc/opencode/opencode.json", Dialect: DialectOpenCode, OS: "linux"},
		{Client: "opencode", Scope: "managed", Path: "/Library/Application Support/opencode/opencode.json", Dialect: DialectOpenCode, OS: "darwin"},
		// Zed: ~/.config/zed on Linux and macOS, %APPDATA%\Zed on Windows.
		{Client: "zed", Scope: "user", Path: "~/.config/zed/settings.json", Dialect: DialectZed, OS: "linux"},
		{Client: "zed", Scope: "user", Path: "~/.config/zed/settings.json", Dialect: DialectZed, OS: "darwin"},
		{Client: "zed", Scope: "user", Path: "$CONFIG/Zed/settings.json", Dialect: DialectZed, OS: "windows"},
	}
	// VS Code and its forks: the User directory's mcp.json (and its profiles'), settings.json,
	// and the Cline and Roo Code extensions' settings.
	for _, flavour := range vscodeFlavours {
		client := "vscode"
		switch flavour {
		case "Cursor":
			client = "cursor"
		case "Windsurf":
			client = "windsurf"
		case "Kiro":
			client = "kiro"
		}
		base := "$CONFIG/" + flavour + "/User"
		ls = append(ls, vscodeUserFiles(client, "user", base)...)
	}
	for _, srv := range remoteServers {
		client := "vscode"
		switch srv {
		case ".cursor-server":
			client = "cursor"
		case ".windsurf-server":
			client = "windsurf"
		}
		ls = append(ls, vscodeUserFiles(client, "remote", "~/"+srv+"/data/User")...)
		ls = append(ls,
			Location{Client: client, Scope: "remote", Path: "~/" + srv + "/data/Machine/settings.json", Dialect: DialectVSCodeSettings},
			Location{Client: client, Scope: "remote", Path: "~/" + srv + "/data/Machine/mcp.json", Dialect: DialectVSCode})
	}
	out := ls[:0]
	for _, l := range ls {
		if l.OS == "" || l.OS == os {
			out = append(out, l)
		}
	}
	return out
}

// vscodeUserFiles are the MCP files of one VS Code User directory.
func vscodeUserFiles(client, scope, base string) []Location {
	ls := []Location{
		{Client: client, Scope: scope, Path: base + "/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json", Dialect: DialectMCPServers},
		{Client: client, Scope: scope, Path: base + "/globalStorage/rooveterinaryinc.roo-cline/settings/mcp_settings.json", Dialect: DialectMCPServers},
	}
	ls[0].Client, ls[1].Client = "cline", "roo-code"
	if client == "vscode" {
		ls = append(ls,
			Location{Client: client, Scope: scope, Path: base + "/mcp.json", Dialect: DialectVSCode},
			Location{Client: client, Scope: scope, Path: base + "/profiles/*/mcp.json", Dialect: DialectVSCode},
			Location{Client: client, Scope: scope, Path: base + "/settings.json", Dialect: DialectVSCodeSettings})
	}
	return ls
}

// ProjectFiles are the project-level MCP configuration files every client reads.
func ProjectFiles() []ProjectFile {
	return []ProjectFile{
		{Client: "claude-code", Path: ".mcp.json", Dialect: DialectMCPServers},
		{Client: "cursor", Path: ".cursor/mcp.json", Dialect: DialectMCPServers},
		{Client: "vscode", Path: ".vscode/mcp.json", Dialect: DialectVSCode},
		{Client: "vscode", Path: ".vscode/settings.json", Dialect: DialectVSCodeSettings},
		{Client: "gemini-cli", Path: ".gemini/settings.json", Dialect: DialectMCPServers},
		{Client: "kiro", Path: ".kiro/settings/mcp.json", Dialect: DialectMCPServers},
		{Client: "amazon-q", Path: ".amazonq/mcp.json", Dialect: DialectMCPServers},
		{Client: "amazon-q", Path: ".amazonq/cli-agents/*.json", Dialect: DialectMCPServers},
		{Client: "roo-code", Path: ".roo/mcp.json", Dialect: DialectMCPServers},
		{Client: "windsurf", Path: ".windsurf/mcp_config.json", Dialect: DialectMCPServers},
		{Client: "opencode", Path: "opencode.json", Dialect: DialectOpenCode},
		{Client: "opencode", Path: "opencode.jsonc", Dialect: DialectOpenCode},
		{Client: "zed", Path: ".zed/settings.json", Dialect: DialectZed},
		{Client: "codex", Path: ".codex/config.toml", Dialect: DialectCodex},
	}
}

// configBase is where $CONFIG points on os, relative to a home directory.
func configBase(os string) string {
	switch os {
	case "darwin":
		return "Library/Application Support"
	case "windows":
		return "AppData/Roaming"
	}
	return ".config"
}

// expand returns the path of l for the home directory home (slash-separated, relative to
// the filesystem root), or "" when l is a managed file and home is not "".
func (l Location) expand(os, home string) string {
	p := l.Path
	switch {
	case strings.HasPrefix(p, "~/"):
		if home == "" {
			return ""
		}
		return home + "/" + p[2:]
	case strings.HasPrefix(p, "$CONFIG/"):
		if home == "" {
			return ""
		}
		return home + "/" + configBase(os) + "/" + strings.TrimPrefix(p, "$CONFIG/")
	default:
		if home != "" {
			return ""
		}
		return strings.TrimPrefix(strings.TrimPrefix(p, "C:"), "/")
	}
}
