package schema

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"
)

// primitive is the JSON shape a data type takes.
type primitive uint8

const (
	primString primitive = iota + 1
	primInteger
	primLong
	primFloat
	primBoolean
	primJSON
)

func (p primitive) String() string {
	switch p {
	case primString:
		return "string"
	case primInteger, primLong:
		return "integer"
	case primFloat:
		return "number"
	case primBoolean:
		return "boolean"
	default:
		return "any JSON"
	}
}

// primitives are the dictionary types every other type derives from.
var primitives = map[string]primitive{
	"string_t":  primString,
	"integer_t": primInteger,
	"long_t":    primLong,
	"float_t":   primFloat,
	"boolean_t": primBoolean,
	"json_t":    primJSON,
}

// typeNames maps a dictionary type_name to its primitive, for the 1.0.0-rc.2 types that name
// no super type.
var typeNames = map[string]primitive{
	"String":  primString,
	"Integer": primInteger,
	"Long":    primLong,
	"Float":   primFloat,
	"Boolean": primBoolean,
}

// dataType is a compiled dictionary type such as ip_t.
type dataType struct {
	name   string
	prim   primitive
	maxLen int // in characters; 0 for no limit
	hasMin bool
	hasMax bool
	min    int64
	max    int64
	check  func(string) string // checks a string value; returns a problem or ""
}

// checks are the value checks of string types, by type name. The dictionary's own regular
// expressions are not used: those of 1.0.0-rc.2 are PCRE-only or wrong.
var checks = map[string]func(string) string{
	"ip_t":       checkIP,
	"subnet_t":   checkSubnet,
	"datetime_t": checkDatetime,
	"mac_t":      checkMAC,
	"email_t":    checkEmail,
	"uuid_t":     checkUUID,
	"url_t":      checkURL,
	"hostname_t": checkHostname,
}

func checkIP(s string) string {
	if _, err := netip.ParseAddr(s); err != nil {
		return fmt.Sprintf("%q is not an IPv4 or IPv6 address", s)
	}
	return ""
}

func checkSubnet(s string) string {
	if _, err := netip.ParsePrefix(s); err != nil {
		return fmt.Sprintf("%q is not a subnet in CIDR notation", s)
	}
	return ""
}

func checkDatetime(s string) string {
	if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
		return fmt.Sprintf("%q is not an RFC 3339 date-time", s)
	}
	return ""
}

func checkMAC(s string) string {
	// Six octets of two hex digits separated by ":" or "-", as the 1.1.0 dictionary says.
	ok := len(s) == 17
	for i := 0; ok && i < len(s); i++ {
		if i%3 == 2 {
			ok = s[i] == ':' || s[i] == '-'
		} else {
			ok = isHex(s[i])
		}
	}
	if !ok {
		return fmt.Sprintf("%q is not a MAC address", s)
	}
	return ""
}

// emailRE is the email_t pattern of the OCSF 1.1.0 dictionary.
var emailRE = regexp.MustCompile(`^[a-zA-Z0-9_.+-]+@[a-zA-Z0-9-]+\.[a-zA-Z0-9-.]+$`)

func checkEmail(s string) string {
	if !emailRE.MatchString(s) {
		return fmt.Sprintf("%q is not an email address", s)
	}
	return ""
}

func checkUUID(s string) string {
	ok := len(s) == 36
	for i := 0; ok && i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			ok = s[i] == '-'
		default:
			ok = isHex(s[i])
		}
	}
	if !ok {
		return fmt.Sprintf("%q is not a UUID", s)
	}
	return ""
}

func checkURL(s string) string {
	if _, err := url.Parse(s); err != nil {
		return fmt.Sprintf("%q is not a URL: %v", s, err)
	}
	return ""
}

// checkHostname accepts a DNS name: labels of letters, digits, "-" and "_", 1 to 63
// characters, not starting or ending with "-", at most 253 characters, with an optional
// trailing dot.
func checkHostname(s string) string {
	name := s
	if len(name) > 1 && name[len(name)-1] == '.' {
		name = name[:len(name)-1]
	}
	ok := len(name) > 0 && len(name) <= 253
	label := 0
	for i := 0; ok && i <= len(name); i++ {
		if i == len(name) || name[i] == '.' {
			ok = label > 0 && label <= 63 && name[i-1] != '-' && name[i-label] != '-'
			label = 0
			continue
		}
		c := name[i]
		ok = c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		label++
	}
	if !ok {
		return fmt.Sprintf("%q is not a host name", s)
	}
	return ""
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// jsonKind names the JSON type of a decoded value, for messages.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case json.Number, float64, float32, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return "number"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// number is a decoded JSON number: an integer when isInt, else a float.
type number struct {
	isInt bool
	i     int64
	f     float64
	text  string
}

// toNumber converts a decoded JSON number of any of the forms encoding/json or a caller may
// produce. ok is false when v is not a number; an integer beyond int64 is a float.
func toNumber(v any) (n number, ok bool) {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return number{isInt: true, i: i, text: string(x)}, true
		}
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil && !isRangeErr(err) {
			return number{}, false
		}
		return fromFloat(f, string(x)), true
	case float64:
		return fromFloat(x, ""), true
	case float32:
		return fromFloat(float64(x), ""), true
	case int:
		return number{isInt: true, i: int64(x)}, true
	case int8:
		return number{isInt: true, i: int64(x)}, true
	case int16:
		return number{isInt: true, i: int64(x)}, true
	case int32:
		return number{isInt: true, i: int64(x)}, true
	case int64:
		return number{isInt: true, i: x}, true
	case uint8:
		return number{isInt: true, i: int64(x)}, true
	case uint16:
		return number{isInt: true, i: int64(x)}, true
	case uint32:
		return number{isInt: true, i: int64(x)}, true
	case uint:
		if uint64(x) > math.MaxInt64 {
			return number{f: float64(x)}, true
		}
		return number{isInt: true, i: int64(x)}, true
	case uint64:
		if x > math.MaxInt64 {
			return number{f: float64(x)}, true
		}
		return number{isInt: true, i: int64(x)}, true
	}
	return number{}, false
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// fromFloat makes a number of a float, an integer when it has no fraction and fits int64
// (JSON does not distinguish 3 from 3.0).
func fromFloat(f float64, text string) number {
	if f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63 {
		return number{isInt: true, i: int64(f), f: f, text: text}
	}
	return number{f: f, text: text}
}

func (n number) String() string {
	switch {
	case n.text != "":
		return n.text
	case n.isInt:
		return strconv.FormatInt(n.i, 10)
	default:
		return strconv.FormatFloat(n.f, 'g', -1, 64)
	}
}

// enumKey is the enum key of a scalar value: its JSON text.
func enumKey(v any) (string, bool) {
	if s, ok := v.(string); ok {
		return s, true
	}
	if n, ok := toNumber(v); ok && n.isInt {
		return strconv.FormatInt(n.i, 10), true
	}
	return "", false
}

// checkValue checks a scalar value against t and returns a problem and its kind, or "".
func (t *dataType) checkValue(v any) (Kind, string) {
	switch t.prim {
	case primJSON:
		return 0, ""
	case primBoolean:
		if _, ok := v.(bool); !ok {
			return KindType, fmt.Sprintf("expected boolean (%s), got %s", t.name, jsonKind(v))
		}
	case primString:
		s, ok := v.(string)
		if !ok {
			return KindType, fmt.Sprintf("expected string (%s), got %s", t.name, jsonKind(v))
		}
		if t.maxLen > 0 && len(s) > t.maxLen {
			if n := utf8.RuneCountInString(s); n > t.maxLen {
				return KindValue, fmt.Sprintf("%d characters exceed the %d of %s", n, t.maxLen, t.name)
			}
		}
		if t.check != nil {
			if msg := t.check(s); msg != "" {
				return KindValue, msg + " (" + t.name + ")"
			}
		}
	case primInteger, primLong:
		n, ok := toNumber(v)
		if !ok {
			return KindType, fmt.Sprintf("expected integer (%s), got %s", t.name, jsonKind(v))
		}
		if !n.isInt {
			if n.f == math.Trunc(n.f) && !math.IsInf(n.f, 0) {
				return KindValue, fmt.Sprintf("%s is outside the range of %s", n, t.name)
			}
			return KindType, fmt.Sprintf("expected integer (%s), got %s", t.name, n)
		}
		if t.hasMin && n.i < t.min || t.hasMax && n.i > t.max {
			return KindValue, fmt.Sprintf("%s is outside the range %d..%d of %s", n, t.min, t.max, t.name)
		}
	case primFloat:
		if _, ok := toNumber(v); !ok {
			return KindType, fmt.Sprintf("expected number (%s), got %s", t.name, jsonKind(v))
		}
	}
	return 0, ""
}
