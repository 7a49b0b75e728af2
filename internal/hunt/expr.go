package hunt

import (
	"fmt"
	"net/netip"
	"strings"
)

// This file writes the SQL expressions of fields: a column, a key of a map, a JSON value,
// the values of a list; and predicates over them.

// colRef is the quoted struct path of the first n segments of segs ("src_endpoint"."ip").
func colRef(segs []string) string {
	q := make([]string, len(segs))
	for i, s := range segs {
		q[i] = quoteIdent(s)
	}
	return strings.Join(q, ".")
}

// scalar is the expression of a single-valued field.
func (w *writer) scalar(f field) string {
	ref := colRef(f.col.segs)
	if f.key != "" {
		if w.d == Athena {
			return "element_at(" + ref + ", " + quoteString(f.key) + ")"
		}
		return "map_extract_value(" + ref + ", " + quoteString(f.key) + ")"
	}
	return ref
}

// list is the expression of the values of a multi-valued field: a list (DuckDB) or an
// array (Athena) of scalars.
func (w *writer) list(f field) string {
	if f.json != nil {
		ref := colRef(f.col.segs)
		jp := "$." + strings.Join(f.json, ".")
		if w.d == Athena {
			return "COALESCE(TRY_CAST(json_extract(" + ref + ", " + quoteString(jp) + ") AS ARRAY(VARCHAR)), " +
				"ARRAY[json_extract_scalar(" + ref + ", " + quoteString(jp) + ")])"
		}
		return "CASE WHEN json_valid(" + ref + ") THEN CASE json_type(" + ref + ", " + quoteString(jp) + ") " +
			"WHEN 'ARRAY' THEN json_extract_string(" + ref + ", " + quoteString(jp+"[*]") + ") " +
			"ELSE [json_extract_string(" + ref + ", " + quoteString(jp) + ")] END END"
	}
	lst := colRef(f.col.segs[:f.col.list])
	rest := f.col.segs[f.col.list:]
	if len(rest) == 0 {
		return lst
	}
	elem := "h_e." + colRef(rest)
	if w.d == Athena {
		return "transform(" + lst + ", h_e -> " + elem + ")"
	}
	return "list_transform(" + lst + ", lambda h_e: " + elem + ")"
}

// value is the evidence expression of a field: its value, or the list of its values.
func (w *writer) value(f field) string {
	if f.multi() {
		return w.list(f)
	}
	return w.scalar(f)
}

// holds is the predicate that pred holds for the field's value, or for any of its values.
// pred is given the expression of one value. The result is never NULL: a comparison with
// an absent value is false, as in the streaming engine, so that "not" stays its negation.
func (w *writer) holds(f field, pred func(v string) (string, error)) (string, error) {
	if !f.multi() {
		p, err := pred(w.scalar(f))
		if err != nil {
			return "", err
		}
		return "COALESCE(" + p + ", FALSE)", nil
	}
	l := w.list(f)
	p, err := pred("h_v")
	if err != nil {
		return "", err
	}
	if w.d == Athena {
		return "COALESCE(any_match(" + l + ", h_v -> " + p + "), FALSE)", nil
	}
	return "COALESCE(len(list_filter(" + l + ", lambda h_v: " + p + ")) > 0, FALSE)", nil
}

// text is v as case-folded text for string matching (cased: as is).
func text(v string, k colKind, cased bool) string {
	if k != kString && k != kJSON {
		v = "CAST(" + v + " AS VARCHAR)"
	}
	if cased {
		return v
	}
	return "lower(" + v + ")"
}

// regexpMatch is the dialect's partial regular-expression match.
func (w *writer) regexpMatch(v, pattern string) string {
	if w.d == Athena {
		return "regexp_like(" + v + ", " + pattern + ")"
	}
	return "regexp_matches(" + v + ", " + pattern + ")"
}

// hostName is v as a host name: lower case, without its trailing dot.
func (w *writer) hostName(v string) string {
	if w.d == Athena {
		return `regexp_replace(lower(` + v + `), '\.$', '')`
	}
	return "rtrim(lower(" + v + "), '.')"
}

// ipv4Int is the IPv4 address text v as an integer, NULL for other text (DuckDB).
func ipv4Int(v string) string {
	octet := func(i int) string { return fmt.Sprintf("CAST(split_part(%s, '.', %d) AS BIGINT)", v, i) }
	return `CASE WHEN regexp_full_match(` + v + `, '[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}') THEN ` +
		octet(1) + "*16777216 + " + octet(2) + "*65536 + " + octet(3) + "*256 + " + octet(4) + " END"
}

// ipv6Hextet is the first 16 bits of the IPv6 address text v, NULL for text without ':'
// (DuckDB).
func ipv6Hextet(v string) string {
	return "CASE WHEN contains(" + v + ", ':') THEN CASE WHEN starts_with(" + v + ", ':') THEN 0 " +
		"ELSE TRY_CAST('0x' || split_part(" + v + ", ':', 1) AS INTEGER) END END"
}

// inPrefixes is the predicate that the address text v is in one of ps. Athena compares
// addresses (IPADDRESS) exactly, IPv4 and IPv6; DuckDB, which has no address type without
// an extension, compares IPv4 addresses as integers and IPv6 addresses by their first 16
// bits, so only IPv6 prefixes of at most 16 bits are expressible there.
func (w *writer) inPrefixes(v string, ps []netip.Prefix, what string) (string, error) {
	if len(ps) == 0 {
		return "FALSE", nil
	}
	// Single addresses first, as one IN list (the argument order follows the text).
	var single []any
	var rest []netip.Prefix
	for _, p := range ps {
		p = p.Masked()
		switch {
		case p.Addr().Is4() && p.Bits() == 32, w.d == DuckDB && p.Bits() == 128:
			// A single IPv6 address is compared as text in DuckDB: AWS logs write addresses
			// in their canonical form (RFC 5952), which netip writes too.
			single = append(single, p.Addr().String())
		default:
			rest = append(rest, p)
		}
	}
	var ors []string
	if len(single) > 0 {
		ors = append(ors, "lower("+v+") IN "+w.argList(single))
	}
	for _, p := range rest {
		a := p.Addr()
		switch {
		case w.d == Athena:
			ors = append(ors, "contains("+w.arg(p.String())+", TRY_CAST("+v+" AS IPADDRESS))")
		case a.Is4():
			lo := int64(ipv4Uint(a))
			hi := lo | int64(^uint32(0)>>p.Bits())
			ors = append(ors, ipv4Int(v)+" BETWEEN "+w.arg(lo)+" AND "+w.arg(hi))
		case p.Bits() <= 16:
			b := a.As16()
			lo := int64(b[0])<<8 | int64(b[1])
			hi := lo | int64(0xffff>>p.Bits())
			ors = append(ors, ipv6Hextet(v)+" BETWEEN "+w.arg(lo)+" AND "+w.arg(hi))
		default:
			return "", fmt.Errorf("%s %s: %w in DuckDB: IPv6 prefixes of 17 to 127 bits (DuckDB has no address type without the inet extension)", what, p, ErrUnsupported)
		}
	}
	if len(ors) == 1 {
		return ors[0], nil
	}
	return "(" + strings.Join(ors, " OR ") + ")", nil
}

func ipv4Uint(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// likeEscape escapes the LIKE wildcards of a literal (with '\' as the escape character).
func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// sigmaLike converts a Sigma value to a LIKE pattern: '*' and '?' become '%' and '_',
// Sigma's escapes \*, \? and \\ are literal characters, and LIKE's own wildcards are
// escaped. wild reports whether the pattern has a wildcard.
func sigmaLike(s string) (pattern string, wild bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\'):
			i++
			b.WriteString(likeEscape(s[i : i+1]))
		case c == '*':
			b.WriteByte('%')
			wild = true
		case c == '?':
			b.WriteByte('_')
			wild = true
		default:
			b.WriteString(likeEscape(s[i : i+1]))
		}
	}
	return b.String(), wild
}

// likeLiteral undoes likeEscape for a pattern without wildcards.
func likeLiteral(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '\\' && i+1 < len(p) {
			i++
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// hostRegexp is the regular expression of a dnsname host pattern: a first label "*"
// matches one or more labels, another '*' a run of characters within a label.
func hostRegexp(pattern string) string {
	if pattern == "*" {
		return "^.+$"
	}
	labels := strings.Split(pattern, ".")
	var b strings.Builder
	b.WriteByte('^')
	for i, l := range labels {
		switch {
		case i == 0 && l == "*":
			b.WriteString(`([^.]+\.)+`)
			continue
		case l == "*":
			b.WriteString(`[^.]+`)
		default:
			parts := strings.Split(l, "*")
			for j, p := range parts {
				if j > 0 {
					b.WriteString(`[^.]*`)
				}
				b.WriteString(regexpQuote(p))
			}
		}
		if i < len(labels)-1 {
			b.WriteString(`\.`)
		}
	}
	b.WriteByte('$')
	return b.String()
}

// regexpQuote escapes the regular-expression metacharacters of s.
func regexpQuote(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}
