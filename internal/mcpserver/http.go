package mcpserver

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// DefaultMaxBodyBytes bounds an HTTP request body.
const DefaultMaxBodyBytes = 1 << 20

// MinTokenLength is the shortest bearer token accepted.
const MinTokenLength = 16

// HTTPOptions configures the Streamable HTTP transport.
type HTTPOptions struct {
	// Addr is where to listen (host:port); a host other than a loopback address requires
	// Token.
	Addr string
	// Token is the bearer token clients must send (Authorization: Bearer <token>); empty
	// disables authentication, which only a loopback address allows.
	Token string
	// AllowedOrigins are the Origin values accepted besides http(s)://localhost,
	// 127.0.0.1 and [::1] on any port; a request with any other Origin is refused.
	AllowedOrigins []string
	// MaxBodyBytes bounds request bodies (DefaultMaxBodyBytes by default).
	MaxBodyBytes int64
	// Logger receives the transport's logs.
	Logger *slog.Logger
}

// ErrTokenRequired is returned when the HTTP transport would listen beyond loopback without
// a bearer token.
var ErrTokenRequired = errors.New("a bearer token is required to listen on a non-loopback address (set --token or MCPWATCH_MCP_TOKEN)")

// IsLoopback reports whether the host of addr (host:port) is a loopback address or
// localhost.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// CheckHTTPOptions refuses a configuration that would expose the server without
// authentication.
func CheckHTTPOptions(o HTTPOptions) error {
	if !IsLoopback(o.Addr) && o.Token == "" {
		return ErrTokenRequired
	}
	if o.Token != "" && len(o.Token) < MinTokenLength {
		return fmt.Errorf("the bearer token must be at least %d characters", MinTokenLength)
	}
	return nil
}

// Handler returns the server's Streamable HTTP handler (served at every path) with Origin
// validation, a body limit, DNS-rebinding protection and, when o.Token is set, bearer-token
// authentication.
func (s *Server) Handler(o HTTPOptions) http.Handler {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	var h http.Handler = mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s.mcp },
		&mcp.StreamableHTTPOptions{MaxRequestBodyBytes: o.MaxBodyBytes, Logger: o.Logger, SessionTimeout: 30 * time.Minute})
	if o.Token != "" {
		want := []byte(o.Token)
		verify := func(_ context.Context, token string, _ *http.Request) (*auth.TokenInfo, error) {
			if subtle.ConstantTimeCompare([]byte(token), want) != 1 {
				return nil, auth.ErrInvalidToken
			}
			return &auth.TokenInfo{Expiration: time.Now().Add(time.Hour), UserID: "token"}, nil
		}
		h = auth.RequireBearerToken(verify, nil)(h)
	}
	return checkOrigin(o.AllowedOrigins, h)
}

// checkOrigin refuses requests from browsers on other sites: an Origin header, when
// present, must be a local origin or one of allowed.
func checkOrigin(allowed []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" && !originAllowed(o, allowed) {
			http.Error(w, "Forbidden: origin not allowed", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func originAllowed(origin string, allowed []string) bool {
	if slices.Contains(allowed, origin) {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	h := u.Hostname()
	return h == "localhost" || h == "127.0.0.1" || h == "::1"
}

// ServeHTTP listens on o.Addr and serves until ctx ends. ready, if not nil, is called with
// the listening address.
func (s *Server) ServeHTTP(ctx context.Context, o HTTPOptions, ready func(addr string)) error {
	if err := CheckHTTPOptions(o); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("mcp http: %w", err)
	}
	s.warm(ctx)
	srv := &http.Server{Handler: s.Handler(o), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	if o.Logger != nil {
		srv.ErrorLog = slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn)
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		return nil
	case err := <-errc:
		return err
	}
}
