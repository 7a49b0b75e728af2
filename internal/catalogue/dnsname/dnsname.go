// Package dnsname matches DNS names against exact names and name patterns on the detection hot
// path: case-insensitively, with a trailing dot tolerated, and without allocating.
//
// A pattern is a name in which some labels hold '*':
//
//   - a first label that is exactly "*" matches one or more labels: "*.example.com" matches
//     "a.example.com" and "a.b.example.com" but not "example.com" itself;
//   - any other '*' matches a run of characters inside one label: "*-mcp-server.klavis.ai"
//     matches "gmail-mcp-server.klavis.ai", and "bedrock-agentcore.*.amazonaws.com" matches
//     "bedrock-agentcore.us-east-1.amazonaws.com" (one label, never a dot);
//   - the pattern "*" alone matches every name.
//
// Table maps names and patterns to caller-chosen int32 values (typically indexes into the
// caller's slice of entries). An exact name is more specific than any pattern; among patterns,
// the one with more literal characters is more specific; ties go to the one added first.
package dnsname

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// MaxLen is the longest DNS name in presentation form, without the trailing dot.
const MaxLen = 253

// Errors of Normalize and Table.Add.
var (
	ErrEmpty   = errors.New("empty name")
	ErrTooLong = fmt.Errorf("name longer than %d characters", MaxLen)
	ErrLabel   = errors.New("empty or over-long label (1 to 63 characters between dots)")
	ErrChar    = errors.New("character not allowed in a DNS name (letters, digits, '-', '_')")
	ErrWild    = errors.New("'*' not allowed here")
)

// Normalize returns s lower-cased, without surrounding space and one trailing dot, when it is a
// syntactically valid DNS name (ASCII letters, digits, '-' and '_' in labels of 1 to 63
// characters, at most MaxLen in all). It allocates only when s had to change.
func Normalize(s string) (string, error) {
	return normalize(s, false)
}

// NormalizePattern is Normalize for a pattern: labels may also hold '*' (see the package
// documentation).
func NormalizePattern(s string) (string, error) {
	return normalize(s, true)
}

func normalize(s string, wild bool) (string, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, ".")
	if s == "" {
		return "", ErrEmpty
	}
	if len(s) > MaxLen {
		return "", ErrTooLong
	}
	label := 0
	upper := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if label == 0 || label > 63 {
				return "", ErrLabel
			}
			label = 0
			continue
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
		case 'A' <= c && c <= 'Z':
			upper = true
		case c == '*' && wild:
		case c == '*':
			return "", ErrWild
		default:
			return "", ErrChar
		}
		label++
	}
	if label == 0 || label > 63 {
		return "", ErrLabel
	}
	if upper {
		s = strings.ToLower(s)
	}
	return s, nil
}

// IsPattern reports whether s holds a wildcard.
func IsPattern(s string) bool { return strings.IndexByte(s, '*') >= 0 }

// lowerInto copies name into buf lower-cased and without one trailing dot. It returns the
// length, or -1 when the name is empty or longer than MaxLen (such a name matches nothing).
func lowerInto(buf *[MaxLen]byte, name string) int {
	if n := len(name); n > 0 && name[n-1] == '.' {
		name = name[:n-1]
	}
	if len(name) == 0 || len(name) > MaxLen {
		return -1
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return len(name)
}

// pattern is a compiled pattern: the labels before its literal suffix, and whether the first
// of them is a lone "*" (one or more labels).
type pattern struct {
	text     string   // the normalized pattern
	prefix   []string // labels before the literal suffix, the leading "*" removed when anyDepth
	anyDepth bool
	spec     int // literal characters: the specificity
	value    int32
	order    int32 // insertion order, for ties
}

// Table maps exact names and patterns to values. Build it with Add, then only read it: a Table
// that is no longer modified is safe for concurrent use. The zero Table is empty and usable.
type Table struct {
	exact    map[string]int32
	bySuffix map[string][]pattern // patterns by their literal suffix (labels after the last '*')
	// suffixLabels has bit n set when some pattern's literal suffix has n labels (n < 64), so
	// that lookups probe only suffixes of those lengths.
	suffixLabels uint64
	patterns     int
	order        int32
}

// Len is the number of names and patterns in t.
func (t *Table) Len() int { return len(t.exact) + t.patterns }

// Add maps name (an exact name or a pattern) to v. Adding the same name or pattern again keeps
// the first value and reports false.
func (t *Table) Add(name string, v int32) (added bool, err error) {
	p, err := NormalizePattern(name)
	if err != nil {
		return false, err
	}
	if !IsPattern(p) {
		if t.exact == nil {
			t.exact = make(map[string]int32)
		}
		if _, dup := t.exact[p]; dup {
			return false, nil
		}
		t.exact[p] = v
		return true, nil
	}
	labels := strings.Split(p, ".")
	last := -1 // the last label holding a '*'
	for i, l := range labels {
		if strings.IndexByte(l, '*') >= 0 {
			last = i
		}
	}
	suffix := strings.Join(labels[last+1:], ".")
	pat := pattern{text: p, prefix: labels[:last+1], value: v, order: t.order,
		spec: len(p) - strings.Count(p, "*")}
	if pat.prefix[0] == "*" {
		pat.anyDepth = true
		pat.prefix = pat.prefix[1:]
	}
	for _, q := range t.bySuffix[suffix] {
		if q.text == p {
			return false, nil
		}
	}
	if t.bySuffix == nil {
		t.bySuffix = make(map[string][]pattern)
	}
	t.bySuffix[suffix] = append(t.bySuffix[suffix], pat)
	t.suffixLabels |= 1 << min(len(labels)-last-1, 63)
	t.patterns++
	t.order++
	return true, nil
}

// Lookup returns the value of the most specific name or pattern matching name. It does not
// allocate.
func (t *Table) Lookup(name string) (v int32, ok bool) {
	var buf [MaxLen]byte
	n := lowerInto(&buf, name)
	if n < 0 {
		return 0, false
	}
	b := buf[:n]
	if v, ok := t.exact[string(b)]; ok {
		return v, true
	}
	if t.patterns == 0 {
		return 0, false
	}
	best, found := pattern{}, false
	t.eachPattern(b, func(p *pattern) {
		if !found || p.spec > best.spec || p.spec == best.spec && p.order < best.order {
			best, found = *p, true
		}
	})
	return best.value, found
}

// AppendMatches appends to dst the values of every name and pattern matching name, most
// specific first, and returns the extended slice. It allocates only when dst has to grow.
func (t *Table) AppendMatches(dst []int32, name string) []int32 {
	var buf [MaxLen]byte
	n := lowerInto(&buf, name)
	if n < 0 {
		return dst
	}
	b := buf[:n]
	if v, ok := t.exact[string(b)]; ok {
		dst = append(dst, v)
	}
	if t.patterns == 0 {
		return dst
	}
	start := len(dst)
	// Specificity and order of the appended pattern matches, for the sort below (at most 16
	// are ranked; further ones keep their discovery order).
	var specs [16]int
	var orders [16]int32
	t.eachPattern(b, func(p *pattern) {
		dst = append(dst, p.value)
		k := len(dst) - 1 - start
		if k >= len(specs) {
			return
		}
		specs[k], orders[k] = p.spec, p.order
		// Insertion sort: most specific first, then insertion order.
		for k > 0 && (specs[k] > specs[k-1] || specs[k] == specs[k-1] && orders[k] < orders[k-1]) {
			specs[k], specs[k-1] = specs[k-1], specs[k]
			orders[k], orders[k-1] = orders[k-1], orders[k]
			dst[start+k], dst[start+k-1] = dst[start+k-1], dst[start+k]
			k--
		}
	})
	return dst
}

// eachPattern calls fn for every pattern matching the lower-cased name b.
func (t *Table) eachPattern(b []byte, fn func(*pattern)) {
	// The literal suffix of a matching pattern is a whole-label suffix of b, or empty; probe
	// only the suffixes with as many labels as some pattern's.
	labels := 1 + bytes.Count(b, []byte("."))
	if t.suffixLabels&1 != 0 {
		t.probe(nil, b, fn)
	}
	for i := 1; i < len(b); i++ {
		if b[i-1] != '.' {
			continue
		}
		labels--
		if t.suffixLabels&(1<<min(labels, 63)) != 0 {
			t.probe(b[i:], b[:i-1], fn)
		}
	}
}

// probe calls fn for the patterns with literal suffix key whose prefix matches rest.
func (t *Table) probe(key, rest []byte, fn func(*pattern)) {
	ps := t.bySuffix[string(key)]
	for j := range ps {
		if ps[j].matchPrefix(rest) {
			fn(&ps[j])
		}
	}
}

// matchPrefix reports whether the labels of rest (the name without the pattern's literal
// suffix) match the pattern's prefix labels.
func (p *pattern) matchPrefix(rest []byte) bool {
	// Walk labels from the right.
	end := len(rest)
	for k := len(p.prefix) - 1; k >= 0; k-- {
		if end < 0 {
			return false
		}
		start := end - 1
		for start >= 0 && rest[start] != '.' {
			start--
		}
		if !globLabel(p.prefix[k], rest[start+1:end]) {
			return false
		}
		end = start // the dot before the label, or -1
	}
	if p.anyDepth {
		return end > 0 // at least one more label
	}
	return end == -1
}

// globLabel matches one label against a label pattern in which '*' matches any run of
// characters.
func globLabel(pat string, s []byte) bool {
	if len(s) == 0 {
		return false
	}
	// Iterative glob with one backtracking point.
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(pat) && pat[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(pat) && pat[pi] == s[si]:
			pi++
			si++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(pat) && pat[pi] == '*' {
		pi++
	}
	return pi == len(pat)
}

// Match reports whether name matches the pattern (or exact name) pat. Both are compared
// case-insensitively; it is meant for tests and linting, not the hot path.
func Match(pat, name string) bool {
	var t Table
	if _, err := t.Add(pat, 1); err != nil {
		return false
	}
	_, ok := t.Lookup(name)
	return ok
}
