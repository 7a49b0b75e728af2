package hostscan

import (
	"path"
	"regexp"
	"strings"
)

// Launch is what a command line runs: the launcher (npx, uvx, docker, node, python, ...), the
// package it runs and from which ecosystem, and the remote URL a bridge (mcp-remote,
// supergateway, mcp-proxy) connects to.
type Launch struct {
	Launcher  string
	Package   string
	Version   string
	Ecosystem string // npm, pypi, docker, binary
	// Script is the file an interpreter runs (node /x/dist/index.js), for resolving its package.
	Script string
	URL    string
}

// mcpName matches names of MCP packages, modules, images and executables: "mcp" as a word
// of the name (mcp-server-fetch, github-mcp-server, mcp/github, @playwright/mcp,
// mcp_server_git, fastmcp) or the Model Context Protocol's own scope.
var mcpName = regexp.MustCompile(`(?i)((^|[/@_.:-])(fast)?mcp($|[/@_.:-])|modelcontextprotocol)`)

// IsMCPName reports whether a package, module, image or executable name is an MCP one.
func IsMCPName(s string) bool { return s != "" && mcpName.MatchString(s) }

// exeName is the lower-case base name of an executable path without a Windows extension.
func exeName(p string) string {
	p = strings.ReplaceAll(p, `\`, "/")
	n := strings.ToLower(path.Base(p))
	for _, ext := range []string{".exe", ".cmd", ".bat", ".ps1"} {
		n = strings.TrimSuffix(n, ext)
	}
	return n
}

// Classify reads what argv runs. It knows package runners (npx, npm exec, pnpm dlx, bunx,
// yarn dlx, uvx, uv run, uv tool run, pipx run), container runners (docker, podman, nerdctl
// run), interpreters (node, bun, deno, python, python3.x) and shells (sh -c, bash -c,
// cmd /c); any other executable is its own package.
func Classify(argv []string) Launch {
	if len(argv) == 0 {
		return Launch{}
	}
	name := exeName(argv[0])
	rest := argv[1:]
	var l Launch
	switch {
	case name == "npx" || name == "bunx" || name == "pnpx":
		l = npmRunner(name, rest)
	case (name == "npm" || name == "pnpm" || name == "yarn") && len(rest) > 0 && (rest[0] == "exec" || rest[0] == "x" || rest[0] == "dlx"):
		l = npmRunner(name+" "+rest[0], rest[1:])
	case name == "uvx" || name == "pipx" && len(rest) > 0 && rest[0] == "run":
		if name == "pipx" {
			rest = rest[1:]
		}
		l = pyRunner(name, rest)
	case name == "uv" && len(rest) > 1 && rest[0] == "tool" && (rest[1] == "run"):
		l = pyRunner("uv tool run", rest[2:])
	case name == "uv" && len(rest) > 0 && rest[0] == "run":
		l = pyRunner("uv run", rest[1:])
	case (name == "docker" || name == "podman" || name == "nerdctl") && len(rest) > 0:
		l = containerRunner(name, rest)
	case name == "node" || name == "nodejs" || name == "bun" || name == "deno" || name == "tsx" || name == "ts-node":
		l = scriptRunner(name, rest, "npm")
	case isPython(name):
		l = python(name, rest)
	case (name == "sh" || name == "bash" || name == "zsh" || name == "dash") && len(rest) >= 2 && rest[0] == "-c":
		return Classify(splitShell(rest[1]))
	case name == "cmd" && len(rest) >= 2 && strings.EqualFold(rest[0], "/c"):
		return Classify(rest[1:])
	case name == "env":
		i := 0
		for i < len(rest) && (strings.Contains(rest[i], "=") || strings.HasPrefix(rest[i], "-")) {
			i++
		}
		return Classify(rest[i:])
	default:
		l = Launch{Launcher: name, Package: name, Ecosystem: "binary"}
	}
	if l.URL == "" {
		for _, a := range rest {
			if strings.HasPrefix(a, "http://") || strings.HasPrefix(a, "https://") {
				l.URL = a
				break
			}
		}
	}
	return l
}

func isPython(n string) bool {
	if n == "py" || n == "python" || n == "pythonw" {
		return true
	}
	if v, ok := strings.CutPrefix(n, "python"); ok {
		return strings.Trim(v, "0123456789.") == ""
	}
	return false
}

// npmRunner reads npx [flags] pkg[@version] args: -p/--package name the package when given.
func npmRunner(launcher string, args []string) Launch {
	l := Launch{Launcher: launcher, Ecosystem: "npm"}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			continue
		case a == "-p" || a == "--package":
			if i+1 < len(args) {
				i++
				l.Package, l.Version = splitNPM(args[i])
			}
		case strings.HasPrefix(a, "--package="):
			l.Package, l.Version = splitNPM(strings.TrimPrefix(a, "--package="))
		case a == "-c" || a == "--call" || a == "--registry" || a == "--cache" || a == "--userconfig":
			i++
		case strings.HasPrefix(a, "-"):
		default:
			if l.Package == "" {
				l.Package, l.Version = splitNPM(a)
			}
			return l
		}
	}
	return l
}

// splitNPM splits an npm package spec "@scope/name@1.2.3" into name and version.
func splitNPM(spec string) (name, version string) {
	at := strings.LastIndex(spec, "@")
	if at > 0 {
		return spec[:at], spec[at+1:]
	}
	return spec, ""
}

// pyRunner reads uvx [--from pkg] [flags] command args.
func pyRunner(launcher string, args []string) Launch {
	l := Launch{Launcher: launcher, Ecosystem: "pypi"}
	valued := map[string]bool{"--from": true, "--with": true, "-w": true, "--python": true, "-p": true, "--directory": true,
		"--index-url": true, "--index": true, "--spec": true, "--project": true, "--env-file": true, "--with-requirements": true}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--from" || a == "--spec":
			if i+1 < len(args) {
				i++
				l.Package, l.Version = splitPy(args[i])
			}
		case strings.HasPrefix(a, "--from="):
			l.Package, l.Version = splitPy(strings.TrimPrefix(a, "--from="))
		case valued[a]:
			i++
		case strings.HasPrefix(a, "-"):
		default:
			if l.Package == "" {
				if strings.HasSuffix(a, ".py") || strings.Contains(a, "/") {
					l.Script = a
					l.Package = strings.TrimSuffix(path.Base(strings.ReplaceAll(a, `\`, "/")), ".py")
				} else {
					l.Package, l.Version = splitPy(a)
				}
			}
			return l
		}
	}
	return l
}

// splitPy splits a Python requirement "mcp-server-fetch==1.2" or "pkg@1.2" into name and version.
func splitPy(spec string) (name, version string) {
	if i := strings.IndexAny(spec, "=<>~!@["); i > 0 {
		return spec[:i], strings.TrimLeft(spec[i:], "=<>~!@")
	}
	return spec, ""
}

// containerRunner reads docker run [flags] image[:tag] args.
func containerRunner(name string, args []string) Launch {
	l := Launch{Launcher: name, Ecosystem: "docker"}
	if args[0] != "run" && !(args[0] == "container" && len(args) > 1 && args[1] == "run") {
		l.Package = name
		l.Ecosystem = "binary"
		return l
	}
	if args[0] == "container" {
		args = args[1:]
	}
	noValue := map[string]bool{"-i": true, "-t": true, "-it": true, "-ti": true, "-d": true, "--rm": true, "--init": true,
		"--interactive": true, "--tty": true, "--detach": true, "--read-only": true, "--privileged": true, "-P": true,
		"--publish-all": true, "--no-healthcheck": true, "-q": true, "--quiet": true, "--sig-proxy": true}
	for i := 1; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.HasPrefix(a, "--") && strings.Contains(a, "="):
		case noValue[a]:
		case strings.HasPrefix(a, "-"):
			i++ // a flag with a value: -e X, -v a:b, -p 8080:80, --name n, --network host, ...
		default:
			img := a
			if at := strings.Index(img, "@"); at > 0 {
				img = img[:at]
			}
			if c := strings.LastIndex(img, ":"); c > strings.LastIndex(img, "/") {
				l.Version = img[c+1:]
				img = img[:c]
			}
			l.Package = img
			return l
		}
	}
	return l
}

// scriptRunner reads node [flags] script args (and bun, deno run, tsx).
func scriptRunner(name string, args []string, eco string) Launch {
	l := Launch{Launcher: name, Ecosystem: eco}
	valued := map[string]bool{"-r": true, "--require": true, "--import": true, "--loader": true, "--experimental-loader": true,
		"--conditions": true, "-C": true, "--title": true, "--env-file": true, "--inspect-port": true}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-e" || a == "--eval" || a == "-p" || a == "--print":
			return l // inline code: no script
		case valued[a]:
			i++
		case name == "deno" && (a == "run" || a == "x"):
		case name == "bun" && (a == "run" || a == "x"):
		case strings.HasPrefix(a, "-"):
		default:
			l.Script = a
			l.Package = packageOfPath(a)
			if name == "bun" && a != "" && !strings.ContainsAny(a, `/\`) && !strings.Contains(a, ".") {
				l.Package = a // bun x pkg
			}
			if name == "deno" && (strings.HasPrefix(a, "npm:") || strings.HasPrefix(a, "jsr:")) {
				l.Package, l.Version = splitNPM(a[4:])
			}
			return l
		}
	}
	return l
}

// packageOfPath names the package a script belongs to from its path alone: the directory
// under the last node_modules (with its scope), the command a node_modules/.bin link is named
// after, or the script's name.
func packageOfPath(p string) string {
	p = strings.ReplaceAll(p, `\`, "/")
	if i := strings.LastIndex(p, "node_modules/"); i >= 0 {
		rest := strings.Split(p[i+len("node_modules/"):], "/")
		switch {
		case rest[0] == ".bin" && len(rest) > 1:
			return rest[1]
		case strings.HasPrefix(rest[0], "@") && len(rest) > 1:
			return rest[0] + "/" + rest[1]
		default:
			return rest[0]
		}
	}
	base := path.Base(p)
	if base == "index.js" || base == "main.js" || base == "server.js" || base == "cli.js" || base == "index.mjs" {
		// dist/index.js: the package is the directory above dist, build, lib or src.
		dir := path.Dir(p)
		for _, d := range []string{"dist", "build", "lib", "src", "bin", "out"} {
			if path.Base(dir) == d {
				dir = path.Dir(dir)
				break
			}
		}
		if b := path.Base(dir); b != "." && b != "/" {
			return b
		}
	}
	return strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(base, ".js"), ".mjs"), ".ts")
}

// python reads python [flags] -m module | script args.
func python(name string, args []string) Launch {
	l := Launch{Launcher: name, Ecosystem: "pypi"}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-m" && i+1 < len(args):
			l.Package = args[i+1]
			return l
		case strings.HasPrefix(a, "-m") && len(a) > 2:
			l.Package = a[2:]
			return l
		case a == "-c":
			return l
		case a == "-W" || a == "-X":
			i++
		case strings.HasPrefix(a, "-"):
		default:
			l.Script = a
			p := strings.ReplaceAll(a, `\`, "/")
			if j := strings.LastIndex(p, "-packages/"); j >= 0 {
				l.Package = strings.Split(p[j+len("-packages/"):], "/")[0]
			} else if path.Base(p) == "__main__.py" || path.Base(p) == "server.py" || path.Base(p) == "main.py" {
				l.Package = path.Base(path.Dir(p))
			} else {
				l.Package = strings.TrimSuffix(path.Base(p), ".py")
			}
			return l
		}
	}
	return l
}

// splitShell splits a shell command into words, honouring single and double quotes and
// backslash escapes (enough for the commands package runners write; no expansion).
func splitShell(s string) []string {
	var words []string
	var w strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				w.WriteByte(c)
			}
		case quote == '"':
			if c == '"' {
				quote = 0
			} else if c == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
				i++
				w.WriteByte(s[i])
			} else {
				w.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == '\\' && i+1 < len(s):
			i++
			w.WriteByte(s[i])
			inWord = true
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}
