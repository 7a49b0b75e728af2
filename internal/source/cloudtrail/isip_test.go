package cloudtrail

import (
	"net/netip"
	"testing"
)

// TestIsIP checks isIP against netip.ParseAddr, which it answers as quickly as it can.
func TestIsIP(t *testing.T) {
	for _, s := range []string{"", "1.2.3.4", "0.0.0.0", "255.255.255.255", "256.1.1.1", "01.2.3.4",
		"1.02.3.4", "1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4 ", "1.2.3.4%eth0",
		"a.b.c.d", "cloudformation.amazonaws.com", "AWS Internal", "::1", "2001:db8::7", "fe80::1%eth0",
		"::ffff:1.2.3.4", "1:2", "1000.1.1.1", "1.2.3.-4", "１.2.3.4"} {
		ip, err := netip.ParseAddr(s)
		if want := err == nil && ip.Zone() == ""; isIP(s) != want {
			t.Errorf("isIP(%q) = %v, want %v", s, !want, want)
		}
	}
}

// FuzzIsIP checks isIP against netip.ParseAddr.
func FuzzIsIP(f *testing.F) {
	f.Add("10.0.0.1")
	f.Add("2001:db8::1")
	f.Fuzz(func(t *testing.T, s string) {
		ip, err := netip.ParseAddr(s)
		if want := err == nil && ip.Zone() == ""; isIP(s) != want {
			t.Errorf("isIP(%q) = %v, want %v", s, !want, want)
		}
	})
}
