package probe

import (
	"context"
	"fmt"
	"iter"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Target is one thing to probe as given on the command line: an address, a CIDR prefix, a
// host name, host:port, or an http(s) URL (probed at its own port and path first).
type Target struct {
	Spec     string
	Prefix   netip.Prefix // the addresses to probe
	Hostname string       // the name given, sent as Host
	Port     int          // 0: every candidate port
	Scheme   string       // "http" or "https" when a URL said so
	Path     string       // a URL's path, tried before the candidate paths
}

// MaxPrefixAddrs bounds the addresses of one CIDR target (a /16); larger prefixes are refused.
const MaxPrefixAddrs = 1 << 16

// ParseTarget reads a target and resolves a host name (each address must be in scope).
func ParseTarget(ctx context.Context, spec string) ([]Target, error) {
	t := Target{Spec: spec}
	host := spec
	if strings.Contains(spec, "://") {
		u, err := url.Parse(spec)
		if err != nil {
			return nil, fmt.Errorf("target %q: %w", spec, err)
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return nil, fmt.Errorf("target %q: only http and https URLs", spec)
		}
		t.Scheme, t.Path, host = u.Scheme, u.EscapedPath(), u.Hostname()
		t.Port, _ = strconv.Atoi(u.Port())
		if t.Port == 0 {
			t.Port = map[string]int{"http": 80, "https": 443}[u.Scheme]
		}
	} else if h, p, err := net.SplitHostPort(spec); err == nil && !strings.Contains(spec, "/") {
		host = h
		if t.Port, err = strconv.Atoi(p); err != nil || t.Port <= 0 || t.Port > 65535 {
			return nil, fmt.Errorf("target %q: bad port", spec)
		}
	}
	if p, err := netip.ParsePrefix(host); err == nil {
		p = p.Masked()
		if bits := p.Addr().BitLen() - p.Bits(); bits > 16 {
			return nil, fmt.Errorf("target %q: %d addresses; split it into /16s or smaller", spec, uint64(1)<<min(bits, 63))
		}
		t.Prefix = p
		return []Target{t}, nil
	}
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		t.Prefix = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		return []Target{t}, nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", spec, err)
	}
	var out []Target
	for _, a := range addrs {
		tt := t
		tt.Hostname = host
		tt.Prefix = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		out = append(out, tt)
	}
	return out, nil
}

// Endpoint is one address and port to probe.
type Endpoint struct {
	Addr     netip.Addr
	Port     int
	Hostname string
	Scheme   string
	Path     string
}

// String is the endpoint as host:port.
func (e Endpoint) String() string { return net.JoinHostPort(e.Addr.String(), strconv.Itoa(e.Port)) }

// endpoints yields every endpoint of targets over ports, lazily (a /16 × 20 ports is 1.3M
// endpoints and is never held in memory).
func endpoints(targets []Target, ports []int) iter.Seq[Endpoint] {
	return func(yield func(Endpoint) bool) {
		for _, t := range targets {
			ps := ports
			if t.Port != 0 {
				ps = []int{t.Port}
			}
			for a := t.Prefix.Addr(); a.IsValid() && t.Prefix.Contains(a); a = a.Next() {
				for _, p := range ps {
					if !yield(Endpoint{Addr: a, Port: p, Hostname: t.Hostname, Scheme: t.Scheme, Path: t.Path}) {
						return
					}
				}
			}
		}
	}
}

// count is the number of endpoints of targets over ports.
func count(targets []Target, ports []int) int {
	n := 0
	for _, t := range targets {
		k := len(ports)
		if t.Port != 0 {
			k = 1
		}
		n += (1 << (t.Prefix.Addr().BitLen() - t.Prefix.Bits())) * k
	}
	return n
}
