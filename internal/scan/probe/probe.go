// Package probe is a safe active prober that tells MCP servers from other network services by
// speaking MCP to them, never by port. For each in-scope endpoint it connects, then over
// HTTP (HTTPS when the port or a handshake says so) POSTs a JSON-RPC initialize with full
// params and Accept: application/json, text/event-stream to the common MCP paths, reads a
// JSON body or the first SSE events within a byte and time budget, falls back to
// server/discover (protocol 2026-07-28) and to the legacy HTTP+SSE transport (GET, event:
// endpoint), and recognizes OAuth-protected MCP servers (401 with WWW-Authenticate
// resource_metadata naming the probed path as the protected resource, RFC 9728). It records
// protocol version, serverInfo, capabilities and auth, and can list tools (tools/list) to
// rate risk.
//
// It never calls a tool: the only methods it can send are initialize,
// notifications/initialized, server/discover and tools/list. Every connection is checked
// against an explicit scope at dial time; redirects are not followed; concurrency and the
// rate of new endpoints are bounded; every request carries a User-Agent naming mcpwatch.
package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/scan/inventory"
)

// DefaultPorts are the candidate ports probed when a target names none: the ports MCP
// servers and their tooling use by default (the everything and reference servers 3000/3001,
// FastMCP and Python SDK 8000, Inspector 6274/6277, common HTTP alternates).
var DefaultPorts = []int{80, 443, 3000, 3001, 5000, 6274, 6277, 8000, 8001, 8080, 8081, 8443, 8787, 8888, 9000, 9090}

// DefaultPaths are the paths tried on each open endpoint, in order.
var DefaultPaths = []string{"/mcp", "/sse", "/", "/mcp/", "/v1/mcp", "/api/mcp", "/messages"}

// LatestInitializeVersion is the protocol version the probe asks for in initialize (the
// newest revision that has the initialize handshake); DiscoverVersion is the stateless
// revision that replaced it with server/discover.
const (
	LatestInitializeVersion = "2025-11-25"
	DiscoverVersion         = "2026-07-28"
)

// Options configure a Prober. Zero values take the defaults.
type Options struct {
	Ports []int
	Paths []string
	// Concurrency bounds the endpoints probed at once (default 64); Rate bounds new endpoints
	// per second (default 1000).
	Concurrency int
	Rate        float64
	// ConnectTimeout bounds a TCP connect (default 1 s), RequestTimeout one HTTP exchange
	// (default 3 s), EndpointTimeout everything done to one endpoint (default 15 s).
	ConnectTimeout, RequestTimeout, EndpointTimeout time.Duration
	// MaxBytes is the byte budget of one response (default 64 KiB).
	MaxBytes int64
	// ListTools sends tools/list to confirmed servers (read-only) to rate their risk.
	ListTools bool
	// ReportOpen reports open endpoints that did not speak MCP, with what they answered.
	ReportOpen bool
	// UserAgent identifies the probe (default DefaultUserAgent).
	UserAgent string
	// ClientName and ClientVersion are the clientInfo of initialize.
	ClientName, ClientVersion string
	Log                       *slog.Logger
}

// DefaultUserAgent names the probe and where to learn about it.
const DefaultUserAgent = "mcpwatch-probe/1 (+https://github.com/mcpwatch/mcpwatch; MCP discovery scan, never calls tools)"

// allowedMethods are the only JSON-RPC methods the probe can send. tools/call and every other
// method that acts is refused before anything is sent.
var allowedMethods = map[string]bool{"initialize": true, "notifications/initialized": true, "server/discover": true, "tools/list": true}

// ErrMethodNotAllowed is returned when code asks the probe to send a method outside allowedMethods.
var ErrMethodNotAllowed = errors.New("probe: method not allowed (the probe never acts on a server)")

// Result is what a probe learned of one endpoint.
type Result struct {
	Endpoint string `json:"endpoint"`
	// Status is inventory.StatusConfirmed, inventory.StatusAuthRequired, inventory.StatusNotMCP
	// (open, no MCP), "closed" or "out-of-scope".
	Status string `json:"status"`
	// Record describes the MCP server (set for confirmed and auth-required, and for not-mcp
	// endpoints when Options.ReportOpen is set).
	Record *inventory.Record `json:"server,omitempty"`
	// Notes say what each attempt got, for people and for debugging false negatives.
	Notes []string `json:"notes,omitempty"`
}

// MCP reports whether r is a confirmed or OAuth-protected MCP endpoint.
func (r Result) MCP() bool {
	return r.Status == inventory.StatusConfirmed || r.Status == inventory.StatusAuthRequired
}

// Stats count what a run did.
type Stats struct {
	Endpoints    int64         `json:"endpoints"`
	Open         int64         `json:"open"`
	Confirmed    int64         `json:"confirmed"`
	AuthRequired int64         `json:"auth_required"`
	Requests     int64         `json:"requests"`
	Elapsed      time.Duration `json:"-"`
}

// Prober probes endpoints within a scope.
type Prober struct {
	opts     Options
	scope    *Scope
	dialer   *net.Dialer
	client   *http.Client
	requests atomic.Int64
}

// New returns a prober that connects only to addresses in scope.
func New(scope *Scope, opts Options) (*Prober, error) {
	if scope == nil || len(scope.prefixes) == 0 {
		return nil, errors.New("probe: a scope is required")
	}
	if len(opts.Ports) == 0 {
		opts.Ports = DefaultPorts
	}
	for _, p := range opts.Ports {
		if p <= 0 || p > 65535 {
			return nil, fmt.Errorf("probe: port %d", p)
		}
	}
	if len(opts.Paths) == 0 {
		opts.Paths = DefaultPaths
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 64
	}
	if opts.Rate <= 0 {
		opts.Rate = 1000
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = time.Second
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 3 * time.Second
	}
	if opts.EndpointTimeout <= 0 {
		opts.EndpointTimeout = 15 * time.Second
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 64 << 10
	}
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	if opts.ClientName == "" {
		opts.ClientName, opts.ClientVersion = "mcpwatch-probe", "1"
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	p := &Prober{opts: opts, scope: scope}
	p.dialer = &net.Dialer{Timeout: opts.ConnectTimeout, Control: scope.control}
	tr := &http.Transport{
		DialContext:            p.dialer.DialContext,
		DisableKeepAlives:      true,
		TLSClientConfig:        &tls.Config{InsecureSkipVerify: true}, // fingerprinting, never sending credentials
		TLSHandshakeTimeout:    opts.RequestTimeout,
		ResponseHeaderTimeout:  opts.RequestTimeout,
		MaxResponseHeaderBytes: 16 << 10,
		Proxy:                  nil, // never through a proxy: the scope is about the targets
	}
	p.client = &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return p, nil
}

// Run probes every endpoint of targets (each target's addresses × its port or the candidate
// ports), calling emit for each endpoint that is open (or, with ReportOpen unset, for each
// MCP endpoint only). Targets outside the scope are refused before anything is sent. emit is
// never called concurrently.
func (p *Prober) Run(ctx context.Context, targets []Target, emit func(Result)) (Stats, error) {
	start := time.Now()
	for _, t := range targets {
		first, last := t.Prefix.Masked().Addr(), lastAddr(t.Prefix)
		if !p.scope.Contains(first) || !p.scope.Contains(last) {
			return Stats{}, fmt.Errorf("%w: target %s", ErrOutOfScope, t.Spec)
		}
	}
	var st Stats
	var mu sync.Mutex
	work := make(chan Endpoint)
	var wg sync.WaitGroup
	for range min(p.opts.Concurrency, max(count(targets, p.opts.Ports), 1)) {
		wg.Go(func() {
			for ep := range work {
				r := p.Probe(ctx, ep)
				mu.Lock()
				st.Endpoints++
				if r.Status != "closed" && r.Status != "out-of-scope" {
					st.Open++
				}
				switch r.Status {
				case inventory.StatusConfirmed:
					st.Confirmed++
				case inventory.StatusAuthRequired:
					st.AuthRequired++
				}
				if r.MCP() || p.opts.ReportOpen && r.Status == inventory.StatusNotMCP {
					emit(r)
				}
				mu.Unlock()
			}
		})
	}
	lim := newLimiter(p.opts.Rate)
	for ep := range endpoints(targets, p.opts.Ports) {
		if lim.wait(ctx) != nil {
			break
		}
		work <- ep
	}
	close(work)
	wg.Wait()
	st.Requests = p.requests.Load()
	st.Elapsed = time.Since(start)
	return st, ctx.Err()
}

// Probe probes one endpoint.
func (p *Prober) Probe(ctx context.Context, ep Endpoint) Result {
	ctx, cancel := context.WithTimeout(ctx, p.opts.EndpointTimeout)
	defer cancel()
	res := Result{Endpoint: ep.String(), Status: "closed"}
	conn, err := p.dialer.DialContext(ctx, "tcp", ep.String())
	if err != nil {
		if errors.Is(err, ErrOutOfScope) {
			res.Status = "out-of-scope"
		}
		return res
	}
	conn.Close()
	res.Status = inventory.StatusNotMCP
	schemes := []string{"http", "https"}
	if ep.Scheme == "https" || ep.Scheme == "" && (ep.Port == 443 || ep.Port == 8443) {
		schemes = []string{"https", "http"}
	}
	for i, scheme := range schemes {
		s := &session{p: p, ep: ep, scheme: scheme, res: &res}
		retry := s.run(ctx)
		if !retry || i == len(schemes)-1 || ctx.Err() != nil {
			break
		}
		res.Notes = append(res.Notes, "retrying over "+schemes[i+1])
	}
	if res.Record == nil && p.opts.ReportOpen {
		res.Record = &inventory.Record{Source: inventory.SourceProbe, Status: inventory.StatusNotMCP,
			URL: schemes[0] + "://" + hostPort(ep) + "/", Host: ep.Addr.String(), Port: ep.Port, Evidence: strings.Join(res.Notes, "; ")}
	}
	return res
}

func hostPort(ep Endpoint) string {
	h := ep.Addr.String()
	if ep.Hostname != "" {
		h = ep.Hostname
	}
	return net.JoinHostPort(h, strconv.Itoa(ep.Port))
}

// session is the probing of one endpoint over one scheme.
type session struct {
	p      *Prober
	ep     Endpoint
	scheme string
	res    *Result
	nextID int
}

// outcome of one HTTP exchange.
type exchange struct {
	status  int
	header  http.Header
	ctype   string
	rpc     *Response
	body    []byte // the start of the body, for notes
	timeout bool
	tlsErr  bool
	err     error
}

func (s *session) note(format string, args ...any) {
	s.res.Notes = append(s.res.Notes, fmt.Sprintf(format, args...))
}

// url is the endpoint's URL with path p (addresses, never names, are dialed).
func (s *session) url(p string) string {
	return s.scheme + "://" + s.ep.String() + p
}

// run tries every path; it reports whether the other scheme should be tried (a TLS
// mismatch).
func (s *session) run(ctx context.Context) (retryScheme bool) {
	paths := s.p.opts.Paths
	if s.ep.Path != "" {
		paths = append([]string{s.ep.Path}, slices.DeleteFunc(slices.Clone(paths), func(x string) bool { return x == s.ep.Path })...)
	}
	for i, pth := range paths {
		if ctx.Err() != nil {
			s.note("endpoint time budget spent")
			return false
		}
		x := s.initialize(ctx, pth, LatestInitializeVersion)
		switch {
		case x.tlsErr && i == 0:
			s.note("%s %s: %v", s.scheme, pth, x.err)
			return true
		case x.timeout:
			s.note("POST %s: no answer within %s", pth, s.p.opts.RequestTimeout)
			return false // a server that does not answer gets no more requests
		case x.err != nil:
			s.note("POST %s: %v", pth, x.err)
			return false
		}
		if s.confirmInitialize(ctx, pth, x) {
			return false
		}
		if x.status == http.StatusUnauthorized {
			if s.checkAuth(ctx, pth, x) {
				return false
			}
			continue
		}
		// A JSON-RPC answer that is not an initialize result: perhaps a stateless
		// (2026-07-28) server, which answers server/discover instead.
		if x.rpc != nil || x.status == http.StatusBadRequest && strings.Contains(x.ctype, "json") {
			if s.discover(ctx, pth) {
				return false
			}
		}
		if x.status == http.StatusMethodNotAllowed || x.status == http.StatusNotFound || strings.HasSuffix(pth, "sse") {
			if s.legacySSE(ctx, pth) {
				return false
			}
			if ctx.Err() != nil {
				return false
			}
		}
	}
	return false
}

// request builds and sends a JSON-RPC message (id 0 for a notification).
func (s *session) post(ctx context.Context, u, method string, params any, hdr http.Header) exchange {
	id := 0
	if !strings.HasPrefix(method, "notifications/") {
		s.nextID++
		id = s.nextID
	}
	body, err := rpcBody(method, id, params)
	if err != nil {
		return exchange{err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return exchange{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range hdr {
		req.Header[k] = v
	}
	return s.do(ctx, req, id)
}

// rpcBody encodes a JSON-RPC request or notification, refusing every method the probe must
// never send.
func rpcBody(method string, id int, params any) ([]byte, error) {
	if !allowedMethods[method] {
		return nil, fmt.Errorf("%w: %s", ErrMethodNotAllowed, method)
	}
	m := map[string]any{"jsonrpc": "2.0", "method": method}
	if params != nil {
		m["params"] = params
	}
	if id != 0 {
		m["id"] = id
	}
	return json.Marshal(m)
}

// do sends req and reads the JSON-RPC response with id from a JSON body or an SSE stream,
// within the byte and time budgets.
func (s *session) do(ctx context.Context, req *http.Request, id int) exchange {
	ctx, cancel := context.WithTimeout(ctx, s.p.opts.RequestTimeout)
	defer cancel()
	req = req.WithContext(ctx)
	req.Header.Set("User-Agent", s.p.opts.UserAgent)
	if s.ep.Hostname != "" {
		req.Host = net.JoinHostPort(s.ep.Hostname, strconv.Itoa(s.ep.Port))
	}
	s.p.requests.Add(1)
	resp, err := s.p.client.Do(req)
	if err != nil {
		return classifyErr(ctx, err)
	}
	defer resp.Body.Close()
	x := exchange{status: resp.StatusCode, header: resp.Header, ctype: strings.ToLower(resp.Header.Get("Content-Type"))}
	if id == 0 {
		return x
	}
	if strings.HasPrefix(x.ctype, "text/event-stream") {
		sr := NewSSEReader(resp.Body, s.p.opts.MaxBytes)
		for {
			ev, err := sr.Next()
			if err != nil {
				if ctx.Err() != nil {
					x.timeout = false // the stream ran out of time without an answer: not MCP here
					x.body = []byte("(event stream without a response within the time budget)")
				} else {
					x.body = []byte("(event stream without a response: " + err.Error() + ")")
				}
				return x
			}
			if ev.Name == "message" {
				if r := ParseResponse([]byte(ev.Data), id); r != nil {
					x.rpc = r
					return x
				}
			}
		}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, s.p.opts.MaxBytes))
	x.body = b
	if err != nil && ctx.Err() != nil {
		x.body = append(x.body, "(body cut at the time budget)"...)
	}
	x.rpc = ParseResponse(b, id)
	return x
}

func classifyErr(ctx context.Context, err error) exchange {
	x := exchange{err: err}
	var re tls.RecordHeaderError
	if errors.As(err, &re) || strings.Contains(err.Error(), "malformed HTTP") || strings.Contains(err.Error(), "tls: ") ||
		strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") || strings.Contains(err.Error(), "first record does not look like a TLS handshake") {
		x.tlsErr = true
	}
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
		x.timeout = true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		x.timeout = true
	}
	return x
}

func (s *session) initializeParams(version string) map[string]any {
	return map[string]any{
		"protocolVersion": version,
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]any{"name": s.p.opts.ClientName, "version": s.p.opts.ClientVersion},
	}
}

// initialize POSTs initialize to pth.
func (s *session) initialize(ctx context.Context, pth, version string) exchange {
	return s.post(ctx, s.url(pth), "initialize", s.initializeParams(version), nil)
}

// confirmInitialize reads an initialize exchange; a server that asked for another protocol
// version is asked again with one it supports.
func (s *session) confirmInitialize(ctx context.Context, pth string, x exchange) bool {
	if x.rpc == nil {
		s.note("POST %s: HTTP %d %s", pth, x.status, snippet(x.body))
		return false
	}
	if x.rpc.Error != nil {
		if vs, ok := ParseVersionError(x.rpc.Error); ok {
			s.note("POST %s: initialize refused the version; the server supports %v", pth, vs)
			for _, v := range vs {
				if v < DiscoverVersion {
					y := s.initialize(ctx, pth, v)
					if y.rpc != nil && y.rpc.Result != nil {
						return s.confirmInitialize(ctx, pth, y)
					}
					break
				}
			}
			return false
		}
		s.note("POST %s: JSON-RPC error %d %s", pth, x.rpc.Error.Code, snippet([]byte(x.rpc.Error.Message)))
		return false
	}
	info, ok := ParseInitializeResult(x.rpc.Result)
	if !ok {
		s.note("POST %s: a JSON-RPC result that is not an MCP initialize result: %s", pth, snippet(x.rpc.Result))
		return false
	}
	transport := inventory.TransportStreamableHTTP
	r := s.record(pth, transport, info, "initialize result over Streamable HTTP ("+x.ctype+")")
	sid := x.header.Get("Mcp-Session-Id")
	hdr := http.Header{"Mcp-Protocol-Version": {info.ProtocolVersion}}
	if sid != "" {
		hdr.Set("Mcp-Session-Id", sid)
	}
	s.post(ctx, s.url(pth), "notifications/initialized", nil, hdr)
	if s.p.opts.ListTools && slices.Contains(info.Capabilities, "tools") {
		s.listTools(ctx, s.url(pth), hdr, nil, r)
		if r.Tools == nil {
			// A stateless server that also answers initialize may want the 2026-07-28
			// form of every other request.
			x := s.post(ctx, s.url(pth), "server/discover", map[string]any{"_meta": s.meta()}, discoverHeader("server/discover"))
			if x.rpc != nil && x.rpc.Result != nil {
				if d, ok := ParseDiscoverResult(x.rpc.Result); ok && slices.Contains(d.Versions, DiscoverVersion) {
					s.listTools(ctx, s.url(pth), discoverHeader("tools/list"), map[string]any{"_meta": s.meta()}, r)
				}
			}
		}
	}
	if sid != "" { // end the session politely
		if req, err := http.NewRequestWithContext(ctx, http.MethodDelete, s.url(pth), nil); err == nil {
			req.Header = hdr.Clone()
			s.do(ctx, req, 0)
		}
	}
	s.finish(r)
	return true
}

// discover POSTs server/discover (MCP 2026-07-28) to pth.
func (s *session) discover(ctx context.Context, pth string) bool {
	meta := s.meta()
	x := s.post(ctx, s.url(pth), "server/discover", map[string]any{"_meta": meta}, discoverHeader("server/discover"))
	if x.rpc == nil || x.rpc.Result == nil {
		s.note("server/discover %s: HTTP %d %s", pth, x.status, snippet(x.body))
		return false
	}
	info, ok := ParseDiscoverResult(x.rpc.Result)
	if !ok {
		s.note("server/discover %s: not a discover result: %s", pth, snippet(x.rpc.Result))
		return false
	}
	r := s.record(pth, inventory.TransportStreamableHTTP, info, "server/discover result (MCP "+DiscoverVersion+")")
	if s.p.opts.ListTools && slices.Contains(info.Capabilities, "tools") && slices.Contains(info.Versions, DiscoverVersion) {
		s.listTools(ctx, s.url(pth), discoverHeader("tools/list"), map[string]any{"_meta": meta}, r)
	}
	s.finish(r)
	return true
}

// meta is the _meta every 2026-07-28 request carries.
func (s *session) meta() map[string]any {
	return map[string]any{
		"io.modelcontextprotocol/protocolVersion":    DiscoverVersion,
		"io.modelcontextprotocol/clientInfo":         map[string]any{"name": s.p.opts.ClientName, "version": s.p.opts.ClientVersion},
		"io.modelcontextprotocol/clientCapabilities": map[string]any{},
	}
}

// discoverHeader is the HTTP header of a 2026-07-28 request.
func discoverHeader(method string) http.Header {
	return http.Header{"Mcp-Protocol-Version": {DiscoverVersion}, "Mcp-Method": {method}}
}

// listTools asks for the tool names (tools/list; read-only).
func (s *session) listTools(ctx context.Context, u string, hdr http.Header, params any, r *inventory.Record) {
	x := s.post(ctx, u, "tools/list", params, hdr)
	if x.rpc != nil && x.rpc.Result != nil {
		if names, ok := ParseToolsList(x.rpc.Result); ok {
			r.Tools = names
		}
	}
}

// legacySSE tries the 2024-11-05 HTTP+SSE transport: GET pth must open an event stream whose
// first event is "endpoint" with the URL to POST messages to.
func (s *session) legacySSE(ctx context.Context, pth string) bool {
	sctx, cancel := context.WithTimeout(ctx, s.p.opts.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(sctx, http.MethodGet, s.url(pth), nil)
	if err != nil {
		return false
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("User-Agent", s.p.opts.UserAgent)
	if s.ep.Hostname != "" {
		req.Host = net.JoinHostPort(s.ep.Hostname, strconv.Itoa(s.ep.Port))
	}
	s.p.requests.Add(1)
	resp, err := s.p.client.Do(req)
	if err != nil {
		s.note("GET %s: %v", pth, err)
		return false
	}
	defer resp.Body.Close()
	ct := strings.ToLower(resp.Header.Get("Content-Type"))
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/event-stream") {
		s.note("GET %s: HTTP %d %s", pth, resp.StatusCode, ct)
		return false
	}
	sr := NewSSEReader(resp.Body, s.p.opts.MaxBytes)
	ev, err := sr.Next()
	if err != nil || ev.Name != "endpoint" {
		s.note("GET %s: an event stream whose first event is not an MCP endpoint (%v)", pth, firstNonNil(err, ev.Name))
		return false
	}
	base, _ := url.Parse(s.url(pth))
	ref, err := url.Parse(strings.TrimSpace(ev.Data))
	if err != nil || ev.Data == "" || strings.ContainsAny(ev.Data, " \t") {
		s.note("GET %s: endpoint event with a bad URL %s", pth, snippet([]byte(ev.Data)))
		return false
	}
	msgURL := base.ResolveReference(ref)
	r := s.record(pth, inventory.TransportSSE, ServerInfo{}, "legacy HTTP+SSE endpoint event")
	// Only the same origin is followed: the scope is about addresses, and the probe goes
	// nowhere a server sends it.
	if msgURL.Host != base.Host || msgURL.Scheme != base.Scheme {
		s.note("GET %s: endpoint %s is on another origin; not followed", pth, msgURL.Redacted())
		s.finish(r)
		return true
	}
	// Initialize through the message endpoint; the answer comes on the stream.
	x := s.post(sctx, msgURL.String(), "initialize", s.initializeParams(LatestInitializeVersion), nil)
	id := s.nextID
	if x.err == nil && x.status/100 == 2 {
		for {
			ev, err := sr.Next()
			if err != nil {
				break
			}
			if resp := ParseResponse([]byte(ev.Data), id); ev.Name == "message" && resp != nil && resp.Result != nil {
				if info, ok := ParseInitializeResult(resp.Result); ok {
					r.ProtocolVersion, r.ServerName, r.ServerVersion, r.ServerTitle, r.Capabilities = info.ProtocolVersion, info.Name, info.Version, info.Title, info.Capabilities
					r.Name = info.Name
					r.Evidence += "; initialize result on the stream"
					s.post(sctx, msgURL.String(), "notifications/initialized", nil, nil)
					if s.p.opts.ListTools && slices.Contains(info.Capabilities, "tools") {
						y := s.post(sctx, msgURL.String(), "tools/list", nil, nil)
						tid := s.nextID
						if y.err == nil {
							for {
								ev, err := sr.Next()
								if err != nil {
									break
								}
								if tr := ParseResponse([]byte(ev.Data), tid); tr != nil && tr.Result != nil {
									r.Tools, _ = ParseToolsList(tr.Result)
									break
								}
							}
						}
					}
				}
				break
			}
		}
	}
	s.finish(r)
	return true
}

func firstNonNil(err error, name string) any {
	if err != nil {
		return err
	}
	return "event " + name
}

// checkAuth reads a 401: an MCP server guarded by OAuth names its protected resource
// metadata in WWW-Authenticate (MCP authorization; RFC 9728 §5.1), and that metadata names
// the MCP endpoint itself — its path — as the resource. An API that is protected the same way
// but names another resource (its root, another path) is not called MCP.
func (s *session) checkAuth(ctx context.Context, pth string, x exchange) bool {
	var metaURL string
	var scopes string
	for _, c := range ParseWWWAuthenticate(x.header.Values("Www-Authenticate")) {
		if strings.EqualFold(c.Scheme, "Bearer") && c.Params["resource_metadata"] != "" {
			metaURL, scopes = c.Params["resource_metadata"], c.Params["scope"]
		}
	}
	if metaURL == "" {
		s.note("POST %s: HTTP 401 without resource_metadata", pth)
		return false
	}
	base, _ := url.Parse(s.url(pth))
	ref, err := url.Parse(metaURL)
	if err != nil {
		s.note("POST %s: bad resource_metadata %s", pth, snippet([]byte(metaURL)))
		return false
	}
	mu := base.ResolveReference(ref)
	if mu.Host != base.Host {
		// The metadata may live on another host; the probe does not go there. The header
		// alone does not say the resource is MCP.
		s.note("POST %s: 401, resource metadata on another origin (%s) not fetched", pth, mu.Redacted())
		return false
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, mu.String(), nil)
	if err != nil {
		return false
	}
	req.Header.Set("Accept", "application/json")
	y := s.do(ctx, req, -1)
	if y.err != nil || y.status != http.StatusOK {
		s.note("GET %s: resource metadata unavailable (HTTP %d %v)", mu.Path, y.status, y.err)
		return false
	}
	m, ok := ParseResourceMetadata(y.body)
	if !ok {
		s.note("GET %s: not protected resource metadata", mu.Path)
		return false
	}
	res, err := url.Parse(m.Resource)
	if err != nil || cleanPath(res.Path) == "/" || cleanPath(res.Path) != cleanPath(pth) {
		s.note("POST %s: OAuth-protected, but the protected resource is %s, not this path", pth, snippet([]byte(m.Resource)))
		return false
	}
	if len(m.AuthorizationServers) == 0 {
		s.note("POST %s: resource metadata names no authorization server", pth)
		return false
	}
	r := s.record(pth, inventory.TransportStreamableHTTP, ServerInfo{}, "401 with resource_metadata naming "+m.Resource)
	r.Status, r.Auth = inventory.StatusAuthRequired, "oauth"
	r.ResourceMetadata = mu.String()
	r.AuthorizationServers = m.AuthorizationServers
	if m.ResourceName != "" && !strings.ContainsAny(m.ResourceName, "\r\n") {
		r.ServerTitle = m.ResourceName
	}
	_ = scopes
	s.finish(r)
	return true
}

func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	return path.Clean("/" + p)
}

// record starts the inventory record of a confirmed endpoint.
func (s *session) record(pth, transport string, info ServerInfo, evidence string) *inventory.Record {
	u := s.scheme + "://" + hostPort(s.ep) + pth
	r := &inventory.Record{Source: inventory.SourceProbe, Status: inventory.StatusConfirmed, URL: u, Host: s.ep.Addr.String(),
		Port: s.ep.Port, Transport: transport, ProtocolVersion: info.ProtocolVersion, ServerName: info.Name,
		ServerVersion: info.Version, ServerTitle: info.Title, Capabilities: info.Capabilities, Auth: "none", Evidence: evidence}
	if s.ep.Hostname != "" {
		r.Host = s.ep.Hostname
	}
	r.Name = info.Name
	return r
}

// finish rates the record's risk and stores it in the result.
func (s *session) finish(r *inventory.Record) {
	r.Risk = Risk(r, s.ep)
	s.res.Status = r.Status
	s.res.Record = r
}

// riskyTool matches tool names that act on the world: run commands, write or delete
// files, query databases, fetch URLs, drive browsers, send messages, change cloud resources.
var riskyTool = []string{"exec", "shell", "command", "run", "write", "delete", "remove", "edit", "move", "file", "sql",
	"query", "fetch", "http", "browser", "navigate", "email", "send", "post", "deploy", "kubectl", "aws", "create", "update", "upload"}

// Risk rates an endpoint: low when it requires OAuth, high when it answers without
// authentication and offers tools that act (or, tools unknown, listens beyond loopback),
// medium otherwise.
func Risk(r *inventory.Record, ep Endpoint) string {
	if r.Auth == "oauth" || r.Status == inventory.StatusAuthRequired {
		return "low"
	}
	for _, t := range r.Tools {
		lt := strings.ToLower(t)
		for _, w := range riskyTool {
			if strings.Contains(lt, w) {
				return "high"
			}
		}
	}
	if len(r.Tools) == 0 && slices.Contains(r.Capabilities, "tools") && !ep.Addr.IsLoopback() {
		return "high"
	}
	return "medium"
}

func snippet(b []byte) string {
	s := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, string(b))
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return s
}

// limiter spaces events at a rate.
type limiter struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

func newLimiter(rate float64) *limiter {
	return &limiter{interval: time.Duration(float64(time.Second) / rate)}
}

// wait blocks until the next event may happen.
func (l *limiter) wait(ctx context.Context) error {
	l.mu.Lock()
	now := time.Now()
	if l.next.Before(now) {
		l.next = now
	}
	at := l.next
	l.next = l.next.Add(l.interval)
	l.mu.Unlock()
	if d := time.Until(at); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return ctx.Err()
}

// lastAddr is the last address of a prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr()
	b := a.AsSlice()
	bits := p.Bits()
	for i := range b {
		for j := 7; j >= 0; j-- {
			if i*8+(7-j) >= bits {
				b[i] |= 1 << j
			}
		}
	}
	last, _ := netip.AddrFromSlice(b)
	return last
}
