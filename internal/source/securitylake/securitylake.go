// Package securitylake reads the Parquet files of an existing Amazon Security Lake — source
// version 1 (OCSF 1.0.0-rc.2) and version 2 (OCSF 1.1.0) — into mcpwatch's OCSF 1.1.0
// types, so that a lake can be seeded from, or kept in step with, a real Security Lake.
//
// # Input
//
// One Parquet file, read row group by row group through Input.ReaderAt (memory is bounded
// by a row group's pages, whatever the file's size). The schema is walked from the file's
// footer, not through parquet-go's Go type mapping, so that the legacy two-level lists and
// MAP_KEY_VALUE maps that Security Lake's parquet-mr files use are read as their writer
// meant; any panic of the decoder is recovered into an error. Each row is a record: stored,
// or dead-lettered with the reason (a class mcpwatch has no type for, a malformed row) and
// the row as JSON. The position of a record is its 1-based row number.
//
// # Conversion
//
// The class comes from each row's class_uid and the OCSF version from its metadata.version;
// when the file sits in Security Lake's S3 layout
// (…/aws/<SOURCE>/<version>/region=<r>/accountId=<a>/…), the layout's version, region and
// account fill what the rows lack.
//
//   - 4001 Network Activity → ocsf.NetworkActivity (VPC_FLOW), 4003 DNS Activity →
//     ocsf.DNSActivity (ROUTE53), 6003 API Activity (3005 in rc.2), 3002 Authentication and
//     3001 Account Change → ocsf.APIActivity, ocsf.Authentication, ocsf.AccountChange
//     (CLOUD_TRAIL_MGMT), 2002/2003/2004 findings (2001 Security Finding in rc.2) →
//     ocsf.ImportedFinding (SH_FINDINGS). Other classes are dead-lettered with the reason
//     (a *NoTypeError), as are EKS audit logs, which have no lake table yet.
//   - Attributes are set by their OCSF names (the types' json tags). What a type has no
//     attribute for is kept in unmapped under its attribute path ("metadata.log_level",
//     "malware[].name"), the values of a path within lists joined with
//     commas, so that nothing is dropped.
//   - 1.0.0-rc.2 rows are upgraded to 1.1.0: the renames of upgradeRC2 and
//     upgradeSecurityFinding; class, category, activity and type captions of 1.1.0 (rc.2's
//     "Audit Activity" category is "Identity & Access Management"), an activity the 1.1.0
//     class lacks (rc.2 DNS rows with Refuse and Fail) becoming Other (99) with its caption;
//     action_id, which 1.1.0's security_control profile requires, from the disposition;
//     every _dt twin and the datetime profile; observables as mcpwatch's own formats make
//     them.
//   - Every row: metadata.version is 1.1.0; cloud.provider, region and account are completed
//     from the layout, else the input's location (rc.2 CloudTrail rows have no account:
//     recipientAccountId in unmapped, else the actor's account, is used last); an endpoint
//     ip that is no IP address is omitted ("-") or kept in unmapped; an endpoint with only a
//     domain (CloudTrail's AWS service callers) gets it as svc_name too; an Authentication
//     with neither service nor dst_endpoint gets its API's service, as 1.1.0 requires one.
//
// Timestamps may be INT64 with TIMESTAMP(MILLIS|MICROS|NANOS) or the legacy converted types,
// or INT96; text must be UTF-8 (a row with other bytes is dead-lettered).
package securitylake

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/mcpwatch/mcpwatch/internal/source"
)

// Table is the dead-letter area of Security Lake inputs. Their events go to the table of
// their class (see the package documentation), not to a table of this name.
const Table = "SECURITY_LAKE"

// rowBatch is how many rows are read at a time.
const rowBatch = 256

// Format is the Security Lake Parquet source format. The zero value is ready to use; it is
// safe for concurrent use.
type Format struct{}

var _ source.Format = Format{}

// Name returns "securitylake".
func (Format) Name() string { return "securitylake" }

// Table returns "SECURITY_LAKE", where the dead letters of Security Lake inputs go. Events go
// to the table of their class.
func (Format) Table() string { return Table }

var parquetMagic = []byte("PAR1")

// Sniff reports whether head, the Parquet magic followed by the file's footer, is the footer
// of an OCSF file: a schema with a top-level class_uid column and a metadata group, which
// every Security Lake table has and no AWS log delivered as Parquet (such as VPC Flow Logs)
// has.
func (Format) Sniff(head []byte) bool {
	footer, ok := bytes.CutPrefix(head, parquetMagic)
	if !ok || len(footer) == 0 {
		return false
	}
	var md format.FileMetaData
	if err := guard(func() error { return thrift.Unmarshal(new(thrift.CompactProtocol), footer, &md) }); err != nil {
		return false
	}
	s, err := buildSchema(md.Schema)
	if err != nil {
		return false
	}
	class, meta := s.byName["class_uid"], s.byName["metadata"]
	return class != nil && class.kind == kindLeaf && meta != nil && meta.kind == kindGroup
}

// Read streams every row of the Parquet file in to sink (see the package documentation).
// The events are new for each row: the sink may keep them.
func (f Format) Read(ctx context.Context, in source.Input, sink source.Sink) error {
	if in.ReaderAt == nil {
		return fmt.Errorf("securitylake: %s: Parquet needs random access (Input.ReaderAt)", in.Name)
	}
	if err := checkFooter(in.ReaderAt, in.Size); err != nil {
		return fmt.Errorf("securitylake: %s: %w", in.Name, err)
	}
	var pf *parquet.File
	err := guard(func() (err error) {
		pf, err = parquet.OpenFile(in.ReaderAt, in.Size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
		return err
	})
	if err != nil {
		return fmt.Errorf("securitylake: %s: opening Parquet file: %w", in.Name, err)
	}
	s, err := buildSchema(pf.Metadata().Schema)
	if err != nil {
		return fmt.Errorf("securitylake: %s: %w", in.Name, err)
	}
	if _, ok := s.byName["class_uid"]; !ok {
		return fmt.Errorf("securitylake: %s: %w: no class_uid column, not OCSF", in.Name, errSchema)
	}
	loc, _ := ParseLocation(in.Name)
	r := &reader{sink: sink, asm: newAssembler(s),
		conv: converter{b: &binder{}, loc: loc, region: in.Region, account: in.Account}}
	rows := make([]parquet.Row, rowBatch)
	for i, rg := range pf.RowGroups() {
		if err := r.rowGroup(ctx, rg, rows); err != nil {
			return fmt.Errorf("securitylake: %s: row group %d, after %d rows: %w", in.Name, i, r.pos, err)
		}
	}
	return nil
}

// reader is the state of one file being read.
type reader struct {
	sink source.Sink
	asm  *assembler
	conv converter
	pos  int64
}

// rowGroup reads one row group. A decoder panic ends the file with an error (what was read
// before it is kept).
func (r *reader) rowGroup(ctx context.Context, rg parquet.RowGroup, buf []parquet.Row) error {
	var rows parquet.Rows
	if err := guard(func() error { rows = rg.Rows(); return nil }); err != nil {
		return err
	}
	defer guard(func() error { return rows.Close() })
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var n int
		var readErr error
		if err := guard(func() error { n, readErr = rows.ReadRows(buf); return nil }); err != nil {
			return err
		}
		for _, row := range buf[:n] {
			if err := r.row(row); err != nil {
				return err
			}
		}
		if errors.Is(readErr, io.EOF) {
			return nil
		}
		if readErr != nil {
			return readErr
		}
		if n == 0 {
			return errors.New("the Parquet reader returned no rows and no error")
		}
	}
}

// row converts one row and hands it to the sink.
func (r *reader) row(row parquet.Row) error {
	r.pos++
	var m map[string]any
	err := guard(func() (err error) { m, err = r.asm.assemble(row); return err })
	if err != nil {
		return r.sink.DeadLetter(rowText(r.asm.s, row), r.pos, err.Error())
	}
	if r.conv.isEKS(m) {
		raw, _ := json.Marshal(m) // every value of an assembled row encodes
		return r.sink.DeadLetter(raw, r.pos, errEKS.Error())
	}
	if _, err := r.conv.check(m); err != nil {
		raw, _ := json.Marshal(m)
		return r.sink.DeadLetter(raw, r.pos, err.Error())
	}
	ev, err := r.conv.convert(m)
	if err != nil { // check accepted the row: conversion cannot fail; keep the row if it did
		raw, _ := json.Marshal(m)
		return r.sink.DeadLetter(raw, r.pos, err.Error())
	}
	return r.sink.Event(ev, r.pos)
}

// rowText is a row that could not be assembled, column by column, for its dead letter.
func rowText(s *pqSchema, row parquet.Row) []byte {
	var b bytes.Buffer
	for _, v := range row {
		name := "?"
		if c := v.Column(); c >= 0 && c < len(s.columns) {
			name = pathName(s.columns[c].path)
		}
		fmt.Fprintf(&b, "%s r=%d d=%d %v\n", name, v.RepetitionLevel(), v.DefinitionLevel(), v)
	}
	return b.Bytes()
}

// guard runs fn, turning a panic into an error: parquet-go can panic on corrupt or unusual
// files.
func guard(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the Parquet decoder failed: %v", p)
		}
	}()
	return fn()
}

// checkFooter checks the footer length that ends a Parquet file against the file's size,
// before the decoder allocates that much for it.
func checkFooter(r io.ReaderAt, size int64) error {
	const framing = 4 + 4 + 4 // leading magic, footer length, trailing magic
	if size < framing {
		return fmt.Errorf("corrupt Parquet file: %d bytes", size)
	}
	var tail [8]byte
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return fmt.Errorf("reading the Parquet footer: %w", err)
	}
	if !bytes.Equal(tail[4:], parquetMagic) {
		return errors.New("not a Parquet file: no magic at its end")
	}
	if n := int64(binary.LittleEndian.Uint32(tail[:4])); n > size-framing {
		return fmt.Errorf("corrupt Parquet file: a footer of %d bytes in a file of %d", n, size)
	}
	return nil
}
