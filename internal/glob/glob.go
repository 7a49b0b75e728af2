// Package glob matches names against the simple patterns of mcpwatch's catalogue and policy
// files, where '*' matches any run of characters (including '/' and '.') and nothing else is
// special.
package glob

// MatchFold reports whether s matches pat, ignoring ASCII case. It does not allocate.
func MatchFold[S string | []byte](pat string, s S) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(pat) && pat[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(pat) && lower(pat[pi]) == lower(s[si]):
			pi++
			si++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(pat) && pat[pi] == '*' {
		pi++
	}
	return pi == len(pat)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
