package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/mcpwatch/mcpwatch/internal/scan/scantest"
)

// recorder is server-side evidence of what a probe sent: every JSON-RPC method and every
// User-Agent, whatever the server behind it is.
type recorder struct {
	mu       sync.Mutex
	methods  []string
	agents   map[string]int
	requests int
}

func (r *recorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.requests++
		if r.agents == nil {
			r.agents = map[string]int{}
		}
		r.agents[req.Header.Get("User-Agent")]++
		r.mu.Unlock()
		if req.Body != nil && req.Method == http.MethodPost {
			body, _ := io.ReadAll(req.Body)
			req.Body = io.NopCloser(bytes.NewReader(body))
			var one struct{ Method string }
			var batch []struct{ Method string }
			r.mu.Lock()
			if json.Unmarshal(body, &one) == nil && one.Method != "" {
				r.methods = append(r.methods, one.Method)
			} else if json.Unmarshal(body, &batch) == nil {
				for _, m := range batch {
					r.methods = append(r.methods, m.Method)
				}
			}
			r.mu.Unlock()
		}
		h.ServeHTTP(w, req)
	})
}

func (r *recorder) snapshot() (methods []string, agents map[string]int, requests int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := map[string]int{}
	for k, v := range r.agents {
		a[k] = v
	}
	return append([]string(nil), r.methods...), a, r.requests
}

// testServer is one server the probe is pointed at.
type testServer struct {
	name  string
	url   string // base URL, http://127.0.0.1:port
	rec   *recorder
	isMCP string // "" for a negative, else the status the probe must give
}

func serve(t *testing.T, name, status string, h http.Handler) *testServer {
	t.Helper()
	rec := &recorder{}
	srv := httptest.NewServer(rec.wrap(h)) // 127.0.0.1, a free port
	t.Cleanup(srv.Close)
	return &testServer{name: name, url: srv.URL, rec: rec, isMCP: status}
}

// goSDKServer is an MCP server built with the official Go SDK, with two tools.
func goSDKServer(name string, opts *mcp.ServerOptions) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: name, Version: "1.4.2", Title: "Test " + name}, opts)
	type in struct {
		Text string `json:"text"`
	}
	mcp.AddTool(s, &mcp.Tool{Name: "echo", Description: "echoes"}, func(ctx context.Context, req *mcp.CallToolRequest, a in) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: a.Text}}}, nil, nil
	})
	mcp.AddTool(s, &mcp.Tool{Name: "run_command", Description: "runs a shell command"}, func(ctx context.Context, req *mcp.CallToolRequest, a in) (*mcp.CallToolResult, any, error) {
		panic("a probe called a tool")
	})
	return s
}

// proxy fronts an npm server with a recorder (the npm server cannot record itself).
func proxy(t *testing.T, name, status, target string) *testServer {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.FlushInterval = -1 // stream SSE as it comes
	return serve(t, name, status, rp)
}

// servers starts every server of the probe tests: the positives (real npm servers over
// Streamable HTTP and legacy SSE, go-sdk servers over Streamable HTTP, SSE and stateless
// 2026-07-28, an OAuth-protected go-sdk server) and the negatives (a plain JSON-RPC service,
// an RFC 9728 protected API that is not MCP, a 404, a server that never answers, and one that
// streams forever).
func servers(t *testing.T) []*testServer {
	var out []*testServer
	// Real npm servers, behind recording proxies.
	httpPort, ssePort := scantest.FreePort(t), scantest.FreePort(t)
	scantest.StartNPM(t, httpPort, "mcp-server-everything", "streamableHttp")
	scantest.StartNPM(t, ssePort, "mcp-server-everything", "sse")
	out = append(out,
		proxy(t, "npm everything streamableHttp", "confirmed", fmt.Sprintf("http://127.0.0.1:%d", httpPort)),
		proxy(t, "npm everything sse", "confirmed", fmt.Sprintf("http://127.0.0.1:%d", ssePort)))

	// go-sdk servers.
	mux := http.NewServeMux()
	mux.Handle("/mcp", mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return goSDKServer("go-streamable", nil) }, nil))
	out = append(out, serve(t, "go-sdk streamable", "confirmed", mux))
	mux = http.NewServeMux()
	mux.Handle("/sse", mcp.NewSSEHandler(func(*http.Request) *mcp.Server { return goSDKServer("go-sse", nil) }, nil))
	out = append(out, serve(t, "go-sdk sse", "confirmed", mux))
	mux = http.NewServeMux()
	mux.Handle("/mcp", mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server {
		return goSDKServer("go-stateless", &mcp.ServerOptions{SupportedProtocolVersions: []string{DiscoverVersion}})
	}, &mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true}))
	out = append(out, serve(t, "go-sdk stateless 2026-07-28", "confirmed", mux))
	// A stateless server that has dropped the initialize handshake altogether, as the
	// 2026-07-28 revision did: only server/discover tells what it is.
	mux = http.NewServeMux()
	mux.Handle("/mcp", mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server {
		s := goSDKServer("go-discover-only", &mcp.ServerOptions{SupportedProtocolVersions: []string{DiscoverVersion}})
		s.AddReceivingMiddleware(func(next mcp.MethodHandler) mcp.MethodHandler {
			return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
				if method == "initialize" {
					return nil, &jsonrpc.Error{Code: -32601, Message: "initialize is not part of MCP 2026-07-28; call server/discover"}
				}
				return next(ctx, method, req)
			}
		})
		return s
	}, &mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true}))
	out = append(out, serve(t, "go-sdk without initialize (server/discover only)", "confirmed", mux))

	// OAuth-protected go-sdk server: 401 + WWW-Authenticate resource_metadata, and the
	// metadata names the MCP endpoint as the resource.
	mux = http.NewServeMux()
	oauth := serve(t, "go-sdk oauth", "auth-required", mux)
	metaURL := oauth.url + "/.well-known/oauth-protected-resource/mcp"
	mux.Handle("/.well-known/oauth-protected-resource/mcp", auth.ProtectedResourceMetadataHandler(&oauthex.ProtectedResourceMetadata{
		Resource: oauth.url + "/mcp", AuthorizationServers: []string{"https://auth.example.com"}, ScopesSupported: []string{"mcp:tools"},
		ResourceName: "Protected test MCP"}))
	verify := func(ctx context.Context, token string, req *http.Request) (*auth.TokenInfo, error) {
		return nil, auth.ErrInvalidToken
	}
	mux.Handle("/mcp", auth.RequireBearerToken(verify, &auth.RequireBearerTokenOptions{ResourceMetadataURL: metaURL, Scopes: []string{"mcp:tools"}})(
		mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return goSDKServer("go-oauth", nil) }, nil)))
	out = append(out, oauth)

	// Negatives.
	out = append(out, serve(t, "plain JSON-RPC", "", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		var req struct {
			ID json.RawMessage `json:"id"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":"0x1"}`, orNull(req.ID))
	})))
	var api *testServer
	api = serve(t, "RFC 9728 API without MCP", "", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/.well-known/oauth-protected-resource" {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"resource":%q,"authorization_servers":["https://login.example.com"],"scopes_supported":["orders:read"],"bearer_methods_supported":["header"]}`, api.url+"/")
			return
		}
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="orders", resource_metadata=%q`, api.url+"/.well-known/oauth-protected-resource"))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":"invalid_token"}`)
	}))
	out = append(out, api)
	out = append(out, serve(t, "404", "", http.NotFoundHandler()))
	out = append(out, serve(t, "slow, never answers", "", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})))
	out = append(out, serve(t, "streams forever", "", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		f := w.(http.Flusher)
		for i := 0; r.Context().Err() == nil; i++ {
			fmt.Fprintf(w, "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"n\":%d}}\n\n", i)
			f.Flush()
			if i%64 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	})))
	return out
}

func orNull(b json.RawMessage) string {
	if len(b) == 0 {
		return "null"
	}
	return string(b)
}
