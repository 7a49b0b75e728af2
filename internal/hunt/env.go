package hunt

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/mcpwatch/mcpwatch/internal/catalogue"
	"github.com/mcpwatch/mcpwatch/internal/intel"
	"github.com/mcpwatch/mcpwatch/internal/netclass"
)

// CatalogueHosts returns the host names and host patterns of c's remote entries with the
// confidence a host-name lookup gives (catalogue.LookupHost without its heuristics): High
// when an entry of the host serves MCP only, Low when the host is shared, None when a
// not-mcp entry names it. Exact names come first, then patterns from the most specific
// (most literal characters; ties in the catalogue's order), which is the order a lookup
// tries them.
func CatalogueHosts(c *catalogue.Catalogue) []CatalogueHost {
	type group struct {
		name              string
		dedicated, notMCP bool
		order             int
	}
	byName := map[string]*group{}
	var groups []*group
	for _, e := range c.Entries() {
		if !e.Remote() {
			continue
		}
		h := strings.ToLower(e.Host)
		g, ok := byName[h]
		if !ok {
			g = &group{name: h, order: len(groups)}
			byName[h] = g
			groups = append(groups, g)
		}
		g.dedicated = g.dedicated || e.Dedicated
		g.notMCP = g.notMCP || e.Kind == catalogue.KindNotMCP
	}
	literal := func(g *group) int { return len(strings.ReplaceAll(g.name, "*", "")) }
	slices.SortStableFunc(groups, func(a, b *group) int {
		pa, pb := strings.Contains(a.name, "*"), strings.Contains(b.name, "*")
		switch {
		case pa != pb && !pa:
			return -1
		case pa != pb:
			return 1
		case pa:
			if c := cmp.Compare(literal(b), literal(a)); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.order, b.order)
	})
	out := make([]CatalogueHost, len(groups))
	for i, g := range groups {
		conf := catalogue.Low
		switch {
		case g.notMCP:
			conf = catalogue.None
		case g.dedicated:
			conf = catalogue.High
		}
		out[i] = CatalogueHost{Name: g.name, Confidence: conf}
	}
	return out
}

// Intel returns the addresses and domains of a threat-intel set for Env.IntelAddrs and
// Env.IntelDomains.
func Intel(s *intel.Set) (addrs []netip.Prefix, domains []string) {
	for _, e := range s.Entries() {
		if e.IsDomain() {
			domains = append(domains, e.Domain)
		} else if e.Prefix.IsValid() {
			addrs = append(addrs, e.Prefix)
		}
	}
	return addrs, domains
}

// netipParsePrefix parses a cidr value: a prefix, or an address (its own prefix).
func netipParsePrefix(s string) ([]netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		return []netip.Prefix{p}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not an address prefix", s)
	}
	return []netip.Prefix{netip.PrefixFrom(a, a.BitLen())}, nil
}

// DefaultInternalCIDRs are the networks the engine always counts as internal (|internal):
// RFC 1918, RFC 6598 shared space, loopback, link-local, IPv6 unique local and link-local
// addresses and the IPv6 loopback. Add --internal-cidr's to them for Env.InternalCIDRs.
func DefaultInternalCIDRs() []netip.Prefix { return netclass.Prefixes() }
