package output

import (
	"bufio"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ellipsis ends a cut cell.
const ellipsis = "…"

// nullText is how a table shows a NULL, to tell it from an empty string.
const nullText = "NULL"

// writeTable writes rows as aligned columns under a header and a rule. Numeric columns are
// aligned to the right. Cells wider than maxWidth terminal columns (when maxWidth > 0) are
// cut and end with an ellipsis; control characters are shown escaped so that a value never
// breaks a line.
func writeTable(w io.Writer, columns []string, rows [][]any, maxWidth int) error {
	if len(columns) == 0 {
		return nil
	}
	cells := make([][]string, len(rows)+1)
	widths := make([]int, len(columns))
	// A column is numeric, and aligned right, when it holds numbers and nothing else but NULLs.
	numeric := make([]bool, len(columns))
	other := make([]bool, len(columns))
	fit := func(s string) string { return truncate(escapeControls(s), maxWidth) }
	cells[0] = make([]string, len(columns))
	for c, name := range columns {
		cells[0][c] = fit(name)
	}
	for r, row := range rows {
		cells[r+1] = make([]string, len(columns))
		for c, v := range row {
			cells[r+1][c] = fit(text(v, nullText))
			switch {
			case v == nil:
			case isNumber(v):
				numeric[c] = true
			default:
				other[c] = true
			}
		}
	}
	for c := range numeric {
		numeric[c] = numeric[c] && !other[c]
	}
	for _, row := range cells {
		for c, s := range row {
			widths[c] = max(widths[c], width(s))
		}
	}

	bw := bufio.NewWriter(w)
	line := func(row []string) {
		for c, s := range row {
			pad := strings.Repeat(" ", widths[c]-width(s))
			last := c == len(row)-1
			switch {
			case numeric[c]:
				bw.WriteString(pad)
				bw.WriteString(s)
			case last:
				bw.WriteString(s) // no trailing spaces
			default:
				bw.WriteString(s)
				bw.WriteString(pad)
			}
			if !last {
				bw.WriteString("  ")
			}
		}
		bw.WriteByte('\n')
	}
	line(cells[0])
	rule := make([]string, len(columns))
	for c := range rule {
		rule[c] = strings.Repeat("-", widths[c])
	}
	line(rule)
	for _, row := range cells[1:] {
		line(row)
	}
	return bw.Flush()
}

// escapeControls replaces control characters (line breaks, tabs, ...) by escapes such as \n,
// and leaves everything else.
func escapeControls(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	var sb strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			sb.WriteString(`\n`)
		case r == '\r':
			sb.WriteString(`\r`)
		case r == '\t':
			sb.WriteString(`\t`)
		case unicode.IsControl(r):
			sb.WriteString(quoteRune(r))
		default:
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

func quoteRune(r rune) string {
	const hex = "0123456789abcdef"
	if r < 0x100 {
		return `\x` + string(hex[r>>4]) + string(hex[r&0xf])
	}
	return `\u` + string(hex[r>>12&0xf]) + string(hex[r>>8&0xf]) + string(hex[r>>4&0xf]) + string(hex[r&0xf])
}

// truncate cuts s to at most max terminal columns, ending it with an ellipsis when cut;
// max <= 0 means no limit.
func truncate(s string, max int) string {
	if max <= 0 || width(s) <= max {
		return s
	}
	limit := max - width(ellipsis)
	w := 0
	for i, r := range s {
		rw := runeWidth(r)
		if w+rw > limit {
			return s[:i] + ellipsis
		}
		w += rw
	}
	return s
}

// width is the number of terminal columns s takes.
func width(s string) int {
	if isASCII(s) {
		return len(s)
	}
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// runeWidth is the number of terminal columns r takes: 0 for combining marks and format
// characters, 2 for East Asian wide and fullwidth characters and emoji, 1 otherwise. It
// covers the common ranges rather than every Unicode table.
func runeWidth(r rune) int {
	switch {
	case r < 0x300:
		return 1
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf) || r == 0x200B:
		return 0
	case r >= 0x1100 && r <= 0x115F, // Hangul Jamo
		r >= 0x2E80 && r <= 0x303E, // CJK radicals, punctuation
		r >= 0x3041 && r <= 0x33FF, // kana, CJK symbols
		r >= 0x3400 && r <= 0x4DBF, // CJK extension A
		r >= 0x4E00 && r <= 0x9FFF, // CJK unified ideographs
		r >= 0xA000 && r <= 0xA4CF, // Yi
		r >= 0xAC00 && r <= 0xD7A3, // Hangul syllables
		r >= 0xF900 && r <= 0xFAFF, // CJK compatibility ideographs
		r >= 0xFE30 && r <= 0xFE4F, // CJK compatibility forms
		r >= 0xFF00 && r <= 0xFF60, // fullwidth forms
		r >= 0xFFE0 && r <= 0xFFE6,
		r >= 0x1F300 && r <= 0x1F64F, // emoji
		r >= 0x1F900 && r <= 0x1F9FF,
		r >= 0x20000 && r <= 0x3FFFD: // CJK extensions B and later
		return 2
	}
	return 1
}
