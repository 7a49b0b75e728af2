package intel

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
)

// MaxLineBytes is the longest line PlainText accepts; longer lines are reported as errors and
// skipped without being buffered whole.
const MaxLineBytes = 4096

// Reasons a PlainText line is refused (wrapped in ParseError.Err).
var (
	ErrBadAddress   = errors.New("not an IP address or CIDR block")
	ErrZone         = errors.New("IPv6 zone not allowed")
	ErrEverything   = errors.New("/0 block matches every address")
	ErrTrailingText = errors.New("unexpected text after the indicator (comments start with #)")
	ErrLineTooLong  = fmt.Errorf("line longer than %d bytes", MaxLineBytes)
)

// PlainText is GuardDuty's plain-text ThreatIntelSet format: one IPv4 or IPv6 address, CIDR
// block or domain name per line (GuardDuty entity lists add domains, "*.example.org" for the
// names below example.org); blank lines and lines starting with # are ignored; leading and
// trailing white space is ignored. As an extension, text after a # that follows the indicator
// becomes the entry's Label ("203.0.113.7  # botnet C2"). A CIDR block with host bits set is
// masked ("10.1.2.3/8" is 10.0.0.0/8); IPv4-mapped IPv6 addresses are read as IPv4; domain
// names are lower-cased and lose a trailing dot.
type PlainText struct{}

// Name returns "txt", GuardDuty's name for the format.
func (PlainText) Name() string { return "txt" }

// Parse implements Format.
func (PlainText) Parse(name string, r io.Reader) ([]Entry, []ParseError, error) {
	br := bufio.NewReaderSize(r, 64*1024)
	var (
		entries []Entry
		perrs   []ParseError
		lineNo  int
	)
	for {
		line, tooLong, err := readLine(br)
		if err == io.EOF && line == nil && !tooLong {
			return entries, perrs, nil
		}
		if err != nil && err != io.EOF {
			return entries, perrs, fmt.Errorf("line %d: %w", lineNo+1, err)
		}
		lineNo++
		if lineNo == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf")) // UTF-8 byte order mark
		}
		if tooLong {
			perrs = append(perrs, ParseError{Source: name, Line: lineNo, Text: shorten(line), Err: ErrLineTooLong})
		} else if e, perr, ok := parseLine(line); perr != nil {
			perr.Source, perr.Line = name, lineNo
			perrs = append(perrs, *perr)
		} else if ok {
			e.Source, e.Line = name, lineNo
			entries = append(entries, e)
		}
		if err == io.EOF {
			return entries, perrs, nil
		}
	}
}

// readLine returns the next line without its end of line. When the line is longer than
// MaxLineBytes it returns its first MaxLineBytes bytes, tooLong true, and consumes the rest.
// At the end of input it returns io.EOF, with the last line if it had no newline.
func readLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		frag, isPrefix, err := br.ReadLine()
		if err != nil {
			if err == io.EOF && (buf != nil || tooLong) {
				return buf, tooLong, io.EOF
			}
			return nil, false, err
		}
		if !tooLong {
			if len(buf)+len(frag) > MaxLineBytes {
				buf = append(buf, frag[:MaxLineBytes-len(buf)]...)
				tooLong = true
			} else {
				buf = append(buf, frag...)
			}
		}
		if !isPrefix {
			if buf == nil {
				buf = []byte{}
			}
			return buf, tooLong, nil
		}
	}
}

// parseLine parses one line. ok is false for a blank or comment line; perr is non-nil for an
// unusable line.
func parseLine(raw []byte) (e Entry, perr *ParseError, ok bool) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s[0] == '#' {
		return Entry{}, nil, false
	}
	value, label := s, ""
	if i := strings.IndexByte(s, '#'); i >= 0 {
		value, label = strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:])
	}
	fail := func(err error) (Entry, *ParseError, bool) {
		return Entry{}, &ParseError{Text: shorten([]byte(s)), Err: err}, false
	}
	if i := strings.IndexAny(value, " \t"); i >= 0 {
		if _, err := parseIndicator(value[:i]); err == nil {
			return fail(ErrTrailingText)
		}
		return fail(ErrBadAddress)
	}
	e, err := parseIndicator(value)
	if err != nil {
		return fail(err)
	}
	e.Label = label
	return e, nil, true
}

// parsePrefix parses an address or CIDR block into a masked prefix, IPv4 as IPv4.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.IndexByte(s, '%') >= 0 {
		return netip.Prefix{}, ErrZone
	}
	var p netip.Prefix
	if strings.IndexByte(s, '/') >= 0 {
		pp, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, ErrBadAddress
		}
		p = pp
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, ErrBadAddress
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	a, bits := p.Addr(), p.Bits()
	if a.Is4In6() {
		if bits < 96 {
			// A block wider than the mapped range: keep it as IPv6 (it then never matches an
			// IPv4 flow, which is what an IPv6 block means).
			return p.Masked(), nil
		}
		a, bits = a.Unmap(), bits-96
	}
	if bits == 0 {
		return netip.Prefix{}, ErrEverything
	}
	return netip.PrefixFrom(a, bits).Masked(), nil
}

// shorten returns b trimmed and cut to at most 80 bytes, for messages.
func shorten(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > 80 {
		return string(b[:77]) + "..."
	}
	return string(b)
}
