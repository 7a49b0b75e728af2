package vpcflow

import (
	"math/bits"
	"strconv"
	"unicode/utf8"
)

// Record is one flow log record with typed values, indexed by Field. Fields is the set of
// fields its input carries (the layout or the Parquet columns); Dash is the subset whose
// value in this record is "-" (or null in Parquet): the field does not apply or could not
// be computed. A field outside Fields is absent from the input altogether, which the OCSF
// mapping tells apart from "-" in a few places (flow-direction).
//
// String fields (Field.Kind KindString) hold the text as written, "-" included; numeric
// fields hold 0 when they are in Dash or not in Fields. The strings of a parsed record share
// the memory of its line. Build records with the Set methods, which keep Fields and Dash
// right; the zero Record is empty.
type Record struct {
	Fields FieldSet
	Dash   FieldSet

	str [numFields]string // values of string fields
	num [numFields]int64  // values of numeric fields
}

// Has reports whether the record has a value for f: its input carries f and the value is
// not "-".
func (r *Record) Has(f Field) bool { return r.Fields&^r.Dash&(1<<f) != 0 }

// SetString sets string field f to v and marks it present ("-" marks it Dash). It does
// nothing for a numeric or unknown field.
func (r *Record) SetString(f Field, v string) {
	if f >= numFields || f.Kind() != KindString {
		return
	}
	r.str[f] = v
	r.Fields = r.Fields.With(f)
	if v == "-" {
		r.Dash = r.Dash.With(f)
	} else {
		r.Dash &^= 1 << f
	}
}

// SetInt sets numeric field f to v and marks it present. It does nothing for a string or
// unknown field. Normalization expects the ranges text records are held to (see Layout.Parse).
func (r *Record) SetInt(f Field, v int64) {
	if f >= numFields || f.Kind() == KindString {
		return
	}
	r.num[f] = v
	r.Fields = r.Fields.With(f)
	r.Dash &^= 1 << f
}

// SetDash marks f present with the value "-".
func (r *Record) SetDash(f Field) {
	if f >= numFields {
		return
	}
	if f.Kind() == KindString {
		r.str[f] = "-"
	} else {
		r.num[f] = 0
	}
	r.Fields = r.Fields.With(f)
	r.Dash = r.Dash.With(f)
}

// String returns the value of string field f as written ("-" included), or "" when the
// input lacks f or f is numeric.
func (r *Record) String(f Field) string {
	if f >= numFields {
		return ""
	}
	return r.str[f]
}

// Int returns the value of numeric field f; ok is false when the record has no value for it.
func (r *Record) Int(f Field) (v int64, ok bool) {
	if f >= numFields || f.Kind() == KindString {
		return 0, false
	}
	return r.num[f], r.Has(f)
}

// ParseError is why a text record could not be parsed.
type ParseError struct {
	Field  Field  // the field at fault; meaningful only when HasField
	Value  string // the offending value, shortened
	Reason string
	// HasField is false for errors about the line as a whole (field count, encoding).
	HasField bool
}

// Error implements error.
func (e *ParseError) Error() string {
	if !e.HasField {
		return e.Reason
	}
	return e.Field.Name() + ": " + e.Reason + ": " + strconv.Quote(e.Value)
}

// maxQuotedValue bounds how much of a bad value an error message repeats.
const maxQuotedValue = 64

func fieldError(f Field, v, reason string) *ParseError {
	if len(v) > maxQuotedValue {
		v = v[:maxQuotedValue] + "..."
	}
	return &ParseError{Field: f, Value: v, Reason: reason, HasField: true}
}

// Parse parses one text record (a line without its line ending) in layout l into r.
// Fields are separated by spaces (runs of them are accepted); "-" is a value that is not
// there. A record is printable UTF-8 text: control characters, tabs included, are refused.
// Numbers are unsigned decimals within the field's range: ports 0 to 65535, protocol 0 to
// 255, tcp-flags 0 to 65535, start and end up to the end of year 9999.
//
// Parse overwrites every field of the layout and leaves the others zero (it clears r when r
// last held a record of another layout); the strings of r share line's memory. It checks
// the record's shape, encoding and numbers; addresses are checked by the normalizer, which
// Parquet records go through as well.
func (l Layout) Parse(line string, r *Record) error {
	if r.Fields != l.set {
		*r = Record{Fields: l.set}
	}
	r.Dash = 0
	var toks [maxTokens]span
	n, printable := splitTokens(line, &toks)
	if !printable {
		if err := checkText(line); err != nil {
			return err
		}
	}
	if n != len(l.fields) || n > maxTokens {
		if n < len(l.fields) {
			return &ParseError{Reason: "too few fields: " + strconv.Itoa(n) + " of " + strconv.Itoa(len(l.fields))}
		}
		return &ParseError{Reason: "too many fields: more than the " + strconv.Itoa(len(l.fields)) + " of the format"}
	}
	for k, sp := range toks[:n] {
		f := l.fields[k]
		tok := line[sp.start:sp.end]
		info := &fieldInfos[f]
		switch {
		case info.kind == KindString:
			if tok != "-" && f != FieldVersion {
				r.str[f] = tok
				continue
			}
		case len(tok) <= 18:
			// Fast path: digits only.
			var v int64
			j := 0
			for ; j < len(tok); j++ {
				c := tok[j] - '0'
				if c > 9 {
					break
				}
				v = v*10 + int64(c)
			}
			if j == len(tok) && v <= info.max {
				r.num[f] = v
				continue
			}
		}
		if err := r.setText(f, tok); err != nil {
			return err
		}
	}
	return nil
}

// span is where a token is in its line.
type span struct{ start, end int32 }

// maxTokens is how many tokens splitTokens records: one more than a layout has fields at
// most, so that a record with too many is recognized as such.
const maxTokens = int(numFields) + 1

// SWAR (SIMD within a register) constants: a byte repeated in every byte of a word.
const (
	swarOnes   = 0x0101010101010101
	swarHighs  = 0x8080808080808080
	swarLows   = 0x7f7f7f7f7f7f7f7f
	swarSpaces = 0x2020202020202020
)

// splitTokens records where the space-separated tokens of line are, up to maxTokens of them,
// and returns how many there are (which may exceed maxTokens) and whether line is all
// printable ASCII. It looks at eight bytes at a time: a line holds few spaces and rarely
// anything but printable ASCII. Lines are at most MaxLineBytes long, so offsets fit int32.
func splitTokens(line string, toks *[maxTokens]span) (n int, printable bool) {
	printable = true
	start, i := 0, 0
	var bad uint64
	emit := func(end int) {
		if end > start {
			if n < maxTokens {
				toks[n] = span{int32(start), int32(end)}
			}
			n++
		}
		start = end + 1
	}
	for ; i+8 <= len(line); i += 8 {
		w := line[i : i+8]
		x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
			uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
		// A byte below 0x20, or above 0x7e (DEL and non-ASCII), sets its high bit in bad
		// (a carry or borrow can add high bits, but only above a byte that sets its own).
		bad |= (x-0x20*swarOnes)&^x | (x + swarOnes) | x
		// The high bit of each byte that is a space, exactly (no carry crosses bytes).
		y := x ^ swarSpaces
		spaces := ^((y&swarLows + swarLows) | y | swarLows)
		for spaces != 0 {
			emit(i + bits.TrailingZeros64(spaces)/8)
			spaces &= spaces - 1
		}
	}
	for ; i < len(line); i++ {
		switch c := line[i]; {
		case c == ' ':
			emit(i)
		case c < 0x20 || c > 0x7e:
			printable = false
		}
	}
	emit(len(line))
	return n, printable && bad&swarHighs == 0
}

// checkText fails unless line is printable UTF-8: no control character (tabs included), no
// DEL, no invalid sequence.
func checkText(line string) *ParseError {
	for i := 0; i < len(line); {
		c := line[i]
		if c >= ' ' && c < 0x7f {
			i++
			continue
		}
		if c < 0x80 {
			return &ParseError{Reason: "control character 0x" + strconv.FormatUint(uint64(c), 16) + " at byte " + strconv.Itoa(i+1)}
		}
		r, size := utf8.DecodeRuneInString(line[i:])
		if r == utf8.RuneError && size <= 1 {
			return &ParseError{Reason: "invalid UTF-8 at byte " + strconv.Itoa(i+1)}
		}
		i += size
	}
	return nil
}

// setText sets field f from its text value tok, which is not empty.
func (r *Record) setText(f Field, tok string) error {
	info := &fieldInfos[f]
	if tok == "-" {
		r.Dash |= 1 << f
		if info.kind == KindString {
			r.str[f] = tok
		} else {
			r.num[f] = 0
		}
		return nil
	}
	switch info.kind {
	case KindString:
		if f == FieldVersion && !isDigits(tok) {
			return fieldError(f, tok, "not a version number")
		}
		r.str[f] = tok
	default:
		v, ok := parseUint(tok, info.max)
		if !ok {
			return fieldError(f, tok, numberReason(tok, info.max))
		}
		r.num[f] = v
	}
	return nil
}

// parseUint parses a decimal number of at most 19 digits no greater than limit.
func parseUint(s string, limit int64) (int64, bool) {
	if len(s) == 0 || len(s) > 19 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			return 0, false
		}
		n = n*10 + int64(c) // 19 digits cannot overflow int64
	}
	if n < 0 || n > limit {
		return 0, false
	}
	return n, true
}

// numberReason explains why parseUint refused s.
func numberReason(s string, limit int64) string {
	if len(s) <= 19 && isDigits(s) {
		return "out of range 0.." + strconv.FormatInt(limit, 10)
	}
	return "not a non-negative integer"
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
