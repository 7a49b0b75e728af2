package hostscan

// standardizeJSONC returns JSON with comments (// and /* */) and trailing commas turned into
// plain JSON that encoding/json reads: comments become spaces and a comma followed only by
// blanks and comments before '}' or ']' becomes a space. Offsets are kept, so that syntax
// errors point at the right byte. Text inside strings is never changed. A UTF-8 byte order
// mark is blanked too.
func standardizeJSONC(in []byte) []byte {
	b := make([]byte, len(in))
	copy(b, in)
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		b[0], b[1], b[2] = ' ', ' ', ' '
	}
	lastComma := -1 // position of a comma not yet followed by a value
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			lastComma = -1
			for i++; i < len(b); i++ {
				if b[i] == '\\' {
					i++
					continue
				}
				if b[i] == '"' {
					break
				}
			}
		case c == '/' && i+1 < len(b) && b[i+1] == '/':
			for ; i < len(b) && b[i] != '\n'; i++ {
				b[i] = ' '
			}
		case c == '/' && i+1 < len(b) && b[i+1] == '*':
			b[i], b[i+1] = ' ', ' '
			for i += 2; i < len(b); i++ {
				if b[i] == '*' && i+1 < len(b) && b[i+1] == '/' {
					b[i], b[i+1] = ' ', ' '
					i++
					break
				}
				if b[i] != '\n' {
					b[i] = ' '
				}
			}
		case c == ',':
			lastComma = i
		case c == '}' || c == ']':
			if lastComma >= 0 {
				b[lastComma] = ' '
			}
			lastComma = -1
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		default:
			lastComma = -1
		}
	}
	return b
}
