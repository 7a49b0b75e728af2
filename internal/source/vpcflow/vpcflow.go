// Package vpcflow reads Amazon VPC Flow Logs, as text or Parquet, and normalizes their
// records to OCSF 1.1.0 Network Activity (class 4001) events exactly as Amazon Security Lake
// does, for the VPC_FLOW table.
//
// # Input
//
// Text records are space-separated fields, "-" for a value that does not apply. Deliveries
// to S3 start with a header line naming the fields (any subset of versions 2 to 8, in any
// order, hyphenated or underscored); without a header (CloudWatch Logs, the default format)
// the default version 2 order applies, and the RFC 3339 timestamp that CloudWatch Logs
// exports put before each message is skipped. A header may come again later (concatenated
// files) and then applies to the lines after it. A header naming an unknown field makes the
// records that follow it unusable: each is dead-lettered with the reason, and Read returns
// an *UnknownFieldError once it has read them all. Records must be printable UTF-8; lines
// longer than Format.MaxLineBytes are dead-lettered (their first MaxLineBytes bytes) and
// reading resumes at the next line; blank lines and header lines are not records, and CRLF
// line endings are accepted. Parquet deliveries (columns named like the fields with '_' for
// '-') are read row group by row group through Input.ReaderAt; numeric columns may be
// INT32, INT64, DOUBLE (integral values) or text, start and end may be TIMESTAMPs.
//
// # Mapping
//
//   - activity, action, disposition from action: ACCEPT is Traffic (6), Allowed (1) and
//     Allowed (1); REJECT is Refuse (5), Denied (2) and Blocked (2); "-" is Unknown (0),
//     action Unknown (0) and disposition "-" (Other, 99). The security_control profile
//     requires action_id and forbids 99, so a record whose action is unknown gets 0.
//   - src_endpoint.ip is pkt-srcaddr when present and different from srcaddr, which then
//     goes to src_endpoint.intermediate_ips; srcaddr otherwise (dst likewise).
//   - interface-id, vpc-id, instance-id and subnet-id describe the destination endpoint of
//     ingress traffic and the source endpoint otherwise (egress, "-", no flow-direction).
//   - svc_name from pkt-src-aws-service and pkt-dst-aws-service, "-" kept as AWS keeps it.
//     An endpoint the record tells nothing about (NODATA records) gets svc_name "-" too, so
//     that the required src_endpoint and dst_endpoint are never empty.
//   - connection_info: protocol_num from protocol, protocol_ver from type ("-" kept),
//     tcp_flags, boundary_id = traffic-path + 3 with its caption (99 and "-" when
//     traffic-path is "-" or absent), direction Inbound (1) for ingress, Outbound (2) for
//     egress, "-" (99) for "-", Unknown (0) when the input has no flow-direction.
//   - time and start_time from start, end_time from end, in milliseconds, with their _dt;
//     a record with neither start nor end is dead-lettered (the lake partitions by time).
//   - status_code from log-status; traffic.packets and traffic.bytes.
//   - cloud.account.uid from account-id, cloud.region from region (else the input's
//     location), cloud.zone from az-id, provider AWS.
//   - metadata: product Amazon VPC by AWS, feature Flowlogs, version the record's version;
//     profiles cloud, security_control, datetime; OCSF version 1.1.0. Severity
//     Informational (1).
//   - observables: ip (then intermediate_ips) and instance_uid of dst_endpoint, then of
//     src_endpoint.
//   - unmapped: sublocation-type, sublocation-id, the ECS fields and reject-reason, under
//     their column names ("sublocation_id"), values as written, when the input has them.
//
// Values "-" are omitted elsewhere; IP addresses are checked and a record with a bad one
// is dead-lettered.
package vpcflow

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/mcpwatch/mcpwatch/internal/source"
)

// DefaultMaxLineBytes is the longest text line Format reads when MaxLineBytes is 0. A
// version 8 record with every field, ARNs included, is under 2 KiB.
const DefaultMaxLineBytes = 64 << 10

// checkEvery is how many records Read handles between two checks of its context.
const checkEvery = 4096

// Format is the VPC Flow Logs source format. The zero value is ready to use.
type Format struct {
	// MaxLineBytes bounds the length of a text line, line ending excluded; a longer line
	// is dead-lettered. 0 means DefaultMaxLineBytes.
	MaxLineBytes int
}

var _ source.Format = Format{}

// Name returns "vpcflow".
func (Format) Name() string { return "vpcflow" }

// Table returns "VPC_FLOW", Security Lake's table of VPC Flow Logs.
func (Format) Table() string { return "VPC_FLOW" }

func (f Format) maxLine() int {
	if f.MaxLineBytes > 0 {
		return f.MaxLineBytes
	}
	return DefaultMaxLineBytes
}

// parquetMagic starts (and ends) every Parquet file.
var parquetMagic = []byte("PAR1")

// Sniff reports whether head looks like VPC Flow Logs: a header line naming at least two
// flow log fields, a record in the default format, or Parquet whose schema (in head when
// the file is small) has at least two flow log columns. Parquet files whose footer lies
// beyond head cannot be recognized; name the format explicitly for those.
func (Format) Sniff(head []byte) bool {
	if bytes.HasPrefix(head, parquetMagic) {
		return sniffParquet(head)
	}
	return sniffText(head)
}

// Read streams every record of in to sink: each data line or Parquet row becomes exactly
// one Event, DeadLetter or Skip call, with its 1-based line or row number.
//
// The event passed to sink.Event is reused for the next record once the call returns, so
// a sink that keeps it must copy it; a shallow copy is enough, because the strings, slices,
// pointers and maps it references are never modified afterwards. The event and what it
// references are read-only: a sink must not modify them (Read rewrites only the parts of
// the event that vary from one record to the next).
//
// Read returns an error when in cannot be read, when sink fails, when ctx is done, and,
// after dead-lettering their records, when a header or Parquet schema names an unknown
// field (an *UnknownFieldError).
func (f Format) Read(ctx context.Context, in source.Input, sink source.Sink) error {
	if in.ReaderAt != nil && in.Size >= int64(len(parquetMagic)) {
		var magic [4]byte
		if _, err := in.ReaderAt.ReadAt(magic[:], 0); err == nil && bytes.Equal(magic[:], parquetMagic) {
			return f.readParquet(ctx, in, sink)
		}
	}
	r := in.R
	if r == nil {
		if in.ReaderAt == nil {
			return fmt.Errorf("vpcflow: %s: input has no content reader", in.Name)
		}
		r = io.NewSectionReader(in.ReaderAt, 0, in.Size)
	}
	br := bufio.NewReaderSize(r, f.maxLine()+2)
	head, err := br.Peek(len(parquetMagic))
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("vpcflow: %s: reading: %w", in.Name, err)
	}
	if bytes.Equal(head, parquetMagic) {
		return fmt.Errorf("vpcflow: %s: Parquet content needs random access (Input.ReaderAt), spool it to a file first", in.Name)
	}
	return f.readText(ctx, in, br, sink)
}
