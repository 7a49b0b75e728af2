// Package ipaddr recognizes IP addresses in text quickly: the log readers and detection see
// an address (or a service name, or a host name) in every record, and netip.ParseAddr
// allocates an error for each string that is not one.
package ipaddr

import (
	"net/netip"
	"strings"
)

// IsIP reports whether s is an IPv4 or IPv6 address without a zone, as netip.ParseAddr
// accepts it; IPv4 addresses and strings without a ':' are checked without allocating.
func IsIP(s string) bool {
	if strings.IndexByte(s, ':') < 0 {
		return IsIPv4(s)
	}
	ip, err := netip.ParseAddr(s)
	return err == nil && ip.Zone() == ""
}

// IsIPv4 reports whether s is a dotted-quad IPv4 address: four decimal numbers up to 255
// without leading zeros, the only form netip.ParseAddr accepts and the form
// netip.Addr.String writes.
func IsIPv4(s string) bool {
	fields, n, digits := 0, 0, 0
	for i := range len(s) {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if digits == 1 && n == 0 { // a leading zero
				return false
			}
			n = n*10 + int(c-'0')
			if digits++; n > 255 {
				return false
			}
		case c == '.':
			if digits == 0 || fields == 3 {
				return false
			}
			fields, n, digits = fields+1, 0, 0
		default:
			return false
		}
	}
	return fields == 3 && digits > 0
}
