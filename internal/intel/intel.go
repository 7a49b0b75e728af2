// Package intel holds threat-intelligence indicators — IP addresses, CIDR blocks and domain
// names — in an immutable Set built for the detection hot path: Lookup is called for the
// external addresses of every flow and LookupDomain for every DNS query, and neither
// allocates.
//
// Indicators are read by a Format, one per GuardDuty ThreatIntelSet format: PlainText (TXT),
// STIX (STIX 2.x JSON bundles and STIX 1.x XML packages), OTXCSV (OTX_CSV), FireEye
// (FIRE_EYE, iSIGHT CSV), ProofPoint (PROOF_POINT, ET Intelligence CSV) and AlienVault
// (ALIEN_VAULT, reputation data). Load detects the format by content; LoadFormat takes it
// explicitly. Every format produces the same Entry values, so the Set and its callers do not
// depend on where an indicator came from — only Entry.Source and Entry.Line say so.
//
// Domain indicators match names exactly ("evil.example" matches only "evil.example"); an
// indicator "*.evil.example" matches every name below evil.example (at any depth) but not
// evil.example itself, as in GuardDuty entity lists. List both to cover both.
package intel

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"
)

// Entry is one indicator — an address block or a domain name — with where it came from.
type Entry struct {
	// Prefix is the indicator's block, masked; a single address is a /32 or /128. IPv4
	// indicators are always IPv4 prefixes, never IPv4-mapped IPv6. It is the zero Prefix for
	// a domain indicator.
	Prefix netip.Prefix
	// Domain is a domain indicator, lower-case without a trailing dot: a name, or "*.name"
	// for every name below name. It is "" for an address indicator.
	Domain string
	// Source names the file or feed the indicator was read from.
	Source string
	// Line is the 1-based line (or record) number of the indicator in Source.
	Line int
	// Label is free text attached to the indicator (a trailing # comment, a description, a
	// STIX indicator's name), or "".
	Label string
	// ValidFrom and ValidUntil bound when the indicator applies (STIX valid_from and
	// valid_until); the zero time means unbounded. Loaders drop indicators that are not valid
	// when they load (see Options.Now).
	ValidFrom, ValidUntil time.Time
}

// IsDomain reports whether e is a domain indicator.
func (e Entry) IsDomain() bool { return e.Domain != "" }

// Indicator returns the indicator itself: the prefix or the domain.
func (e Entry) Indicator() string {
	if e.Domain != "" {
		return e.Domain
	}
	return e.Prefix.String()
}

// String renders the entry as "indicator (source:line label)".
func (e Entry) String() string {
	s := fmt.Sprintf("%s (%s:%d", e.Indicator(), e.Source, e.Line)
	if e.Label != "" {
		s += " " + e.Label
	}
	return s + ")"
}

// ValidAt reports whether t lies within the entry's validity (ValidFrom inclusive, ValidUntil
// exclusive).
func (e Entry) ValidAt(t time.Time) bool {
	return (e.ValidFrom.IsZero() || !t.Before(e.ValidFrom)) && (e.ValidUntil.IsZero() || t.Before(e.ValidUntil))
}

// ParseError is a record of an indicator file that could not be used. Loading goes on past it:
// callers report it as a warning.
type ParseError struct {
	Source string // file or feed name
	Line   int    // 1-based line number
	Text   string // the offending text, trimmed and shortened to at most 80 bytes
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

// Reasons for dropping indicators that are valid but not now (ParseError.Err).
var (
	ErrExpired     = errors.New("indicator expired (valid_until passed)")
	ErrNotYetValid = errors.New("indicator not valid yet (valid_from in the future)")
)

// MaxFileBytes is the largest file the structured formats (all but PlainText, which streams)
// read; GuardDuty's own limit is 35 MB.
const MaxFileBytes = 64 << 20

// ErrTooLarge is returned (wrapped) for a structured file larger than MaxFileBytes.
var ErrTooLarge = fmt.Errorf("file larger than %d MiB", MaxFileBytes>>20)

// Format reads one indicator file format.
type Format interface {
	// Name is the format's name on the command line (GuardDuty's name, lower-case).
	Name() string
	// Parse reads every record of r, named name in entries and errors. It returns the valid
	// entries (whatever their validity period), one ParseError per unusable record, and an
	// error only when r cannot be read.
	Parse(name string, r io.Reader) ([]Entry, []ParseError, error)
}

// Options adjust loading.
type Options struct {
	// Format is the file's format; nil detects it from the content (see Detect).
	Format Format
	// Now is the time indicator validity is checked against; the zero time means time.Now().
	Now time.Time
}

// Load reads a threat-intel file named name from r, in the format its content shows (see
// Detect; a GuardDuty plain-text ThreatIntelSet unless the content says otherwise). It returns
// the set, the records it skipped as unusable or not valid now, and an error when r cannot be
// read or holds no valid entry.
func Load(name string, r io.Reader) (*Set, []ParseError, error) {
	return LoadWith(name, r, Options{})
}

// LoadFormat is Load for a given Format.
func LoadFormat(f Format, name string, r io.Reader) (*Set, []ParseError, error) {
	return LoadWith(name, r, Options{Format: f})
}

// LoadWith is Load with options.
func LoadWith(name string, r io.Reader, o Options) (*Set, []ParseError, error) {
	f := o.Format
	if f == nil {
		br := bufio.NewReaderSize(r, detectBytes)
		head, err := br.Peek(detectBytes)
		if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
			return nil, nil, fmt.Errorf("read intel %s: %w", name, err)
		}
		f, r = Detect(head), br
	}
	entries, perrs, err := f.Parse(name, r)
	if err != nil {
		return nil, perrs, fmt.Errorf("read %s intel %s: %w", f.Name(), name, err)
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	valid := entries[:0]
	for _, e := range entries {
		switch {
		case !e.ValidUntil.IsZero() && !now.Before(e.ValidUntil):
			perrs = append(perrs, ParseError{Source: e.Source, Line: e.Line, Text: e.Indicator(),
				Err: fmt.Errorf("%w on %s", ErrExpired, e.ValidUntil.UTC().Format(time.RFC3339))})
		case !e.ValidFrom.IsZero() && now.Before(e.ValidFrom):
			perrs = append(perrs, ParseError{Source: e.Source, Line: e.Line, Text: e.Indicator(),
				Err: fmt.Errorf("%w: %s", ErrNotYetValid, e.ValidFrom.UTC().Format(time.RFC3339))})
		default:
			valid = append(valid, e)
		}
	}
	if len(valid) == 0 {
		return nil, perrs, fmt.Errorf("%s intel %s: %w (%d unusable records)", f.Name(), name, ErrNoEntries, len(perrs))
	}
	sortErrors(perrs)
	return New(valid), perrs, nil
}

// LoadFile loads the threat-intel file a command-line argument names: "PATH" (format detected
// from the content) or "FORMAT:PATH" with FORMAT one of FormatNames ("stix:feed.json",
// "otx_csv:pulses.csv"). The source name of its entries is PATH.
func LoadFile(spec string, o Options) (*Set, []ParseError, error) {
	f, path := SplitSpec(spec)
	if f != nil {
		o.Format = f
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer fh.Close()
	return LoadWith(path, fh, o)
}

// SplitSpec splits a "FORMAT:PATH" argument. When the part before the first colon is not a
// format name, the whole argument is the path and the format is nil.
func SplitSpec(spec string) (Format, string) {
	if i := strings.IndexByte(spec, ':'); i > 0 {
		if f, err := FormatByName(spec[:i]); err == nil {
			return f, spec[i+1:]
		}
	}
	return nil, spec
}

// sortErrors orders parse errors by line (formats report them in file order already; the
// validity checks above append theirs at the end).
func sortErrors(perrs []ParseError) {
	slices.SortStableFunc(perrs, func(a, b ParseError) int { return cmp.Compare(a.Line, b.Line) })
}
