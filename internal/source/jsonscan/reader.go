package jsonscan

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/bits"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// DefaultMaxRecordBytes bounds a record when NewReader is given no limit. CloudTrail events
// are at most a few hundred KiB (EventBridge caps them at 256 KiB); Route 53 records are a
// few hundred bytes.
const DefaultMaxRecordBytes = 8 << 20

// readSize is how much a Reader asks its source for at once.
const readSize = 256 << 10

// ErrTruncated is the Err of a record the input ends inside of.
var ErrTruncated = errors.New("input ends inside the record (truncated)")

// ErrNotJSON is the Err of a top-level line that does not start a JSON object or array.
var ErrNotJSON = errors.New("not a JSON object or array")

// TooLongError is the Err of a record longer than the Reader's limit.
type TooLongError struct{ Max int }

func (e *TooLongError) Error() string {
	return "record longer than " + strconv.Itoa(e.Max) + " bytes"
}

// FramingError is the Err of bytes that break the structure of an envelope array (what
// separates its elements), after which the rest of its line cannot be told apart into
// records.
type FramingError struct{ Msg string }

func (e *FramingError) Error() string { return e.Msg }

// UnterminatedError is returned by Next when the input ends inside an envelope array after a
// complete element: no record is lost, but the input is truncated.
type UnterminatedError struct{ Envelope string }

func (e *UnterminatedError) Error() string {
	if e.Envelope == "[" {
		return "input ends inside its top-level array (truncated)"
	}
	return "input ends inside its " + strconv.Quote(e.Envelope) + " array (truncated)"
}

// Record is a record a Reader found.
type Record struct {
	// Raw is the record's text. It is valid until the next call to Next.
	Raw []byte
	// Envelope is the member name of the envelope array the record is an element of
	// ("Records"), "[" for an element of a top-level array, "" for a top-level value.
	Envelope string
	// Err, when not nil, is why Raw is not a whole value: the record is longer than the
	// limit (Raw then holds its first bytes), the input ends inside it, it does not start
	// like a JSON object or array, or it breaks its envelope array. A record with a nil Err
	// may still be invalid JSON, which a Decoder reports.
	Err error
}

// Reader splits a stream of JSON into records, holding at most one record (and a read
// buffer) in memory. Top-level values may be separated by whitespace or nothing (NDJSON,
// concatenated or pretty-printed values); a line may start with the RFC 3339 timestamp that
// CloudWatch Logs exports put before each message; a top-level array is read element by
// element, and so is the array of a top-level object whose first member is named by one of
// the envelopes (e.g. "Records": the other members of that object are read and ignored).
type Reader struct {
	src       io.Reader
	buf       []byte
	r, w      int // buf[r:w] is read but not consumed
	eof       bool
	rerr      error
	max       int
	envelopes []string
	long      []byte // the first max bytes of the record being skipped for its length
	dec       Decoder

	state int    // stTop, stArray or stEnvelopeRest
	env   string // envelope of the array being read
	first bool   // the next element is the array's first
	start bool   // nothing read yet (a byte-order mark may come)
}

const (
	stTop = iota
	stArray
	stEnvelopeRest // after the envelope array, inside its object
)

// NewReader returns a Reader of r whose records are at most maxRecord bytes
// (DefaultMaxRecordBytes if maxRecord <= 0).
func NewReader(r io.Reader, maxRecord int, envelopes ...string) *Reader {
	if maxRecord <= 0 {
		maxRecord = DefaultMaxRecordBytes
	}
	return &Reader{src: r, max: maxRecord, envelopes: envelopes, start: true,
		buf: make([]byte, min(readSize, maxRecord+64))}
}

// Next returns the next record, read by parse (validated by a Decoder when parse is nil). At
// the end of input it returns io.EOF; when the input ends inside an envelope array it returns
// an *UnterminatedError; a read error of the source is returned as is. Problems of a record
// itself are in Record.Err: parse's error for a record it rejects (whose extent is then found
// by its strings and brackets only), or one of the Reader's own.
func (rd *Reader) Next(parse ParseFunc) (Record, error) {
	if rd.start {
		rd.start = false
		rd.fill(3)
		if bytes.HasPrefix(rd.buf[rd.r:rd.w], []byte("\xef\xbb\xbf")) {
			rd.r += 3
		}
	}
	for {
		switch rd.state {
		case stArray:
			c, ok := rd.nextNonSpace()
			if !ok {
				return Record{}, rd.endErr(&UnterminatedError{rd.env})
			}
			if c == ']' {
				rd.r++
				if rd.env == "[" {
					rd.state = stTop
				} else {
					rd.state = stEnvelopeRest
				}
				continue
			}
			if !rd.first {
				if c != ',' {
					rd.state = stTop
					return rd.restOfLine(rd.env, &FramingError{"expected ',' or ']' after an element of the " +
						envName(rd.env) + ", found " + quoteByte(c)}), nil
				}
				rd.r++
				if c, ok = rd.nextNonSpace(); !ok {
					return Record{}, rd.endErr(&UnterminatedError{rd.env})
				}
			}
			rd.first = false
			if kindOf[c] == Invalid {
				rd.state = stTop
				return rd.restOfLine(rd.env, &FramingError{"unexpected " + quoteByte(c) + " in the " + envName(rd.env)}), nil
			}
			return rd.value(rd.env, parse), nil

		case stEnvelopeRest:
			c, ok := rd.nextNonSpace()
			if !ok {
				return Record{}, rd.endErr(&UnterminatedError{rd.env})
			}
			switch c {
			case '}':
				rd.r++
				rd.state = stTop
			case ',':
				// Another member of the envelope: its name, a colon and a value, ignored.
				rd.r++
				if _, ok = rd.nextNonSpace(); ok && rd.value("", nil).Err == nil {
					if c, ok = rd.nextNonSpace(); ok && c == ':' {
						rd.r++
						if _, ok = rd.nextNonSpace(); ok {
							rd.value("", nil)
						}
					}
				}
			default:
				rd.state = stTop
				return rd.restOfLine("", &FramingError{"expected ',' or '}' after the " + envName(rd.env) +
					", found " + quoteByte(c)}), nil
			}

		default:
			c, ok := rd.nextNonSpace()
			if !ok {
				return Record{}, rd.endErr(io.EOF)
			}
			if c >= '0' && c <= '9' {
				if n := rd.timestampPrefix(); n > 0 {
					rd.r += n
					continue
				}
			}
			switch c {
			case '[':
				rd.r++
				rd.state, rd.env, rd.first = stArray, "[", true
				continue
			case '{':
				if env, n := rd.envelope(); n > 0 {
					rd.r += n
					rd.state, rd.env, rd.first = stArray, env, true
					continue
				}
				return rd.value("", parse), nil
			}
			return rd.restOfLine("", ErrNotJSON), nil
		}
	}
}

func envName(env string) string {
	if env == "[" {
		return "top-level array"
	}
	return strconv.Quote(env) + " array"
}

// endErr is the error to return when the input ends: the source's read error if there was
// one, else err.
func (rd *Reader) endErr(err error) error {
	if rd.rerr != nil {
		return rd.rerr
	}
	return err
}

// fill makes at least n bytes available in buf[r:w], reading as needed; it reports false
// when the input ends (or fails) first.
func (rd *Reader) fill(n int) bool {
	for rd.w-rd.r < n {
		if rd.eof || rd.rerr != nil {
			return false
		}
		if len(rd.buf)-rd.w < readSize/4 || len(rd.buf)-rd.r < n {
			if rd.r > 0 {
				rd.w = copy(rd.buf, rd.buf[rd.r:rd.w])
				rd.r = 0
			}
			if len(rd.buf)-rd.w < readSize/4 || len(rd.buf) < n {
				nb := make([]byte, max(2*len(rd.buf), n+readSize))
				rd.w = copy(nb, rd.buf[:rd.w])
				rd.buf = nb
			}
		}
		m, err := rd.src.Read(rd.buf[rd.w:])
		rd.w += m
		if err == io.EOF {
			rd.eof = true
		} else if err != nil {
			rd.rerr = err
		}
	}
	return true
}

// nextNonSpace consumes whitespace and returns the next byte, not consuming it.
func (rd *Reader) nextNonSpace() (byte, bool) {
	for {
		for rd.r < rd.w {
			switch c := rd.buf[rd.r]; c {
			case ' ', '\t', '\n', '\r':
				rd.r++
			default:
				return c, true
			}
		}
		if !rd.fill(1) {
			return 0, false
		}
	}
}

// envelope reports whether the object at r starts with a member named by one of the
// envelopes whose value is an array, and how many bytes lead to the array's first element.
func (rd *Reader) envelope() (env string, n int) {
	if len(rd.envelopes) == 0 {
		return "", 0
	}
	rd.fill(1024)
	b := rd.buf[rd.r:rd.w]
	i := skipSpace(b, 1)
	if i >= len(b) || b[i] != '"' {
		return "", 0
	}
	j := bytes.IndexByte(b[i+1:], '"')
	if j < 0 {
		return "", 0
	}
	key := b[i+1 : i+1+j]
	i = skipSpace(b, i+2+j)
	if i >= len(b) || b[i] != ':' {
		return "", 0
	}
	i = skipSpace(b, i+1)
	if i >= len(b) || b[i] != '[' {
		return "", 0
	}
	for _, e := range rd.envelopes {
		if string(key) == e {
			return e, i + 1
		}
	}
	return "", 0
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// timestampPrefix returns the length of the RFC 3339 timestamp and space that start the line
// at r (as CloudWatch Logs exports write them before each message), or 0.
func (rd *Reader) timestampPrefix() int {
	rd.fill(48)
	b := rd.buf[rd.r:rd.w]
	sp := bytes.IndexByte(b[:min(len(b), 40)], ' ')
	if sp < len("2006-01-02T15:04:05Z") || b[4] != '-' || b[10] != 'T' {
		return 0
	}
	if _, err := time.Parse(time.RFC3339Nano, string(b[:sp])); err != nil {
		return 0
	}
	return sp + 1
}

// restOfLine consumes the rest of the line at r (without its newline) as a record with err.
// A line longer than the limit is cut, the rest of it skipped.
func (rd *Reader) restOfLine(env string, err error) Record {
	for {
		if i := bytes.IndexByte(rd.buf[rd.r:rd.w], '\n'); i >= 0 {
			raw := rd.buf[rd.r : rd.r+i]
			rd.r += i + 1
			if rd.long != nil {
				raw = rd.long
				rd.long = nil
			}
			return Record{Raw: raw[:min(len(raw), rd.max)], Envelope: env, Err: err}
		}
		if rd.w-rd.r >= rd.max && rd.long == nil {
			rd.long = append(make([]byte, 0, rd.max), rd.buf[rd.r:rd.r+rd.max]...)
		}
		if rd.long != nil {
			rd.r = rd.w
		}
		if !rd.fill(rd.w - rd.r + 1) {
			raw := rd.buf[rd.r:rd.w]
			rd.r = rd.w
			if rd.long != nil {
				raw = rd.long
				rd.long = nil
			}
			return Record{Raw: raw[:min(len(raw), rd.max)], Envelope: env, Err: err}
		}
	}
}

// ParseFunc reads one JSON value from the start of view and returns its length. view holds
// the buffered input from the value's first byte on and may end before the value does: the
// function must then fail with a *SyntaxError at an offset of len(view) or more (a Decoder
// does), and is called again with a longer view. view is only valid during the call: it
// shares the Reader's buffer, so the function must keep offsets into it, never substrings.
type ParseFunc func(view string) (n int, err error)

// value reads the JSON value at r, which starts with a byte that can start one, with parse
// (a validating Decoder when nil). A value parse rejects is framed leniently (by its strings
// and brackets) to find where it ends, and returned with the error.
func (rd *Reader) value(env string, parse ParseFunc) Record {
	if parse == nil {
		parse = rd.skip
	}
	for {
		view := unsafe.String(&rd.buf[rd.r], rd.w-rd.r)
		n, err := parse(view)
		if err == nil {
			raw := rd.buf[rd.r : rd.r+n]
			rd.r += n
			if n > rd.max {
				return Record{Raw: raw[:rd.max], Envelope: env, Err: &TooLongError{rd.max}}
			}
			return Record{Raw: raw, Envelope: env}
		}
		var se *SyntaxError
		isSyntax := errors.As(err, &se)
		if isSyntax && se.Offset >= len(view) { // the view ends inside the value
			switch {
			case len(view) > rd.max:
				err = &TooLongError{rd.max}
			case rd.fill(len(view) + 1):
				continue
			default:
				err = ErrTruncated
			}
		} else if isSyntax && env == "" && se.Offset >= 0 && strings.IndexByte(view[:se.Offset], '\n') < 0 {
			// A top-level record broken on its first line: take the input as lines (NDJSON)
			// and resume at the next one, rather than follow its broken strings further.
			return rd.restOfLine(env, err)
		}
		return rd.frame(env, err)
	}
}

// skip is the ParseFunc of a Reader given none: it validates the value.
func (rd *Reader) skip(view string) (int, error) {
	rd.dec.Reset(view)
	number := rd.dec.Peek() == Number
	rd.dec.Skip()
	n := rd.dec.Offset()
	if number && n == len(view) && rd.dec.Err() == nil && !rd.eof {
		// More digits may follow.
		return 0, &SyntaxError{Offset: n, Msg: "unexpected end of input in a number"}
	}
	return n, rd.dec.Err()
}

// frame consumes the value at r, finding its end by its strings and brackets only, and
// returns it as a record with err. A value longer than the limit is cut, the rest of it
// skipped, and its error is then a *TooLongError.
func (rd *Reader) frame(env string, err error) Record {
	var sc scanState
	off := 0 // bytes of the value scanned, from r
	for {
		n, done := sc.scan(rd.buf[rd.r+off : rd.w])
		off += n
		if done {
			raw := rd.buf[rd.r : rd.r+off]
			rd.r += off
			if rd.long != nil {
				raw, rd.long = rd.long, nil
				err = &TooLongError{rd.max}
			} else if off > rd.max {
				raw, err = raw[:rd.max], &TooLongError{rd.max}
			}
			return Record{Raw: raw, Envelope: env, Err: err}
		}
		if rd.long == nil && off > rd.max {
			rd.long = append(make([]byte, 0, rd.max), rd.buf[rd.r:rd.r+rd.max]...)
		}
		if rd.long != nil { // skipping: keep nothing of it buffered
			rd.r += off
			off = 0
		}
		if !rd.fill(off + 1) {
			raw := rd.buf[rd.r:rd.w]
			rd.r = rd.w
			if rd.long != nil {
				raw, rd.long = rd.long, nil
				err = &TooLongError{rd.max}
			}
			return Record{Raw: raw[:min(len(raw), rd.max)], Envelope: env, Err: err}
		}
	}
}

// scanState finds the end of a JSON value as its bytes arrive. It follows strings and the
// nesting of objects and arrays only: a Decoder validates the rest.
type scanState struct {
	depth   int
	started bool
	inStr   bool
	esc     bool
	scalar  *[256]bool // for a number or literal: the bytes that continue it
}

// numberByte and literalByte are the bytes that continue a number and a literal.
var (
	numberByte  = byteSet("0123456789+-.eE")
	literalByte = byteSet("abcdefghijklmnopqrstuvwxyz")
)

func byteSet(s string) *[256]bool {
	var t [256]bool
	for i := range len(s) {
		t[s[i]] = true
	}
	return &t
}

// scan consumes bytes of b and reports how many, and whether the value ended (at n).
func (sc *scanState) scan(b []byte) (n int, done bool) {
	i := 0
	if !sc.started && len(b) > 0 {
		sc.started = true
		switch c := b[0]; {
		case c == '{', c == '[', c == '"':
		case c == '-' || c >= '0' && c <= '9':
			sc.scalar = numberByte
		default:
			sc.scalar = literalByte
		}
	}
	if sc.scalar != nil {
		// A number or literal ends at the first byte that cannot continue it, as a Decoder
		// reads it.
		for ; i < len(b); i++ {
			if !sc.scalar[b[i]] {
				return i, true
			}
		}
		return i, false
	}
	for i < len(b) {
		if sc.inStr {
			if sc.esc {
				sc.esc = false
				i++
				continue
			}
			if i = indexQuoteOrSlash(b, i); i == len(b) {
				return i, false
			}
			if b[i] == '\\' {
				sc.esc = true
				i++
				continue
			}
			i++
			sc.inStr = false
			if sc.depth == 0 {
				return i, true
			}
			continue
		}
		if i = indexStructural(b, i); i == len(b) {
			return i, false
		}
		c := b[i]
		i++
		switch c {
		case '"':
			sc.inStr = true
		case '{', '[':
			sc.depth++
		default: // '}', ']'
			if sc.depth--; sc.depth <= 0 {
				return i, true
			}
		}
	}
	return i, false
}

// zeroBytes has the high bit of the lowest zero byte of v set (and maybe of bytes above it).
func zeroBytes(v uint64) uint64 { return (v - ones) &^ v & highs }

// indexQuoteOrSlash returns the index of the first '"' or '\\' in b at or after i, or len(b).
func indexQuoteOrSlash(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		if m := zeroBytes(x^quotes) | zeroBytes(x^slashs); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(b); i++ {
		if b[i] == '"' || b[i] == '\\' {
			return i
		}
	}
	return i
}

// indexStructural returns the index of the first '"', '{', '}', '[' or ']' in b at or after
// i, or len(b).
func indexStructural(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		y := x | lower
		if m := zeroBytes(x^quotes) | zeroBytes(y^opens) | zeroBytes(y^closes); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(b); i++ {
		switch b[i] {
		case '"', '{', '}', '[', ']':
			return i
		}
	}
	return i
}
