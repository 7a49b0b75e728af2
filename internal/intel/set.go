package intel

import (
	"math/bits"
	"net/netip"
	"slices"

	"github.com/mcpwatch/mcpwatch/internal/catalogue/dnsname"
)

// Set is an immutable collection of indicators with allocation-free lookups. The zero Set and
// a nil *Set are empty. A Set is safe for concurrent use.
//
// Single addresses live in a hash map; CIDR blocks are flattened into sorted, disjoint address
// ranges, each owned by the most specific block covering it, and found by binary search. So
// Lookup costs one map probe plus O(log n) comparisons, and always reports the most specific
// indicator containing the address. Domain names live in a dnsname.Table: LookupDomain costs
// one map probe for an exact name plus one per label of the name when wildcard indicators
// are present.
type Set struct {
	entries []Entry          // all entries, in input order, duplicates removed
	exact4  map[uint32]int32 // single IPv4 addresses -> index in entries
	exact6  map[u128]int32   // single IPv6 addresses -> index in entries
	// Flattened IPv4 blocks as parallel arrays (the searched lo values stay dense in cache):
	// [v4lo[i], v4hi[i]] is owned by entries[v4idx[i]]; sorted by lo, disjoint.
	v4lo, v4hi []uint32
	v4idx      []int32
	v6         []span        // flattened IPv6 blocks, sorted by lo, disjoint
	domains    dnsname.Table // domain names and *.name wildcards -> index in entries
	nDomains   int
}

// span is an address range [lo, hi] owned by entries[idx]. IPv4 addresses use the low 32 bits.
type span struct {
	lo, hi u128
	idx    int32
}

// u128 is an address as a 128-bit unsigned integer.
type u128 struct{ hi, lo uint64 }

func (a u128) less(b u128) bool { return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo) }

func (a u128) cmp(b u128) int {
	if a == b {
		return 0
	}
	if a.less(b) {
		return -1
	}
	return 1
}

func (a u128) inc() u128 {
	lo, carry := bits.Add64(a.lo, 1, 0)
	return u128{a.hi + carry, lo}
}

func (a u128) dec() u128 {
	lo, borrow := bits.Sub64(a.lo, 1, 0)
	return u128{a.hi - borrow, lo}
}

// addrU128 converts an address (IPv4 or IPv6) to its integer.
func addrU128(a netip.Addr) u128 {
	if a.Is4() {
		b := a.As4()
		return u128{0, uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])}
	}
	b := a.As16()
	var hi, lo uint64
	for i := 0; i < 8; i++ {
		hi = hi<<8 | uint64(b[i])
		lo = lo<<8 | uint64(b[8+i])
	}
	return u128{hi, lo}
}

// prefixRange returns the first and last address of a masked prefix.
func prefixRange(p netip.Prefix) (lo, hi u128) {
	lo = addrU128(p.Addr())
	host := p.Addr().BitLen() - p.Bits() // number of host bits
	switch {
	case host >= 128:
		hi = u128{^uint64(0), ^uint64(0)}
	case host >= 64:
		hi = u128{lo.hi | (uint64(1)<<(host-64) - 1), ^uint64(0)}
	default:
		hi = u128{lo.hi, lo.lo | (uint64(1)<<host - 1)}
	}
	return lo, hi
}

// New builds a Set from entries. When several entries have the same prefix or domain, the first
// one is kept. Entries with neither a valid prefix nor a valid domain are ignored.
func New(entries []Entry) *Set {
	s := &Set{exact4: make(map[uint32]int32), exact6: make(map[u128]int32)}
	seen := make(map[netip.Prefix]bool, len(entries))
	var v4, v6 []span
	for _, e := range entries {
		if e.Domain != "" {
			e.Prefix = netip.Prefix{}
			if ok, err := s.domains.Add(e.Domain, int32(len(s.entries))); ok && err == nil {
				s.entries = append(s.entries, e)
				s.nDomains++
			}
			continue
		}
		if !e.Prefix.IsValid() {
			continue
		}
		e.Prefix = e.Prefix.Masked()
		if seen[e.Prefix] {
			continue
		}
		seen[e.Prefix] = true
		idx := int32(len(s.entries))
		s.entries = append(s.entries, e)
		if e.Prefix.IsSingleIP() {
			if x := addrU128(e.Prefix.Addr()); e.Prefix.Addr().Is4() {
				s.exact4[uint32(x.lo)] = idx
			} else {
				s.exact6[x] = idx
			}
			continue
		}
		lo, hi := prefixRange(e.Prefix)
		if e.Prefix.Addr().Is4() {
			v4 = append(v4, span{lo, hi, idx})
		} else {
			v6 = append(v6, span{lo, hi, idx})
		}
	}
	for _, sp := range flatten(v4) {
		s.v4lo = append(s.v4lo, uint32(sp.lo.lo))
		s.v4hi = append(s.v4hi, uint32(sp.hi.lo))
		s.v4idx = append(s.v4idx, sp.idx)
	}
	s.v6 = flatten(v6)
	return s
}

// flatten turns CIDR ranges (which nest or are disjoint, never partly overlap) into sorted,
// disjoint spans, each owned by the innermost range covering it.
func flatten(in []span) []span {
	if len(in) == 0 {
		return nil
	}
	// Outer ranges first: by lo ascending, then hi descending.
	slices.SortFunc(in, func(a, b span) int {
		if c := a.lo.cmp(b.lo); c != 0 {
			return c
		}
		return b.hi.cmp(a.hi)
	})
	out := make([]span, 0, len(in))
	emit := func(lo, hi u128, idx int32) {
		if hi.less(lo) {
			return
		}
		// Merge with the previous span when contiguous and owned by the same entry.
		if n := len(out); n > 0 && out[n-1].idx == idx && out[n-1].hi.inc() == lo {
			out[n-1].hi = hi
			return
		}
		out = append(out, span{lo, hi, idx})
	}
	var stack []span
	cur := in[0].lo // first address not yet emitted
	done := false   // cur ran past the top of the address space
	closeTop := func() {
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if !done {
			emit(cur, top.hi, top.idx)
			if top.hi == (u128{^uint64(0), ^uint64(0)}) {
				done = true
			} else {
				cur = top.hi.inc()
			}
		}
	}
	for _, r := range in {
		for len(stack) > 0 && stack[len(stack)-1].hi.less(r.lo) {
			closeTop()
		}
		if len(stack) > 0 && cur.less(r.lo) {
			// r nests inside the top: the top owns the gap before r.
			emit(cur, r.lo.dec(), stack[len(stack)-1].idx)
		}
		// Everything emitted so far lies below r.lo, so r starts the unemitted part.
		cur, done = r.lo, false
		stack = append(stack, r)
	}
	for len(stack) > 0 {
		closeTop()
	}
	return out
}

// Lookup reports the most specific indicator containing a, if any. IPv4-mapped IPv6 addresses
// are looked up as IPv4 and zones are ignored. It does not allocate.
func (s *Set) Lookup(a netip.Addr) (Entry, bool) {
	if s == nil || !a.IsValid() {
		return Entry{}, false
	}
	if a.Is4() || a.Is4In6() {
		b := a.Unmap().As4()
		x := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		if i, ok := s.exact4[x]; ok {
			return s.entries[i], true
		}
		// The last span whose lo <= x.
		lo, hi := 0, len(s.v4lo)
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if s.v4lo[m] <= x {
				lo = m + 1
			} else {
				hi = m
			}
		}
		if lo > 0 && x <= s.v4hi[lo-1] {
			return s.entries[s.v4idx[lo-1]], true
		}
		return Entry{}, false
	}
	x := addrU128(a)
	if i, ok := s.exact6[x]; ok {
		return s.entries[i], true
	}
	lo, hi := 0, len(s.v6)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if !x.less(s.v6[m].lo) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo > 0 && !s.v6[lo-1].hi.less(x) {
		return s.entries[s.v6[lo-1].idx], true
	}
	return Entry{}, false
}

// LookupDomain reports the indicator matching the DNS name name, if any: an exact domain
// indicator, else the most specific "*.parent" indicator of a parent of name. Case and a
// trailing dot are ignored. It does not allocate.
func (s *Set) LookupDomain(name string) (Entry, bool) {
	if s == nil || s.nDomains == 0 {
		return Entry{}, false
	}
	if i, ok := s.domains.Lookup(name); ok {
		return s.entries[i], true
	}
	return Entry{}, false
}

// ContainsDomain reports whether name matches a domain indicator of s.
func (s *Set) ContainsDomain(name string) bool {
	_, ok := s.LookupDomain(name)
	return ok
}

// NumDomains is the number of distinct domain indicators in s (Len counts them too).
func (s *Set) NumDomains() int {
	if s == nil {
		return 0
	}
	return s.nDomains
}

// Contains reports whether a is covered by an indicator of s.
func (s *Set) Contains(a netip.Addr) bool {
	_, ok := s.Lookup(a)
	return ok
}

// Len is the number of distinct indicators in s.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.entries)
}

// Entries returns a copy of the indicators of s, in the order they were added.
func (s *Set) Entries() []Entry {
	if s == nil {
		return nil
	}
	return slices.Clone(s.entries)
}

// Merge returns a Set holding the indicators of every set, for several --intel files. When
// two sets hold the same prefix or domain, the entry of the earlier set is kept. Nil sets are
// skipped.
func Merge(sets ...*Set) *Set {
	var all []Entry
	for _, s := range sets {
		if s != nil {
			all = append(all, s.entries...)
		}
	}
	return New(all)
}
