// Package scantest starts the real MCP servers that discovery's tests run against: the npm
// servers pinned in testdata/npm (installed by `npm ci --prefix testdata/npm`), forced to
// listen on 127.0.0.1 only, and stopped when the test ends.
package scantest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// loopbackJS makes every listen() that names no host bind to 127.0.0.1, so that the npm
// servers (which listen on every interface) are reachable from loopback only.
const loopbackJS = `'use strict';
const net = require('net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const a = args[0];
  if (typeof a === 'number' || (typeof a === 'string' && /^\d+$/.test(a))) {
    if (typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1');
  } else if (a && typeof a === 'object' && !Array.isArray(a) && a.port !== undefined && !a.host && !a.path) {
    args[0] = Object.assign({}, a, { host: '127.0.0.1' });
  }
  return listen.apply(this, args);
};
`

// NPMDir returns the testdata/npm directory of the repository, failing the test when its
// servers are not installed.
func NPMDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("scantest: go.mod not found above the test's directory")
		}
		dir = parent
	}
	npm := filepath.Join(dir, "testdata", "npm")
	for _, bin := range []string{"mcp-server-everything", "mcp-server-filesystem"} {
		if _, err := os.Stat(filepath.Join(npm, "node_modules", ".bin", bin)); err != nil {
			t.Fatalf("scantest: %s is not installed; run `npm ci --prefix testdata/npm` (as .ci/run does)", bin)
		}
	}
	return npm
}

// Bin returns the path of an installed npm executable.
func Bin(t testing.TB, name string) string {
	return filepath.Join(NPMDir(t), "node_modules", ".bin", name)
}

// FreePort returns a TCP port free on 127.0.0.1 right now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Process is a server started for a test.
type Process struct {
	Cmd *exec.Cmd
	out *syncBuffer
	in  io.WriteCloser
}

// Output returns what the process wrote to stdout and stderr so far.
func (p *Process) Output() string { return p.out.String() }

// Start runs name with args in dir (the test's directory when ""), with env added to the
// test's environment and Node.js servers forced onto loopback. Its standard input stays open
// (stdio servers exit when it closes). The process and its children (its process group) are
// stopped when the test ends.
func Start(t testing.TB, dir string, env []string, name string, args ...string) *Process {
	t.Helper()
	preload := filepath.Join(t.TempDir(), "loopback.cjs")
	if err := os.WriteFile(preload, []byte(loopbackJS), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "NODE_OPTIONS=--require "+preload, "npm_config_update_notifier=false"), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("scantest: start %s: %v", name, err)
	}
	p := &Process{Cmd: cmd, out: out, in: in}
	t.Cleanup(func() {
		in.Close()
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	return p
}

// StartNPM starts an installed npm server executable listening on port (through PORT).
func StartNPM(t testing.TB, port int, bin string, args ...string) *Process {
	t.Helper()
	env := []string{}
	if port > 0 {
		env = append(env, "PORT="+strconv.Itoa(port))
	}
	p := Start(t, "", env, Bin(t, bin), args...)
	if port > 0 {
		WaitListening(t, p, fmt.Sprintf("127.0.0.1:%d", port))
	}
	return p
}

// WaitListening waits until addr accepts connections (at most 30 s, the machine is shared).
func WaitListening(t testing.TB, p *Process, addr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if p != nil && p.Cmd.ProcessState != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	out := ""
	if p != nil {
		out = p.Output()
	}
	t.Fatalf("scantest: nothing listens on %s\n%s", addr, out)
}

// syncBuffer is a bytes.Buffer safe for the process's writers and the test's readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() > 1<<20 {
		return len(p), nil
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
