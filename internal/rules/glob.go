package rules

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// anyChar stands for the wildcard ? in a compiled segment.
const anyChar = 0

// glob is a compiled Sigma value: literal text with the wildcards * (any run) and ? (one
// character), matched case-insensitively unless cased (ASCII letters fold byte by byte,
// other letters rune by rune). It does not allocate.
type glob struct {
	segs        []segment // the literal runs between *s
	lead, trail bool      // the pattern starts, ends with *
	cased       bool
	exact       string // for a pattern without wildcards: the text (lower-cased unless cased)
	isExact     bool
}

// segment is a run of a pattern between *s.
type segment struct {
	lit string // lower-cased unless cased; anyChar for ?
	// anchor is the index of a byte of lit that can be searched for as is (not a letter,
	// not ?), all bytes before it ASCII and not ?; -1 when there is none.
	anchor int
	plain  bool // ASCII without ?: matches exactly len(lit) bytes
}

// compileGlob compiles a Sigma value: \* \? and \\ escape; other backslashes are literal.
func compileGlob(pat string, cased bool) *glob {
	g := &glob{cased: cased}
	var (
		cur   []byte
		segs  []string
		stars []bool // stars[i]: a * precedes segs[i]
		wild  bool
	)
	flush := func(star bool) {
		segs = append(segs, string(cur))
		stars = append(stars, star)
		cur = cur[:0]
	}
	star := false
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		switch {
		case c == '\\' && i+1 < len(pat) && (pat[i+1] == '*' || pat[i+1] == '?' || pat[i+1] == '\\'):
			i++
			cur = append(cur, pat[i])
		case c == '*':
			wild = true
			flush(star)
			star = true
		case c == '?':
			wild = true
			cur = append(cur, anyChar)
		default:
			cur = append(cur, c)
		}
	}
	flush(star)
	if !wild {
		g.isExact = true
		g.exact = segs[0]
		if !cased {
			g.exact = lowerASCII(g.exact)
		}
		return g
	}
	g.lead = len(segs) > 0 && segs[0] == "" && len(segs) > 1
	g.trail = len(segs) > 1 && segs[len(segs)-1] == ""
	for _, s := range segs {
		if s == "" {
			continue
		}
		if !cased {
			s = lowerASCII(s)
		}
		g.segs = append(g.segs, newSegment(s))
	}
	return g
}

// newSegment precomputes a segment's search anchor.
func newSegment(lit string) segment {
	sg := segment{lit: lit, anchor: -1, plain: true}
	best := -1
	for i := 0; i < len(lit); i++ {
		c := lit[i]
		if c >= utf8.RuneSelf || c == anyChar {
			sg.plain = false
			break
		}
		if isLetter(c) {
			continue
		}
		// Prefer a byte rarer in text than a space.
		if best < 0 || lit[best] == ' ' && c != ' ' {
			best = i
		}
	}
	sg.anchor = best
	for i := 0; i < len(lit); i++ {
		if lit[i] >= utf8.RuneSelf || lit[i] == anyChar {
			sg.plain = false
		}
	}
	return sg
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// lowerASCII lower-cases the ASCII letters of s.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// match reports whether s matches the pattern.
func (g *glob) match(s string) bool {
	if g.isExact {
		if g.cased {
			return s == g.exact
		}
		return equalFold(s, g.exact)
	}
	segs := g.segs
	if len(segs) == 0 {
		return true // only stars
	}
	pos := 0
	if !g.lead {
		end, ok := g.matchAt(s, 0, &segs[0])
		if !ok {
			return false
		}
		if len(segs) == 1 && !g.trail {
			return end == len(s)
		}
		pos, segs = end, segs[1:]
	}
	last := len(segs)
	if !g.trail {
		last-- // the last segment must end the text
	}
	for i := 0; i < last; i++ {
		_, end, ok := g.index(s, pos, &segs[i])
		if !ok {
			return false
		}
		pos = end
	}
	if g.trail {
		return true
	}
	sg := &segs[len(segs)-1]
	if sg.plain {
		p := len(s) - len(sg.lit)
		if p < pos {
			return false
		}
		end, ok := g.matchAt(s, p, sg)
		return ok && end == len(s)
	}
	for p := pos; p <= len(s); p++ {
		if end, ok := g.matchAt(s, p, sg); ok && end == len(s) {
			return true
		}
	}
	return false
}

// matchAt matches segment sg at s[i:] and returns the index after it.
func (g *glob) matchAt(s string, i int, sg *segment) (int, bool) {
	lit := sg.lit
	j := i
	for k := 0; k < len(lit); {
		if j >= len(s) {
			return 0, false
		}
		c := lit[k]
		if c == anyChar {
			_, w := utf8.DecodeRuneInString(s[j:])
			j += w
			k++
			continue
		}
		b := s[j]
		if c < utf8.RuneSelf {
			if b == c || !g.cased && b >= 'A' && b <= 'Z' && b+('a'-'A') == c {
				j++
				k++
				continue
			}
			return 0, false
		}
		pr, pw := utf8.DecodeRuneInString(lit[k:])
		sr, sw := utf8.DecodeRuneInString(s[j:])
		if pr != sr && (g.cased || unicode.ToLower(pr) != unicode.ToLower(sr)) {
			return 0, false
		}
		j += sw
		k += pw
	}
	return j, true
}

// index finds the leftmost match of sg in s at or after from.
func (g *glob) index(s string, from int, sg *segment) (start, end int, ok bool) {
	if from > len(s) {
		return 0, 0, false
	}
	if g.cased && sg.plain {
		k := strings.Index(s[from:], sg.lit)
		if k < 0 {
			return 0, 0, false
		}
		return from + k, from + k + len(sg.lit), true
	}
	if a := sg.anchor; a >= 0 {
		for p := from; ; {
			if p+a > len(s) {
				return 0, 0, false
			}
			k := strings.IndexByte(s[p+a:], sg.lit[a])
			if k < 0 {
				return 0, 0, false
			}
			start := p + k
			if e, ok := g.matchAt(s, start, sg); ok {
				return start, e, true
			}
			p = start + 1
		}
	}
	first := sg.lit[0]
	if first < utf8.RuneSelf && isLetter(first) {
		// Candidates start with the letter in either case: find each with IndexByte.
		lo, up := first, first-('a'-'A')
		for p := from; p < len(s); {
			i := strings.IndexByte(s[p:], lo)
			if j := strings.IndexByte(s[p:], up); j >= 0 && (i < 0 || j < i) {
				i = j
			}
			if i < 0 {
				return 0, 0, false
			}
			if e, ok := g.matchAt(s, p+i, sg); ok {
				return p + i, e, true
			}
			p += i + 1
		}
		return 0, 0, false
	}
	for p := from; p < len(s); p++ {
		if e, ok := g.matchAt(s, p, sg); ok {
			return p, e, true
		}
	}
	return 0, 0, false
}

// equalFold reports whether s equals lower (already lower-cased) ignoring case.
func equalFold(s, lower string) bool {
	if len(s) != len(lower) {
		return strings.EqualFold(s, lower)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || lower[i] >= utf8.RuneSelf {
			return strings.EqualFold(s[i:], lower[i:])
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
