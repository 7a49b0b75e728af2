// Package jsonscan reads JSON records fast, strictly and with bounded memory, for the input
// formats whose records are JSON (CloudTrail, Route 53 Resolver query logs).
//
// A Reader splits a stream into records without decoding them: top-level values (NDJSON,
// concatenated or pretty-printed objects, CloudWatch Logs exports whose lines start with a
// timestamp) and the elements of envelope arrays such as CloudTrail's {"Records":[...]}, which
// it streams element by element, so that a 2 GB file needs no more memory than its largest
// record. A Decoder then walks one record member by member, validating it as it goes, without
// building a tree: the strings it returns share the record's memory unless they hold escapes.
//
// Both are strict: a record is valid JSON (RFC 8259) in UTF-8, or an error says where and why
// it is not. Nothing in an input makes them panic, and nesting is bounded (MaxDepth).
package jsonscan

import (
	"math/bits"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is how deeply a record's objects and arrays may nest.
const MaxDepth = 512

// Kind is the kind of a JSON value.
type Kind uint8

// The kinds of JSON values. Invalid is what Peek returns at an error or at the end of input.
const (
	Invalid Kind = iota
	Object
	Array
	String
	Number
	True
	False
	Null
)

var kindNames = [...]string{Invalid: "invalid", Object: "object", Array: "array", String: "string",
	Number: "number", True: "true", False: "false", Null: "null"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// kindOf classifies a value by its first byte.
var kindOf = func() (t [256]Kind) {
	t['{'], t['['], t['"'], t['t'], t['f'], t['n'] = Object, Array, String, True, False, Null
	t['-'] = Number
	for c := '0'; c <= '9'; c++ {
		t[c] = Number
	}
	return t
}()

// SyntaxError says where a record stops being valid JSON and why.
type SyntaxError struct {
	Offset int // byte offset in the record, 0-based
	Msg    string
}

func (e *SyntaxError) Error() string {
	return "invalid JSON at byte " + strconv.Itoa(e.Offset+1) + ": " + e.Msg
}

// Decoder reads one JSON value held in a string. Its methods read the value in document order:
// Object then Key until it returns false, Array then Elem until it returns false, and one of
// Str, Num, Bool, Null, Raw or Skip for every scalar or every value not looked into. The first
// error sticks: later calls return zero values, and Err reports it.
//
// The zero Decoder is ready for Reset.
type Decoder struct {
	s     string
	i     int
	err   error
	more  []bool // per open container: whether a member or element was read
	space bool   // Raw: whitespace was skipped between tokens
}

// Reset makes d read s from its start.
func (d *Decoder) Reset(s string) {
	d.s, d.i, d.err, d.more = s, 0, nil, d.more[:0]
}

// Text returns the text d reads.
func (d *Decoder) Text() string { return d.s }

// Err returns the first error, a *SyntaxError, or nil.
func (d *Decoder) Err() error { return d.err }

// Offset is the byte offset of the next byte d reads.
func (d *Decoder) Offset() int { return d.i }

// Fail records msg as d's error if it has none, at the current offset, so that a mapping
// can reject a record whose JSON is valid but whose content is not.
func (d *Decoder) Fail(msg string) {
	d.fail(d.i, msg)
}

// FailAt is Fail at byte offset off.
func (d *Decoder) FailAt(off int, msg string) {
	d.fail(off, msg)
}

func (d *Decoder) fail(off int, msg string) {
	if d.err == nil {
		d.err = &SyntaxError{Offset: off, Msg: msg}
	}
	d.i = len(d.s)
}

// ws skips whitespace.
func (d *Decoder) ws() {
	i, s := d.i, d.s
	for i < len(s) && s[i] <= ' ' && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	d.i = i
}

// wsIn skips whitespace between tokens and notes whether there was any.
func (d *Decoder) wsIn() {
	start := d.i
	d.ws()
	if d.i > start {
		d.space = true
	}
}

// Peek returns the kind of the next value without reading it (Invalid at an error or at the
// end of input, which is then an error).
func (d *Decoder) Peek() Kind {
	if d.err != nil {
		return Invalid
	}
	d.ws()
	if d.i >= len(d.s) {
		d.fail(d.i, "unexpected end of input")
		return Invalid
	}
	k := kindOf[d.s[d.i]]
	if k == Invalid {
		d.fail(d.i, "unexpected "+quoteByte(d.s[d.i]))
	}
	return k
}

// Object starts reading an object; it fails unless the next value is one.
func (d *Decoder) Object() bool {
	if k := d.Peek(); k != Object {
		if k != Invalid {
			d.fail(d.i, "expected an object, found "+k.String())
		}
		return false
	}
	if len(d.more) >= MaxDepth {
		d.fail(d.i, "nesting deeper than "+strconv.Itoa(MaxDepth))
		return false
	}
	d.i++
	d.more = append(d.more, false)
	return true
}

// Array starts reading an array; it fails unless the next value is one.
func (d *Decoder) Array() bool {
	if k := d.Peek(); k != Array {
		if k != Invalid {
			d.fail(d.i, "expected an array, found "+k.String())
		}
		return false
	}
	if len(d.more) >= MaxDepth {
		d.fail(d.i, "nesting deeper than "+strconv.Itoa(MaxDepth))
		return false
	}
	d.i++
	d.more = append(d.more, false)
	return true
}

// Key reads the name of the next member of the object being read and the colon after it; the
// member's value is next. It returns false at the end of the object, which it reads, and at an
// error. Names are unescaped.
func (d *Decoder) Key() (string, bool) {
	sp, ok := d.KeySpan()
	if !ok {
		return "", false
	}
	return sp.In(d.s), true
}

// KeySpan is Key returning where the name is instead of the name.
func (d *Decoder) KeySpan() (Span, bool) {
	if d.err != nil || len(d.more) == 0 {
		if d.err == nil {
			d.fail(d.i, "Key outside an object")
		}
		return Span{}, false
	}
	d.ws()
	if d.i >= len(d.s) {
		d.fail(d.i, "unexpected end of input in an object")
		return Span{}, false
	}
	top := len(d.more) - 1
	c := d.s[d.i]
	if c == '}' {
		d.i++
		d.more = d.more[:top]
		return Span{}, false
	}
	if d.more[top] {
		if c != ',' {
			d.fail(d.i, "expected ',' or '}' after an object member, found "+quoteByte(c))
			return Span{}, false
		}
		d.i++
		d.ws()
		if d.i >= len(d.s) {
			d.fail(d.i, "unexpected end of input in an object")
			return Span{}, false
		}
		c = d.s[d.i]
	}
	if c != '"' {
		d.fail(d.i, "expected a member name, found "+quoteByte(c))
		return Span{}, false
	}
	sp := d.strSpan()
	d.ws()
	if d.i >= len(d.s) || d.s[d.i] != ':' {
		if d.err == nil {
			d.fail(d.i, "expected ':' after a member name")
		}
		return Span{}, false
	}
	d.i++
	d.more[top] = true
	return sp, d.err == nil
}

// KeyIs reports whether the next member of the object being read is named name, which must
// need no escaping, and if so reads its name and colon, as Key would; otherwise it reads
// nothing. It is a quick way to read the members of objects whose writer orders them.
func (d *Decoder) KeyIs(name string) bool {
	if d.err != nil || len(d.more) == 0 {
		return false
	}
	s, i := d.s, d.i
	for i < len(s) && s[i] <= ' ' && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	top := len(d.more) - 1
	if d.more[top] {
		if i >= len(s) || s[i] != ',' {
			return false
		}
		i++
		for i < len(s) && s[i] <= ' ' && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			i++
		}
	}
	end := i + 1 + len(name)
	if end >= len(s) || s[i] != '"' || s[end] != '"' || s[i+1:end] != name {
		return false
	}
	i = end + 1
	for i < len(s) && s[i] <= ' ' && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	if i >= len(s) || s[i] != ':' {
		return false
	}
	d.i = i + 1
	d.more[top] = true
	return true
}

// Elem reports whether the array being read has another element, which is then next. At the
// end of the array, which it reads, and at an error it returns false.
func (d *Decoder) Elem() bool {
	if d.err != nil || len(d.more) == 0 {
		if d.err == nil {
			d.fail(d.i, "Elem outside an array")
		}
		return false
	}
	d.ws()
	if d.i >= len(d.s) {
		d.fail(d.i, "unexpected end of input in an array")
		return false
	}
	top := len(d.more) - 1
	c := d.s[d.i]
	if c == ']' {
		d.i++
		d.more = d.more[:top]
		return false
	}
	if d.more[top] {
		if c != ',' {
			d.fail(d.i, "expected ',' or ']' after an array element, found "+quoteByte(c))
			return false
		}
		d.i++
	}
	d.more[top] = true
	return true
}

// Str reads a string value and returns it unescaped.
func (d *Decoder) Str() string {
	return d.StrSpan().In(d.s)
}

// StrSpan reads a string value and returns where its content is.
func (d *Decoder) StrSpan() Span {
	if k := d.Peek(); k != String {
		if k != Invalid {
			d.fail(d.i, "expected a string, found "+k.String())
		}
		return Span{}
	}
	return d.strSpan()
}

// NextString reads the next value if it is a string, returning where its content is and
// String; else it reads nothing and returns the value's kind (Invalid at an error).
func (d *Decoder) NextString() (Span, Kind) {
	if d.err == nil {
		d.ws()
		if d.i < len(d.s) && d.s[d.i] == '"' {
			sp := d.strSpan()
			if d.err != nil {
				return sp, Invalid
			}
			return sp, String
		}
	}
	return Span{}, d.Peek()
}

// Num reads a number and returns its text.
func (d *Decoder) Num() string {
	if k := d.Peek(); k != Number {
		if k != Invalid {
			d.fail(d.i, "expected a number, found "+k.String())
		}
		return ""
	}
	start := d.i
	d.number(len(d.more) > 0)
	return d.s[start:d.i]
}

// Bool reads true or false.
func (d *Decoder) Bool() bool {
	switch k := d.Peek(); k {
	case True:
		d.literal("true")
		return true
	case False:
		d.literal("false")
	case Invalid:
	default:
		d.fail(d.i, "expected true or false, found "+k.String())
	}
	return false
}

// Null reads null if it is next and reports whether it was.
func (d *Decoder) Null() bool {
	if d.Peek() != Null {
		return false
	}
	d.literal("null")
	return d.err == nil
}

// Scalar reads a string, number, true or false and returns its text as it would appear in
// text (strings unescaped, numbers and literals as written); ok is false for null, objects
// and arrays, which it does not read.
func (d *Decoder) Scalar() (text string, ok bool) {
	switch d.Peek() {
	case String:
		return d.str(), d.err == nil
	case Number:
		return d.Num(), d.err == nil
	case True:
		d.literal("true")
		return "true", d.err == nil
	case False:
		d.literal("false")
		return "false", d.err == nil
	}
	return "", false
}

// Raw reads the next value, validating it, and returns its text as it is in the record;
// compact reports whether it has no whitespace between its tokens (see Compact).
func (d *Decoder) Raw() (raw string, compact bool) {
	sp, compact := d.RawSpan()
	return d.s[sp.Start:sp.End], compact
}

// RawSpan is Raw returning where the value is instead of its text.
func (d *Decoder) RawSpan() (sp Span, compact bool) {
	if d.Peek() == Invalid {
		return Span{}, false
	}
	start := d.i
	d.space = false
	d.skip(len(d.more))
	if d.err != nil {
		return Span{}, false
	}
	return Span{Start: start, End: d.i}, !d.space
}

// Frame reads the next value without validating what an object or array holds beyond its
// strings and brackets, and returns where it is: a quick way to find a container that is
// decoded (and so validated) later. Scalars are validated.
func (d *Decoder) Frame() Span {
	k := d.Peek()
	if k != Object && k != Array {
		sp, _ := d.RawSpan()
		return sp
	}
	s, start := d.s, d.i
	depth := len(d.more)
	var kinds uint64 // the kinds of the innermost 64 open containers, innermost lowest
	for i := start; i < len(s); {
		// Find the next '"', '{', '}', '[' or ']'.
		for i+8 <= len(s) {
			x := load64(s, i)
			y := x | lower
			q, o, c := x^quotes, y^opens, y^closes
			if m := ((q-ones)&^q | (o-ones)&^o | (c-ones)&^c) & highs; m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		for i < len(s) && !structural[s[i]] {
			i++
		}
		if i >= len(s) {
			break
		}
		switch s[i] {
		case '"':
			// Skip the string to its closing quote.
			for i++; ; {
				for i+8 <= len(s) {
					x := load64(s, i)
					q, b := x^quotes, x^slashs
					if m := ((q-ones)&^q | (b-ones)&^b) & highs; m != 0 {
						i += bits.TrailingZeros64(m) >> 3
						break
					}
					i += 8
				}
				for i < len(s) && s[i] != '"' && s[i] != '\\' {
					i++
				}
				if i >= len(s) {
					break
				}
				if s[i] == '"' {
					i++
					break
				}
				i += 2 // an escape
			}
		case '{', '[':
			if depth++; depth > MaxDepth {
				d.fail(i, "nesting deeper than "+strconv.Itoa(MaxDepth))
				return Span{}
			}
			kinds = kinds<<1 | uint64(s[i]>>5&1) // 1 for '{' (0x7b), 0 for '[' (0x5b)
			i++
		default: // '}', ']'
			if depth-len(d.more) <= 64 && kinds&1 != uint64(s[i]>>5&1) {
				d.fail(i, "unexpected "+quoteByte(s[i]))
				return Span{}
			}
			kinds >>= 1
			i++
			if depth--; depth == len(d.more) {
				d.i = i
				return Span{Start: start, End: i}
			}
		}
	}
	d.fail(len(s), "unexpected end of input")
	return Span{}
}

// SWAR constants of the brackets Frame looks for: '{' and '[' | 0x20 are '{', '}' and ']' |
// 0x20 are '}'.
const (
	opens  = 0x7b7b7b7b7b7b7b7b
	closes = 0x7d7d7d7d7d7d7d7d
	lower  = 0x2020202020202020
)

// structural reports whether Frame must look at byte c.
var structural = func() (t [256]bool) {
	for _, c := range `"{}[]` {
		t[c] = true
	}
	return t
}()

// Skip reads the next value, validating it.
func (d *Decoder) Skip() {
	if d.Peek() != Invalid {
		d.skip(len(d.more))
	}
}

// End reads what follows the value: only whitespace may.
func (d *Decoder) End() error {
	if d.err == nil {
		d.ws()
		if d.i < len(d.s) {
			d.fail(d.i, "unexpected "+quoteByte(d.s[d.i])+" after the value")
		}
	}
	return d.err
}

// skip validates and reads one value at nesting depth depth.
func (d *Decoder) skip(depth int) {
	if d.i >= len(d.s) {
		d.fail(d.i, "unexpected end of input")
		return
	}
	switch c := d.s[d.i]; c {
	case '{', '[':
		if depth >= MaxDepth {
			d.fail(d.i, "nesting deeper than "+strconv.Itoa(MaxDepth))
			return
		}
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		d.i++
		d.wsIn()
		if d.i < len(d.s) && d.s[d.i] == closer {
			d.i++
			return
		}
		for {
			if c == '{' {
				if d.i >= len(d.s) || d.s[d.i] != '"' {
					d.fail(d.i, "expected a member name")
					return
				}
				d.skipString()
				d.wsIn()
				if d.i >= len(d.s) || d.s[d.i] != ':' {
					d.fail(d.i, "expected ':' after a member name")
					return
				}
				d.i++
				d.wsIn()
			}
			d.skip(depth + 1)
			if d.err != nil {
				return
			}
			d.wsIn()
			if d.i >= len(d.s) {
				d.fail(d.i, "unexpected end of input")
				return
			}
			switch d.s[d.i] {
			case ',':
				d.i++
				d.wsIn()
			case closer:
				d.i++
				return
			default:
				d.fail(d.i, "expected ',' or "+quoteByte(closer)+", found "+quoteByte(d.s[d.i]))
				return
			}
		}
	case '"':
		d.skipString()
	case 't':
		d.literal("true")
	case 'f':
		d.literal("false")
	case 'n':
		d.literal("null")
	default:
		if kindOf[c] == Number {
			d.number(depth > 0)
		} else {
			d.fail(d.i, "unexpected "+quoteByte(c))
		}
	}
}

func (d *Decoder) literal(lit string) {
	if rest := d.s[d.i:]; !strings.HasPrefix(rest, lit) {
		if len(rest) < len(lit) && strings.HasPrefix(lit, rest) {
			d.fail(len(d.s), "unexpected end of input in "+lit)
			return
		}
		d.fail(d.i, "invalid literal (want "+lit+")")
		return
	}
	d.i += len(lit)
}

// number reads a number as RFC 8259 writes it. A number nested in an object or array cannot
// end the input: when it runs to its end, the input was cut (more digits may follow).
func (d *Decoder) number(nested bool) {
	s, i := d.s, d.i
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		}
	default:
		d.fail(i, "invalid number")
		return
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			d.fail(i, "invalid number: no digit after '.'")
			return
		}
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			d.fail(i, "invalid number: no digit in the exponent")
			return
		}
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		}
	}
	if nested && i == len(s) {
		d.fail(i, "unexpected end of input in a number")
		return
	}
	d.i = i
}

// str reads the string at d.i (a '"') and returns its content, unescaped.
func (d *Decoder) str() string {
	return d.strSpan().In(d.s)
}

// strSpan reads the string at d.i (a '"') and returns where its content is.
func (d *Decoder) strSpan() Span {
	start := d.i + 1
	end, escaped := scanString(d.s, start)
	if end < 0 {
		d.failString(start)
		return Span{}
	}
	d.i = end + 1
	return Span{Start: start, End: end, Escaped: escaped}
}

// failString fails for the invalid string content that starts at s[start].
func (d *Decoder) failString(start int) {
	d.fail(stringError(d.s, start))
}

// Span is where a value, or the content of a string between its quotes, is in a text.
type Span struct {
	Start, End int
	// Escaped reports whether the string content holds escapes.
	Escaped bool
}

// In returns what sp spans in s: a string's content unescaped, or a value's text.
func (sp Span) In(s string) string {
	if sp.Escaped {
		return unescape(s[sp.Start:sp.End])
	}
	return s[sp.Start:sp.End]
}

// IsZero reports whether sp spans nothing (an absent value).
func (sp Span) IsZero() bool { return sp.End == 0 }

// skipString reads the string at d.i, validating it.
func (d *Decoder) skipString() {
	end, _ := scanString(d.s, d.i+1)
	if end < 0 {
		d.failString(d.i + 1)
		return
	}
	d.i = end + 1
}

// SWAR (SIMD within a register) constants: a byte repeated in every byte of a word.
const (
	ones   = 0x0101010101010101
	highs  = 0x8080808080808080
	quotes = 0x2222222222222222
	slashs = 0x5c5c5c5c5c5c5c5c
)

// specialBytes has the high bit set of the first byte of x (in memory order) that is a quote, a
// backslash, a control character or a non-ASCII byte — the bytes a string scan must look at —
// and maybe of bytes after it; it is 0 when there is none. Each term is the classic "has a
// byte below n" or "has a zero byte" test, whose lowest flag is exact (a borrow only
// propagates above a byte that flags).
func specialBytes(x uint64) uint64 {
	q, b := x^quotes, x^slashs
	return ((x-0x20*ones)&^x | (q-ones)&^q | (b-ones)&^b | x) & highs
}

// load64 returns the eight bytes of s at i as a little-endian word (one load once compiled).
func load64(s string, i int) uint64 {
	w := s[i : i+8]
	return uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
}

// special reports whether a string scan must look at byte c.
var special = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c < 0x20 || c >= 0x80 || c == '"' || c == '\\'
	}
	return t
}()

// scanString validates the string content that starts at s[i] and returns the index of its
// closing quote and whether it holds escapes; end is -1 when the string is invalid or does
// not end (stringError says why).
func scanString(s string, i int) (end int, escaped bool) {
	for {
		// Skip to the next byte to look at, eight bytes at a time.
		for {
			if i+8 > len(s) {
				for i < len(s) && !special[s[i]] {
					i++
				}
				break
			}
			if m := specialBytes(load64(s, i)); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		if i >= len(s) {
			return -1, false
		}
		switch c := s[i]; {
		case c == '"':
			return i, escaped
		case c == '\\':
			escaped = true
			if i+1 >= len(s) {
				return -1, false
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(s) || !isHex(s[i+2]) || !isHex(s[i+3]) || !isHex(s[i+4]) || !isHex(s[i+5]) {
					return -1, false
				}
				i += 6
			default:
				return -1, false
			}
		case c < 0x20:
			return -1, false
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size <= 1 {
				return -1, false
			}
			i += size
		}
	}
}

// stringError says where and why the string content that starts at s[i] is invalid or does
// not end.
func stringError(s string, i int) (errAt int, msg string) {
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return i, "string ends" // not reached for an invalid string
		case c == '\\':
			if i+1 >= len(s) {
				return len(s), "unexpected end of input in a string"
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				for k := i + 2; k < i+6; k++ {
					if k >= len(s) {
						return len(s), "unexpected end of input in a \\u escape"
					}
					if !isHex(s[k]) {
						return i, "invalid \\u escape"
					}
				}
				i += 5
			default:
				return i, "invalid escape \\" + string(rune(s[i+1]))
			}
		case c < 0x20:
			return i, "control character 0x" + strconv.FormatUint(uint64(c), 16) + " in a string"
		case c >= 0x80:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size <= 1 {
				if !utf8.FullRuneInString(s[i:]) {
					return len(s), "unexpected end of input in a string"
				}
				return i, "invalid UTF-8 in a string"
			}
			i += size - 1
		}
	}
	return len(s), "unexpected end of input in a string"
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(s string) rune {
	var r rune
	for i := range len(s) {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// unescape decodes the escapes of a validated string's content. A \u escape of a lone
// surrogate becomes U+FFFD, as encoding/json does.
func unescape(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '\\')
		if j < 0 {
			b.WriteString(s[i:])
			break
		}
		b.WriteString(s[i : i+j])
		i += j
		switch c := s[i+1]; c {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r := hexVal(s[i+2 : i+6])
			i += 6
			if utf16.IsSurrogate(r) {
				if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if r2 := utf16.DecodeRune(r, hexVal(s[i+2:i+6])); r2 != utf8.RuneError {
						b.WriteRune(r2)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			b.WriteRune(r)
			continue
		default: // '"', '\\', '/'
			b.WriteByte(c)
		}
		i += 2
	}
	return b.String()
}

// Compact returns raw, a valid JSON text, without the whitespace between its tokens.
func Compact(raw string) string {
	var b strings.Builder
	b.Grow(len(raw))
	in, esc := false, false
	for i := range len(raw) {
		c := raw[i]
		switch {
		case in:
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				in = false
			}
		case c == '"':
			in = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return "byte 0x" + strconv.FormatUint(uint64(c), 16)
}

// ParseTime parses the RFC 3339 timestamps AWS writes in its JSON logs
// ("2024-05-01T12:00:00Z", also with fractional seconds or a zone offset), quickly for the
// common UTC form without fractions.
func ParseTime(s string) (time.Time, bool) {
	if len(s) == 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' && s[19] == 'Z' {
		year, ok1 := digits(s[0:4])
		month, ok2 := digits(s[5:7])
		day, ok3 := digits(s[8:10])
		hour, ok4 := digits(s[11:13])
		minute, ok5 := digits(s[14:16])
		sec, ok6 := digits(s[17:19])
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && month >= 1 && month <= 12 && day >= 1 &&
			day <= daysIn(year, month) && hour < 24 && minute < 60 && sec < 60 {
			days := daysFromCivil(year, month, day)
			return time.Unix(days*86400+int64(hour*3600+minute*60+sec), 0).UTC(), true
		}
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// daysIn returns the number of days of month (1 to 12) of year.
func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the number of days from 1970-01-01 to the date of the proleptic
// Gregorian calendar year-month-day (valid), by Howard Hinnant's algorithm: the time.Date
// arithmetic without its normalization.
func daysFromCivil(year, month, day int) int64 {
	if month <= 2 {
		year--
	}
	era := year / 400
	if year < 0 { // January or February of year 0: division rounding down
		era = (year - 399) / 400
	}
	yoe := year - era*400
	mp := (month + 9) % 12 // March is 0
	doy := (153*mp+2)/5 + day - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// digits parses a run of decimal digits.
func digits(s string) (int, bool) {
	n := 0
	for i := range len(s) {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
