package netclass

import (
	"net/netip"
	"testing"
)

// TestInternalAgreesWithPrefixes checks the fast test against the block list, at the edges
// of every block and between them.
func TestInternalAgreesWithPrefixes(t *testing.T) {
	addrs := []string{"0.0.0.0", "9.255.255.255", "10.0.0.0", "10.255.255.255", "11.0.0.0", "172.15.255.255",
		"172.16.0.0", "172.31.255.255", "172.32.0.0", "192.167.255.255", "192.168.0.1", "192.169.0.0",
		"100.63.255.255", "100.64.0.0", "100.127.255.255", "100.128.0.0", "127.0.0.1", "169.254.169.254",
		"169.255.0.0", "8.8.8.8", "203.0.113.7", "255.255.255.255",
		"::", "::1", "::2", "fbff::1", "fc00::1", "fdff:ffff::1", "fe00::1", "fe80::1", "febf::1", "fec0::1",
		"2001:db8::1", "2600::1", "::ffff:10.0.0.1"}
	ps := Prefixes()
	for _, s := range addrs {
		a := netip.MustParseAddr(s)
		want := false
		for _, p := range ps {
			want = want || p.Contains(a)
		}
		if got := Internal(a); got != want {
			t.Errorf("Internal(%s) = %v, the prefixes say %v", s, got, want)
		}
	}
	if Internal(netip.Addr{}) {
		t.Error("the zero address is not internal")
	}
}
