// Package output renders tabular results and streams of values for the command line: as an
// aligned table for people, or as JSON, NDJSON or CSV for programs.
//
// Values are plain Go values (the ones internal/query returns): nil, bool, numbers, strings,
// time.Time, []any and map[string]any; other types are rendered through encoding/json. The
// same value reads the same in every format: times in RFC 3339 UTC, nested values as JSON
// (compact in table cells and CSV fields), floats as JSON writes them, and NaN and infinities
// as the strings "NaN", "Infinity" and "-Infinity".
package output

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Format is an output format.
type Format int

// The output formats.
const (
	// Table is aligned columns for people.
	Table Format = iota
	// JSON is an indented JSON array of objects, with keys in column order.
	JSON
	// NDJSON is one compact JSON object per line.
	NDJSON
	// CSV is RFC 4180 CSV with a header row.
	CSV
)

// formatNames is indexed by Format. It is never modified.
var formatNames = [...]string{Table: "table", JSON: "json", NDJSON: "ndjson", CSV: "csv"}

// FormatNames lists the valid format names, in the order of the Format constants.
func FormatNames() []string { return slices.Clone(formatNames[:]) }

// String returns the format's name, as ParseFormat accepts it.
func (f Format) String() string {
	if f >= 0 && int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ParseFormat returns the format named s, ignoring case and surrounding spaces.
func ParseFormat(s string) (Format, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	for i, n := range formatNames {
		if n == name {
			return Format(i), nil
		}
	}
	return 0, fmt.Errorf("output: unknown format %q (valid: %s)", s, strings.Join(formatNames[:], ", "))
}

// Set parses s into f; with String and Type, it makes *Format a command-line flag value
// (pflag.Value).
func (f *Format) Set(s string) error {
	v, err := ParseFormat(s)
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// Type names the flag's value type in help texts.
func (f *Format) Type() string { return "format" }

// DefaultMaxWidth is the widest a table cell is, in terminal columns, unless WithMaxWidth
// says otherwise.
const DefaultMaxWidth = 48

// Option adjusts Write.
type Option func(*options)

type options struct {
	maxWidth int
}

// WithMaxWidth sets the widest a table cell is, in terminal columns, before it is cut with
// an ellipsis; n <= 0 means no limit. Other formats never cut values.
func WithMaxWidth(n int) Option { return func(o *options) { o.maxWidth = n } }

// Write renders rows, whose values are in the order of columns, to w in format f.
func Write(w io.Writer, f Format, columns []string, rows [][]any, opts ...Option) error {
	o := options{maxWidth: DefaultMaxWidth}
	for _, opt := range opts {
		opt(&o)
	}
	for i, r := range rows {
		if len(r) != len(columns) {
			return fmt.Errorf("output: row %d has %d values for %d columns", i+1, len(r), len(columns))
		}
	}
	var err error
	switch f {
	case Table:
		err = writeTable(w, columns, rows, o.maxWidth)
	case JSON:
		err = writeJSON(w, columns, rows)
	case NDJSON:
		err = writeNDJSON(w, columns, rows)
	case CSV:
		err = writeCSV(w, columns, rows)
	default:
		return fmt.Errorf("output: unknown format %v", f)
	}
	if err != nil {
		return fmt.Errorf("output: write %s: %w", f, err)
	}
	return nil
}
