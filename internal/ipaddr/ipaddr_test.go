package ipaddr

import (
	"net/netip"
	"testing"
)

// cases are strings around the edges of the address forms.
var cases = []string{"", "1.2.3.4", "0.0.0.0", "255.255.255.255", "256.1.1.1", "01.2.3.4", "10.00.0.5",
	"1.02.3.4", "1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4 ", "1.2.3.4%eth0", "1.2.3.1000",
	"a.b.c.d", "cloudformation.amazonaws.com", "AWS Internal", "::1", "2001:db8::7", "fe80::1%eth0",
	"::ffff:1.2.3.4", "1:2", "1000.1.1.1", "1.2.3.-4", "１.2.3.4", "example.com."}

// TestIsIP checks IsIP and IsIPv4 against netip.ParseAddr, which they answer as quickly as
// they can.
func TestIsIP(t *testing.T) {
	for _, s := range cases {
		check(t, s)
	}
}

// FuzzIsIP checks IsIP and IsIPv4 against netip.ParseAddr.
func FuzzIsIP(f *testing.F) {
	for _, s := range cases {
		f.Add(s)
	}
	f.Fuzz(check)
}

func check(t *testing.T, s string) {
	ip, err := netip.ParseAddr(s)
	if want := err == nil && ip.Zone() == ""; IsIP(s) != want {
		t.Errorf("IsIP(%q) = %v, want %v", s, !want, want)
	}
	if want := err == nil && ip.Is4(); IsIPv4(s) != want {
		t.Errorf("IsIPv4(%q) = %v, want %v", s, !want, want)
	}
}
