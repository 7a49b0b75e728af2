package mcpserver

import (
	"fmt"
	"hash/maphash"
	"testing"
)

// TestBloom checks that the filter finds every address added and few others.
func TestBloom(t *testing.T) {
	seed := maphash.MakeSeed()
	const n = 20000
	b := newBloom(n)
	for i := range n {
		b.add(seed, fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255))
	}
	for i := range n {
		if ip := fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255); !b.has(seed, ip) {
			t.Fatalf("%s added but not found", ip)
		}
	}
	fp := 0
	for i := range n {
		if b.hasAny(seed, []string{fmt.Sprintf("2001:db8::%x", i)}) {
			fp++
		}
	}
	if rate := float64(fp) / n; rate > 0.003 {
		t.Fatalf("false positive rate %.3f, want about 0.0005", rate)
	}
	if got, want := b.bytes(), int64(n*bloomBitsPerItem/8); got < want || got > want+8 {
		t.Fatalf("%d bytes for %d addresses, want %d", got, n, want)
	}
}

// TestAddrIndexEvicts checks that the filters stay within the memory bound, the least
// recently used going first.
func TestAddrIndexEvicts(t *testing.T) {
	x := newAddrIndex(nil, 3*newBloom(1000).bytes())
	var entries []*addrEntry
	for i := range 5 {
		e := &addrEntry{ready: make(chan struct{}), used: uint64(i)}
		path := fmt.Sprint("f", i)
		x.entries[path] = e
		entries = append(entries, e)
		e.filter = newBloom(1000)
		x.bytes += e.filter.bytes()
		for x.bytes > x.maxBytes && x.evict(e) {
		}
	}
	if x.bytes > x.maxBytes || len(x.entries) != 3 {
		t.Fatalf("%d bytes in %d entries, bound %d", x.bytes, len(x.entries), x.maxBytes)
	}
	for i := 2; i < 5; i++ {
		if x.entries[fmt.Sprint("f", i)] != entries[i] {
			t.Fatalf("f%d evicted, not the oldest", i)
		}
	}
	// A filter larger than the bound is kept alone.
	big := &addrEntry{ready: make(chan struct{}), used: 9, filter: newBloom(10000)}
	x.entries["big"] = big
	x.bytes += big.filter.bytes()
	for x.bytes > x.maxBytes && x.evict(big) {
	}
	if len(x.entries) != 1 || x.bytes != big.filter.bytes() {
		t.Fatalf("%d entries, %d bytes", len(x.entries), x.bytes)
	}
}
