package catalogue

import (
	"strings"

	"github.com/mcpwatch/mcpwatch/internal/glob"
)

// CommandMatch is the catalogue's answer about a command line or container image: whether it
// runs an MCP server, which package, and how sure (a known package, High; a naming pattern,
// Medium; an "mcp" word in a name, Low).
type CommandMatch struct {
	Match
	// Ecosystem and Package are the package found and its normalized name (an npm or PyPI
	// package, an image, a Python module, a script path, an executable); "" when nothing was
	// recognized.
	Ecosystem Ecosystem
	Package   string
	// Launcher says how it is started: "npx", "uvx", "pipx run", "python -m", "node",
	// "docker run", "exec", ...
	Launcher string
	// URL and Remote are, for a bridge (mcp-remote, mcp-proxy, ...), the remote server's URL
	// found in the arguments and the catalogue's answer about it.
	URL    string
	Remote Match
}

// MatchCommand is MatchArgv for a command line, split as a POSIX shell would (quotes and
// backslash escapes; no expansion). Windows paths keep their backslashes.
func (c *Catalogue) MatchCommand(cmdline string) CommandMatch {
	return c.MatchArgv(SplitCommand(cmdline))
}

// maxDepth bounds how many wrappers (sudo, env, sh -c, uv run, ...) are unwrapped.
const maxDepth = 8

// MatchArgv says whether a command (argv[0] the program) runs an MCP server. It understands
// wrappers (env, sudo, nohup, sh -c, cmd /c), package runners (npx, npm exec, pnpm dlx, yarn
// dlx, bunx, uvx, uv tool run, uv run, pipx run), interpreters (python -m, node, deno, bun),
// container runs (docker, podman, nerdctl, finch run) and executables, and for bridges the
// remote URL among the arguments.
func (c *Catalogue) MatchArgv(argv []string) CommandMatch {
	return c.matchArgv(argv, 0)
}

func (c *Catalogue) matchArgv(argv []string, depth int) CommandMatch {
	if depth > maxDepth {
		return CommandMatch{}
	}
	// Environment assignments and wrappers.
	for len(argv) > 0 {
		a := argv[0]
		if isAssignment(a) {
			argv = argv[1:]
			continue
		}
		switch execName(a) {
		case "env":
			argv = skipOptions(argv[1:], "u", "unset", "C", "chdir", "S", "split-string")
			continue
		case "sudo", "doas":
			argv = skipOptions(argv[1:], "u", "user", "g", "group", "C", "D", "chdir", "h", "host", "p", "prompt", "r", "role", "t", "type", "T", "command-timeout")
			continue
		case "nohup", "exec", "time", "nice", "ionice", "stdbuf", "setsid", "caffeinate", "tini", "dumb-init":
			argv = skipOptions(argv[1:], "n", "adjustment", "c", "class", "i", "o", "e")
			continue
		case "sh", "bash", "zsh", "dash", "ash", "ksh", "fish":
			for i := 1; i < len(argv); i++ {
				if strings.HasPrefix(argv[i], "-") && strings.Contains(argv[i], "c") && !strings.HasPrefix(argv[i], "--") && i+1 < len(argv) {
					return c.matchArgv(SplitCommand(argv[i+1]), depth+1)
				}
			}
		case "cmd":
			for i := 1; i < len(argv); i++ {
				if l := strings.ToLower(argv[i]); l == "/c" || l == "/k" {
					return c.matchArgv(argv[i+1:], depth+1)
				}
			}
		case "powershell", "pwsh":
			for i := 1; i < len(argv); i++ {
				if l := strings.ToLower(argv[i]); (l == "-command" || l == "-c") && i+1 < len(argv) {
					return c.matchArgv(SplitCommand(strings.Join(argv[i+1:], " ")), depth+1)
				}
			}
		}
		break
	}
	if len(argv) == 0 {
		return CommandMatch{}
	}
	prog, args := execName(argv[0]), argv[1:]
	sub := func(i int) string {
		if i < len(args) {
			return strings.ToLower(args[i])
		}
		return ""
	}
	switch {
	case prog == "npx" || prog == "bunx" || prog == "pnpx":
		return c.runner(NPM, prog, args, npxValueOpts, "package", "p")
	case prog == "npm" && (sub(0) == "exec" || sub(0) == "x"):
		return c.runner(NPM, "npm exec", args[1:], npxValueOpts, "package", "p")
	case (prog == "pnpm" || prog == "yarn") && sub(0) == "dlx":
		return c.runner(NPM, prog+" dlx", args[1:], npxValueOpts, "package", "p")
	case prog == "bun" && sub(0) == "x":
		return c.runner(NPM, "bunx", args[1:], npxValueOpts, "package", "p")
	case prog == "uvx":
		return c.runner(PyPI, "uvx", args, uvValueOpts, "from", "")
	case prog == "uv" && sub(0) == "tool" && sub(1) == "run":
		return c.runner(PyPI, "uvx", args[2:], uvValueOpts, "from", "")
	case prog == "uv" && sub(0) == "run":
		rest := skipOptions(args[1:], uvValueOpts...)
		if m := c.matchArgv(rest, depth+1); m.Package != "" {
			return m
		}
		return CommandMatch{}
	case prog == "pipx" && sub(0) == "run":
		return c.runner(PyPI, "pipx run", args[1:], []string{"spec", "python", "pip-args", "index-url"}, "spec", "")
	case isPython(prog):
		return c.python(args)
	case prog == "node" || prog == "nodejs" || prog == "deno" || prog == "bun" || prog == "tsx" || prog == "ts-node":
		return c.script(prog, args)
	case prog == "docker" || prog == "podman" || prog == "nerdctl" || prog == "finch":
		if sub(0) == "container" {
			args = args[1:]
		}
		if len(args) > 0 && (strings.EqualFold(args[0], "run") || strings.EqualFold(args[0], "create")) {
			return c.container(prog+" run", args[1:])
		}
		return CommandMatch{}
	case (prog == "fastmcp" || prog == "mcp") && (sub(0) == "run" || sub(0) == "dev"):
		m := c.MatchPackage(PyPI, prog)
		return c.finish(CommandMatch{Match: m, Ecosystem: PyPI, Package: normPackage(PyPI, prog), Launcher: prog + " " + sub(0)}, args)
	case prog == "claude" && sub(0) == "mcp" && sub(1) == "serve":
		m := c.MatchPackage(NPM, "@anthropic-ai/claude-code")
		return CommandMatch{Match: m, Ecosystem: NPM, Package: "@anthropic-ai/claude-code", Launcher: "claude mcp serve"}
	}
	// An executable: its own name (an installed package's command, a binary).
	return c.finish(CommandMatch{Match: c.MatchPackage(Exec, argv[0]), Ecosystem: Exec, Package: normPackage(Exec, argv[0]), Launcher: "exec"}, args)
}

// Options of the runners that take a value (without dashes).
var (
	npxValueOpts = []string{"p", "package", "c", "call", "registry", "cache", "userconfig", "w", "workspace"}
	uvValueOpts  = []string{"from", "with", "with-editable", "with-requirements", "p", "python", "index", "index-url",
		"extra-index-url", "f", "find-links", "directory", "project", "env-file", "refresh-package", "reinstall-package",
		"upgrade-package", "python-platform", "config-file", "cache-dir", "constraints", "c", "overrides", "group", "extra", "package"}
)

// runner matches a package runner's arguments: the package is the value of pkgOpt (long) or
// pkgShort (short) when given, else the first positional argument.
func (c *Catalogue) runner(eco Ecosystem, launcher string, args []string, valueOpts []string, pkgOpt, pkgShort string) CommandMatch {
	var pkg string
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			break
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		takes := contains(valueOpts, name)
		if takes && !hasVal && i+1 < len(args) {
			i++
			val = args[i]
		}
		if takes && pkg == "" && (name == pkgOpt || pkgShort != "" && name == pkgShort) {
			pkg = val
		}
		if name == "c" && eco == NPM && takes { // npx -c 'command'
			return c.matchArgv(SplitCommand(val), 1)
		}
	}
	if pkg == "" {
		if i >= len(args) {
			return CommandMatch{}
		}
		pkg = args[i]
		i++
	} else if i < len(args) {
		i++ // the command run from the package
	}
	if strings.HasPrefix(pkg, "npm:") {
		pkg = pkg[4:]
	}
	if strings.HasPrefix(pkg, "git+") || strings.Contains(pkg, "://") {
		// A package from a repository: judge by the repository's name.
		pkg = strings.TrimSuffix(strings.TrimSuffix(pkg, "/"), ".git")
		if j := strings.LastIndexByte(pkg, '/'); j >= 0 {
			pkg = pkg[j+1:]
		}
	}
	m := CommandMatch{Match: c.MatchPackage(eco, pkg), Ecosystem: eco, Package: normPackage(eco, pkg), Launcher: launcher}
	if i > len(args) {
		i = len(args)
	}
	return c.finish(m, args[i:])
}

// python matches the arguments of a Python interpreter: -m module, or a script.
func (c *Catalogue) python(args []string) CommandMatch {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-m" && i+1 < len(args):
			return c.module(args[i+1], args[i+2:])
		case strings.HasPrefix(a, "-m") && len(a) > 2:
			return c.module(a[2:], args[i+1:])
		case a == "-c":
			return CommandMatch{}
		case a == "-X" || a == "-W" || a == "--check-hash-based-pycs":
			i++
		case strings.HasPrefix(a, "-"):
		default:
			return c.scriptMatch("python", a, args[i+1:])
		}
	}
	return CommandMatch{}
}

// module matches a Python module run with -m: the module path and its parents, longest first
// (awslabs.core_mcp_server.server is package awslabs.core-mcp-server).
func (c *Catalogue) module(mod string, rest []string) CommandMatch {
	var best CommandMatch
	for m := mod; m != ""; {
		cm := CommandMatch{Match: c.MatchPackage(PyPI, m), Ecosystem: PyPI, Package: normPackage(PyPI, m), Launcher: "python -m"}
		if cm.Confidence > best.Confidence || best.Package == "" || cm.Basis == BasisNotMCP {
			best = cm
			if cm.Basis == BasisNotMCP || cm.Confidence == High {
				break
			}
		}
		i := strings.LastIndexByte(m, '.')
		if i < 0 {
			break
		}
		m = m[:i]
	}
	return c.finish(best, rest)
}

// script matches the arguments of a JavaScript runtime: a package in node_modules, a deno
// npm: specifier, or a script judged by its path.
func (c *Catalogue) script(prog string, args []string) CommandMatch {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			switch strings.TrimLeft(a, "-") {
			case "r", "require", "import", "loader", "experimental-loader", "conditions", "C", "title", "env-file", "config", "c":
				i++
			}
			continue
		}
		if (prog == "deno" || prog == "bun") && (a == "run" || a == "x") {
			continue
		}
		if strings.HasPrefix(a, "npm:") {
			p := a[4:]
			return c.finish(CommandMatch{Match: c.MatchPackage(NPM, p), Ecosystem: NPM, Package: normPackage(NPM, p), Launcher: prog}, args[i+1:])
		}
		return c.scriptMatch(prog, a, args[i+1:])
	}
	return CommandMatch{}
}

// scriptMatch judges a script path: the package directory under node_modules or
// site-packages when there is one, else an "mcp" word in the path's directories or file name.
func (c *Catalogue) scriptMatch(launcher, path string, rest []string) CommandMatch {
	p := strings.ReplaceAll(path, "\\", "/")
	for _, marker := range []string{"/node_modules/", "/site-packages/", "/dist-packages/"} {
		i := strings.LastIndex(p, marker)
		if i < 0 {
			continue
		}
		parts := strings.Split(p[i+len(marker):], "/")
		name, eco := parts[0], PyPI
		if marker == "/node_modules/" {
			eco = NPM
			if strings.HasPrefix(name, "@") && len(parts) > 1 {
				name += "/" + parts[1]
			}
		}
		if name != "" {
			return c.finish(CommandMatch{Match: c.MatchPackage(eco, name), Ecosystem: eco, Package: normPackage(eco, name), Launcher: launcher}, rest)
		}
	}
	m := CommandMatch{Ecosystem: Exec, Package: p, Launcher: launcher}
	// Only the last few path elements name the project; not /home/<user>.
	parts := strings.Split(strings.Trim(p, "/"), "/")
	if len(parts) > 3 {
		parts = parts[len(parts)-3:]
	}
	for _, part := range parts {
		if hasWord(part, "-_.@", "mcp") {
			m.Match = Match{Confidence: Low, Basis: BasisHeuristic, Heuristic: NameToken}
			break
		}
	}
	return c.finish(m, rest)
}

// Options of docker run that take a value (without dashes).
var dockerValueOpts = []string{"a", "attach", "add-host", "annotation", "blkio-weight", "cap-add", "cap-drop", "cgroup-parent",
	"cgroupns", "cidfile", "cpu-period", "cpu-quota", "cpu-rt-period", "cpu-rt-runtime", "c", "cpu-shares", "cpus",
	"cpuset-cpus", "cpuset-mems", "detach-keys", "device", "device-cgroup-rule", "device-read-bps", "device-read-iops",
	"device-write-bps", "device-write-iops", "dns", "dns-option", "dns-search", "domainname", "entrypoint", "e", "env",
	"env-file", "expose", "gpus", "group-add", "health-cmd", "health-interval", "health-retries", "health-start-period",
	"health-timeout", "h", "hostname", "ip", "ip6", "ipc", "isolation", "kernel-memory", "l", "label", "label-file",
	"link", "link-local-ip", "log-driver", "log-opt", "mac-address", "m", "memory", "memory-reservation", "memory-swap",
	"memory-swappiness", "mount", "name", "network", "net", "network-alias", "oom-score-adj", "pid", "pids-limit",
	"platform", "p", "publish", "pull", "restart", "runtime", "security-opt", "shm-size", "stop-signal", "stop-timeout",
	"storage-opt", "sysctl", "tmpfs", "u", "user", "ulimit", "userns", "uts", "v", "volume", "volume-driver",
	"volumes-from", "w", "workdir"}

// container matches the arguments of a container run: the image.
func (c *Catalogue) container(launcher string, args []string) CommandMatch {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			continue
		}
		if strings.HasPrefix(a, "-") {
			name, _, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if !hasVal && contains(dockerValueOpts, name) {
				i++
			}
			continue
		}
		m := c.MatchImage(a)
		m.Launcher = launcher
		return c.finish(m, args[i+1:])
	}
	return CommandMatch{}
}

// MatchImage says whether a container image reference ("mcp/github:latest",
// "ghcr.io/github/github-mcp-server@sha256:...") is an MCP server image.
func (c *Catalogue) MatchImage(ref string) CommandMatch {
	return CommandMatch{Match: c.MatchPackage(Docker, ref), Ecosystem: Docker, Package: normPackage(Docker, ref), Launcher: "image"}
}

// finish checks a framework's subcommand (only run and dev start a server) and looks, for a
// bridge, for the remote server's URL in the remaining arguments.
func (c *Catalogue) finish(m CommandMatch, rest []string) CommandMatch {
	if m.Kind() == KindFramework {
		if len(rest) == 0 || (!strings.EqualFold(rest[0], "run") && !strings.EqualFold(rest[0], "dev")) {
			m.Match = Match{}
		}
		return m
	}
	if m.Kind() != KindBridge {
		return m
	}
	for _, a := range rest {
		l := strings.ToLower(a)
		if strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") {
			m.URL, m.Remote = a, c.LookupURL(a)
			break
		}
	}
	return m
}

// MatchPackage says whether a package (npm, PyPI), image (Docker) or executable (Exec) is an
// MCP server: a known catalogue package (High), a naming pattern (Medium), an "mcp" word in
// the name (Low). Versions, tags and digests are ignored; PyPI names are compared in their
// normalized form (PEP 503). An executable is also looked up as an npm or PyPI package of the
// same name.
func (c *Catalogue) MatchPackage(eco Ecosystem, name string) Match {
	n := normPackage(eco, name)
	if n == "" {
		return Match{}
	}
	if e := c.packages[eco][n]; e != nil {
		return packageMatch(e, BasisPackage)
	}
	if eco == Exec {
		for _, other := range [...]Ecosystem{NPM, PyPI} {
			if e := c.packages[other][normPackage(other, n)]; e != nil {
				return packageMatch(e, BasisPackage)
			}
		}
	}
	sep := normSeparators(n)
	for _, e := range c.patterns {
		switch {
		case e.Ecosystem == eco && globPackage(e.Package, n):
		case e.Ecosystem == AnyEcosystem && (eco != Docker || strings.IndexByte(n, '/') < 0) && globPackage(e.Package, sep):
		default:
			continue
		}
		return packageMatch(e, BasisPackagePattern)
	}
	if hasWord(n, "-_./@:", "mcp") {
		return Match{Confidence: Low, Basis: BasisHeuristic, Heuristic: NameToken}
	}
	return Match{}
}

// packageMatch is the match of a package entry.
func packageMatch(e *Entry, basis Basis) Match {
	switch {
	case e.Kind == KindNotMCP:
		return Match{Entry: e, Basis: BasisNotMCP}
	case basis == BasisPackage:
		return Match{Entry: e, Confidence: High, Basis: basis}
	}
	return Match{Entry: e, Confidence: Medium, Basis: basis}
}

// normPackage normalizes a package, image or executable name for its ecosystem: lower-case
// without version; PyPI names as PEP 503 has them; images without registry docker.io,
// library/, tag or digest; executables by their base name without .exe, .cmd, .bat.
func normPackage(eco Ecosystem, name string) string {
	n := strings.ToLower(strings.TrimSpace(name))
	switch eco {
	case NPM:
		n = strings.TrimPrefix(n, "npm:")
		at := strings.IndexByte(n, '@')
		if at == 0 {
			if slash := strings.IndexByte(n, '/'); slash > 0 {
				if j := strings.IndexByte(n[slash:], '@'); j > 0 {
					n = n[:slash+j]
				}
			}
		} else if at > 0 {
			n = n[:at]
		}
	case PyPI, AnyEcosystem:
		if i := strings.IndexAny(n, "=<>!~;[ @"); i >= 0 {
			n = n[:i]
		}
		n = normSeparators(n)
	case Docker:
		if i := strings.IndexByte(n, '@'); i >= 0 {
			n = n[:i]
		}
		if i := strings.LastIndexByte(n, ':'); i > strings.LastIndexByte(n, '/') {
			n = n[:i]
		}
		for _, p := range [...]string{"docker.io/", "index.docker.io/", "registry-1.docker.io/"} {
			n = strings.TrimPrefix(n, p)
		}
		n = strings.TrimPrefix(n, "library/")
	case Exec:
		n = strings.ReplaceAll(n, "\\", "/")
		if i := strings.LastIndexByte(n, '/'); i >= 0 {
			n = n[i+1:]
		}
		for _, ext := range [...]string{".exe", ".cmd", ".bat", ".ps1"} {
			n = strings.TrimSuffix(n, ext)
		}
	}
	return strings.Trim(n, "/")
}

// normSeparators replaces every run of '-', '_' and '.' by one '-' (PEP 503).
func normSeparators(n string) string {
	if !strings.ContainsAny(n, "_.") && !strings.Contains(n, "--") {
		return n
	}
	var sb strings.Builder
	prevSep := false
	for i := 0; i < len(n); i++ {
		c := n[i]
		if c == '-' || c == '_' || c == '.' {
			if !prevSep {
				sb.WriteByte('-')
			}
			prevSep = true
			continue
		}
		prevSep = false
		sb.WriteByte(c)
	}
	return sb.String()
}

// globPackage matches a package pattern in which '*' matches a run of one or more characters
// other than '/'.
func globPackage(pat, s string) bool {
	for {
		pp, prest, pmore := strings.Cut(pat, "/")
		sp, srest, smore := strings.Cut(s, "/")
		if pmore != smore || len(sp) < len(pp) || !glob.MatchFold(pp, sp) {
			return false
		}
		if !pmore {
			return true
		}
		pat, s = prest, srest
	}
}

// execName returns a program's base name, lower-case, without a Windows extension or a
// version suffix of Python (python3.12 stays as is; see isPython).
func execName(p string) string { return normPackage(Exec, p) }

// isPython reports whether a program name is a Python interpreter.
func isPython(p string) bool {
	if p == "py" || p == "pypy" || p == "pypy3" {
		return true
	}
	if !strings.HasPrefix(p, "python") {
		return false
	}
	v := p[len("python"):]
	return strings.Trim(v, "0123456789.") == "" // python, python3, python3.12
}

// isAssignment reports whether a is an environment assignment NAME=value.
func isAssignment(a string) bool {
	i := strings.IndexByte(a, '=')
	if i <= 0 {
		return false
	}
	for j := 0; j < i; j++ {
		c := a[j]
		if !(c == '_' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || j > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// skipOptions drops leading options (and the values of those listed) and assignments.
func skipOptions(args []string, valueOpts ...string) []string {
	for len(args) > 0 {
		a := args[0]
		switch {
		case a == "--":
			return args[1:]
		case isAssignment(a):
			args = args[1:]
		case strings.HasPrefix(a, "-") && a != "-":
			name, _, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
			args = args[1:]
			if !hasVal && contains(valueOpts, name) && len(args) > 0 {
				args = args[1:]
			}
		default:
			return args
		}
	}
	return args
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// SplitCommand splits a command line into arguments as a POSIX shell would, without
// expansion: white space separates, single quotes are literal, double quotes allow \" and
// \\, and a backslash outside quotes escapes white space, quotes and backslashes (other
// backslashes, as in Windows paths, are kept).
func SplitCommand(s string) []string {
	var (
		args []string
		cur  strings.Builder
		in   bool // an argument is under way
	)
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
			if in {
				args = append(args, cur.String())
				cur.Reset()
				in = false
			}
		case ch == '\'':
			in = true
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				cur.WriteString(s[i+1:])
				i = len(s)
			} else {
				cur.WriteString(s[i+1 : i+1+j])
				i += j + 1
			}
		case ch == '"':
			in = true
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\' || s[i+1] == '$' || s[i+1] == '`') {
					i++
				}
				cur.WriteByte(s[i])
			}
		case ch == '\\' && i+1 < len(s) && strings.IndexByte(" \t'\"\\", s[i+1]) >= 0:
			in = true
			i++
			cur.WriteByte(s[i])
		default:
			in = true
			cur.WriteByte(ch)
		}
	}
	if in {
		args = append(args, cur.String())
	}
	return args
}
