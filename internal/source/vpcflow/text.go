package vpcflow

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/source"
)

// textReader holds the state of one text input being read.
type textReader struct {
	sink   source.Sink
	norm   Normalizer
	ev     ocsf.NetworkActivity
	reuse  bool // ev holds the previous event, as normalize left it
	layout Layout
	// header is false until a header line is read: records then use the default format
	// and may carry the timestamp prefix of CloudWatch Logs exports.
	header bool
	// bad is why the current header cannot be used, nil when it can.
	bad error
	// firstBad is the first unusable header, returned by Read.
	firstBad error
}

// readText reads text records from br.
func (f Format) readText(ctx context.Context, in source.Input, br *bufio.Reader, sink source.Sink) error {
	t := &textReader{sink: sink, layout: DefaultLayout(),
		norm: Normalizer{Region: in.Region, Account: in.Account}}
	maxLine := f.maxLine()
	tooLong := "line longer than " + strconv.Itoa(maxLine) + " bytes"
	var (
		lineNo int64
		rec    Record // a local, so that it stays on the stack, out of the collector's heap
	)
	for {
		b, err := br.ReadSlice('\n')
		if len(b) == 0 && errors.Is(err, io.EOF) {
			break
		}
		lineNo++
		if lineNo%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("vpcflow: %s: %w", in.Name, err)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			if err := sink.DeadLetter(b[:maxLine], lineNo, tooLong); err != nil {
				return fmt.Errorf("vpcflow: %s: line %d: %w", in.Name, lineNo, err)
			}
			for errors.Is(err, bufio.ErrBufferFull) { // skip to the next line
				_, err = br.ReadSlice('\n')
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("vpcflow: %s: line %d: %w", in.Name, lineNo, err)
			}
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("vpcflow: %s: line %d: %w", in.Name, lineNo, err)
		}
		line := bytes.TrimSuffix(b, []byte{'\n'})
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(line) > maxLine {
			if err := sink.DeadLetter(line[:maxLine], lineNo, tooLong); err != nil {
				return fmt.Errorf("vpcflow: %s: line %d: %w", in.Name, lineNo, err)
			}
		} else if err := t.line(line, lineNo, &rec); err != nil {
			return fmt.Errorf("vpcflow: %s: line %d: %w", in.Name, lineNo, err)
		}
		if err != nil { // io.EOF after a last line without newline
			break
		}
	}
	if t.firstBad != nil {
		return fmt.Errorf("vpcflow: %s: %w", in.Name, t.firstBad)
	}
	return nil
}

// line handles one line (without line ending), parsing it into rec; it returns only the
// sink's errors.
func (t *textReader) line(b []byte, pos int64, rec *Record) error {
	if isBlank(b) {
		return nil
	}
	s := string(b) // the record's strings share this one allocation
	if ts := trimLine(s); ts[0] >= 'a' && ts[0] <= 'z' && looksLikeHeader(ts) {
		l, err := ParseHeader(s)
		if err != nil {
			t.bad = fmt.Errorf("header on line %d: %w", pos, err)
			if t.firstBad == nil {
				t.firstBad = t.bad
			}
		} else {
			t.layout, t.bad = l, nil
		}
		t.header = true
		return nil
	}
	if t.bad != nil {
		return t.sink.DeadLetter(b, pos, "unusable format: "+t.bad.Error())
	}
	if !t.header {
		s = trimExportTimestamp(s)
	}
	if err := t.layout.Parse(s, rec); err != nil {
		return t.sink.DeadLetter(b, pos, err.Error())
	}
	if err := t.norm.normalize(&t.ev, rec, t.reuse); err != nil {
		t.reuse = false // normalize may have stopped half-way
		return t.sink.DeadLetter(b, pos, err.Error())
	}
	t.reuse = true
	return t.sink.Event(&t.ev, pos)
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}

// trimExportTimestamp removes the RFC 3339 timestamp that CloudWatch Logs exports put before
// each message ("2024-05-01T12:00:00.000Z 2 123456789012 eni-..."), if s has one.
func trimExportTimestamp(s string) string {
	tok, rest := nextToken(s)
	if len(tok) < len("2006-01-02T15:04:05Z") || tok[len(tok)-1] != 'Z' || tok[4] != '-' || tok[10] != 'T' {
		return s
	}
	if _, err := time.Parse(time.RFC3339Nano, tok); err != nil {
		return s
	}
	return rest
}

// sniffText reports whether the first non-blank line of head is a flow log header naming
// at least two known fields, or a record in the default format.
func sniffText(head []byte) bool {
	var line []byte
	for len(head) > 0 {
		i := bytes.IndexByte(head, '\n')
		if i < 0 {
			line, head = head, nil
		} else {
			line, head = head[:i], head[i+1:]
		}
		if !isBlank(line) {
			break
		}
		line = nil
	}
	if line == nil {
		return false
	}
	s := trimLine(string(line))
	if looksLikeHeader(s) {
		known := 0
		for rest := s; ; {
			var tok string
			if tok, rest = nextToken(rest); tok == "" {
				break
			}
			if _, ok := FieldByName(tok); ok {
				known++
			}
		}
		return known >= 2
	}
	var r Record
	if err := DefaultLayout().Parse(trimExportTimestamp(s), &r); err != nil {
		return false
	}
	switch r.String(FieldAction) {
	case "ACCEPT", "REJECT", "-":
	default:
		return false
	}
	switch r.String(FieldLogStatus) {
	case "OK", "NODATA", "SKIPDATA":
	default:
		return false
	}
	return r.Has(FieldVersion) && r.Has(FieldStart)
}
