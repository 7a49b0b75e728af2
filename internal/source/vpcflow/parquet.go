package vpcflow

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/source"
)

// rowBatch is how many Parquet rows are read at a time.
const rowBatch = 256

// parquetColumn is how one Parquet column maps to a flow log field.
type parquetColumn struct {
	field Field
	// unit is the column's time unit when it is a TIMESTAMP (start, end), 0 otherwise.
	unit time.Duration
}

// parquetReader holds the state of one Parquet input being read.
type parquetReader struct {
	sink  source.Sink
	norm  Normalizer
	ev    ocsf.NetworkActivity
	reuse bool // ev holds the previous event, as normalize left it
	rec   Record
	cols  []parquetColumn
	set   FieldSet
	bad   error // why the schema cannot be used, nil when it can
	buf   []byte
	spans [numFields]struct{ start, end int }
}

// readParquet reads a Parquet delivery through in.ReaderAt, row group by row group.
func (f Format) readParquet(ctx context.Context, in source.Input, sink source.Sink) error {
	if err := checkFooter(in.ReaderAt, in.Size); err != nil {
		return fmt.Errorf("vpcflow: %s: %w", in.Name, err)
	}
	var pf *parquet.File
	err := guard(func() (err error) {
		pf, err = parquet.OpenFile(in.ReaderAt, in.Size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
		return err
	})
	if err != nil {
		return fmt.Errorf("vpcflow: %s: opening Parquet file: %w", in.Name, err)
	}
	p := &parquetReader{sink: sink, norm: Normalizer{Region: in.Region, Account: in.Account}}
	if err := guard(func() error { p.mapColumns(pf.Schema()); return nil }); err != nil {
		return fmt.Errorf("vpcflow: %s: %w", in.Name, err)
	}

	rows := make([]parquet.Row, rowBatch)
	var pos int64
	var groups []parquet.RowGroup
	if err := guard(func() error { groups = pf.RowGroups(); return nil }); err != nil {
		return fmt.Errorf("vpcflow: %s: %w", in.Name, err)
	}
	for _, rg := range groups {
		if err := p.readRowGroup(ctx, rg, rows, &pos); err != nil {
			return fmt.Errorf("vpcflow: %s: after %d rows: %w", in.Name, pos, err)
		}
	}
	if p.bad != nil {
		return fmt.Errorf("vpcflow: %s: %w", in.Name, p.bad)
	}
	return nil
}

// checkFooter checks the footer length that ends a Parquet file (before the trailing magic)
// against the file's size, before the decoder allocates that much for it: a corrupt
// length could otherwise ask for up to 4 GiB.
func checkFooter(r io.ReaderAt, size int64) error {
	const framing = 4 + 4 + 4 // leading magic, footer length, trailing magic
	if size < framing {
		return fmt.Errorf("corrupt Parquet file: %d bytes", size)
	}
	var tail [8]byte
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return fmt.Errorf("reading the Parquet footer: %w", err)
	}
	if n := int64(binary.LittleEndian.Uint32(tail[:4])); n > size-framing {
		return fmt.Errorf("corrupt Parquet file: a footer of %d bytes in a file of %d", n, size)
	}
	return nil
}

// mapColumns maps the schema's leaf columns to fields, setting p.bad when one is unknown.
func (p *parquetReader) mapColumns(schema *parquet.Schema) {
	paths := schema.Columns()
	p.cols = make([]parquetColumn, len(paths))
	for i, path := range paths {
		name := strings.Join(path, ".")
		f, ok := FieldByName(name)
		if !ok || len(path) != 1 {
			if p.bad == nil {
				p.bad = fmt.Errorf("schema of the Parquet file: %w", &UnknownFieldError{Name: name})
			}
			continue
		}
		if p.set.Has(f) {
			if p.bad == nil {
				p.bad = fmt.Errorf("schema of the Parquet file: field %q appears twice", name)
			}
			continue
		}
		p.set = p.set.With(f)
		p.cols[i].field = f
		if leaf, ok := schema.Lookup(path...); ok {
			if lt := leaf.Node.Type().LogicalType(); lt != nil {
				if ts, ok := lt.Value.(*format.TimestampType); ok && ts.Unit.Value != nil {
					p.cols[i].unit = ts.Unit.Value.Duration()
				}
			}
		}
	}
}

// guard runs a call into the Parquet decoder, which may panic on a corrupt file, and turns a
// panic into an error. Only decoder calls are guarded, so that a bug of this package still
// crashes loudly in tests.
func guard(call func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("corrupt Parquet file: %v", p)
		}
	}()
	return call()
}

// readRowGroup reads the rows of rg; *pos counts rows across the file.
func (p *parquetReader) readRowGroup(ctx context.Context, rg parquet.RowGroup, rows []parquet.Row, pos *int64) error {
	var rr parquet.Rows
	if err := guard(func() error { rr = rg.Rows(); return nil }); err != nil {
		return err
	}
	defer guard(rr.Close) //nolint:errcheck // nothing to do about a failing close of a reader
	for {
		var n int
		err := guard(func() (err error) { n, err = rr.ReadRows(rows); return err })
		for _, row := range rows[:n] {
			*pos++
			if *pos%checkEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if err := p.row(row, *pos); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading Parquet rows: %w", err)
		}
		if n == 0 {
			return errors.New("reading Parquet rows: no progress")
		}
	}
}

// row handles one row; it returns only the sink's errors.
func (p *parquetReader) row(row parquet.Row, pos int64) error {
	if p.bad != nil {
		return p.sink.DeadLetter(renderRow(row), pos, "unusable format: "+p.bad.Error())
	}
	if err := p.decode(row); err != nil {
		return p.sink.DeadLetter(renderRow(row), pos, err.Error())
	}
	if err := p.norm.normalize(&p.ev, &p.rec, p.reuse); err != nil {
		p.reuse = false // normalize may have stopped half-way
		return p.sink.DeadLetter(renderRow(row), pos, err.Error())
	}
	p.reuse = true
	return p.sink.Event(&p.ev, pos)
}

// decode fills p.rec from row. The text of the row's string fields is gathered in one buffer
// and turned into one string, which the fields share.
func (p *parquetReader) decode(row parquet.Row) error {
	r := &p.rec
	*r = Record{Fields: p.set}
	p.buf = p.buf[:0]
	var strs FieldSet
	for _, v := range row {
		c := v.Column()
		if c < 0 || c >= len(p.cols) {
			continue
		}
		col := p.cols[c]
		f := col.field
		if v.IsNull() {
			r.Dash = r.Dash.With(f)
			continue
		}
		if f.Kind() == KindString {
			start := len(p.buf)
			var err error
			p.buf, err = appendText(p.buf, f, v)
			if err != nil {
				return err
			}
			if len(p.buf)-start == 1 && p.buf[start] == '-' {
				r.Dash = r.Dash.With(f)
			}
			p.spans[f].start, p.spans[f].end = start, len(p.buf)
			strs = strs.With(f)
			continue
		}
		n, dash, err := intValue(f, v, col.unit)
		if err != nil {
			return err
		}
		if dash {
			r.Dash = r.Dash.With(f)
			continue
		}
		r.SetInt(f, n)
	}
	s := string(p.buf)
	for f := range numFields {
		switch {
		case strs.Has(f):
			v := s[p.spans[f].start:p.spans[f].end]
			if err := checkText(v); err != nil {
				return &ParseError{Field: f, HasField: true, Value: shorten(v), Reason: err.Reason}
			}
			r.str[f] = v
		case r.Dash.Has(f) && f.Kind() == KindString:
			r.str[f] = "-"
		}
	}
	if r.Has(FieldVersion) && !isDigits(r.str[FieldVersion]) {
		return fieldError(FieldVersion, r.str[FieldVersion], "not a version number")
	}
	return nil
}

// appendText appends the text of value v of string field f to b.
func appendText(b []byte, f Field, v parquet.Value) ([]byte, error) {
	switch v.Kind() {
	case parquet.ByteArray, parquet.FixedLenByteArray:
		return append(b, v.ByteArray()...), nil
	case parquet.Int32, parquet.Int64:
		n := v.Int64()
		if v.Kind() == parquet.Int32 {
			n = int64(v.Int32())
		}
		if f == FieldAccountID && n >= 0 && n < 1e12 {
			// An account id stored as a number lost its leading zeros.
			s := strconv.FormatInt(n, 10)
			for range 12 - len(s) {
				b = append(b, '0')
			}
			return append(b, s...), nil
		}
		return strconv.AppendInt(b, n, 10), nil
	case parquet.Float, parquet.Double:
		d := v.Double()
		if v.Kind() == parquet.Float {
			d = float64(v.Float())
		}
		if d == math.Trunc(d) && math.Abs(d) < 1<<53 {
			return strconv.AppendInt(b, int64(d), 10), nil
		}
		return strconv.AppendFloat(b, d, 'g', -1, 64), nil
	case parquet.Boolean:
		return strconv.AppendBool(b, v.Boolean()), nil
	}
	return b, fieldError(f, v.String(), "unsupported Parquet type "+v.Kind().String())
}

// intValue returns the value of numeric field f from v; dash is true for a "-" text value.
// unit is the column's TIMESTAMP unit, 0 for a plain number of seconds.
func intValue(f Field, v parquet.Value, unit time.Duration) (n int64, dash bool, err error) {
	limit := fieldInfos[f].max
	switch v.Kind() {
	case parquet.Int32:
		n = int64(v.Int32())
	case parquet.Int64:
		n = v.Int64()
		if unit > 0 && unit < time.Second { // a TIMESTAMP in milli-, micro- or nanoseconds
			n /= int64(time.Second / unit)
		}
	case parquet.Float, parquet.Double:
		d := v.Double()
		if v.Kind() == parquet.Float {
			d = float64(v.Float())
		}
		if d != math.Trunc(d) || d < 0 || d > float64(limit) {
			return 0, false, fieldError(f, strconv.FormatFloat(d, 'g', -1, 64), "not an integer in range 0.."+strconv.FormatInt(limit, 10))
		}
		n = int64(d)
	case parquet.ByteArray, parquet.FixedLenByteArray:
		s := v.ByteArray()
		if string(s) == "-" {
			return 0, true, nil
		}
		var ok bool
		if n, ok = parseUint(string(s), limit); !ok {
			return 0, false, fieldError(f, string(s), numberReason(string(s), limit))
		}
	default:
		return 0, false, fieldError(f, v.String(), "unsupported Parquet type "+v.Kind().String())
	}
	if n < 0 || n > limit {
		return 0, false, fieldError(f, strconv.FormatInt(n, 10), "out of range 0.."+strconv.FormatInt(limit, 10))
	}
	return n, false, nil
}

// renderRow writes a row as a text record, values in column order, "-" for nulls: the raw
// form of a dead-lettered row.
func renderRow(row parquet.Row) []byte {
	var b []byte
	for i, v := range row {
		if i > 0 {
			b = append(b, ' ')
		}
		switch {
		case v.IsNull():
			b = append(b, '-')
		case v.Kind() == parquet.ByteArray || v.Kind() == parquet.FixedLenByteArray:
			b = append(b, v.ByteArray()...)
		default:
			b = append(b, v.String()...)
		}
	}
	return b
}

// flowColumns are column names only flow logs have; sniffParquet looks for them in the
// schema of a Parquet file's footer. Names that OCSF tables also hold, as attributes
// (tcp_flags) or unmapped keys (sublocation_type), are left out: Security Lake's own
// Parquet must not pass for flow logs.
var flowColumns = [][]byte{
	[]byte("srcaddr"), []byte("dstaddr"), []byte("srcport"), []byte("dstport"),
	[]byte("interface_id"), []byte("log_status"), []byte("flow_direction"),
	[]byte("traffic_path"), []byte("pkt_src_aws_service"), []byte("pkt_dst_aws_service"),
	[]byte("az_id"),
}

// sniffParquet reports whether head, which starts with the Parquet magic, shows at least two
// flow log column names.
func sniffParquet(head []byte) bool {
	found := 0
	for _, name := range flowColumns {
		if bytes.Contains(head, name) {
			found++
		}
	}
	return found >= 2
}
