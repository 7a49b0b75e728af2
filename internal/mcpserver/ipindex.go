package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"sync"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/query"
)

// addrIndex is the local backend's index of the endpoint addresses of the lake's Parquet
// files: for each file of a table with src_endpoint.ip or dst_endpoint.ip, a Bloom filter of
// the distinct addresses it holds. An IP search then reads only the files that may hold the
// address (none for an absent one) instead of both address columns of every file of the
// window.
//
// An entry is built on first need with one DuckDB query over the file's address columns,
// and kept for the file's path, size and modification time (files are immutable once
// committed; a new file gets an entry of its own when first needed). The filters total at
// most maxBytes (16 bits per distinct address: about 300 KB for a file of 770k flows with
// 150k addresses); the least recently used go first. It is safe for concurrent use.
type addrIndex struct {
	db       *query.DB
	seed     maphash.Seed
	maxBytes int64
	builds   chan struct{} // bounds the entries being built at once

	mu      sync.Mutex
	entries map[string]*addrEntry // by path
	bytes   int64
	tick    uint64
}

// addrEntry is the index of one version of one file.
type addrEntry struct {
	size  int64
	mod   time.Time
	ready chan struct{} // closed when filter (or err) is set

	filter *bloom // nil: unknown, the file must be read
	used   uint64 // addrIndex.tick at the last use
}

// defaultAddrIndexBytes bounds the memory of the filters: 64 MiB, the filters of about 220
// files of 770k flows (170M flows).
const defaultAddrIndexBytes = 64 << 20

// addrIndexBuilds is how many files are indexed at once (each query uses DuckDB's threads).
const addrIndexBuilds = 2

func newAddrIndex(db *query.DB, maxBytes int64) *addrIndex {
	return &addrIndex{db: db, seed: maphash.MakeSeed(), maxBytes: maxBytes, builds: make(chan struct{}, addrIndexBuilds),
		entries: map[string]*addrEntry{}}
}

// candidates returns the files of files that may hold one of forms in the columns cols (the
// table's address columns, quoted paths), building the missing entries, at most
// addrIndexBuilds at once. A file whose index cannot be built is a candidate.
func (x *addrIndex) candidates(ctx context.Context, files []query.DataFile, cols []string, forms []string) ([]query.DataFile, error) {
	entries := make([]*addrEntry, len(files))
	var wg sync.WaitGroup
	for i, f := range files {
		e, build := x.entry(f)
		entries[i] = e
		if build {
			wg.Go(func() { x.build(ctx, f, cols, e) })
		}
	}
	wg.Wait()
	var out []query.DataFile
	for i, e := range entries {
		select {
		case <-e.ready:
		case <-ctx.Done():
			return nil, fmt.Errorf("address index: %w", ctx.Err())
		}
		// No filter: the file could not be indexed, or the build was canceled (by another
		// search's context): read it.
		if e.filter == nil || e.filter.hasAny(x.seed, forms) {
			out = append(out, files[i])
		}
	}
	return out, nil
}

// entry returns the entry of f, and whether the caller must build it (it is new).
func (x *addrIndex) entry(f query.DataFile) (*addrEntry, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.tick++
	e, ok := x.entries[f.Path]
	if ok && e.size == f.Size && e.mod.Equal(f.ModTime) {
		e.used = x.tick
		return e, false
	}
	if ok {
		x.drop(f.Path, e)
	}
	e = &addrEntry{size: f.Size, mod: f.ModTime, ready: make(chan struct{}), used: x.tick}
	x.entries[f.Path] = e
	return e, true
}

// drop removes the entry of path; x.mu is held.
func (x *addrIndex) drop(path string, e *addrEntry) {
	if x.entries[path] != e {
		return
	}
	delete(x.entries, path)
	if e.filter != nil {
		x.bytes -= e.filter.bytes()
	}
}

// build fills e with the filter of f's addresses and closes e.ready. A canceled build
// forgets the entry, so that the next search builds it again; a file that cannot be indexed
// keeps no filter (every search reads it, and DuckDB reports its error if it has one).
func (x *addrIndex) build(ctx context.Context, f query.DataFile, cols []string, e *addrEntry) {
	defer close(e.ready)
	select {
	case x.builds <- struct{}{}:
		defer func() { <-x.builds }()
	case <-ctx.Done():
		x.forget(f.Path, e)
		return
	}
	filter, err := x.read(ctx, f.Path, cols)
	if err != nil && ctx.Err() != nil {
		x.forget(f.Path, e)
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if filter == nil {
		return // unreadable: kept without filter, so the file is read by every search
	}
	e.filter = filter
	if x.entries[f.Path] != e {
		return // replaced meanwhile by a newer version of the file
	}
	x.bytes += filter.bytes()
	for x.bytes > x.maxBytes && x.evict(e) {
	}
}

// forget removes e after a failed build.
func (x *addrIndex) forget(path string, e *addrEntry) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.drop(path, e)
}

// evict drops the least recently used built entry other than keep, and reports whether
// there was one; x.mu is held.
func (x *addrIndex) evict(keep *addrEntry) bool {
	var oldest string
	var old *addrEntry
	for p, e := range x.entries {
		if e == keep || e.filter == nil {
			continue
		}
		if old == nil || e.used < old.used {
			oldest, old = p, e
		}
	}
	if old == nil {
		return false
	}
	x.drop(oldest, old)
	return true
}

// read builds the filter of the distinct addresses of path's columns cols; nil with the
// error when the file cannot be read.
func (x *addrIndex) read(ctx context.Context, path string, cols []string) (*bloom, error) {
	if query.HasGlob(path) {
		return nil, errors.New("path holds glob characters")
	}
	from := query.FilesFrom()
	sql := "SELECT DISTINCT ip FROM ("
	var args []any
	for i, c := range cols {
		if i > 0 {
			sql += " UNION ALL "
		}
		sql += "SELECT " + asText(c) + " AS ip FROM " + from
		args = append(args, []string{path})
	}
	sql += ") WHERE ip IS NOT NULL"
	res, err := x.db.QueryTrusted(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("address index of %s: %w", path, err)
	}
	b := newBloom(len(res.Rows))
	for _, r := range res.Rows {
		if s, ok := r[0].(string); ok {
			b.add(x.seed, s)
		}
	}
	return b, nil
}

// bloom is a Bloom filter of strings: 16 bits per element and 11 hashes, about 0.05% false
// positives. (With 10 bits and 7 hashes, 1%: an IPv6 address is probed in two forms, and in
// one benchmark run one of three absent IPv6 addresses matched a file's filter, so each of its
// searches read that file, 30 ms instead of 1.)
type bloom struct {
	bits []uint64
	m    uint64 // len(bits) * 64
}

const (
	bloomBitsPerItem = 16
	bloomHashes      = 11
)

func newBloom(n int) *bloom {
	words := max(1, int(math.Ceil(float64(n*bloomBitsPerItem)/64)))
	return &bloom{bits: make([]uint64, words), m: uint64(words) * 64}
}

func (b *bloom) bytes() int64 { return int64(len(b.bits)) * 8 }

// probes returns the two hashes of s whose combinations h1 + i*h2 are the filter's probes.
func probes(seed maphash.Seed, s string) (uint64, uint64) {
	h := maphash.String(seed, s)
	return h, (h>>32 | h<<32) | 1
}

func (b *bloom) add(seed maphash.Seed, s string) {
	h1, h2 := probes(seed, s)
	for i := range uint64(bloomHashes) {
		p := (h1 + i*h2) % b.m
		b.bits[p/64] |= 1 << (p % 64)
	}
}

func (b *bloom) has(seed maphash.Seed, s string) bool {
	h1, h2 := probes(seed, s)
	for i := range uint64(bloomHashes) {
		p := (h1 + i*h2) % b.m
		if b.bits[p/64]&(1<<(p%64)) == 0 {
			return false
		}
	}
	return true
}

func (b *bloom) hasAny(seed maphash.Seed, ss []string) bool {
	for _, s := range ss {
		if b.has(seed, s) {
			return true
		}
	}
	return false
}
