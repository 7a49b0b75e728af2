// Package intel holds threat-intelligence indicators (IP addresses and CIDR blocks) in an
// immutable Set built for the detection hot path: Lookup is called for the external addresses
// of every flow and allocates nothing.
//
// Indicators are read by a Format. This package ships PlainText, the format of GuardDuty's
// plain-text ThreatIntelSet (one IP or CIDR per line, # comments); other feeds (STIX 2, OTX
// CSV, FireEye iSIGHT, Proofpoint ET) are further Format implementations that produce the
// same Entry values, so the Set and its callers do not change when they are added. Domain
// indicators, which those feeds also carry, will need their own field in Entry and their own
// lookup beside Lookup; address lookups stay as they are.
package intel

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
)

// Entry is one indicator: an address block with where it came from.
type Entry struct {
	// Prefix is the indicator's block, masked; a single address is a /32 or /128. IPv4
	// indicators are always IPv4 prefixes, never IPv4-mapped IPv6.
	Prefix netip.Prefix
	// Source names the file or feed the indicator was read from.
	Source string
	// Line is the 1-based line (or record) number of the indicator in Source.
	Line int
	// Label is free text attached to the indicator (for PlainText, a trailing # comment), or "".
	Label string
}

// String renders the entry as "prefix (source:line label)".
func (e Entry) String() string {
	s := fmt.Sprintf("%s (%s:%d", e.Prefix, e.Source, e.Line)
	if e.Label != "" {
		s += " " + e.Label
	}
	return s + ")"
}

// ParseError is a record of an indicator file that could not be used. Loading goes on past it:
// callers report it as a warning.
type ParseError struct {
	Source string // file or feed name
	Line   int    // 1-based line number
	Text   string // the offending line, trimmed and shortened to at most 80 bytes
	Err    error  // what is wrong with it
}

// Error implements error as "source:line: reason: text".
func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d: %v: %q", e.Source, e.Line, e.Err, e.Text)
}

// Unwrap returns the reason.
func (e *ParseError) Unwrap() error { return e.Err }

// ErrNoEntries is returned (wrapped) when an indicator file holds no valid entry.
var ErrNoEntries = errors.New("no valid indicator")

// Format reads one indicator file format.
type Format interface {
	// Name is the format's name on the command line.
	Name() string
	// Parse reads every record of r, named name in entries and errors. It returns the valid
	// entries, one ParseError per unusable record, and an error only when r cannot be read.
	Parse(name string, r io.Reader) ([]Entry, []ParseError, error)
}

// Load reads a GuardDuty plain-text ThreatIntelSet (see PlainText) named name from r. It
// returns the set, the lines it skipped as unusable, and an error when r cannot be read or
// holds no valid entry.
func Load(name string, r io.Reader) (*Set, []ParseError, error) {
	return LoadFormat(PlainText{}, name, r)
}

// LoadFormat is Load for any Format.
func LoadFormat(f Format, name string, r io.Reader) (*Set, []ParseError, error) {
	entries, perrs, err := f.Parse(name, r)
	if err != nil {
		return nil, perrs, fmt.Errorf("read %s intel %s: %w", f.Name(), name, err)
	}
	if len(entries) == 0 {
		return nil, perrs, fmt.Errorf("%s intel %s: %w (%d unusable lines)", f.Name(), name, ErrNoEntries, len(perrs))
	}
	return New(entries), perrs, nil
}
