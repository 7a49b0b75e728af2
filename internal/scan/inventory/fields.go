package inventory

import (
	"strconv"
	"strings"
)

// Field is one attribute of a Record in its wire forms: Key in an OCSF event's unmapped
// object ("mcp.transport"), SSM the attribute name in a Custom:MCPServers inventory entry
// ("Transport"). Lists are joined with ListSep; booleans are "true" or absent.
type Field struct {
	Key string
	SSM string
	get func(*Record) string
	set func(*Record, string)
}

// ListSep separates the items of list attributes (names never contain it).
const ListSep = ","

// Fields are the attributes of a Record in their wire order. It is never modified.
var Fields = []Field{
	str("mcp.source", "Source", func(r *Record) *string { return (*string)(&r.Source) }),
	str("mcp.name", "Name", func(r *Record) *string { return &r.Name }),
	str("mcp.client", "Client", func(r *Record) *string { return &r.Client }),
	str("mcp.config_path", "ConfigPath", func(r *Record) *string { return &r.ConfigPath }),
	str("mcp.scope", "Scope", func(r *Record) *string { return &r.Scope }),
	str("mcp.project", "Project", func(r *Record) *string { return &r.Project }),
	str("mcp.transport", "Transport", func(r *Record) *string { return &r.Transport }),
	str("mcp.command", "Command", func(r *Record) *string { return &r.Command }),
	args("mcp.args", "Args", func(r *Record) *[]string { return &r.Args }),
	str("mcp.cmd_line", "CommandLine", func(r *Record) *string { return &r.CmdLine }),
	str("mcp.url", "URL", func(r *Record) *string { return &r.URL }),
	str("mcp.host", "Host", func(r *Record) *string { return &r.Host }),
	num("mcp.port", "Port", func(r *Record) *int { return &r.Port }),
	str("mcp.package", "Package", func(r *Record) *string { return &r.Package }),
	str("mcp.package_version", "PackageVersion", func(r *Record) *string { return &r.PackageVersion }),
	str("mcp.ecosystem", "Ecosystem", func(r *Record) *string { return &r.Ecosystem }),
	str("mcp.launcher", "Launcher", func(r *Record) *string { return &r.Launcher }),
	list("mcp.env_names", "EnvNames", func(r *Record) *[]string { return &r.EnvNames }),
	list("mcp.header_names", "HeaderNames", func(r *Record) *[]string { return &r.HeaderNames }),
	boolean("mcp.disabled", "Disabled", func(r *Record) *bool { return &r.Disabled }),
	str("mcp.user", "User", func(r *Record) *string { return &r.User }),
	num("mcp.pid", "PID", func(r *Record) *int { return &r.PID }),
	num("mcp.ppid", "PPID", func(r *Record) *int { return &r.PPID }),
	str("mcp.uid", "UID", func(r *Record) *string { return &r.UID }),
	str("mcp.process_name", "ProcessName", func(r *Record) *string { return &r.ProcessName }),
	str("mcp.executable", "Executable", func(r *Record) *string { return &r.Executable }),
	str("mcp.launcher_cmd_line", "LauncherCommandLine", func(r *Record) *string { return &r.LauncherCmd }),
	ints("mcp.pids", "PIDs", func(r *Record) *[]int { return &r.PIDs }),
	list("mcp.listen", "Listen", func(r *Record) *[]string { return &r.Listen }),
	str("mcp.client_process", "ClientProcess", func(r *Record) *string { return &r.ClientProcess }),
	num64("mcp.process_started", "ProcessStarted", func(r *Record) *int64 { return &r.ProcessStarted }),
	str("mcp.status", "Status", func(r *Record) *string { return &r.Status }),
	str("mcp.protocol_version", "ProtocolVersion", func(r *Record) *string { return &r.ProtocolVersion }),
	str("mcp.server_name", "ServerName", func(r *Record) *string { return &r.ServerName }),
	str("mcp.server_version", "ServerVersion", func(r *Record) *string { return &r.ServerVersion }),
	str("mcp.server_title", "ServerTitle", func(r *Record) *string { return &r.ServerTitle }),
	list("mcp.capabilities", "Capabilities", func(r *Record) *[]string { return &r.Capabilities }),
	str("mcp.auth", "Auth", func(r *Record) *string { return &r.Auth }),
	str("mcp.resource_metadata", "ResourceMetadata", func(r *Record) *string { return &r.ResourceMetadata }),
	list("mcp.authorization_servers", "AuthorizationServers", func(r *Record) *[]string { return &r.AuthorizationServers }),
	list("mcp.tools", "Tools", func(r *Record) *[]string { return &r.Tools }),
	str("mcp.risk", "Risk", func(r *Record) *string { return &r.Risk }),
	str("mcp.evidence", "Evidence", func(r *Record) *string { return &r.Evidence }),
}

// Get returns the field's value in r as text ("" when absent).
func (f Field) Get(r *Record) string { return f.get(r) }

// Set parses v into the field of r. Values that do not parse (a port that is not a number)
// leave the field zero.
func (f Field) Set(r *Record, v string) { f.set(r, v) }

func str(key, ssm string, p func(*Record) *string) Field {
	return Field{key, ssm, func(r *Record) string { return *p(r) }, func(r *Record, v string) { *p(r) = v }}
}

func num(key, ssm string, p func(*Record) *int) Field {
	return Field{key, ssm,
		func(r *Record) string {
			if *p(r) == 0 {
				return ""
			}
			return strconv.Itoa(*p(r))
		},
		func(r *Record, v string) {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				n = 0
			}
			*p(r) = n
		}}
}

func num64(key, ssm string, p func(*Record) *int64) Field {
	return Field{key, ssm,
		func(r *Record) string {
			if *p(r) == 0 {
				return ""
			}
			return strconv.FormatInt(*p(r), 10)
		},
		func(r *Record, v string) {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				n = 0
			}
			*p(r) = n
		}}
}

func boolean(key, ssm string, p func(*Record) *bool) Field {
	return Field{key, ssm,
		func(r *Record) string {
			if *p(r) {
				return "true"
			}
			return ""
		},
		func(r *Record, v string) { *p(r) = v == "true" }}
}

// list joins names, which never contain ListSep.
func list(key, ssm string, p func(*Record) *[]string) Field {
	return Field{key, ssm,
		func(r *Record) string { return strings.Join(*p(r), ListSep) },
		func(r *Record, v string) {
			*p(r) = nil
			if v != "" {
				*p(r) = strings.Split(v, ListSep)
			}
		}}
}

func ints(key, ssm string, p func(*Record) *[]int) Field {
	return Field{key, ssm,
		func(r *Record) string {
			s := make([]string, len(*p(r)))
			for i, n := range *p(r) {
				s[i] = strconv.Itoa(n)
			}
			return strings.Join(s, ListSep)
		},
		func(r *Record, v string) {
			*p(r) = nil
			for _, s := range strings.Split(v, ListSep) {
				if n, err := strconv.Atoi(s); err == nil && n > 0 {
					*p(r) = append(*p(r), n)
				}
			}
		}}
}

// args encodes a command's arguments, which may contain anything, as a JSON array.
func args(key, ssm string, p func(*Record) *[]string) Field {
	return Field{key, ssm,
		func(r *Record) string {
			if len(*p(r)) == 0 {
				return ""
			}
			return jsonStrings(*p(r))
		},
		func(r *Record, v string) { *p(r) = parseJSONStrings(v) }}
}
