package mcpserver

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/jsonschema-go/jsonschema"
)

// Input limits.
const (
	// DefaultLimit is the number of results a search returns when no limit is given.
	DefaultLimit = 100
	// MaxLimit is the most results a search may ask for.
	MaxLimit = 1000
	// DefaultWindow is the time window searched when no start time is given.
	DefaultWindow = 7 * 24 * time.Hour
	// MaxWindow is the longest window a search may cover.
	MaxWindow = 366 * 24 * time.Hour
	// maxText bounds free-text filter values.
	maxText = 256
)

// inputError is a bad argument; its message says what is wrong and what is accepted.
type inputError struct{ msg string }

func (e *inputError) Error() string { return e.msg }

func badInput(format string, args ...any) error { return &inputError{fmt.Sprintf(format, args...)} }

// parseIP validates an IPv4 or IPv6 address (no zone, no CIDR) and returns the spellings a
// log may hold it in: canonical, and for IPv6 also fully expanded, and for IPv4-mapped IPv6
// also plain IPv4.
func parseIP(s string) (netip.Addr, []string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return netip.Addr{}, nil, badInput("ip_address is required: give one IPv4 or IPv6 address, such as 203.0.113.45 or 2001:db8::1")
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, nil, badInput("ip_address %s is not an IPv4 or IPv6 address (one address, no CIDR prefix, port or zone)", quoteInput(s))
	}
	forms := []string{a.String()}
	if a.Is6() {
		if a.Is4In6() {
			forms = append(forms, a.Unmap().String())
		}
		exp := a.StringExpanded()
		if exp != forms[0] {
			forms = append(forms, exp)
		}
	}
	return a, forms, nil
}

// window is a search's time range, both ends inclusive.
type window struct{ start, end time.Time }

// parseWindow reads start_time and end_time (ISO 8601) with the default window before
// end, which defaults to now.
func parseWindow(start, end string, def time.Duration, now time.Time) (window, error) {
	w := window{end: now.UTC()}
	var err error
	if end != "" {
		if w.end, err = parseTime("end_time", end); err != nil {
			return w, err
		}
	}
	w.start = w.end.Add(-def)
	if start != "" {
		if w.start, err = parseTime("start_time", start); err != nil {
			return w, err
		}
	}
	switch {
	case !w.start.Before(w.end):
		return w, badInput("start_time %s must be before end_time %s", w.start.Format(time.RFC3339), w.end.Format(time.RFC3339))
	case w.end.Sub(w.start) > MaxWindow:
		return w, badInput("the time range %s .. %s is longer than %d days: narrow it", w.start.Format(time.RFC3339), w.end.Format(time.RFC3339), int(MaxWindow.Hours()/24))
	}
	return w, nil
}

// timeLayouts are the ISO 8601 forms accepted; those without a zone are UTC.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

func parseTime(name, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			if t.Year() < 1970 || t.Year() > 2200 {
				break
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, badInput("%s %s is not an ISO 8601 time: use 2024-01-15T10:30:00Z, 2024-01-15T10:30:00+02:00 or 2024-01-15", name, quoteInput(s))
}

// parseLimit applies the default and bounds of a limit, and the server's cap.
func parseLimit(p *int, def, cap int) (int, error) {
	if p == nil {
		return min(def, cap), nil
	}
	if *p < 1 || *p > MaxLimit {
		return 0, badInput("limit %d is out of range: use 1 to %d", *p, MaxLimit)
	}
	return min(*p, cap), nil
}

// parseEnum returns the allowed value v matches case-insensitively.
func parseEnum(name, v string, allowed ...string) (string, error) {
	for _, a := range allowed {
		if strings.EqualFold(strings.TrimSpace(v), a) {
			return a, nil
		}
	}
	return "", badInput("%s %s is not one of %s", name, quoteInput(v), strings.Join(allowed, ", "))
}

// parseText validates a free-text filter value: printable, bounded.
func parseText(name, v string) (string, error) {
	v = strings.TrimSpace(v)
	if !utf8.ValidString(v) || len(v) > maxText {
		return "", badInput("%s must be valid UTF-8 text of at most %d bytes", name, maxText)
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return "", badInput("%s must not contain control characters", name)
		}
	}
	return v, nil
}

// quoteInput shows a client's value in an error, bounded and quoted so it reads as data.
func quoteInput(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// likePattern makes a LIKE pattern matching s anywhere, with \ as the escape character.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}

// Number is an integer argument that clients may also send as a numeric string, as
// pydantic's lax mode (the Python server) and the MCP Inspector's --tool-arg do.
type Number int

// UnmarshalJSON accepts 5 and "5".
func (n *Number) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return badInput("%s is not a whole number", quoteInput(string(b)))
	}
	*n = Number(v)
	return nil
}

// Flag is a boolean argument that clients may also send as "true" or "false".
type Flag bool

// UnmarshalJSON accepts true and "true".
func (f *Flag) UnmarshalJSON(b []byte) error {
	v, err := parseBool(strings.Trim(string(b), `"`))
	if err != nil {
		return badInput("%s is not a boolean", quoteInput(string(b)))
	}
	*f = Flag(v)
	return nil
}

// Object is an object argument that clients may also send as a JSON string.
type Object map[string]any

// UnmarshalJSON accepts {"a":1} and "{\"a\":1}".
func (o *Object) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		b = []byte(s)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return badInput("filters must be a JSON object")
	}
	*o = m
	return nil
}

// intPtr converts an optional Number.
func intPtr(n *Number) *int {
	if n == nil {
		return nil
	}
	v := int(*n)
	return &v
}

// loosen lets a property of sch also be given as a string.
func loosen(sch *jsonschema.Schema, prop, typ string) {
	if p := sch.Properties[prop]; p != nil {
		p.Type, p.Types = "", []string{"null", typ, "string"}
		p.Minimum, p.Maximum = nil, nil
	}
}
