package detect

import (
	"net/netip"

	"github.com/mcpwatch/mcpwatch/internal/intel"
	"github.com/mcpwatch/mcpwatch/internal/netclass"
	"github.com/mcpwatch/mcpwatch/internal/rules"
)

// DefaultCandidatePorts returns the TCP ports the MCP-port rule watches by default: the usual
// development HTTP ports MCP servers are started on (8080, 3000, 5000, 8000, 9000) and the
// MCP Inspector's UI and proxy ports (6274, 6277).
func DefaultCandidatePorts() []uint16 { return rules.DefaultMCPPorts() }

// ephemeralMin is the lowest port a client side is assumed to use: below it are well-known
// service ports, so a flow between a candidate port and a port under 1024 is a client on the
// candidate port talking to a well-known service, not an MCP server.
const ephemeralMin = 1024

// portSet is a set of ports as a bitset.
type portSet [65536 / 64]uint64

func (s *portSet) add(p uint16)        { s[p>>6] |= 1 << (p & 63) }
func (s *portSet) has(p uint16) bool   { return s[p>>6]&(1<<(p&63)) != 0 }
func (s *portSet) hasInt(p int32) bool { return p >= 0 && p <= 65535 && s.has(uint16(p)) }
func portOf(p *int32) int32            { return derefOr(p, -1) }
func derefOr(p *int32, def int32) int32 {
	if p == nil {
		return def
	}
	return *p
}

// classifier tells internal addresses from external ones.
type classifier struct {
	extra *intel.Set // configured extra internal blocks; nil when none
}

// internal reports whether a is internal: RFC 1918 (10/8, 172.16/12, 192.168/16), RFC 6598
// shared address space (100.64/10), loopback (127/8, ::1), link-local (169.254/16, fe80::/10),
// IPv6 unique local addresses (fc00::/7), or one of the extra blocks. a must be unmapped.
func (c classifier) internal(a netip.Addr) bool {
	if netclass.Internal(a) {
		return true
	}
	return c.extra != nil && c.extra.Contains(a)
}

// parseAddr parses an address as netip.ParseAddr does, with a fast path for dotted-quad IPv4
// (the common case in flow logs, where parsing is most of a benign flow's cost).
func parseAddr(s string) (netip.Addr, error) {
	if a, ok := parseIPv4(s); ok {
		return a, nil
	}
	return netip.ParseAddr(s)
}

// parseIPv4 parses a dotted-quad IPv4 address in the form netip.ParseAddr accepts (four
// decimal fields of 0-255 without leading zeros). ok is false for anything else, which the
// caller hands to netip.ParseAddr.
func parseIPv4(s string) (a netip.Addr, ok bool) {
	var b [4]byte
	field, n, digits := 0, 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if digits == 1 && n == 0 { // leading zero
				return netip.Addr{}, false
			}
			n = n*10 + int(c-'0')
			digits++
			if n > 255 {
				return netip.Addr{}, false
			}
		case c == '.' && digits > 0 && field < 3:
			b[field] = byte(n)
			field, n, digits = field+1, 0, 0
		default:
			return netip.Addr{}, false
		}
	}
	if field != 3 || digits == 0 {
		return netip.Addr{}, false
	}
	b[3] = byte(n)
	return netip.AddrFrom4(b), true
}

// InternalPrefixes returns the address blocks the detectors treat as internal: the built-in
// ones the classifier knows (RFC 1918, RFC 6598, loopback, link-local, IPv6 unique local)
// followed by extra.
func InternalPrefixes(extra []netip.Prefix) []netip.Prefix {
	out := netclass.Prefixes()
	for _, p := range extra {
		out = append(out, unmapPrefix(p))
	}
	return out
}
