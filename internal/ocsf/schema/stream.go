package schema

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxLineSize is the longest NDJSON line ValidateStream accepts; a longer line is an invalid
// record.
const MaxLineSize = 64 << 20

// Result is the outcome of validating one record of a stream.
type Result struct {
	Index  int    // the record's position in the input, from 0
	Line   int    // the line on which the record starts, from 1
	UID    string // metadata.uid of the event, when it has one
	Errors Errors // the record's problems; empty when it is valid
}

// Valid reports whether the record has no problem.
func (r Result) Valid() bool { return len(r.Errors) == 0 }

// Summary counts the records of a stream.
type Summary struct {
	Records int // records read
	Valid   int // records without problems
	Invalid int // records with problems, records that are not JSON objects included
}

// ValidateStream validates every event of r against s: r holds one JSON object, a JSON array
// of objects, a sequence of JSON objects (pretty-printed or not), or NDJSON (one object a
// line; blank lines are skipped). fn, when not nil, receives the result of each record in
// order; an error from fn stops the validation and is returned. A record that is not JSON or
// not an object is an invalid record. NDJSON is read line by line, so a malformed line is
// one invalid record; malformed JSON inside an array or a pretty-printed sequence ends the
// stream with an error after that invalid record, because the records after it cannot be
// found.
func (s *Schema) ValidateStream(ctx context.Context, r io.Reader, fn func(Result) error) (Summary, error) {
	return validateStream(ctx, r, func(map[string]any) *Schema { return s }, fn, MaxLineSize)
}

// ValidateStream is [Schema.ValidateStream] with the embedded schema that each event's
// metadata.version names, and OCSF 1.1.0 for events without a version or with a version
// that is not embedded (which then fail with a version error).
func ValidateStream(ctx context.Context, r io.Reader, fn func(Result) error) (Summary, error) {
	schemas := make(map[string]*Schema)
	for _, ver := range Versions() {
		s, err := Load(ver)
		if err != nil {
			return Summary{}, err
		}
		schemas[ver] = s
	}
	def := schemas[Version110]
	return validateStream(ctx, r, func(event map[string]any) *Schema {
		metadata, _ := event["metadata"].(map[string]any)
		ver, _ := metadata["version"].(string)
		if s := schemas[ver]; s != nil {
			return s
		}
		return def
	}, fn, MaxLineSize)
}

// stream is the state of one ValidateStream.
type stream struct {
	ctx     context.Context
	choose  func(map[string]any) *Schema
	fn      func(Result) error
	maxLine int
	summary Summary
}

func validateStream(ctx context.Context, r io.Reader, choose func(map[string]any) *Schema,
	fn func(Result) error, maxLine int) (Summary, error) {
	st := &stream{ctx: ctx, choose: choose, fn: fn, maxLine: maxLine}
	err := st.run(r)
	return st.summary, err
}

func (st *stream) run(r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	// Leading white space, kept to replay it to a JSON decoder and to count lines.
	var head []byte
	for {
		b, err := br.ReadByte()
		if err == io.EOF {
			return nil // empty input: no records
		}
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		if !isSpace(b) {
			_ = br.UnreadByte()
			if b == '[' {
				return st.array(io.MultiReader(bytes.NewReader(head), br))
			}
			break
		}
		head = append(head, b)
	}
	first, tooLong, err := readLine(br, st.maxLine)
	if err != nil && err != io.EOF {
		return fmt.Errorf("read: %w", err)
	}
	if !tooLong && incomplete(first) {
		// The first value spans lines: a pretty-printed object or sequence of objects.
		return st.sequence(io.MultiReader(bytes.NewReader(head), bytes.NewReader(first),
			bytes.NewReader([]byte("\n")), br))
	}
	return st.lines(br, bytes.Count(head, []byte("\n"))+1, first, tooLong, err == io.EOF)
}

// incomplete reports whether line starts a JSON value that it does not end, as the first line
// of a pretty-printed object does.
func incomplete(line []byte) bool {
	var raw json.RawMessage
	err := json.NewDecoder(bytes.NewReader(line)).Decode(&raw)
	return errors.Is(err, io.ErrUnexpectedEOF)
}

// lines validates NDJSON, one record a line. first is the first non-blank line.
func (st *stream) lines(br *bufio.Reader, lineNo int, first []byte, tooLong, eof bool) error {
	line := first
	for {
		if len(bytes.TrimSpace(line)) > 0 || tooLong {
			var err error
			if tooLong {
				err = st.invalid(lineNo, fmt.Sprintf("line longer than %d bytes", st.maxLine))
			} else {
				err = st.record(lineNo, line)
			}
			if err != nil {
				return err
			}
		}
		if eof {
			return nil
		}
		var err error
		line, tooLong, err = readLine(br, st.maxLine)
		if err != nil && err != io.EOF {
			return fmt.Errorf("read line %d: %w", lineNo+1, err)
		}
		eof = err == io.EOF
		if eof && len(line) == 0 && !tooLong {
			return nil
		}
		lineNo++
	}
}

// readLine reads a line without its end ("\n" or "\r\n"). A line longer than max is consumed
// entirely but returned empty, with tooLong set. err is io.EOF at the end of the input.
func readLine(br *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(chunk) > max+2 {
				tooLong, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == nil {
			line = bytes.TrimSuffix(line, []byte("\n"))
			line = bytes.TrimSuffix(line, []byte("\r"))
			if len(line) > max {
				tooLong, line = true, nil
			}
		}
		return line, tooLong, err
	}
}

// array validates the elements of a JSON array, streaming.
func (st *stream) array(r io.Reader) error {
	cr := &lineCounter{r: r}
	dec := json.NewDecoder(cr)
	if _, err := dec.Token(); err != nil { // [
		return fmt.Errorf("read: %w", err)
	}
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return st.broken(cr.valueLineAt(dec.InputOffset()), err)
		}
		if err := st.record(cr.lineAt(dec.InputOffset()-int64(len(raw))), raw); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // ]
		return st.broken(cr.valueLineAt(dec.InputOffset()), err)
	}
	if tok, err := dec.Token(); err != io.EOF {
		if err == nil {
			err = fmt.Errorf("unexpected %v after the array", tok)
		}
		return st.broken(cr.valueLineAt(dec.InputOffset()), err)
	}
	return nil
}

// sequence validates a sequence of JSON values, such as one pretty-printed object.
func (st *stream) sequence(r io.Reader) error {
	cr := &lineCounter{r: r}
	dec := json.NewDecoder(cr)
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return st.broken(cr.valueLineAt(dec.InputOffset()), err)
		}
		if err := st.record(cr.lineAt(dec.InputOffset()-int64(len(raw))), raw); err != nil {
			return err
		}
	}
}

// broken reports malformed JSON that ends the stream: an invalid record, then an error.
func (st *stream) broken(line int, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		err = errors.New("unexpected end of input")
	}
	if ferr := st.invalid(line, "not JSON: "+err.Error()); ferr != nil {
		return ferr
	}
	return fmt.Errorf("line %d: malformed JSON, records after it cannot be read: %w", line, err)
}

// record validates the record whose JSON text starts on line.
func (st *stream) record(line int, text []byte) error {
	event, err := decodeObject(text)
	if err != nil {
		return st.invalid(line, err.Error())
	}
	res := Result{Index: st.summary.Records, Line: line}
	if metadata, ok := event["metadata"].(map[string]any); ok {
		res.UID, _ = metadata["uid"].(string)
	}
	res.Errors = st.choose(event).Validate(event)
	return st.emit(res)
}

// invalid reports a record that is not a JSON object.
func (st *stream) invalid(line int, msg string) error {
	return st.emit(Result{Index: st.summary.Records, Line: line, Errors: Errors{{Kind: KindSyntax, Msg: msg}}})
}

func (st *stream) emit(res Result) error {
	if err := st.ctx.Err(); err != nil {
		return err
	}
	st.summary.Records++
	if res.Valid() {
		st.summary.Valid++
	} else {
		st.summary.Invalid++
	}
	if st.fn == nil {
		return nil
	}
	return st.fn(res)
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// lineCounter passes reads through and tells the line of a byte offset already read. It keeps
// the bytes between the last offset asked for and the read position only, so its memory is
// bounded by the JSON decoder's own buffer; offsets asked for must not decrease.
type lineCounter struct {
	r     io.Reader
	start int64  // offset of buf[0]
	buf   []byte // the bytes read from start on
	line  int    // newlines before start
}

func (c *lineCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.buf = append(c.buf, p[:n]...)
	return n, err
}

// lineAt returns the line, from 1, of byte offset off.
func (c *lineCounter) lineAt(off int64) int {
	if k := min(off-c.start, int64(len(c.buf))); k > 0 {
		c.line += bytes.Count(c.buf[:k], []byte("\n"))
		c.buf = c.buf[k:]
		c.start += k
	}
	return c.line + 1
}

// valueLineAt returns the line of the first byte at or after off that can start a JSON value,
// skipping white space and the separators "," and ":". It locates a value the decoder failed
// on.
func (c *lineCounter) valueLineAt(off int64) int {
	line := c.lineAt(off)
	for _, b := range c.buf {
		if b == '\n' {
			line++
		} else if !isSpace(b) && b != ',' && b != ':' {
			break
		}
	}
	return line
}
