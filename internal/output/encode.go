package output

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// appendObject appends one row as a compact JSON object whose keys are in column order.
func appendObject(b []byte, columns []string, row []any) ([]byte, error) {
	b = append(b, '{')
	for c, name := range columns {
		if c > 0 {
			b = append(b, ',')
		}
		b = appendString(b, name)
		b = append(b, ':')
		var err error
		if b, err = appendJSON(b, row[c]); err != nil {
			return b, fmt.Errorf("column %s: %w", name, err)
		}
	}
	return append(b, '}'), nil
}

// writeJSON writes rows as an indented JSON array of objects, laid out as Encoder lays out
// values: two spaces per level.
func writeJSON(w io.Writer, columns []string, rows [][]any) error {
	if len(rows) == 0 {
		_, err := io.WriteString(w, "[]\n")
		return err
	}
	keys := make([][]byte, len(columns))
	for c, name := range columns {
		keys[c] = append(appendString([]byte("    "), name), ": "...)
	}
	bw := bufio.NewWriter(w)
	bw.WriteString("[\n")
	var val []byte
	var ind bytes.Buffer
	for r, row := range rows {
		if r > 0 {
			bw.WriteString(",\n")
		}
		bw.WriteString("  {\n")
		for c, v := range row {
			var err error
			if val, err = appendJSON(val[:0], v); err != nil {
				return fmt.Errorf("column %s: %w", columns[c], err)
			}
			bw.Write(keys[c])
			if len(val) > 0 && (val[0] == '{' || val[0] == '[') && len(val) > 2 {
				ind.Reset()
				if err := json.Indent(&ind, val, "    ", "  "); err != nil {
					return fmt.Errorf("column %s: %w", columns[c], err)
				}
				bw.Write(ind.Bytes())
			} else {
				bw.Write(val)
			}
			if c < len(row)-1 {
				bw.WriteByte(',')
			}
			bw.WriteByte('\n')
		}
		bw.WriteString("  }")
	}
	bw.WriteString("\n]\n")
	return bw.Flush()
}

// writeNDJSON writes rows as one compact JSON object per line.
func writeNDJSON(w io.Writer, columns []string, rows [][]any) error {
	bw := bufio.NewWriter(w)
	var line []byte
	for _, row := range rows {
		var err error
		if line, err = appendObject(line[:0], columns, row); err != nil {
			return err
		}
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// writeCSV writes rows as RFC 4180 CSV after a header of the column names: records end with
// CRLF, and a field holding a comma, a double quote or a line break is quoted (its quotes
// doubled), its content kept byte for byte. NULL is an empty field; nested values are JSON
// text. (encoding/csv's Writer would turn line breaks inside fields into CRLF.)
func writeCSV(w io.Writer, columns []string, rows [][]any) error {
	bw := bufio.NewWriter(w)
	record := func(fields []string) {
		for i, f := range fields {
			if i > 0 {
				bw.WriteByte(',')
			}
			if strings.ContainsAny(f, ",\"\r\n") {
				bw.WriteByte('"')
				bw.WriteString(strings.ReplaceAll(f, `"`, `""`))
				bw.WriteByte('"')
			} else {
				bw.WriteString(f)
			}
		}
		bw.WriteString("\r\n")
	}
	record(columns)
	fields := make([]string, len(columns))
	for _, row := range rows {
		for c, v := range row {
			fields[c] = text(v, "")
		}
		record(fields)
	}
	return bw.Flush()
}

// Encoder streams values, one at a time, as NDJSON (one compact JSON value per line) or as
// an indented JSON array. Values are encoded with encoding/json, times in UTC.
type Encoder struct {
	w      *bufio.Writer
	array  bool
	n      int
	closed bool
	err    error
}

// NewEncoder returns an Encoder writing to w in format f: JSON gives an array, any other
// format NDJSON (tables and CSV have no way to show arbitrary values).
func NewEncoder(w io.Writer, f Format) *Encoder {
	return &Encoder{w: bufio.NewWriter(w), array: f == JSON}
}

// Encode writes v. With NDJSON, v is on the output once Encode returns.
func (e *Encoder) Encode(v any) error {
	if e.err != nil {
		return e.err
	}
	if e.closed {
		return fmt.Errorf("output: encode after close")
	}
	b, err := marshal(v)
	if err != nil {
		return fmt.Errorf("output: encode %T: %w", v, err)
	}
	if e.array {
		if e.n == 0 {
			e.w.WriteString("[\n  ")
		} else {
			e.w.WriteString(",\n  ")
		}
		var ind bytes.Buffer
		if err := json.Indent(&ind, b, "  ", "  "); err != nil {
			return fmt.Errorf("output: encode %T: %w", v, err)
		}
		e.w.Write(ind.Bytes())
	} else {
		e.w.Write(b)
		e.w.WriteByte('\n')
	}
	e.n++
	if !e.array {
		return e.flush()
	}
	return nil
}

// Close ends the output (the closing bracket of an array, "[]" for an empty one) and
// flushes it. It does not close the underlying writer.
func (e *Encoder) Close() error {
	if e.closed {
		return e.err
	}
	e.closed = true
	if e.err != nil {
		return e.err
	}
	if e.array {
		if e.n == 0 {
			e.w.WriteString("[]\n")
		} else {
			e.w.WriteString("\n]\n")
		}
	}
	return e.flush()
}

func (e *Encoder) flush() error {
	if err := e.w.Flush(); err != nil {
		e.err = fmt.Errorf("output: %w", err)
	}
	return e.err
}
