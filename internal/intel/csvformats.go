package intel

import (
	"fmt"
	"io"
	"strings"

	"github.com/mcpwatch/mcpwatch/internal/catalogue/dnsname"
)

// normalizeName validates and lower-cases a domain name.
func normalizeName(s string) (string, error) {
	n, err := dnsname.Normalize(s)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadDomain, err)
	}
	return n, nil
}

// OTXCSV is AlienVault Open Threat Exchange's CSV export, GuardDuty's OTX_CSV: a header row
// "Indicator type, Indicator, Description" and one indicator per row. Types IPv4, IPv6 and
// CIDR are addresses; domain, hostname and "Domain name" are domain names (read exactly, see
// the package documentation); other OTX types (URL, FileHash-*, email, ...) are reported as
// ErrUnsupported. The description becomes the Label. Without the header row, the columns are
// taken in that order.
type OTXCSV struct{}

// Name returns "otx_csv".
func (OTXCSV) Name() string { return "otx_csv" }

// Parse implements Format.
func (OTXCSV) Parse(name string, r io.Reader) ([]Entry, []ParseError, error) {
	data, err := readAllLimited(r)
	if err != nil {
		return nil, nil, err
	}
	var (
		entries []Entry
		perrs   []ParseError
		header  bool
	)
	colType, colValue, colDesc := 0, 1, 2
	csvRecords(name, data, &perrs, func(line int, f []string) {
		if !header {
			header = true
			if strings.EqualFold(f[0], "indicator type") {
				colType, colValue, colDesc = -1, -1, -1
				for i, h := range f {
					switch strings.ToLower(h) {
					case "indicator type":
						colType = i
					case "indicator":
						colValue = i
					case "description":
						colDesc = i
					}
				}
				if colType < 0 || colValue < 0 {
					perrs = append(perrs, ParseError{Source: name, Line: line, Text: recordText(f),
						Err: fmt.Errorf("%w: header without Indicator type and Indicator columns", ErrBadRecord)})
				}
				return
			}
		}
		if colType < 0 || colValue < 0 || len(f) <= colType || len(f) <= colValue {
			perrs = append(perrs, ParseError{Source: name, Line: line, Text: recordText(f),
				Err: fmt.Errorf("%w: no indicator type and value", ErrBadRecord)})
			return
		}
		typ, value := strings.ToLower(f[colType]), f[colValue]
		var (
			e   Entry
			err error
		)
		switch typ {
		case "ipv4", "ipv6", "cidr":
			if !looksLikeAddress(value) {
				err = ErrBadAddress
				break
			}
			e, err = parseIndicator(value)
		case "domain", "hostname", "domain name":
			if looksLikeAddress(value) {
				err = ErrBadDomain
				break
			}
			e, err = parseIndicator(value)
		default:
			err = fmt.Errorf("%w (type %s)", ErrUnsupported, f[colType])
		}
		if err != nil {
			perrs = append(perrs, ParseError{Source: name, Line: line, Text: shorten([]byte(value)), Err: err})
			return
		}
		e.Source, e.Line = name, line
		if colDesc >= 0 && colDesc < len(f) {
			e.Label = f[colDesc]
		}
		entries = append(entries, e)
	})
	return entries, perrs, nil
}

// FireEye is FireEye iSIGHT Threat Intelligence's CSV, GuardDuty's FIRE_EYE: a header row of
// 47 named columns (reportId, title, ..., cidr, domain, ..., ip, ..., malwareFamily, ...) and
// one report observation per row. The cidr, ip and domain columns of a row each give an
// indicator (a row may give up to three); the Label is the malware family or the title, with
// the report id.
type FireEye struct{}

// Name returns "fire_eye".
func (FireEye) Name() string { return "fire_eye" }

// Parse implements Format.
func (FireEye) Parse(name string, r io.Reader) ([]Entry, []ParseError, error) {
	data, err := readAllLimited(r)
	if err != nil {
		return nil, nil, err
	}
	var (
		entries []Entry
		perrs   []ParseError
		cols    map[string]int
		width   int
	)
	csvRecords(name, data, &perrs, func(line int, f []string) {
		if cols == nil {
			cols = make(map[string]int, len(f))
			for i, h := range f {
				cols[strings.ToLower(h)] = i
			}
			width = len(f)
			_, hasIP := cols["ip"]
			_, hasCIDR := cols["cidr"]
			_, hasDomain := cols["domain"]
			if !hasIP && !hasCIDR && !hasDomain {
				perrs = append(perrs, ParseError{Source: name, Line: line, Text: recordText(f),
					Err: fmt.Errorf("%w: header row without ip, cidr or domain column", ErrBadRecord)})
				cols = map[string]int{} // read nothing, but do not take a data row as the header
			}
			return
		}
		if len(cols) == 0 {
			return
		}
		if len(f) != width {
			perrs = append(perrs, ParseError{Source: name, Line: line, Text: recordText(f),
				Err: fmt.Errorf("%w: %d fields, the header has %d", ErrBadRecord, len(f), width)})
			return
		}
		get := func(col string) string {
			if i, ok := cols[col]; ok {
				return f[i]
			}
			return ""
		}
		label := get("malwarefamily")
		if label == "" {
			label = get("title")
		}
		if id := get("reportid"); id != "" {
			label = strings.TrimSpace(label + " (report " + id + ")")
		}
		found := false
		for _, col := range [...]string{"cidr", "ip", "domain"} {
			v := get(col)
			if v == "" {
				continue
			}
			found = true
			var (
				e   Entry
				err error
			)
			if col == "domain" && looksLikeAddress(v) {
				err = ErrBadDomain
			} else if col != "domain" && !looksLikeAddress(v) {
				err = ErrBadAddress
			} else {
				e, err = parseIndicator(v)
			}
			if err != nil {
				perrs = append(perrs, ParseError{Source: name, Line: line, Text: shorten([]byte(v)), Err: fmt.Errorf("%s: %w", col, err)})
				continue
			}
			e.Source, e.Line, e.Label = name, line, label
			entries = append(entries, e)
		}
		if !found {
			perrs = append(perrs, ParseError{Source: name, Line: line, Text: recordText(f), Err: ErrUnsupported})
		}
	})
	return entries, perrs, nil
}

// ProofPoint is Proofpoint Emerging Threats Intelligence's detailed reputation CSV,
// GuardDuty's PROOF_POINT: an optional header row "ip, category, score, first_seen,
// last_seen, ports (|)" (or "domain, ..."), then one indicator per row, an IP address or a
// domain name in the first column. The Label is "ET category C, score S".
type ProofPoint struct{}

// Name returns "proof_point".
func (ProofPoint) Name() string { return "proof_point" }

// Parse implements Format.
func (ProofPoint) Parse(name string, r io.Reader) ([]Entry, []ParseError, error) {
	data, err := readAllLimited(r)
	if err != nil {
		return nil, nil, err
	}
	var (
		entries []Entry
		perrs   []ParseError
		first   = true
	)
	csvRecords(name, data, &perrs, func(line int, f []string) {
		if first {
			first = false
			if h := strings.ToLower(f[0]); h == "ip" || h == "domain" {
				return
			}
		}
		if f[0] == "" {
			perrs = append(perrs, ParseError{Source: name, Line: line, Text: recordText(f), Err: fmt.Errorf("%w: empty first column", ErrBadRecord)})
			return
		}
		e, err := parseIndicator(f[0])
		if err != nil {
			perrs = append(perrs, ParseError{Source: name, Line: line, Text: shorten([]byte(f[0])), Err: err})
			return
		}
		e.Source, e.Line = name, line
		if len(f) >= 3 && f[1] != "" {
			e.Label = "ET category " + f[1] + ", score " + f[2]
		}
		entries = append(entries, e)
	})
	return entries, perrs, nil
}

// AlienVault is AlienVault's IP reputation data (reputation.alienvault.com/reputation.data),
// GuardDuty's ALIEN_VAULT: one record per line, fields separated by '#': indicator,
// reliability, risk, activity, country, city, "latitude,longitude", and a last number, as in
// "198.51.100.1#4#2#Malicious Host#US##0.0,0.0#3". The indicator is an IP address (GuardDuty
// entity lists also accept domain names there); the activity becomes the Label.
type AlienVault struct{}

// Name returns "alien_vault".
func (AlienVault) Name() string { return "alien_vault" }

// Parse implements Format.
func (AlienVault) Parse(name string, r io.Reader) ([]Entry, []ParseError, error) {
	data, err := readAllLimited(r)
	if err != nil {
		return nil, nil, err
	}
	var (
		entries []Entry
		perrs   []ParseError
	)
	for lineNo, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		f := strings.Split(line, "#")
		if f[0] == "" { // a comment line
			continue
		}
		if len(f) < 4 {
			perrs = append(perrs, ParseError{Source: name, Line: lineNo + 1, Text: shorten([]byte(line)),
				Err: fmt.Errorf("%w: %d '#'-separated fields, want 8", ErrBadRecord, len(f))})
			continue
		}
		e, err := parseIndicator(f[0])
		if err != nil {
			perrs = append(perrs, ParseError{Source: name, Line: lineNo + 1, Text: shorten([]byte(f[0])), Err: err})
			continue
		}
		e.Source, e.Line, e.Label = name, lineNo+1, strings.TrimSpace(f[3])
		entries = append(entries, e)
	}
	return entries, perrs, nil
}

// isAlienVaultRecord reports whether line is shaped like an AlienVault reputation record:
// eight '#'-separated fields, the second and third numeric, the seventh "lat,lon".
func isAlienVaultRecord(line string) bool {
	f := strings.Split(line, "#")
	return len(f) == 8 && f[0] != "" && isDigits(f[1]) && isDigits(f[2]) && strings.Count(f[6], ",") == 1
}
