package probe

import (
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
)

// FuzzSSE reads any stream as Server-Sent Events within a budget: it must stop at the budget,
// never return more data than it read, and never panic.
func FuzzSSE(f *testing.F) {
	for _, s := range []string{"event: endpoint\ndata: /messages?sessionId=1\n\n", "data: a\r\ndata: b\r\n\r\n", ": c\n\nid: 1\nevent: x\ndata\n\n",
		"data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n", strings.Repeat("data: x\n", 100), "\r\r\n\n"} {
		f.Add(s, uint16(64))
	}
	f.Fuzz(func(t *testing.T, s string, budget uint16) {
		r := NewSSEReader(strings.NewReader(s), int64(budget))
		total := 0
		for i := 0; i < 1000; i++ {
			ev, err := r.Next()
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, errBudget) {
					t.Fatalf("error %v", err)
				}
				return
			}
			total += len(ev.Data)
			if total > len(s) || total > int(budget) {
				t.Fatalf("%d bytes of data from %d bytes of input, budget %d", total, len(s), budget)
			}
		}
	})
}

// FuzzParseMCP feeds any body to every response parser: none may panic, and whatever is
// recognized as an MCP server says who it is.
func FuzzParseMCP(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-11-25","capabilities":{"tools":{}},"serverInfo":{"name":"x","version":"1"}}}`,
		`{"jsonrpc":"2.0","id":1,"result":"0x1"}`,
		`{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"Unsupported protocol version","data":{"supported":["2024-11-05"],"requested":"1"}}}`,
		`{"jsonrpc":"2.0","id":1.0,"result":{"supportedVersions":["2026-07-28"],"capabilities":{},"serverInfo":{"name":"d"}}}`,
		`{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"a"},{"name":"b,c"}]}}`,
		`{"resource":"https://h/mcp","authorization_servers":["https://a"]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if r := ParseResponse(b, 1); r != nil {
			if info, ok := ParseInitializeResult(r.Result); ok && (info.Name == "" || info.ProtocolVersion == "") {
				t.Fatalf("initialize result without identity: %+v", info)
			}
			if info, ok := ParseDiscoverResult(r.Result); ok && (info.Name == "" || len(info.Versions) == 0) {
				t.Fatalf("discover result without identity: %+v", info)
			}
			ParseVersionError(r.Error)
			if names, ok := ParseToolsList(r.Result); ok {
				for _, n := range names {
					if n == "" || strings.ContainsAny(n, ", \t\r\n") {
						t.Fatalf("tool name %q", n)
					}
				}
			}
		}
		if m, ok := ParseResourceMetadata(b); ok && m.Resource == "" {
			t.Fatal("metadata without resource")
		}
	})
}

// FuzzWWWAuthenticate parses any header value without panicking; a Bearer challenge's
// resource_metadata survives any surrounding parameters.
func FuzzWWWAuthenticate(f *testing.F) {
	for _, s := range []string{`Bearer resource_metadata="https://h/.well-known/oauth-protected-resource", scope="a b"`,
		`Basic realm="x", Bearer error="invalid_token"`, `Negotiate abc==, Bearer realm=x`, `Bearer "`, `,,=,`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		ParseWWWAuthenticate([]string{v})
		cs := ParseWWWAuthenticate([]string{`Bearer resource_metadata="https://h/m", ` + regexp.MustCompile(`(?i)resource_metadata`).ReplaceAllString(v, "x")})
		if len(cs) == 0 || cs[0].Params["resource_metadata"] != "https://h/m" {
			t.Fatalf("%q: %+v", v, cs)
		}
	})
}
