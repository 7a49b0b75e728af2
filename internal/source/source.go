// Package source defines how input formats are read into OCSF events: a Format recognizes its
// content and streams records to a Sink, which receives every record exactly once as an
// event, a dead letter or a skip, so that counts always reconcile.
package source

import (
	"context"
	"io"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// Sink receives the outcome of every record a Format reads. Each record read must produce
// exactly one call: Event, DeadLetter or Skip. The arguments are only valid during the call:
// a Sink that keeps an event must copy it (the reader reuses its memory).
type Sink interface {
	// Event receives a normalized event and where its record was in the input (the 1-based
	// line number of text formats, the 1-based row number of Parquet), so that findings can
	// point at their evidence.
	Event(ev ocsf.Event, pos int64) error
	// DeadLetter receives a record that could not be normalized: its raw bytes, where it was in
	// the input (a 1-based line or row number) and why it failed.
	DeadLetter(raw []byte, pos int64, reason string) error
	// Skip receives a record deliberately not stored, with the reason (such as a digest file).
	Skip(pos int64, reason string) error
}

// Input is one input being read: a file, an object or a stream.
type Input struct {
	// Name identifies the input in messages and dead letters (a path, an s3:// URL, "-").
	Name string
	// R is the content, already decompressed.
	R io.Reader
	// ReaderAt and Size give random access to the content when the format needs it (Parquet)
	// and the input allows it; ReaderAt is nil otherwise.
	ReaderAt io.ReaderAt
	Size     int64
	// Region and Account are what the input's location says (an S3 key under
	// AWSLogs/<account>/<service>/<region>/, or flags the user gave), for formats whose
	// records may lack them (the default VPC Flow Logs format has no region). Either may be "".
	Region  string
	Account string
}

// Format is one input format: VPC Flow Logs, CloudTrail, Route 53 Resolver logs, ...
type Format interface {
	// Name is the format's name on the command line (--source NAME).
	Name() string
	// Table is the lake table (Security Lake source name, such as VPC_FLOW) its events go to.
	Table() string
	// Sniff reports whether head, the first bytes of the decompressed content (up to 64 KiB,
	// or fewer at the end of input), looks like this format. For Parquet content head is the
	// magic "PAR1" followed by the file's footer, which holds its schema.
	Sniff(head []byte) bool
	// Read streams every record of in to sink. It returns an error only when it cannot go on
	// (the input is unreadable, or sink returned an error); a bad record is a dead letter.
	Read(ctx context.Context, in Input, sink Sink) error
}
