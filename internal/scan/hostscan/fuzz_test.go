package hostscan

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ocsf/schema"
	"github.com/mcpwatch/mcpwatch/internal/scan/inventory"
)

// FuzzParseConfig parses any bytes in every dialect: it must fail cleanly or give records
// whose lists hold names only and whose OCSF events are valid. The seeds are the fixtures,
// real-format files of every client.
func FuzzParseConfig(f *testing.F) {
	filepath.Walk("testdata", func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() && !strings.Contains(p, "passwd") && !strings.Contains(p, "fuzz") {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b, uint8(0))
			}
		}
		return nil
	})
	f.Add([]byte(`{"mcpServers":{"a":{"command":["x",1,true,null],"env":{"A,B":"1"," ":2},"args":"no"}}}`), uint8(1))
	f.Add([]byte("[mcp_servers.a]\ncommand = 'x'\nargs = [1, 2.5]\nenv_http_headers = { H = 'TOKEN' }\n"), uint8(7))
	f.Add([]byte(`{"context_servers":{"z":{"command":{"path":7,"args":{}}}}}`), uint8(6))
	f.Fuzz(func(t *testing.T, data []byte, d uint8) {
		recs, _, err := ParseConfig(data, Dialect(d%8))
		if err != nil {
			return
		}
		for i := range recs {
			r := &recs[i]
			for _, l := range [][]string{r.EnvNames, r.HeaderNames} {
				for _, n := range l {
					if n == "" || strings.ContainsAny(n, ", \t\r\n") {
						t.Fatalf("name %q in a list", n)
					}
				}
			}
			ev := inventory.Event(r, inventory.Device{Hostname: "h"}, time.UnixMilli(1), "f")
			if err := schema.Validate(&ev); err != nil {
				t.Fatalf("invalid event for %+v: %v", r, err)
			}
			back, _, ok := inventory.FromEvent(&ev)
			if !ok || back.Name != r.Name || back.CmdLine != r.CmdLine || !reflect.DeepEqual(back.EnvNames, r.EnvNames) {
				t.Fatalf("event round trip: %+v != %+v", back, r)
			}
		}
	})
}

// FuzzStandardizeJSONC checks that comment and trailing-comma removal keeps offsets and never
// changes a valid JSON document's meaning.
func FuzzStandardizeJSONC(f *testing.F) {
	for _, s := range []string{`{"a": "// not a comment", /* c */ "b": [1, 2,],}`, "\xef\xbb\xbf{}", `{"a":"\"//"}// x`, `/* open`, `"\`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out := standardizeJSONC(in)
		if len(out) != len(in) {
			t.Fatalf("length %d → %d", len(in), len(out))
		}
		if bytes.HasPrefix(in, []byte("\xef\xbb\xbf")) {
			return
		}
		var a, b any
		if json.Unmarshal(in, &a) == nil {
			if err := json.Unmarshal(out, &b); err != nil || !reflect.DeepEqual(a, b) {
				t.Fatalf("valid JSON %q changed: %q (%v)", in, out, err)
			}
		}
	})
}

// FuzzClassify classifies any command line without panicking; a shell's command is read
// like the command itself.
func FuzzClassify(f *testing.F) {
	for _, s := range []string{"npx\x00-y\x00@modelcontextprotocol/server-github@1.0", "docker\x00run\x00-i\x00--rm\x00-e\x00A\x00mcp/github:latest",
		"uvx\x00--from\x00git+https://x\x00mcp-server-git", "python3.12\x00-m\x00mcp_server_fetch", "sh\x00-c\x00'a b' \"c\\\"d\" e\\ f",
		"node\x00/x/node_modules/.bin/mcp-server-everything", "cmd\x00/c\x00npx\x00-p", "env\x00A=1\x00-i"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		argv := strings.Split(s, "\x00")
		l := Classify(argv)
		if len(argv) > 0 && IsMCPName(argv[0]) && l.Package == "" && !strings.ContainsAny(argv[0], " \t'\"\\") {
			t.Fatalf("%q: an MCP executable without a package", argv)
		}
		_ = splitShell(s)
	})
}
