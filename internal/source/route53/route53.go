// Package route53 reads Amazon Route 53 Resolver query logs (VPC DNS queries, with the
// actions of Route 53 Resolver DNS Firewall) and normalizes their records to OCSF 1.1.0 DNS
// Activity (class 4003) events as Amazon Security Lake does, for its ROUTE53 table.
//
// # Input
//
// Records are JSON objects as Resolver writes them: one a line in its S3 deliveries, also
// concatenated or pretty-printed (Kinesis Data Firehose), in a JSON array, or in CloudWatch
// Logs exports whose lines start with a timestamp. Compression is the caller's business. Every
// record yields exactly one call of the sink with its 1-based number in the input: Event, or
// DeadLetter with a precise reason for a record that is not valid JSON (RFC 8259, UTF-8), is
// longer than Format.MaxRecordBytes, has a member of the wrong type, lacks query_timestamp,
// query_name or a source (srcaddr or srcids.instance), or has a srcaddr that is no IP address
// or a srcport that is no port.
//
// # Mapping
//
//   - metadata: product Route 53 by AWS, feature Resolver Query Logs, version the record's
//     version; profiles cloud, security_control and datetime. Severity Informational.
//   - activity Traffic (6): a record is a query and its response.
//   - time and time_dt from query_timestamp; cloud.account.uid from account_id and
//     cloud.region from region (else the input's location).
//   - query: hostname query_name, type query_type, class query_class; answers: rdata, type,
//     class of each answer (an answer without Rdata goes to unmapped, as dns_answer requires
//     rdata); rcode_id and rcode from rcode (NOERROR is NoError (0), NXDOMAIN NXDomain (3),
//     ...; another code is Other (99) with rcode as written).
//   - src_endpoint: ip srcaddr, port srcport, vpc_uid vpc_id, instance_uid srcids.instance;
//     dst_endpoint: instance_uid srcids.resolver_endpoint, interface_uid
//     srcids.resolver_network_interface; connection_info: protocol_name transport, direction
//     Unknown (0).
//   - DNS Firewall: firewall_rule.uid from firewall_rule_group_id; firewall_rule_action ALLOW is
//     action Allowed (1) and disposition Allowed (1), BLOCK Denied (2) and Blocked (2), ALERT
//     Allowed (1) and Alert (19), another value Unknown (0) and Other (99) with the value as
//     its caption. A query no rule matched is action Allowed with no disposition.
//   - unmapped: firewall_domain_list_id and every member not named here, flattened as Security
//     Lake does ("srcids.x", "a[]" for array elements, values of one name joined by ",").
//   - observables: query.hostname (Hostname), src_endpoint.ip (IP Address),
//     src_endpoint.instance_uid and dst_endpoint.instance_uid (Resource UID), answers[].rdata
//     (IP Address, or Hostname when it is a DNS name).
package route53

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"unsafe"

	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/jsonscan"
)

// checkEvery is how many records Read handles between two checks of its context.
const checkEvery = 4096

// DefaultMaxRecordBytes is the longest record Format reads when MaxRecordBytes is 0. A record
// with many answers is a few KiB.
const DefaultMaxRecordBytes = 1 << 20

// Format is the Route 53 Resolver query log source format. The zero value is ready to use.
type Format struct {
	// MaxRecordBytes bounds a record; a longer one is dead-lettered (its first
	// MaxRecordBytes bytes). 0 means DefaultMaxRecordBytes.
	MaxRecordBytes int
}

var _ source.Format = Format{}

// Name returns "route53".
func (Format) Name() string { return "route53" }

// Table returns "ROUTE53", Security Lake's table of Route 53 Resolver query logs.
func (Format) Table() string { return "ROUTE53" }

// Sniff reports whether head starts with a Resolver query log record: a JSON object with
// query_name and query_timestamp, and srcaddr, rcode or query_type.
func (Format) Sniff(head []byte) bool {
	if bytes.HasPrefix(head, []byte("PAR1")) {
		return false
	}
	fr, ok := jsonscan.FirstRecord(head)
	if !ok || fr.Envelope != "" && fr.Envelope != "[" {
		return false
	}
	return fr.Has("query_name") && fr.Has("query_timestamp") &&
		(fr.Has("srcaddr") || fr.Has("rcode") || fr.Has("query_type"))
}

// Read streams every record of in to sink (see the package documentation). The event passed
// to sink.Event is reused for the next record once the call returns, so a sink that keeps it
// must copy it; a shallow copy is enough, because the strings, slices, pointers and maps it
// references are never modified afterwards. The event and what it references are read-only.
//
// Read returns an error when in cannot be read (after accounting for the records read before),
// when it ends inside its top-level array, when sink fails and when ctx is done.
func (f Format) Read(ctx context.Context, in source.Input, sink source.Sink) error {
	r := in.R
	if r == nil {
		if in.ReaderAt == nil {
			return fmt.Errorf("route53: %s: input has no content reader", in.Name)
		}
		r = io.NewSectionReader(in.ReaderAt, 0, in.Size)
	}
	limit := f.MaxRecordBytes
	if limit <= 0 {
		limit = DefaultMaxRecordBytes
	}
	rd := jsonscan.NewReader(r, limit)
	var (
		p   parser
		n   normalizer
		pos int64
	)
	for {
		if pos%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("route53: %s: %w", in.Name, err)
			}
		}
		rec, err := rd.Next(p.parse)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("route53: %s: after record %d: %w", in.Name, pos, err)
		}
		pos++
		if rec.Err != nil {
			err = sink.DeadLetter(rec.Raw, pos, rec.Err.Error())
		} else if ev, nerr := n.normalize(unsafe.String(&rec.Raw[0], len(rec.Raw)), &p.f, in.Region, in.Account); nerr != nil {
			err = sink.DeadLetter(rec.Raw, pos, nerr.Error())
		} else {
			err = sink.Event(ev, pos)
		}
		if err != nil {
			return fmt.Errorf("route53: %s: record %d: %w", in.Name, pos, err)
		}
	}
}
