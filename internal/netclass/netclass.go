// Package netclass tells internal addresses from external ones, the same way for every part
// of mcpwatch: the native flow rules, the rule engine's internal modifier and the SQL the
// rules translate to.
package netclass

import "net/netip"

// builtin are the blocks Internal knows, in the order Prefixes lists them.
var builtin = [...]string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
	"127.0.0.0/8", "169.254.0.0/16", "fc00::/7", "fe80::/10", "::1/128"}

// Prefixes returns the built-in internal blocks: RFC 1918, RFC 6598 shared address space,
// loopback, link-local, IPv6 unique local and link-local addresses, and the IPv6 loopback.
func Prefixes() []netip.Prefix {
	out := make([]netip.Prefix, len(builtin))
	for i, s := range builtin {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// Internal reports whether a is in one of the built-in internal blocks (Prefixes), without
// allocating. a must be unmapped (an IPv4-mapped IPv6 address is not IPv4 here).
func Internal(a netip.Addr) bool {
	if a.Is4() {
		b := a.As4()
		switch {
		case b[0] == 10, b[0] == 127,
			b[0] == 172 && b[1]&0xf0 == 16,
			b[0] == 192 && b[1] == 168,
			b[0] == 100 && b[1]&0xc0 == 64,
			b[0] == 169 && b[1] == 254:
			return true
		}
		return false
	}
	b := a.As16()
	return a.Is6() && (b[0]&0xfe == 0xfc || b[0] == 0xfe && b[1]&0xc0 == 0x80 || a == netip.IPv6Loopback())
}
