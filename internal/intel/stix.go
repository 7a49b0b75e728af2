package intel

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"net/netip"
	"strings"
	"time"
)

// STIX is GuardDuty's STIX format, in both of its versions, told apart by content:
//
//   - STIX 2.0 and 2.1 JSON: a bundle ({"type": "bundle", "objects": [...]}), a bare array of
//     objects, or a single indicator object. Every "indicator" object whose pattern compares
//     ipv4-addr:value, ipv6-addr:value or domain-name:value with =, IN or ISSUBSET gives
//     those values as indicators (negated comparisons, LIKE and MATCHES are not used; pattern
//     qualifiers such as WITHIN are ignored). Its valid_from and valid_until bound the
//     entries' validity; revoked indicators and patterns of another pattern_type (snort,
//     yara, ...) are reported and skipped; other object types are ignored. The Label is the
//     indicator's name, else its id.
//   - STIX 1.x XML (the layout of GuardDuty's own examples): every CybOX Address object value
//     (categories ipv4-addr, ipv6-addr, ipv4-net, ipv6-net, cidr) and DomainName or Hostname
//     object value, with condition Equals (lists delimited by "##comma##") or
//     InclusiveBetween (an address range, turned into CIDR blocks). An enclosing Indicator's
//     Title is the Label, else the Observable's id; its Valid_Time_Position bounds validity.
//
// Line numbers are those of the indicator object (JSON) or value element (XML).
type STIX struct{}

// Name returns "stix".
func (STIX) Name() string { return "stix" }

// Reasons specific to STIX (wrapped in ParseError.Err).
var (
	ErrBadPattern  = errors.New("malformed STIX pattern")
	ErrPatternType = errors.New("pattern_type is not stix")
	ErrRevoked     = errors.New("indicator revoked")
)

// Parse implements Format.
func (STIX) Parse(name string, r io.Reader) ([]Entry, []ParseError, error) {
	data, err := readAllLimited(r)
	if err != nil {
		return nil, nil, err
	}
	t := bytes.TrimLeft(data, " \t\r\n")
	if len(t) > 0 && t[0] == '<' {
		return parseSTIX1(name, data)
	}
	return parseSTIX2(name, data)
}

// lineCounter turns increasing byte offsets into 1-based line numbers.
type lineCounter struct {
	data []byte
	off  int
	line int
}

func (c *lineCounter) at(off int) int {
	if c.line == 0 {
		c.line = 1
	}
	if off > len(c.data) {
		off = len(c.data)
	}
	if off < c.off {
		c.off, c.line = 0, 1
	}
	c.line += bytes.Count(c.data[c.off:off], []byte("\n"))
	c.off = off
	return c.line
}

// skipSpace returns the offset of the first byte at or after off that is not JSON white space
// or a comma.
func skipSpace(data []byte, off int) int {
	for off < len(data) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ',':
			off++
		default:
			return off
		}
	}
	return off
}

// stixObject is what an indicator object holds that matters here.
type stixObject struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	Name        string `json:"name"`
	Pattern     string `json:"pattern"`
	PatternType string `json:"pattern_type"`
	ValidFrom   string `json:"valid_from"`
	ValidUntil  string `json:"valid_until"`
	Revoked     bool   `json:"revoked"`
}

func parseSTIX2(name string, data []byte) ([]Entry, []ParseError, error) {
	var (
		entries []Entry
		perrs   []ParseError
		lines   = lineCounter{data: data}
	)
	fail := func(off int, err error) ([]Entry, []ParseError, error) {
		perrs = append(perrs, ParseError{Source: name, Line: lines.at(off), Text: "", Err: fmt.Errorf("%w: %v", ErrBadRecord, err)})
		return entries, perrs, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	// objects decodes the elements of an array whose '[' was just read.
	objects := func() error {
		for dec.More() {
			start := skipSpace(data, int(dec.InputOffset()))
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return err
			}
			e, pe := stixIndicator(name, lines.at(start), raw)
			entries, perrs = append(entries, e...), append(perrs, pe...)
		}
		_, err := dec.Token() // ']'
		return err
	}
	tok, err := dec.Token()
	if err != nil {
		return fail(int(dec.InputOffset()), err)
	}
	switch tok {
	case json.Delim('['):
		if err := objects(); err != nil {
			return fail(int(dec.InputOffset()), err)
		}
	case json.Delim('{'):
		sawObjects := false
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return fail(int(dec.InputOffset()), err)
			}
			if k, _ := kt.(string); k == "objects" {
				at := int(dec.InputOffset())
				if t, err := dec.Token(); err != nil || t != json.Delim('[') {
					return fail(at, errors.New(`"objects" is not an array`))
				}
				sawObjects = true
				if err := objects(); err != nil {
					return fail(int(dec.InputOffset()), err)
				}
				continue
			}
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fail(int(dec.InputOffset()), err)
			}
		}
		if _, err := dec.Token(); err != nil { // '}'
			return fail(int(dec.InputOffset()), err)
		}
		if !sawObjects { // a single object, not a bundle
			e, pe := stixIndicator(name, lines.at(skipSpace(data, 0)), data)
			entries, perrs = append(entries, e...), append(perrs, pe...)
		}
	default:
		return fail(0, errors.New("not a STIX bundle, object or array of objects"))
	}
	if _, err := dec.Token(); err != io.EOF {
		return fail(int(dec.InputOffset()), errors.New("data after the top-level value"))
	}
	return entries, perrs, nil
}

// stixIndicator reads the entries of one STIX 2 object at line.
func stixIndicator(name string, line int, raw []byte) ([]Entry, []ParseError) {
	var o stixObject
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, []ParseError{{Source: name, Line: line, Text: shorten(raw), Err: fmt.Errorf("%w: %v", ErrBadRecord, err)}}
	}
	if o.Type != "indicator" {
		return nil, nil
	}
	perr := func(err error) []ParseError {
		return []ParseError{{Source: name, Line: line, Text: shorten([]byte(o.Pattern)), Err: err}}
	}
	if o.Revoked {
		return nil, perr(ErrRevoked)
	}
	if o.PatternType != "" && o.PatternType != "stix" {
		return nil, perr(fmt.Errorf("%w (%s)", ErrPatternType, o.PatternType))
	}
	var from, until time.Time
	for _, tt := range []struct {
		s string
		t *time.Time
	}{{o.ValidFrom, &from}, {o.ValidUntil, &until}} {
		if tt.s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, tt.s)
		if err != nil {
			return nil, perr(fmt.Errorf("%w: %q", ErrBadTime, tt.s))
		}
		*tt.t = t
	}
	comps, err := parseSTIXPattern(o.Pattern)
	if err != nil {
		return nil, perr(err)
	}
	label := o.Name
	if label == "" {
		label = o.ID
	}
	var (
		entries []Entry
		perrs   []ParseError
	)
	for _, c := range comps {
		if c.negated || (c.op != "=" && c.op != "IN" && c.op != "ISSUBSET") {
			continue
		}
		var want func(string) bool
		switch c.path {
		case "ipv4-addr:value", "ipv6-addr:value":
			want = looksLikeAddress
		case "domain-name:value":
			want = func(s string) bool { return !looksLikeAddress(s) }
		default:
			continue
		}
		for _, v := range c.values {
			e, err := parseIndicator(v)
			if err == nil && !want(v) {
				err = fmt.Errorf("%w: %s compared with %q", ErrBadRecord, c.path, v)
			}
			if err == nil && c.path != "domain-name:value" && e.Prefix.Addr().Is4() != (c.path == "ipv4-addr:value") {
				err = fmt.Errorf("%w: %s compared with %q", ErrBadRecord, c.path, v)
			}
			if err != nil {
				perrs = append(perrs, ParseError{Source: name, Line: line, Text: shorten([]byte(v)), Err: err})
				continue
			}
			e.Source, e.Line, e.Label, e.ValidFrom, e.ValidUntil = name, line, label, from, until
			entries = append(entries, e)
		}
	}
	if len(entries) == 0 && len(perrs) == 0 {
		return nil, perr(ErrUnsupported)
	}
	return entries, perrs
}

// stixComparison is one comparison expression of a STIX 2 pattern.
type stixComparison struct {
	path    string // object path, "ipv4-addr:value"
	op      string // =, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET
	negated bool   // NOT before the operator
	values  []string
}

// stixToken is a token of a STIX pattern: punctuation, an operator, a word (object path or
// keyword), or a literal. Strings are unquoted in text.
type stixToken struct {
	kind byte // '[', ']', '(', ')', ',', 'o' operator, 'w' word, 's' string, 'l' other literal
	text string
}

// lexSTIXPattern splits a STIX pattern into tokens.
func lexSTIXPattern(p string) ([]stixToken, error) {
	var toks []stixToken
	i := 0
	readString := func() (string, error) { // p[i] == '\''
		var sb strings.Builder
		for i++; i < len(p); i++ {
			switch c := p[i]; c {
			case '\\':
				if i+1 < len(p) && (p[i+1] == '\'' || p[i+1] == '\\') {
					i++
					sb.WriteByte(p[i])
					continue
				}
				return "", fmt.Errorf("%w: bad escape in string", ErrBadPattern)
			case '\'':
				i++
				return sb.String(), nil
			default:
				sb.WriteByte(c)
			}
		}
		return "", fmt.Errorf("%w: unterminated string", ErrBadPattern)
	}
	for i < len(p) {
		c := p[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case strings.IndexByte("[](),", c) >= 0:
			toks = append(toks, stixToken{kind: c})
			i++
		case c == '\'':
			s, err := readString()
			if err != nil {
				return nil, err
			}
			toks = append(toks, stixToken{kind: 's', text: s})
		case (c == 't' || c == 'b' || c == 'h') && i+1 < len(p) && p[i+1] == '\'':
			i++
			s, err := readString()
			if err != nil {
				return nil, err
			}
			toks = append(toks, stixToken{kind: 'l', text: s})
		case c == '=' || c == '!' || c == '<' || c == '>':
			j := i + 1
			if j < len(p) && p[j] == '=' {
				j++
			}
			op := p[i:j]
			if op == "!" {
				return nil, fmt.Errorf("%w: stray '!'", ErrBadPattern)
			}
			toks = append(toks, stixToken{kind: 'o', text: op})
			i = j
		case isWordByte(c):
			j := i
			for j < len(p) {
				switch {
				case isWordByte(p[j]):
					j++
				case p[j] == '\'' && j > i && p[j-1] == '.': // a quoted key: file:hashes.'SHA-256'
					k := strings.IndexByte(p[j+1:], '\'')
					if k < 0 {
						return nil, fmt.Errorf("%w: unterminated quoted key", ErrBadPattern)
					}
					j += k + 2
				case p[j] == '[' && j > i: // a list index: to_refs[*]
					k := strings.IndexByte(p[j:], ']')
					if k < 0 {
						return nil, fmt.Errorf("%w: unterminated list index", ErrBadPattern)
					}
					j += k + 1
				default:
					goto done
				}
			}
		done:
			toks = append(toks, stixToken{kind: 'w', text: p[i:j]})
			i = j
		default:
			return nil, fmt.Errorf("%w: unexpected %q", ErrBadPattern, c)
		}
	}
	return toks, nil
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == ':' || c == '.' || c == '*' || c == '+'
}

// parseSTIXPattern returns the comparison expressions of a STIX 2 pattern. It checks that
// brackets balance and that every comparison has a value; it does not check the rest of the
// grammar (qualifiers and boolean operators are skipped).
func parseSTIXPattern(p string) ([]stixComparison, error) {
	toks, err := lexSTIXPattern(p)
	if err != nil {
		return nil, err
	}
	var (
		comps []stixComparison
		depth int
	)
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch t.kind {
		case '[', '(':
			depth++
			continue
		case ']', ')':
			if depth--; depth < 0 {
				return nil, fmt.Errorf("%w: unbalanced brackets", ErrBadPattern)
			}
			continue
		}
		if t.kind != 'w' || strings.IndexByte(t.text, ':') < 0 {
			continue // keywords (AND, OR, WITHIN, ...), numbers, literals of qualifiers
		}
		c := stixComparison{path: t.text}
		i++
		if i < len(toks) && toks[i].kind == 'w' && strings.EqualFold(toks[i].text, "NOT") {
			c.negated = true
			i++
		}
		if i >= len(toks) {
			return nil, fmt.Errorf("%w: %s has no operator", ErrBadPattern, c.path)
		}
		switch op := toks[i]; {
		case op.kind == 'o':
			c.op = op.text
		case op.kind == 'w':
			c.op = strings.ToUpper(op.text)
		default:
			return nil, fmt.Errorf("%w: %s has no operator", ErrBadPattern, c.path)
		}
		i++
		if i >= len(toks) {
			return nil, fmt.Errorf("%w: %s %s has no value", ErrBadPattern, c.path, c.op)
		}
		switch v := toks[i]; v.kind {
		case 's':
			c.values = []string{v.text}
		case 'l', 'w':
			// A number, boolean or binary literal: nothing usable, but well-formed.
		case '(':
			for i++; i < len(toks) && toks[i].kind != ')'; i++ {
				switch toks[i].kind {
				case 's':
					c.values = append(c.values, toks[i].text)
				case ',', 'l', 'w':
				default:
					return nil, fmt.Errorf("%w: bad set in %s %s", ErrBadPattern, c.path, c.op)
				}
			}
			if i >= len(toks) {
				return nil, fmt.Errorf("%w: unterminated set", ErrBadPattern)
			}
		default:
			return nil, fmt.Errorf("%w: %s %s has no value", ErrBadPattern, c.path, c.op)
		}
		comps = append(comps, c)
	}
	if depth != 0 {
		return nil, fmt.Errorf("%w: unbalanced brackets", ErrBadPattern)
	}
	if len(comps) == 0 {
		return nil, fmt.Errorf("%w: no comparison", ErrBadPattern)
	}
	return comps, nil
}

// parseSTIX1 reads a STIX 1.x XML package.
func parseSTIX1(name string, data []byte) ([]Entry, []ParseError, error) {
	var (
		entries []Entry
		perrs   []ParseError
		// The enclosing indicator's title and validity, and the observable's id.
		inIndicator    int
		title, obsID   string
		from, until    time.Time
		propsType, cat string // the current cybox Properties' xsi:type and category
	)
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	attr := func(se xml.StartElement, local string) string {
		for _, a := range se.Attr {
			if a.Name.Local == local {
				return a.Value
			}
		}
		return ""
	}
	text := func() (string, error) {
		var sb strings.Builder
		for {
			tok, err := dec.Token()
			if err != nil {
				return "", err
			}
			switch t := tok.(type) {
			case xml.CharData:
				sb.Write(t)
			case xml.EndElement:
				return strings.TrimSpace(sb.String()), nil
			case xml.StartElement:
				if err := dec.Skip(); err != nil {
					return "", err
				}
			}
		}
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			line, _ := dec.InputPos()
			perrs = append(perrs, ParseError{Source: name, Line: line, Err: fmt.Errorf("%w: %v", ErrBadRecord, err)})
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			line, _ := dec.InputPos()
			switch t.Name.Local {
			case "Indicator":
				if inIndicator == 0 {
					title, from, until = "", time.Time{}, time.Time{}
				}
				inIndicator++
			case "Title":
				if inIndicator > 0 && title == "" {
					if title, err = text(); err != nil {
						continue
					}
				}
			case "Start_Time", "End_Time":
				if inIndicator > 0 {
					s, err := text()
					if err != nil {
						continue
					}
					tm, perr := parseXSDateTime(s)
					if perr != nil {
						perrs = append(perrs, ParseError{Source: name, Line: line, Text: shorten([]byte(s)), Err: perr})
						continue
					}
					if t.Name.Local == "Start_Time" {
						from = tm
					} else {
						until = tm
					}
				}
			case "Observable":
				obsID = attr(t, "id")
			case "Properties":
				propsType, cat = attr(t, "type"), attr(t, "category")
			case "Address_Value", "Value", "Hostname_Value":
				kind := stix1Kind(t.Name.Local, propsType, cat)
				if kind == 0 {
					continue
				}
				cond := attr(t, "condition")
				s, err := text()
				if err != nil {
					continue
				}
				label := title
				if label == "" {
					label = obsID
				}
				es, pes := stix1Values(name, line, kind, cond, s)
				for i := range es {
					es[i].Label, es[i].ValidFrom, es[i].ValidUntil = label, from, until
				}
				entries, perrs = append(entries, es...), append(perrs, pes...)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "Indicator":
				inIndicator--
			case "Properties":
				propsType, cat = "", ""
			case "Observable":
				obsID = ""
			}
		}
	}
	return entries, perrs, nil
}

// stix1Kind says what a value element holds: 'a' addresses, 'd' domain names, 'u' an address
// category that is not used (reported), 0 something else (ignored).
func stix1Kind(elem, propsType, category string) byte {
	switch {
	case elem == "Address_Value":
		switch category {
		case "", "ipv4-addr", "ipv6-addr", "ipv4-net", "ipv6-net", "cidr":
			return 'a'
		}
		return 'u'
	case elem == "Value" && strings.HasSuffix(propsType, "DomainNameObjectType"):
		return 'd'
	case elem == "Hostname_Value":
		return 'd'
	}
	return 0
}

// stix1Values reads the indicators of one CybOX value element.
func stix1Values(name string, line int, kind byte, cond, s string) ([]Entry, []ParseError) {
	perr := func(text string, err error) []ParseError {
		return []ParseError{{Source: name, Line: line, Text: shorten([]byte(text)), Err: err}}
	}
	if kind == 'u' {
		return nil, perr(s, ErrUnsupported)
	}
	values := strings.Split(s, "##comma##")
	switch cond {
	case "", "Equals":
	case "InclusiveBetween":
		if kind != 'a' || len(values) != 2 {
			return nil, perr(s, fmt.Errorf("%w: InclusiveBetween needs two addresses", ErrBadRecord))
		}
		lo, err1 := netip.ParseAddr(strings.TrimSpace(values[0]))
		hi, err2 := netip.ParseAddr(strings.TrimSpace(values[1]))
		if err1 != nil || err2 != nil {
			return nil, perr(s, ErrBadAddress)
		}
		ps, err := rangePrefixes(lo.Unmap(), hi.Unmap())
		if err != nil {
			return nil, perr(s, err)
		}
		var entries []Entry
		for _, p := range ps {
			entries = append(entries, Entry{Prefix: p, Source: name, Line: line})
		}
		return entries, nil
	default:
		return nil, perr(s, fmt.Errorf("%w (condition %s)", ErrUnsupported, cond))
	}
	var (
		entries []Entry
		perrs   []ParseError
	)
	for _, v := range values {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		e, err := parseIndicator(v)
		if err == nil && (kind == 'a') != (e.Domain == "") {
			if kind == 'a' {
				err = ErrBadAddress
			} else {
				err = ErrBadDomain
			}
		}
		if err != nil {
			perrs = append(perrs, perr(v, err)...)
			continue
		}
		e.Source, e.Line = name, line
		entries = append(entries, e)
	}
	return entries, perrs
}

// parseXSDateTime parses an xs:dateTime: RFC 3339, or without a zone (read as UTC).
func parseXSDateTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%w: %q", ErrBadTime, s)
}

// rangePrefixes returns the smallest list of CIDR blocks covering the addresses lo to hi
// (same family, lo <= hi).
func rangePrefixes(lo, hi netip.Addr) ([]netip.Prefix, error) {
	if lo.Is4() != hi.Is4() || hi.Less(lo) {
		return nil, fmt.Errorf("%w: %s is not a range", ErrBadAddress, lo.String()+"-"+hi.String())
	}
	width := lo.BitLen()
	x, end := addrU128(lo), addrU128(hi)
	var out []netip.Prefix
	for {
		// The largest aligned block starting at x that ends at or before end.
		host := trailingZeros(x, width)
		for host > 0 && end.less(orLow(x, host)) {
			host--
		}
		if host == width {
			return nil, ErrEverything
		}
		out = append(out, netip.PrefixFrom(addrFromU128(x, width == 32), width-host))
		last := orLow(x, host)
		if last == end {
			return out, nil
		}
		x = last.inc()
	}
}

// trailingZeros counts the trailing zero bits of x within width bits.
func trailingZeros(x u128, width int) int {
	var n int
	if x.lo != 0 {
		n = bits.TrailingZeros64(x.lo)
	} else if x.hi != 0 {
		n = 64 + bits.TrailingZeros64(x.hi)
	} else {
		n = 128
	}
	return min(n, width)
}

// orLow sets the low k bits of x.
func orLow(x u128, k int) u128 {
	switch {
	case k >= 128:
		return u128{^uint64(0), ^uint64(0)}
	case k >= 64:
		return u128{x.hi | (uint64(1)<<(k-64) - 1), ^uint64(0)}
	default:
		return u128{x.hi, x.lo | (uint64(1)<<k - 1)}
	}
}

// addrFromU128 converts an integer back to an address.
func addrFromU128(x u128, is4 bool) netip.Addr {
	if is4 {
		return netip.AddrFrom4([4]byte{byte(x.lo >> 24), byte(x.lo >> 16), byte(x.lo >> 8), byte(x.lo)})
	}
	var b [16]byte
	for i := 0; i < 8; i++ {
		b[i] = byte(x.hi >> (56 - 8*i))
		b[8+i] = byte(x.lo >> (56 - 8*i))
	}
	return netip.AddrFrom16(b)
}
