package rules

import (
	"encoding/json"
	"strings"
)

// jsonPath is a path of member names into JSON text ("userData", "parameters.commands",
// "ipPermissions.items.ipRanges.items.cidrIp"). Arrays met on the way are crossed: the path
// applies to every element. It reads the text in one pass, without decoding it, and does not
// allocate unless a string it returns holds escape sequences.
type jsonPath struct {
	keys []string
	// needle is the last key quoted (`"cidrIp"`): text without it has no value at the path,
	// which strings.Contains (vectorized) tells faster than a scan. Empty when the key would
	// need escaping. (So a last member name the text spells with escape sequences, such as
	// "\u0061", is not found: JSON writers, CloudTrail's included, do not escape ASCII
	// letters.)
	needle string
}

// maxJSONDepth bounds the nesting the extractor follows.
const maxJSONDepth = 128

// newJSONPath returns the path of the member names keys.
func newJSONPath(keys []string) *jsonPath {
	p := &jsonPath{keys: keys}
	if n := len(keys); n > 0 {
		last := keys[n-1]
		if !strings.ContainsAny(last, "\"\\") {
			p.needle = `"` + last + `"`
		}
	}
	return p
}

// appendValues appends to dst the values at the path in the JSON text data: a string's
// content (unescaped), a number's or boolean's literal text, an object's JSON text, and for
// an array each element's (nested arrays flattened). null and malformed parts yield nothing.
func (p *jsonPath) appendValues(dst []string, data string) []string {
	if p.needle != "" && !strings.Contains(data, p.needle) {
		return dst // no member of that name
	}
	dst, _ = appendJSONAt(dst, data, skipWS(data, 0), p.keys, 0, false)
	return dst
}

// appendJSONAt appends the values at path of the JSON value starting at data[i] and returns
// the index after the value (len(data) when it is malformed, or when needEnd is false and the
// rest of an object need not be read: its member of the path's name has been).
func appendJSONAt(dst []string, data string, i int, path []string, depth int, needEnd bool) ([]string, int) {
	if i >= len(data) || depth > maxJSONDepth {
		return dst, len(data)
	}
	switch data[i] {
	case '{':
		if len(path) == 0 {
			end := skipJSONValue(data, i)
			if end <= len(data) && end > i {
				dst = append(dst, data[i:end])
			}
			return dst, end
		}
		i++
		for {
			i = skipWS(data, i)
			if i >= len(data) {
				return dst, len(data)
			}
			switch data[i] {
			case '}':
				return dst, i + 1
			case ',':
				i++
				continue
			case '"':
			default:
				return dst, len(data)
			}
			ke := skipJSONString(data, i)
			key := data[i:ke]
			i = skipWS(data, ke)
			if i >= len(data) || data[i] != ':' {
				return dst, len(data)
			}
			i = skipWS(data, i+1)
			start := i
			if jsonKeyIs(key, path[0]) {
				dst, i = appendJSONAt(dst, data, i, path[1:], depth+1, needEnd)
				if !needEnd {
					return dst, len(data) // names are unique within an object
				}
			} else {
				i = skipJSONValue(data, i)
			}
			if i <= start {
				return dst, len(data)
			}
		}
	case '[':
		i++
		for {
			i = skipWS(data, i)
			if i >= len(data) {
				return dst, len(data)
			}
			switch data[i] {
			case ']':
				return dst, i + 1
			case ',':
				i++
				continue
			}
			start := i
			dst, i = appendJSONAt(dst, data, i, path, depth+1, true)
			if i <= start {
				return dst, len(data)
			}
		}
	case '"':
		end := skipJSONString(data, i)
		if len(path) == 0 {
			if s := jsonUnquote(data[i:end]); s != "" {
				dst = append(dst, s)
			}
		}
		return dst, end
	default:
		end := skipJSONScalar(data, i)
		if end == i {
			return dst, len(data)
		}
		if lit := data[i:end]; len(path) == 0 && lit != "null" {
			dst = append(dst, lit)
		}
		return dst, end
	}
}

// skipWS returns the index of the first non-space byte at or after i.
func skipWS(data string, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipJSONString returns the index after the string starting at data[i] (a quote). Short
// strings (keys) are scanned byte by byte; longer ones by IndexByte, which is vectorized.
func skipJSONString(data string, i int) int {
	j := i + 1
	for n := min(len(data), j+16); j < n; j++ {
		switch data[j] {
		case '"':
			return j + 1
		case '\\':
			j++
		}
	}
	for j < len(data) {
		k := strings.IndexByte(data[j:], '"')
		if k < 0 {
			return len(data)
		}
		q := j + k
		bs := 0
		for b := q - 1; b > i && data[b] == '\\'; b-- {
			bs++
		}
		if bs%2 == 0 {
			return q + 1
		}
		j = q + 1
	}
	return len(data)
}

// skipJSONScalar returns the index after the number, boolean or null at data[i].
func skipJSONScalar(data string, i int) int {
	for i < len(data) {
		switch data[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r', '"', '{', '[', ':':
			return i
		}
		i++
	}
	return i
}

// skipJSONValue returns the index after the value starting at data[i].
func skipJSONValue(data string, i int) int {
	if i >= len(data) {
		return len(data)
	}
	switch data[i] {
	case '"':
		return skipJSONString(data, i)
	case '{', '[':
	default:
		return skipJSONScalar(data, i)
	}
	depth := 0
	for i < len(data) {
		c := data[i]
		if !jsonStructural[c] {
			i++
			continue
		}
		switch c {
		case '"':
			i = skipJSONString(data, i)
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
		i++
	}
	return len(data)
}

// jsonStructural marks the bytes skipJSONValue stops at. Never modified.
var jsonStructural = [256]bool{'"': true, '{': true, '}': true, '[': true, ']': true}

// jsonKeyIs reports whether the quoted JSON string quoted is name.
func jsonKeyIs(quoted, name string) bool {
	if len(quoted) == len(name)+2 && quoted[1:len(quoted)-1] == name {
		return true
	}
	if strings.IndexByte(quoted, '\\') < 0 {
		return false
	}
	return jsonUnquote(quoted) == name
}

// jsonUnquote returns the content of the quoted JSON string s; it allocates only when s holds
// escape sequences.
func jsonUnquote(s string) string {
	if len(s) < 2 || s[len(s)-1] != '"' {
		if len(s) >= 1 {
			return s[1:] // cut at the end of the text
		}
		return ""
	}
	body := s[1 : len(s)-1]
	if strings.IndexByte(body, '\\') < 0 {
		return body
	}
	var out string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return body
	}
	return out
}
