package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
)

// ErrOutOfScope is returned for a target, a redirect, an endpoint URL or a metadata URL whose
// address is outside the scan's scope.
var ErrOutOfScope = errors.New("address outside the scan's scope")

// Scope is the set of addresses a scan may connect to. Every connection the prober makes is
// checked against it at dial time, after name resolution, so that no target, redirect,
// legacy SSE endpoint or OAuth metadata URL can lead it elsewhere.
type Scope struct {
	prefixes []netip.Prefix
}

// ParseScope reads scope entries: IP addresses, CIDR prefixes, and host names (resolved now;
// each address they resolve to is in scope). URLs and host:port are accepted for their host.
func ParseScope(ctx context.Context, entries []string) (*Scope, error) {
	s := &Scope{}
	for _, e := range entries {
		host := hostOf(e)
		if p, err := netip.ParsePrefix(host); err == nil {
			s.prefixes = append(s.prefixes, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(host); err == nil {
			s.prefixes = append(s.prefixes, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, fmt.Errorf("scope %q: %w", e, err)
		}
		for _, a := range addrs {
			s.prefixes = append(s.prefixes, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		}
	}
	if len(s.prefixes) == 0 {
		return nil, errors.New("empty scope: name the hosts or networks the scan may probe")
	}
	return s, nil
}

// Contains reports whether a is in scope.
func (s *Scope) Contains(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Prefixes returns the scope's prefixes.
func (s *Scope) Prefixes() []netip.Prefix { return append([]netip.Prefix(nil), s.prefixes...) }

// control is a net.Dialer Control function that refuses connections outside the scope.
func (s *Scope) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrOutOfScope, address)
	}
	if !s.Contains(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrOutOfScope, address)
	}
	return nil
}

// hostOf returns the host part of a URL, a host:port, or e itself.
func hostOf(e string) string {
	if i := strings.Index(e, "://"); i >= 0 {
		e = e[i+3:]
		if j := strings.IndexAny(e, "/?#"); j >= 0 {
			e = e[:j]
		}
		if j := strings.LastIndex(e, "@"); j >= 0 {
			e = e[j+1:]
		}
	}
	if strings.Contains(e, "/") { // a CIDR prefix
		return e
	}
	if h, _, err := net.SplitHostPort(e); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(e, "["), "]")
}
