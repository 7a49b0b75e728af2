package hostscan

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ocsf/schema"
	"github.com/mcpwatch/mcpwatch/internal/scan/inventory"
	"github.com/mcpwatch/mcpwatch/internal/scan/scantest"
)

// TestScanProcesses starts real MCP servers from npm — server-everything over Streamable
// HTTP and over SSE, each run directly as its npm bin, and server-filesystem over stdio
// launched by npx as a client would — and checks that the scan finds each with its command
// line, package, version and listening socket, and nothing else of the test's.
func TestScanProcesses(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("process scanning reads /proc")
	}
	npm := scantest.NPMDir(t)
	httpPort, ssePort := scantest.FreePort(t), scantest.FreePort(t)
	streamable := scantest.StartNPM(t, httpPort, "mcp-server-everything", "streamableHttp")
	sse := scantest.StartNPM(t, ssePort, "mcp-server-everything", "sse")
	shared := t.TempDir()
	fsrv := scantest.Start(t, npm, nil, "npx", "--no-install", "@modelcontextprotocol/server-filesystem", shared)
	// A process that merely mentions MCP is not a server.
	decoy := scantest.Start(t, "", nil, "sh", "-c", "sleep 60 # mcp-server-decoy", "mcp-server-decoy")
	_ = decoy

	var found []inventory.Record
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := Scan(context.Background(), Options{Root: "testdata/linux", OS: "linux", Homes: []Home{}, Processes: true})
		if err != nil {
			t.Fatal(err)
		}
		found = found[:0]
		for _, r := range res.Records {
			if r.Source == inventory.SourceProcess {
				found = append(found, r)
			}
		}
		// The filesystem server's node process starts a moment after npx (npm exec → sh → node).
		if r := byPackage(found, "@modelcontextprotocol/server-filesystem"); r != nil && len(r.PIDs) >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	mine := map[int]bool{}
	for _, p := range []*scantest.Process{streamable, sse, fsrv, decoy} {
		for _, pid := range descendants(p.Cmd.Process.Pid) {
			mine[pid] = true
		}
	}
	var ours []inventory.Record
	for _, r := range found {
		if mine[r.PID] {
			ours = append(ours, r)
		}
	}
	for _, r := range ours {
		t.Logf("found pid %d %s %s %s listen %v pids %v launcher %q", r.PID, r.Package, r.PackageVersion, r.CmdLine, r.Listen, r.PIDs, r.LauncherCmd)
	}
	if len(ours) != 3 {
		t.Fatalf("%d servers among the test's processes, want 3 (the decoy is not one)\n%s", len(ours), fsrv.Output())
	}
	for _, tc := range []struct {
		pid       int
		transport string
		listen    string
		args      string
	}{
		{streamable.Cmd.Process.Pid, "streamable-http", fmt.Sprintf("127.0.0.1:%d", httpPort), "mcp-server-everything streamableHttp"},
		{sse.Cmd.Process.Pid, "sse", fmt.Sprintf("127.0.0.1:%d", ssePort), "mcp-server-everything sse"},
	} {
		i := slices.IndexFunc(ours, func(r inventory.Record) bool { return r.PID == tc.pid })
		if i < 0 {
			t.Fatalf("pid %d not found", tc.pid)
		}
		r := ours[i]
		if r.Package != "@modelcontextprotocol/server-everything" || r.PackageVersion != "2026.8.31" || r.Ecosystem != "npm" ||
			r.Transport != tc.transport || !slices.Equal(r.Listen, []string{tc.listen}) || !strings.HasPrefix(r.CmdLine, "node ") ||
			!strings.HasSuffix(r.CmdLine, tc.args) || r.ProcessName != "node" || r.UID != strconv.Itoa(os.Getuid()) ||
			r.ProcessStarted == 0 || !strings.HasSuffix(r.Executable, "node") {
			t.Errorf("pid %d: %+v", tc.pid, r)
		}
	}
	r := byPackage(ours, "@modelcontextprotocol/server-filesystem")
	if r == nil {
		t.Fatal("filesystem server not found")
	}
	if r.Transport != "stdio" || len(r.Listen) != 0 || r.PackageVersion != "2026.8.31" || !strings.HasSuffix(r.CmdLine, shared) ||
		!strings.Contains(r.LauncherCmd, "@modelcontextprotocol/server-filesystem") || len(r.PIDs) != 3 ||
		!slices.Contains(r.PIDs, fsrv.Cmd.Process.Pid) || r.Launcher == "" {
		t.Errorf("filesystem server: %+v", *r)
	}
	for i := range ours {
		ev := inventory.Event(&ours[i], inventory.Device{Hostname: "test"}, time.Now(), "test")
		if err := schema.Validate(&ev); err != nil {
			t.Fatalf("invalid OCSF: %v", err)
		}
		if ev.Actor.Process.PID != int32(ours[i].PID) || ev.Actor.Process.CmdLine == "" {
			t.Fatalf("actor.process %+v", ev.Actor.Process)
		}
	}
}

func byPackage(rs []inventory.Record, pkg string) *inventory.Record {
	for i := range rs {
		if rs[i].Package == pkg {
			return &rs[i]
		}
	}
	return nil
}

// descendants returns pid and every process below it.
func descendants(pid int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(stat)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 {
			pp, _ := strconv.Atoi(f[1])
			children[pp] = append(children[pp], p)
		}
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}
