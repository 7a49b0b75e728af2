package mcpserver_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpwatch/mcpwatch/internal/mcpserver"
)

const testToken = "0123456789abcdef-test-token"

// serveHTTP serves srv on 127.0.0.1 and returns the endpoint URL.
func serveHTTP(t testing.TB, srv *mcpserver.Server, o mcpserver.HTTPOptions) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	errc := make(chan error, 1)
	o.Addr = "127.0.0.1:0"
	go func() { errc <- srv.ServeHTTP(ctx, o, func(a string) { addrc <- a }) }()
	t.Cleanup(func() {
		cancel()
		<-errc
	})
	select {
	case a := <-addrc:
		return "http://" + a + "/mcp"
	case err := <-errc:
		t.Fatal(err)
	}
	return ""
}

type headerTransport struct {
	h    http.Header
	base http.RoundTripper
}

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h.h {
		r.Header[k] = v
	}
	return h.base.RoundTrip(r)
}

func httpClient(t testing.TB, url string, h http.Header) (*mcp.ClientSession, error) {
	t.Helper()
	tr := &mcp.StreamableClientTransport{Endpoint: url, HTTPClient: &http.Client{Transport: headerTransport{h, http.DefaultTransport}}}
	return mcp.NewClient(&mcp.Implementation{Name: "http-test", Version: "1"}, nil).Connect(context.Background(), tr, nil)
}

func TestHTTPAuthOriginAndLimits(t *testing.T) {
	srv, _ := localServer(t, mcpserver.DefaultSettings())
	url := serveHTTP(t, srv, mcpserver.HTTPOptions{Token: testToken, MaxBodyBytes: 4096, Logger: quiet()})

	post := func(h http.Header, body string) int {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		for k, v := range h {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	init := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}`
	auth := http.Header{"Authorization": {"Bearer " + testToken}}
	tests := []struct {
		name string
		h    http.Header
		body string
		want int
	}{
		{"no token", nil, init, http.StatusUnauthorized},
		{"wrong token", http.Header{"Authorization": {"Bearer " + strings.Repeat("x", 27)}}, init, http.StatusUnauthorized},
		{"foreign origin", http.Header{"Authorization": auth["Authorization"], "Origin": {"https://evil.example"}}, init, http.StatusForbidden},
		{"rebinding host", http.Header{"Authorization": auth["Authorization"], "Host": {"evil.example"}}, init, http.StatusForbidden},
		{"body too large", auth, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"x":"` + strings.Repeat("a", 8192) + `"}}`, http.StatusRequestEntityTooLarge},
		{"local origin", http.Header{"Authorization": auth["Authorization"], "Origin": {"http://localhost:6274"}}, init, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.h
			if host := h.Get("Host"); host != "" {
				req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(tc.body))
				req.Host = host
				req.Header.Set("Authorization", h.Get("Authorization"))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accept", "application/json, text/event-stream")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != tc.want {
					t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
				}
				return
			}
			if got := post(h, tc.body); got != tc.want {
				t.Fatalf("status %d, want %d", got, tc.want)
			}
		})
	}
	cs, err := httpClient(t, url, auth)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	e := call(t, cs, "list_data_sources", nil)
	mustSucceed(t, "list_data_sources", e)
}

func TestHTTPRefusesExposureWithoutToken(t *testing.T) {
	tests := []struct {
		addr, token string
		ok          bool
	}{
		{"127.0.0.1:0", "", true},
		{"localhost:8808", "", true},
		{"[::1]:8808", "", true},
		{"0.0.0.0:8808", "", false},
		{":8808", "", false},
		{"192.0.2.10:8808", "", false},
		{"0.0.0.0:8808", "short", false},
		{"0.0.0.0:8808", testToken, true},
	}
	for _, tc := range tests {
		err := mcpserver.CheckHTTPOptions(mcpserver.HTTPOptions{Addr: tc.addr, Token: tc.token})
		if (err == nil) != tc.ok {
			t.Errorf("%s token %q: err %v", tc.addr, tc.token, err)
		}
		if tc.token == "" && !tc.ok && !errors.Is(err, mcpserver.ErrTokenRequired) {
			t.Errorf("%s: err %v, want ErrTokenRequired", tc.addr, err)
		}
	}
	srv, _ := localServer(t, mcpserver.DefaultSettings())
	err := srv.ServeHTTP(context.Background(), mcpserver.HTTPOptions{Addr: "0.0.0.0:0"}, nil)
	if !errors.Is(err, mcpserver.ErrTokenRequired) {
		t.Fatalf("serving on 0.0.0.0 without a token: %v", err)
	}
}

// TestFiftyConcurrentHTTPClients runs 50 sessions at once over HTTP, each searching.
func TestFiftyConcurrentHTTPClients(t *testing.T) {
	srv, _ := localServer(t, mcpserver.DefaultSettings())
	url := serveHTTP(t, srv, mcpserver.HTTPOptions{Logger: quiet()})
	const clients = 50
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			tr := &mcp.StreamableClientTransport{Endpoint: url}
			cs, err := mcp.NewClient(&mcp.Implementation{Name: fmt.Sprint("c", i), Version: "1"}, nil).Connect(ctx, tr, nil)
			if err != nil {
				errs <- err
				return
			}
			defer cs.Close()
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "search_ip_addresses",
				Arguments: map[string]any{"ip_address": fmt.Sprintf("10.0.%d.%d", i%4, 10+i), "limit": 10}})
			if err != nil {
				errs <- err
				return
			}
			if res.IsError {
				errs <- fmt.Errorf("client %d: tool error %v", i, res.Content)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
