// Package hostscan finds the MCP servers of one host: those declared in the configuration
// files of every common MCP client (Claude Desktop, Claude Code, Cursor, VS Code and its
// forks, Windsurf, Gemini CLI, Codex, Kiro, Amazon Q, Cline, Roo Code, OpenCode, Zed), for
// one user or all of them, per user, per project and system-wide, and those running as
// processes (Linux /proc), with their listening sockets and the client that started them.
//
// It reads files only, never runs anything, and never reports a secret: environment
// variables and headers are reported by name, command lines and URLs after redaction.
package hostscan

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/mcpwatch/mcpwatch/internal/scan/inventory"
)

// Home is a user's home directory.
type Home struct {
	User string
	// Dir is the home directory, slash-separated and relative to Options.Root
	// ("home/alice", "Users/carol").
	Dir string
}

// Options configure a scan. The zero value scans the current user's configurations on this
// host's operating system, without processes.
type Options struct {
	// Root is the directory that stands for the host's filesystem root ("/" by default, the
	// system drive on Windows): a mounted disk image or a test fixture can be scanned.
	Root string
	// OS is the operating system whose layout Root has: linux, darwin or windows (default
	// runtime.GOOS).
	OS string
	// Homes are the home directories to scan. When nil, AllUsers picks every user's home
	// (from /etc/passwd and /home on Linux, /Users on macOS, C:\Users on Windows); otherwise
	// the current user's ($HOME) is scanned.
	Homes    []Home
	AllUsers bool
	// ProjectDirs are project directories to look for project configurations in, besides
	// those the clients' files name (~/.claude.json) and those found under each home.
	ProjectDirs []string
	// ProjectDepth is how many directory levels under each home are searched for project
	// configurations (default 3; negative for none). MaxDirs bounds the directories visited
	// per home (default 20,000).
	ProjectDepth int
	MaxDirs      int
	// Processes scans running processes and their listening sockets in ProcRoot ("/proc" by
	// default; Linux only).
	Processes bool
	ProcRoot  string
	// Self is a pid not to report (the scanner's own; default os.Getpid()).
	Self int
	Log  *slog.Logger
}

// Problem is a file that could not be read or parsed.
type Problem struct {
	Path  string `json:"path"`
	Error string `json:"error"`
}

// Result is what a scan found.
type Result struct {
	Records  []inventory.Record `json:"servers"`
	Files    []string           `json:"files"` // configuration files read (host paths)
	Problems []Problem          `json:"problems,omitempty"`
}

// scanner is one scan in progress.
type scanner struct {
	opts Options
	res  Result
	seen map[string]bool // configuration files already read (relative paths)
}

// Scan runs a host scan.
func Scan(ctx context.Context, opts Options) (Result, error) {
	if opts.OS == "" {
		opts.OS = runtime.GOOS
	}
	if opts.Root == "" {
		opts.Root = "/"
		if opts.OS == "windows" {
			opts.Root = os.Getenv("SystemDrive") + `\`
		}
	}
	if opts.ProjectDepth == 0 {
		opts.ProjectDepth = 3
	}
	if opts.MaxDirs <= 0 {
		opts.MaxDirs = 20000
	}
	if opts.ProcRoot == "" {
		opts.ProcRoot = "/proc"
	}
	if opts.Self == 0 {
		opts.Self = os.Getpid()
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	s := &scanner{opts: opts, seen: map[string]bool{}}
	homes := opts.Homes
	if homes == nil {
		var err error
		if homes, err = s.homes(); err != nil {
			return s.res, err
		}
	}
	// Managed, system-wide files.
	for _, l := range Locations(opts.OS) {
		if rel := l.expand(opts.OS, ""); rel != "" {
			s.readLocation(l, rel, "", "")
		}
	}
	for _, h := range homes {
		if err := ctx.Err(); err != nil {
			return s.res, err
		}
		var projects []string
		for _, l := range Locations(opts.OS) {
			if rel := l.expand(opts.OS, h.Dir); rel != "" {
				projects = append(projects, s.readLocation(l, rel, h.User, "")...)
			}
		}
		for _, p := range projects {
			s.readProject(s.relOfHost(p), h.User)
		}
		if opts.ProjectDepth > 0 {
			s.walkProjects(ctx, h)
		}
	}
	for _, p := range opts.ProjectDirs {
		s.readProject(s.relOfHost(p), "")
	}
	if opts.Processes {
		recs, err := scanProcesses(ctx, opts)
		if err != nil {
			s.res.Problems = append(s.res.Problems, Problem{Path: opts.ProcRoot, Error: err.Error()})
		}
		s.res.Records = append(s.res.Records, recs...)
	}
	return s.res, ctx.Err()
}

// hostPath is how the host names rel, a slash-separated path relative to the root.
func (s *scanner) hostPath(rel string) string {
	if s.opts.OS == "windows" {
		return `C:\` + strings.ReplaceAll(rel, "/", `\`)
	}
	return "/" + rel
}

// relOfHost is the inverse of hostPath.
func (s *scanner) relOfHost(p string) string {
	p = strings.ReplaceAll(p, `\`, "/")
	if len(p) >= 2 && p[1] == ':' {
		p = p[2:]
	}
	return strings.Trim(path.Clean("/"+p), "/")
}

// file is the local path of rel.
func (s *scanner) file(rel string) string {
	return filepath.Join(s.opts.Root, filepath.FromSlash(rel))
}

// readLocation reads the files of l at rel (a glob pattern in its last element) and returns
// the project directories they name.
func (s *scanner) readLocation(l Location, rel, user, project string) []string {
	rels := []string{rel}
	if strings.ContainsAny(path.Base(rel), "*?[") {
		matches, _ := filepath.Glob(s.file(rel))
		rels = rels[:0]
		for _, m := range matches {
			r, err := filepath.Rel(s.opts.Root, m)
			if err == nil {
				rels = append(rels, filepath.ToSlash(r))
			}
		}
		slices.Sort(rels)
	}
	var projects []string
	for _, r := range rels {
		projects = append(projects, s.readFile(l.Client, l.Scope, project, r, user, l.Dialect)...)
	}
	return projects
}

// readProject reads every project configuration in dir (relative to the root).
func (s *scanner) readProject(dir, user string) {
	for _, pf := range ProjectFiles() {
		l := Location{Client: pf.Client, Scope: "project", Path: "/" + path.Join(dir, pf.Path), Dialect: pf.Dialect}
		rel := path.Join(dir, pf.Path)
		if strings.ContainsAny(path.Base(rel), "*?[") {
			s.readLocation(l, rel, user, s.hostPath(dir))
			continue
		}
		s.readFile(pf.Client, "project", s.hostPath(dir), rel, user, pf.Dialect)
	}
}

// readFile reads one configuration file if it exists and was not read yet, adds its servers
// and returns the project directories it names.
func (s *scanner) readFile(client, scope, project, rel, user string, d Dialect) []string {
	if s.seen[rel] {
		return nil
	}
	s.seen[rel] = true
	f, err := os.Open(s.file(rel))
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrPermission) && !isNotDir(err) {
			s.problem(rel, err)
		} else if errors.Is(err, fs.ErrPermission) {
			s.problem(rel, err)
		}
		return nil
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigBytes+1))
	if err != nil {
		s.problem(rel, err)
		return nil
	}
	if len(bytes.TrimSpace(data)) == 0 {
		s.res.Files = append(s.res.Files, s.hostPath(rel))
		return nil
	}
	recs, projects, err := ParseConfig(data, d)
	if err != nil {
		s.problem(rel, err)
		return nil
	}
	s.res.Files = append(s.res.Files, s.hostPath(rel))
	for i := range recs {
		r := &recs[i]
		r.Client, r.ConfigPath, r.User = client, s.hostPath(rel), user
		if r.Scope == "" {
			r.Scope = scope
		}
		if r.Project == "" && project != "" {
			r.Project = project
		}
		if r.Transport == inventory.TransportHTTP {
			switch client {
			case "gemini-cli": // url is an SSE endpoint; httpUrl (read as Streamable HTTP) is the other
				r.Transport = inventory.TransportSSE
			case "codex": // Codex speaks Streamable HTTP to url
				r.Transport = inventory.TransportStreamableHTTP
			}
		}
	}
	s.res.Records = append(s.res.Records, recs...)
	s.opts.Log.Debug("read MCP configuration", "path", s.hostPath(rel), "client", client, "servers", len(recs))
	return projects
}

func isNotDir(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "not a directory")
}

func (s *scanner) problem(rel string, err error) {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	s.res.Problems = append(s.res.Problems, Problem{Path: s.hostPath(rel), Error: err.Error()})
	s.opts.Log.Warn("cannot read MCP configuration", "path", s.hostPath(rel), "err", err)
}

// skipDirs are directories under a home that hold no projects, or too many files to walk.
var skipDirs = map[string]bool{"node_modules": true, "Library": true, "AppData": true, "go": true, "snap": true,
	"vendor": true, "venv": true, "__pycache__": true, "target": true, "dist": true, "build": true,
	"site-packages": true, "Applications": true, "Pictures": true, "Music": true, "Movies": true, "Videos": true}

// walkProjects looks for project configurations under a home directory, ProjectDepth levels
// deep, in directories that are not hidden.
func (s *scanner) walkProjects(ctx context.Context, h Home) {
	visited := 0
	var walk func(rel string, depth int)
	walk = func(rel string, depth int) {
		if visited >= s.opts.MaxDirs || ctx.Err() != nil {
			return
		}
		visited++
		if depth > 0 { // the home itself is not a project (its dot files are user files)
			s.readProject(rel, h.User)
		}
		if depth == s.opts.ProjectDepth {
			return
		}
		entries, err := os.ReadDir(s.file(rel))
		if err != nil {
			return
		}
		for _, e := range entries {
			n := e.Name()
			if !e.IsDir() || strings.HasPrefix(n, ".") || skipDirs[n] {
				continue
			}
			walk(rel+"/"+n, depth+1)
		}
	}
	walk(h.Dir, 0)
	if visited >= s.opts.MaxDirs {
		s.opts.Log.Warn("project search stopped at the directory limit", "home", s.hostPath(h.Dir), "max_dirs", s.opts.MaxDirs)
	}
}

// homes lists the home directories to scan.
func (s *scanner) homes() ([]Home, error) {
	if !s.opts.AllUsers {
		dir, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("hostscan: home directory: %w", err)
		}
		user := os.Getenv("USER")
		if user == "" {
			user = os.Getenv("USERNAME")
		}
		rel, err := filepath.Rel(s.opts.Root, dir)
		if err != nil || strings.HasPrefix(rel, "..") {
			return nil, fmt.Errorf("hostscan: home %s is outside the root %s", dir, s.opts.Root)
		}
		return []Home{{User: user, Dir: filepath.ToSlash(rel)}}, nil
	}
	var homes []Home
	seen := map[string]bool{}
	add := func(user, rel string) {
		rel = strings.Trim(path.Clean("/"+rel), "/")
		if rel == "" || seen[rel] {
			return
		}
		if st, err := os.Stat(s.file(rel)); err != nil || !st.IsDir() {
			return
		}
		seen[rel] = true
		homes = append(homes, Home{User: user, Dir: rel})
	}
	switch s.opts.OS {
	case "linux":
		for _, u := range readPasswd(s.file("etc/passwd")) {
			if u.home == "/" || strings.HasPrefix(u.home, "/nonexistent") || strings.HasPrefix(u.home, "/var/") && u.name != "root" ||
				strings.HasPrefix(u.home, "/bin") || strings.HasPrefix(u.home, "/usr") || strings.HasPrefix(u.home, "/proc") ||
				strings.HasPrefix(u.home, "/dev") || strings.HasPrefix(u.home, "/run") || strings.HasPrefix(u.home, "/sbin") {
				continue
			}
			add(u.name, u.home)
		}
		s.addDirs("home", add, nil)
	case "darwin":
		add("root", "var/root")
		s.addDirs("Users", add, map[string]bool{"Shared": true, "Guest": true})
	case "windows":
		s.addDirs("Users", add, map[string]bool{"Public": true, "Default": true, "Default User": true, "All Users": true, "WDAGUtilityAccount": true})
	}
	return homes, nil
}

// addDirs adds each directory in rel as the home of the user it is named after.
func (s *scanner) addDirs(rel string, add func(user, rel string), skip map[string]bool) {
	entries, err := os.ReadDir(s.file(rel))
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() && !skip[e.Name()] && !strings.HasPrefix(e.Name(), ".") {
			add(e.Name(), rel+"/"+e.Name())
		}
	}
}

type passwdEntry struct{ name, uid, home string }

// readPasswd reads the users of an /etc/passwd file (name:x:uid:gid:gecos:home:shell).
func readPasswd(file string) []passwdEntry {
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []passwdEntry
	sc := bufio.NewScanner(io.LimitReader(f, 16<<20))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		p := strings.Split(line, ":")
		if len(p) < 7 || p[0] == "" {
			continue
		}
		out = append(out, passwdEntry{name: p[0], uid: p[2], home: p[5]})
	}
	return out
}
