package intel

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// detectBytes is how much of a file Detect looks at.
const detectBytes = 64 << 10

// formats lists every Format, PlainText first. Never modified.
var formats = [...]Format{PlainText{}, STIX{}, OTXCSV{}, FireEye{}, ProofPoint{}, AlienVault{}}

// FormatNames returns the names of the formats, as FormatByName and the command line take
// them: GuardDuty's ThreatIntelSet format names, lower-case.
func FormatNames() []string {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = f.Name()
	}
	return names
}

// FormatByName returns the format named name: one of FormatNames, ignoring case, '-' and '_'
// ("OTX_CSV", "otx-csv", "otxcsv"), or a common alias ("plain", "text", "otx", "stix2").
func FormatByName(name string) (Format, error) {
	n := strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(strings.TrimSpace(name)))
	switch n {
	case "txt", "plain", "plaintext", "text":
		return PlainText{}, nil
	case "stix", "stix1", "stix2":
		return STIX{}, nil
	case "otxcsv", "otx":
		return OTXCSV{}, nil
	case "fireeye", "isight":
		return FireEye{}, nil
	case "proofpoint", "et":
		return ProofPoint{}, nil
	case "alienvault":
		return AlienVault{}, nil
	}
	return nil, fmt.Errorf("unknown threat-intel format %q (valid: %s)", name, strings.Join(FormatNames(), ", "))
}

// Detect returns the format of a file from its first bytes: STIX for JSON ('{' or '[') and
// XML ('<'); OTXCSV, FireEye or ProofPoint for their CSV header rows (and ProofPoint for its
// header-less rows); AlienVault for its '#'-separated records; PlainText otherwise.
func Detect(head []byte) Format {
	h := bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	t := bytes.TrimLeft(h, " \t\r\n")
	if len(t) > 0 && (t[0] == '{' || t[0] == '[' || t[0] == '<') {
		return STIX{}
	}
	// The first line that is neither blank nor a # comment.
	var line []byte
	for len(t) > 0 {
		var rest []byte
		line, rest, _ = bytes.Cut(t, []byte("\n"))
		line = bytes.TrimSpace(line)
		if len(line) > 0 && line[0] != '#' {
			break
		}
		line, t = nil, rest
	}
	if line == nil {
		return PlainText{}
	}
	fields := strings.Split(strings.ToLower(string(line)), ",")
	for i, f := range fields {
		fields[i] = strings.Trim(strings.TrimSpace(f), `"`)
	}
	switch {
	case len(fields) >= 2 && fields[0] == "indicator type" && fields[1] == "indicator":
		return OTXCSV{}
	case fields[0] == "reportid" && (hasField(fields, "ip") || hasField(fields, "cidr") || hasField(fields, "domain")):
		return FireEye{}
	case len(fields) >= 3 && (fields[0] == "ip" || fields[0] == "domain") && fields[1] == "category" && fields[2] == "score":
		return ProofPoint{}
	case len(fields) >= 5 && isDigits(fields[1]) && isDigits(fields[2]) && looksLikeDate(fields[3]):
		return ProofPoint{}
	case isAlienVaultRecord(string(line)):
		return AlienVault{}
	}
	return PlainText{}
}

func hasField(fields []string, name string) bool {
	for _, f := range fields {
		if f == name {
			return true
		}
	}
	return false
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

// looksLikeDate reports whether s starts like YYYY-MM-DD.
func looksLikeDate(s string) bool {
	return len(s) >= 10 && isDigits(s[:4]) && s[4] == '-' && isDigits(s[5:7]) && s[7] == '-' && isDigits(s[8:10])
}

// Reasons a record or value is refused, besides the PlainText ones (wrapped in
// ParseError.Err).
var (
	ErrBadDomain   = errors.New("not a valid domain name")
	ErrWholeTLD    = errors.New("wildcard covers a whole top-level domain")
	ErrUnsupported = errors.New("no IP address, CIDR block or domain name in this record (other indicator types are not used)")
	ErrBadRecord   = errors.New("malformed record")
	ErrBadTime     = errors.New("not an RFC 3339 time")
)

// parseIndicator parses an IP address, a CIDR block or a domain name.
func parseIndicator(s string) (Entry, error) {
	s = strings.TrimSpace(s)
	if looksLikeAddress(s) {
		p, err := parsePrefix(s)
		if err != nil {
			return Entry{}, err
		}
		return Entry{Prefix: p}, nil
	}
	d, err := parseDomain(s)
	if err != nil {
		return Entry{}, err
	}
	return Entry{Domain: d}, nil
}

// looksLikeAddress reports whether s is meant as an address or block: it has a ':' or a '/',
// or only digits and dots.
func looksLikeAddress(s string) bool {
	if strings.ContainsAny(s, ":/%") {
		return true
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '.' && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// parseDomain parses a domain indicator: a name of at least two labels whose last label is not
// numeric, optionally preceded by "*." for every name below it.
func parseDomain(s string) (string, error) {
	wild := strings.HasPrefix(s, "*.")
	name := strings.TrimPrefix(s, "*.")
	if strings.IndexByte(name, '*') >= 0 {
		return "", ErrBadDomain
	}
	n, err := normalizeName(name)
	if err != nil {
		return "", err
	}
	dot := strings.LastIndexByte(n, '.')
	if dot < 0 {
		if wild {
			return "", ErrWholeTLD
		}
		return "", ErrBadAddress // a single word: neither an address nor a domain
	}
	if tld := n[dot+1:]; isDigits(tld) {
		return "", ErrBadAddress
	}
	if wild {
		return "*." + n, nil
	}
	return n, nil
}

// readAllLimited reads r whole, up to MaxFileBytes.
func readAllLimited(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileBytes {
		return nil, ErrTooLarge
	}
	return bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), nil
}

// csvRecords calls fn for every record of a comma-separated file, with its 1-based line
// number and fields trimmed of surrounding space. Records the CSV reader refuses become
// ParseErrors. It stops at the end of data.
func csvRecords(name string, data []byte, perrs *[]ParseError, fn func(line int, fields []string)) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			*perrs = append(*perrs, ParseError{Source: name, Line: line, Text: "", Err: fmt.Errorf("%w: %v", ErrBadRecord, err)})
			if pe == nil {
				return
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		fn(line, rec)
	}
}

// recordText renders a record for a ParseError.
func recordText(fields []string) string {
	return shorten([]byte(strings.Join(fields, ",")))
}
