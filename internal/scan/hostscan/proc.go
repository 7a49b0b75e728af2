package hostscan

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/mcpwatch/mcpwatch/internal/scan/inventory"
	"github.com/mcpwatch/mcpwatch/internal/scan/redact"
)

// proc is one process read from /proc.
type proc struct {
	pid, ppid int
	uid       string
	comm      string
	exe       string
	argv      []string
	start     int64 // Unix milliseconds, 0 when unknown
	launch    Launch
	mcp       bool
	depth     int
}

// clientNames maps the executable (or Node.js script) names of MCP clients to client ids.
var clientNames = map[string]string{
	"claude": "claude-code", "claude-desktop": "claude-desktop", "cursor": "cursor", "code": "vscode",
	"code-insiders": "vscode", "codium": "vscode", "code-server": "vscode", "windsurf": "windsurf",
	"gemini": "gemini-cli", "codex": "codex", "kiro": "kiro", "q": "amazon-q", "qchat": "amazon-q",
	"zed": "zed", "zed-editor": "zed", "opencode": "opencode", "cline": "cline", "goose": "goose",
}

// wrappers are processes that sit between an MCP server's launcher and the server itself
// (npx runs sh -c, which runs node).
var wrappers = map[string]bool{"sh": true, "bash": true, "dash": true, "zsh": true, "npm": true, "npx": true,
	"node": true, "uv": true, "uvx": true, "cmd": true, "env": true, "pipx": true}

// scanProcesses finds running MCP servers in opts.ProcRoot.
func scanProcesses(ctx context.Context, opts Options) ([]inventory.Record, error) {
	entries, err := os.ReadDir(opts.ProcRoot)
	if err != nil {
		return nil, fmt.Errorf("hostscan: processes: %w", err)
	}
	users := map[string]string{}
	for _, u := range readPasswd(filepath.Join(opts.Root, "etc", "passwd")) {
		if _, dup := users[u.uid]; !dup {
			users[u.uid] = u.name
		}
	}
	boot := bootTime(opts.ProcRoot)
	procs := map[int]*proc{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		if p := readProc(opts.ProcRoot, pid, boot); p != nil {
			procs[pid] = p
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, p := range procs {
		if p.pid == opts.Self || len(p.argv) == 0 || exeName(p.argv[0]) == "mcpwatch" {
			continue
		}
		p.launch = Classify(p.argv)
		resolveScript(opts.ProcRoot, p)
		p.mcp = IsMCPName(p.launch.Package) || IsMCPName(p.launch.Script) && p.launch.Script != ""
	}
	// Group each MCP process with the MCP processes above it (npx → sh → node).
	root := func(p *proc) *proc {
		top := p
		cur := p
		for hops := 0; hops < 6; hops++ {
			parent := procs[cur.ppid]
			if parent == nil || parent == cur {
				break
			}
			if parent.mcp {
				top = parent
			} else if !wrappers[exeName(firstArg(parent.argv))] {
				break
			}
			cur = parent
		}
		return top
	}
	groups := map[int][]*proc{}
	for _, p := range procs {
		if p.mcp {
			r := root(p)
			groups[r.pid] = append(groups[r.pid], p)
			if r != p && !slices.Contains(groups[r.pid], r) {
				groups[r.pid] = append(groups[r.pid], r)
			}
		}
	}
	roots := make([]int, 0, len(groups))
	for pid := range groups {
		roots = append(roots, pid)
	}
	slices.Sort(roots)
	sockets := socketTable{procRoot: opts.ProcRoot, byNS: map[string]map[uint64]string{}}
	var recs []inventory.Record
	for _, rp := range roots {
		members := groups[rp]
		slices.SortFunc(members, func(a, b *proc) int { return a.pid - b.pid })
		members = slices.Compact(members)
		top := procs[rp]
		var listen []string
		server := members[len(members)-1]
		bestDepth := -1
		for _, m := range members {
			ls := sockets.listening(m.pid)
			listen = append(listen, ls...)
			d := depthBelow(procs, m, rp)
			if len(ls) > 0 {
				d += 1000 // the process that listens is the server
			}
			if d > bestDepth {
				bestDepth, server = d, m
			}
		}
		slices.Sort(listen)
		listen = slices.Compact(listen)
		r := inventory.Record{Source: inventory.SourceProcess, PID: server.pid, PPID: server.ppid, UID: server.uid,
			User: users[server.uid], ProcessName: server.comm, Executable: server.exe,
			CmdLine: strings.Join(redact.Args(server.argv), " "), Listen: listen, ProcessStarted: server.start}
		if top != server {
			r.LauncherCmd = strings.Join(redact.Args(top.argv), " ")
		}
		for _, m := range members {
			r.PIDs = append(r.PIDs, m.pid)
		}
		if len(r.PIDs) == 1 {
			r.PIDs = nil
		}
		l := server.launch
		if !IsMCPName(l.Package) && IsMCPName(top.launch.Package) {
			l = top.launch
		}
		r.Launcher, r.Package, r.PackageVersion, r.Ecosystem = top.launch.Launcher, l.Package, l.Version, l.Ecosystem
		if r.PackageVersion == "" {
			r.PackageVersion = top.launch.Version
		}
		r.Name = r.Package
		if l.URL != "" {
			r.URL = redact.URL(l.URL)
			r.Host, r.Port = hostPort(l.URL)
		}
		r.Transport = transportOf(append(slices.Clone(top.argv), server.argv...), len(listen) > 0)
		r.ClientProcess, r.Client = clientOf(procs, top)
		recs = append(recs, r)
	}
	return recs, nil
}

func firstArg(a []string) string {
	if len(a) == 0 {
		return ""
	}
	return a[0]
}

// depthBelow is how many parent links separate p from the process rootPID.
func depthBelow(procs map[int]*proc, p *proc, rootPID int) int {
	d := 0
	for cur := p; cur != nil && cur.pid != rootPID && d < 16; cur = procs[cur.ppid] {
		d++
	}
	return d
}

// transportOf guesses a server process's transport from its arguments: the transport names
// servers take (stdio, sse, streamableHttp, --transport X), else HTTP when it listens.
func transportOf(argv []string, listens bool) string {
	for i, a := range argv {
		v := strings.ToLower(a)
		if strings.HasPrefix(v, "--transport=") {
			v = strings.TrimPrefix(v, "--transport=")
		} else if (v == "--transport" || v == "-t") && i+1 < len(argv) {
			continue
		}
		switch strings.NewReplacer("-", "", "_", "").Replace(v) {
		case "stdio":
			return inventory.TransportStdio
		case "sse", "ssetransport":
			return inventory.TransportSSE
		case "streamablehttp", "http", "streamable":
			return inventory.TransportStreamableHTTP
		}
	}
	if listens {
		return inventory.TransportHTTP
	}
	return inventory.TransportStdio
}

// clientOf finds the MCP client among the ancestors of p.
func clientOf(procs map[int]*proc, p *proc) (name, client string) {
	cur := procs[p.ppid]
	for hops := 0; cur != nil && hops < 12; hops++ {
		for _, n := range []string{strings.ToLower(cur.comm), exeName(firstArg(cur.argv)), exeName(cur.launch.Script)} {
			if c, ok := clientNames[n]; ok {
				return n, c
			}
		}
		if cur.ppid == cur.pid {
			break
		}
		cur = procs[cur.ppid]
	}
	return "", ""
}

// readProc reads a process's command line, parent, user, name and start time; nil when it
// is gone or unreadable.
func readProc(procRoot string, pid int, boot int64) *proc {
	dir := filepath.Join(procRoot, strconv.Itoa(pid))
	raw, err := readSmall(filepath.Join(dir, "cmdline"), 128<<10)
	if err != nil {
		return nil
	}
	p := &proc{pid: pid}
	raw = strings.TrimRight(raw, "\x00")
	if raw != "" {
		p.argv = strings.Split(raw, "\x00")
		if len(p.argv) == 1 && strings.Contains(p.argv[0], " ") {
			// A process that set its title (Node.js process.title: npx shows as
			// "npm exec pkg args") has overwritten its arguments with one string.
			p.argv = strings.Fields(p.argv[0])
		}
	}
	if stat, err := readSmall(filepath.Join(dir, "stat"), 4096); err == nil {
		// pid (comm) state ppid ... ; comm may hold spaces and parentheses.
		if i := strings.LastIndexByte(stat, ')'); i > 0 {
			if open := strings.IndexByte(stat, '('); open >= 0 && open < i {
				p.comm = stat[open+1 : i]
			}
			f := strings.Fields(stat[i+1:])
			if len(f) > 19 {
				p.ppid, _ = strconv.Atoi(f[1])
				if ticks, err := strconv.ParseInt(f[19], 10, 64); err == nil && boot > 0 {
					p.start = boot*1000 + ticks*10 // USER_HZ is 100 on Linux
				}
			}
		}
	}
	if status, err := readSmall(filepath.Join(dir, "status"), 16<<10); err == nil {
		for _, line := range strings.Split(status, "\n") {
			if v, ok := strings.CutPrefix(line, "Uid:"); ok {
				if f := strings.Fields(v); len(f) > 0 {
					p.uid = f[0]
				}
				break
			}
		}
	}
	p.exe, _ = os.Readlink(filepath.Join(dir, "exe"))
	return p
}

// resolveScript finds the npm package of a Node.js script (through node_modules/.bin links
// and the nearest package.json) and its version.
func resolveScript(procRoot string, p *proc) {
	script := p.launch.Script
	if script == "" || p.launch.Ecosystem != "npm" {
		return
	}
	if !filepath.IsAbs(script) {
		if cwd, err := os.Readlink(filepath.Join(procRoot, strconv.Itoa(p.pid), "cwd")); err == nil {
			script = filepath.Join(cwd, script)
		}
	}
	real, err := filepath.EvalSymlinks(script)
	if err != nil {
		return
	}
	for dir, i := filepath.Dir(real), 0; i < 8 && dir != "/" && dir != "."; dir, i = filepath.Dir(dir), i+1 {
		raw, err := readSmall(filepath.Join(dir, "package.json"), 1<<20)
		if err != nil {
			continue
		}
		var pkg struct{ Name, Version string }
		if json.Unmarshal([]byte(raw), &pkg) == nil && pkg.Name != "" {
			p.launch.Package, p.launch.Version = pkg.Name, pkg.Version
			return
		}
	}
}

// bootTime reads the boot time (Unix seconds) from /proc/stat.
func bootTime(procRoot string) int64 {
	s, err := readSmall(filepath.Join(procRoot, "stat"), 1<<20)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(s, "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

func readSmall(name string, max int64) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max))
	return string(b), err
}

// socketTable finds the TCP sockets processes listen on, reading each network namespace's
// table once.
type socketTable struct {
	procRoot string
	byNS     map[string]map[uint64]string // namespace → socket inode → "addr:port"
}

// listening returns the addresses pid listens on (TCP, IPv4 and IPv6).
func (t *socketTable) listening(pid int) []string {
	dir := filepath.Join(t.procRoot, strconv.Itoa(pid))
	ns, _ := os.Readlink(filepath.Join(dir, "ns", "net"))
	table, ok := t.byNS[ns]
	if !ok {
		table = map[uint64]string{}
		for _, f := range []string{"tcp", "tcp6"} {
			readListeners(filepath.Join(dir, "net", f), table)
		}
		t.byNS[ns] = table
	}
	fds, err := os.ReadDir(filepath.Join(dir, "fd"))
	if err != nil {
		return nil
	}
	var out []string
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join(dir, "fd", fd.Name()))
		if err != nil {
			continue
		}
		if v, ok := strings.CutPrefix(link, "socket:["); ok {
			ino, err := strconv.ParseUint(strings.TrimSuffix(v, "]"), 10, 64)
			if addr, found := table[ino]; err == nil && found {
				out = append(out, addr)
			}
		}
	}
	return out
}

// readListeners adds the listening sockets of a /proc/net/tcp or tcp6 file to table.
func readListeners(file string, table map[uint64]string) {
	f, err := os.Open(file)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 4096), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || fields[3] != "0A" { // 0A: TCP_LISTEN
			continue
		}
		addr, ok := parseProcAddr(fields[1])
		ino, err := strconv.ParseUint(fields[9], 10, 64)
		if ok && err == nil && ino != 0 {
			table[ino] = addr.String()
		}
	}
}

// parseProcAddr reads "0100007F:0BB9" (IPv4) or a 32-hex-digit IPv6 address and a port, as
// the kernel prints them: each 32-bit word of the address in host (little-endian) order.
func parseProcAddr(s string) (netip.AddrPort, bool) {
	h, p, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, false
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.AddrPort{}, false
	}
	raw, err := hex.DecodeString(h)
	if err != nil || len(raw) != 4 && len(raw) != 16 {
		return netip.AddrPort{}, false
	}
	for i := 0; i < len(raw); i += 4 {
		raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	var a netip.Addr
	if len(raw) == 4 {
		a = netip.AddrFrom4([4]byte(raw))
	} else {
		a = netip.AddrFrom16([16]byte(raw)).Unmap()
	}
	return netip.AddrPortFrom(a, uint16(port)), true
}
