package probe

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ocsf/schema"
	"github.com/mcpwatch/mcpwatch/internal/scan/inventory"
)

func loopbackScope(t testing.TB, cidr string) *Scope {
	t.Helper()
	s, err := ParseScope(context.Background(), []string{cidr})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func targetsOf(t testing.TB, urls ...string) []Target {
	t.Helper()
	var out []Target
	for _, u := range urls {
		ts, err := ParseTarget(context.Background(), strings.TrimPrefix(u, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ts...)
	}
	return out
}

// TestProbeServers points the probe at real MCP servers and at services that are not MCP:
// every positive must be found with what it says of itself, no negative may be called MCP,
// and no server may ever receive tools/call.
func TestProbeServers(t *testing.T) {
	srvs := servers(t)
	for _, listTools := range []bool{false, true} {
		var urls []string
		for _, s := range srvs {
			urls = append(urls, s.url)
		}
		p, err := New(loopbackScope(t, "127.0.0.1/32"), Options{ListTools: listTools, ReportOpen: true, RequestTimeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]Result{}
		st, err := p.Run(context.Background(), targetsOf(t, urls...), func(r Result) { got[r.Endpoint] = r })
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range srvs {
			r, ok := got[strings.TrimPrefix(s.url, "http://")]
			if !ok {
				t.Errorf("%s: no result (open endpoints are all reported)", s.name)
				continue
			}
			want := s.isMCP
			if want == "" {
				want = inventory.StatusNotMCP
			}
			if r.Status != want {
				t.Errorf("%s: status %s, want %s\nnotes: %s", s.name, r.Status, want, strings.Join(r.Notes, "\n  "))
				continue
			}
			t.Logf("%s (list tools %v): %s %+v", s.name, listTools, r.Status, *r.Record)
			rec := r.Record
			if rec.Source != inventory.SourceProbe || rec.Port == 0 || rec.Host != "127.0.0.1" || !strings.HasPrefix(rec.URL, s.url) {
				t.Errorf("%s: record %+v", s.name, rec)
			}
			ev := inventory.Event(rec, inventory.Device{IP: "127.0.0.1"}, time.Now(), "test")
			if err := schema.Validate(&ev); err != nil {
				t.Fatalf("%s: invalid OCSF: %v", s.name, err)
			}
			switch {
			case want == inventory.StatusConfirmed:
				if rec.Transport == "" || rec.Auth != "none" || rec.Risk == "" || rec.Evidence == "" {
					t.Errorf("%s: %+v", s.name, rec)
				}
				if rec.ServerName == "" || rec.ProtocolVersion == "" || !slices.Contains(rec.Capabilities, "tools") {
					t.Errorf("%s: serverInfo not recorded: %+v", s.name, rec)
				}
				if listTools && len(rec.Tools) == 0 {
					t.Errorf("%s: tools not listed", s.name)
				}
				if !listTools && len(rec.Tools) != 0 {
					t.Errorf("%s: tools listed without ListTools", s.name)
				}
			case want == inventory.StatusAuthRequired:
				if rec.Auth != "oauth" || !slices.Equal(rec.AuthorizationServers, []string{"https://auth.example.com"}) ||
					!strings.HasSuffix(rec.ResourceMetadata, "/.well-known/oauth-protected-resource/mcp") || rec.Risk != "low" {
					t.Errorf("%s: %+v", s.name, rec)
				}
			}
		}
		if st.Confirmed != 6 || st.AuthRequired != 1 || st.Endpoints != int64(len(srvs)) || st.Open != int64(len(srvs)) {
			t.Errorf("stats %+v", st)
		}
	}
	// Server-side evidence: nothing ever called a tool, and every request said who it was.
	for _, s := range srvs {
		methods, agents, n := s.rec.snapshot()
		if slices.Contains(methods, "tools/call") {
			t.Errorf("%s received tools/call", s.name)
		}
		for _, m := range methods {
			if !allowedMethods[m] {
				t.Errorf("%s received %s", s.name, m)
			}
		}
		if n == 0 || agents[DefaultUserAgent] != n {
			t.Errorf("%s: %d requests, user agents %v", s.name, n, agents)
		}
	}
	// Names the servers give, as a user would see them.
	for _, s := range srvs {
		if s.name == "go-sdk without initialize (server/discover only)" {
			methods, _, _ := s.rec.snapshot()
			if !slices.Contains(methods, "server/discover") {
				t.Errorf("%s saw %v", s.name, methods)
			}
		}
		if s.name == "go-sdk streamable" {
			methods, _, _ := s.rec.snapshot()
			if !slices.Contains(methods, "initialize") || !slices.Contains(methods, "tools/list") {
				t.Errorf("go-sdk server saw %v", methods)
			}
		}
	}
}

// TestScopeRefused checks that a target outside the scope is refused before any connection.
func TestScopeRefused(t *testing.T) {
	rec := &recorder{}
	srv := serve(t, "mcp", "confirmed", rec.wrap(nil))
	_ = srv
	p, err := New(loopbackScope(t, "127.0.0.2/32"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Run(context.Background(), targetsOf(t, srv.url), func(Result) { t.Error("a result for an out-of-scope target") })
	if !errors.Is(err, ErrOutOfScope) {
		t.Fatalf("err %v, want ErrOutOfScope", err)
	}
	if _, _, n := srv.rec.snapshot(); n != 0 {
		t.Fatalf("the out-of-scope server got %d requests", n)
	}
	// Probe (one endpoint) refuses at dial time too.
	ap := netip.MustParseAddrPort(strings.TrimPrefix(srv.url, "http://"))
	if r := p.Probe(context.Background(), Endpoint{Addr: ap.Addr(), Port: int(ap.Port())}); r.Status != "out-of-scope" {
		t.Fatalf("Probe outside the scope: %+v", r)
	}
}

func TestNeverSendsActions(t *testing.T) {
	for _, m := range []string{"tools/call", "resources/read", "prompts/get", "sampling/createMessage", "completion/complete", "logging/setLevel", ""} {
		if _, err := rpcBody(m, 1, nil); !errors.Is(err, ErrMethodNotAllowed) {
			t.Errorf("%q: %v", m, err)
		}
	}
	b, err := rpcBody("initialize", 1, map[string]any{"protocolVersion": "x"})
	if err != nil || !json.Valid(b) {
		t.Fatal(err)
	}
}
