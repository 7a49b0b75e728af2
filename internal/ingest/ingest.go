// Package ingest reads inputs into the lake: it resolves files, directories, globs and
// standard input, detects compression and format by content, streams records through a
// format's reader to the lake and to detection, and accounts for every record: read =
// stored + dead-lettered + skipped, per input and in total.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/detect"
	"github.com/mcpwatch/mcpwatch/internal/lake"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/source"
)

// Observer sees every stored event, with where it came from: detection.
type Observer interface {
	Observe(ev ocsf.Event, ref detect.Ref)
}

// Options configure a run.
type Options struct {
	// Formats are the formats inputs can be in.
	Formats *source.Registry
	// Format is a format name, or "" / "auto" to detect each input's format by content.
	Format string
	// Region and Account, when set, are used for records that do not carry them and whose
	// input path does not say (the default VPC Flow Logs format has no region).
	Region, Account string
	// Observer, when not nil, sees every stored event.
	Observer Observer
	// TempDir holds spooled standard input and decompressed Parquet ("" = the system's).
	TempDir string
	// Log receives per-input messages; nil discards them.
	Log *slog.Logger
	// BatchRecords and BatchInputs bound a lake transaction: inputs are committed together
	// until their records or their number reach these (defaults DefaultBatchRecords and
	// DefaultBatchInputs; 1 input per batch gives one commit per input).
	BatchRecords int64
	BatchInputs  int
	// S3 downloads s3:// inputs.
	S3 S3API
	// Stdin is read for the input "-" (default os.Stdin).
	Stdin io.Reader
	// Counters, when not nil, are updated as records are read (for a progress display).
	Counters *Counters
}

// Counters are live totals of a run, safe to read from another goroutine.
type Counters struct {
	Inputs   atomic.Int64 // inputs finished
	Records  atomic.Int64 // records read so far
	RawBytes atomic.Int64 // input bytes consumed so far (compressed size for gzip)
}

// Result is what happened to one input.
type Result struct {
	Input  string `json:"input"`
	Format string `json:"format,omitempty"`
	Hash   string `json:"sha256,omitempty"`
	Counts
	// Duplicate is set when the same content was already ingested; Counts are then zero and
	// PreviousRecords holds what that earlier ingest read.
	Duplicate       bool  `json:"duplicate,omitempty"`
	PreviousRecords int64 `json:"previous_records,omitempty"`
	// SkipReasons counts skipped records by reason.
	SkipReasons map[string]int64 `json:"skip_reasons,omitempty"`
	// Files are the Parquet files the input added to the lake.
	Files []string `json:"files,omitempty"`
	// Err is why the input could not be read, or could not be read to its end (the records
	// read before the error are stored and counted).
	Err error `json:"-"`
	// Error is Err's message, for JSON output.
	Error string `json:"error,omitempty"`
}

// Counts account for the records of an input or a run: Read = Stored + DeadLettered + Skipped.
type Counts struct {
	Read         int64 `json:"read"`
	Stored       int64 `json:"stored"`
	DeadLettered int64 `json:"dead_lettered"`
	Skipped      int64 `json:"skipped"`
}

// Reconciles reports whether every record read is accounted for.
func (c Counts) Reconciles() bool { return c.Read == c.Stored+c.DeadLettered+c.Skipped }

func (c *Counts) add(o Counts) {
	c.Read += o.Read
	c.Stored += o.Stored
	c.DeadLettered += o.DeadLettered
	c.Skipped += o.Skipped
}

// Summary is the outcome of a run.
type Summary struct {
	Counts
	Inputs     []Result      `json:"inputs"`
	Duplicates int           `json:"duplicate_inputs"`
	Failed     int           `json:"failed_inputs"`
	Elapsed    time.Duration `json:"-"`
}

// Default batch limits: a lake transaction holds the records of several inputs (many small
// files, such as flow-log deliveries, then make a few large Parquet files and one commit).
const (
	DefaultBatchRecords = 4_000_000
	DefaultBatchInputs  = 10_000
)

// Run ingests refs into lk, in order, committing the inputs in batches (see
// Options.BatchRecords). It stops early only when ctx is canceled or the lake fails; an input
// that cannot be read is reported in its Result and the run goes on.
func Run(ctx context.Context, lk *lake.Lake, refs []Ref, opts Options) (Summary, error) {
	start := time.Now()
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Counters == nil {
		opts.Counters = &Counters{}
	}
	if opts.BatchRecords <= 0 {
		opts.BatchRecords = DefaultBatchRecords
	}
	if opts.BatchInputs <= 0 {
		opts.BatchInputs = DefaultBatchInputs
	}
	r := &runner{lk: lk, opts: opts}
	err := r.run(ctx, refs)
	r.sum.Elapsed = time.Since(start)
	return r.sum, err
}

// runner is one run: the summary so far and the batch being filled.
type runner struct {
	lk    *lake.Lake
	opts  Options
	sum   Summary
	batch batch
}

// batch is the lake transaction that holds the inputs read since the last commit.
type batch struct {
	txn     *lake.Txn
	inputs  []lake.InputEntry
	results []int          // the index in sum.Inputs of each input
	hashes  map[string]int // content hash → index in sum.Inputs, to catch a repeat within the batch
	records int64
}

func (r *runner) run(ctx context.Context, refs []Ref) error {
	defer func() {
		if r.batch.txn != nil {
			r.batch.txn.Abort()
		}
	}()
	for _, ref := range refs {
		res, err := r.readOne(ctx, ref)
		r.opts.Counters.Inputs.Add(1)
		if res.Err != nil {
			res.Error = res.Err.Error()
			r.opts.Log.Warn("input not fully read", "input", res.Input, "err", res.Err)
		}
		r.sum.Inputs = append(r.sum.Inputs, res)
		r.sum.add(res.Counts)
		if res.Duplicate {
			r.sum.Duplicates++
		}
		if res.Err != nil {
			r.sum.Failed++
		}
		if err != nil {
			return err
		}
		if r.batch.records >= r.opts.BatchRecords || len(r.batch.inputs) >= r.opts.BatchInputs {
			if err := r.commit(ctx); err != nil {
				return err
			}
		}
	}
	return r.commit(ctx)
}

// commit commits the batch and records its files in the results of its inputs.
func (r *runner) commit(ctx context.Context) error {
	b := r.batch
	r.batch = batch{}
	if b.txn == nil {
		return nil
	}
	if len(b.inputs) == 0 {
		b.txn.Abort()
		return nil
	}
	cr, err := b.txn.Commit(ctx, lake.CommitInfo{Inputs: b.inputs})
	if err != nil {
		var dup *lake.DuplicateInputsError
		if errors.As(err, &dup) {
			return fmt.Errorf("%w; nothing of this batch was stored: run the ingest again to store the rest", err)
		}
		return fmt.Errorf("lake commit: %w", err)
	}
	for _, i := range b.results {
		r.sum.Inputs[i].Files = cr.Files
	}
	return nil
}

// readOne reads one input into the batch. A non-nil error means the run must stop
// (cancellation, a lake failure); problems of the input itself are in Result.Err.
func (r *runner) readOne(ctx context.Context, ref Ref) (res Result, err error) {
	lk, opts := r.lk, r.opts
	res.Input = ref.Path
	path := ref.Path
	if ref.IsStdin() {
		res.Input = "(stdin)"
		stdin := opts.Stdin
		if stdin == nil {
			stdin = os.Stdin
		}
		p, size, err := spool(stdin, opts.TempDir)
		if err != nil {
			res.Err = err
			return res, nil
		}
		defer os.Remove(p)
		path, ref.Size = p, size
	} else if e, ok := lk.LookupFile(ref.Path, ref.Size, ref.ModTime); ok {
		res.Duplicate, res.Hash, res.PreviousRecords = true, e.Hash, e.Counts.Read
		opts.Counters.RawBytes.Add(ref.Size)
		return res, nil
	} else if ref.IsS3() {
		p, _, err := download(ctx, opts.S3, ref.Path, opts.TempDir)
		if err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			res.Err = err
			return res, nil
		}
		defer os.Remove(p)
		path = p
	}
	res.Hash, err = hashFile(path)
	if err != nil {
		res.Err = err
		return res, nil
	}
	if e, ok := lk.Lookup(res.Hash); ok {
		res.Duplicate, res.PreviousRecords = true, e.Counts.Read
		opts.Counters.RawBytes.Add(ref.Size)
		return res, nil
	}
	if i, ok := r.batch.hashes[res.Hash]; ok { // the same content earlier in this batch
		res.Duplicate, res.PreviousRecords = true, r.sum.Inputs[i].Read
		opts.Counters.RawBytes.Add(ref.Size)
		return res, nil
	}

	c, err := openContent(path, opts.TempDir)
	if err != nil {
		res.Err = fmt.Errorf("opening: %w", err)
		return res, nil
	}
	defer c.Close()
	f, err := pickFormat(opts, c.head)
	if err != nil {
		res.Err = err
		return res, nil
	}
	res.Format = f.Name()

	info := lake.InputInfo{Name: res.Input, Size: ref.Size, ModTime: ref.ModTime}
	if r.batch.txn == nil {
		txn, err := lk.Begin(ctx, info)
		if err != nil {
			return res, fmt.Errorf("lake: %w", err)
		}
		r.batch = batch{txn: txn, hashes: map[string]int{}}
	}
	r.batch.txn.SetInput(info)

	region, account := ref.Region, ref.Account
	if opts.Region != "" {
		region = opts.Region
	}
	if opts.Account != "" {
		account = opts.Account
	}
	s := &sink{txn: r.batch.txn, table: f.Table(), input: res.Input, obs: opts.Observer, live: opts.Counters}
	in := source.Input{Name: res.Input, R: c.r, ReaderAt: c.readerAt, Size: c.size, Region: region, Account: account}
	done := trackBytes(c.raw, opts.Counters)
	readErr := f.Read(ctx, in, s)
	done()
	res.Counts, res.SkipReasons = s.counts, s.skipReasons
	if readErr != nil {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		if s.sinkErr != nil { // the lake failed: stop the run
			return res, s.sinkErr
		}
		res.Err = fmt.Errorf("read %d records, then: %w", s.counts.Read, readErr)
	}
	// The input joins the batch even when it broke midway: what it yielded is stored, and
	// its content is recorded so that the same broken file is not read again.
	r.batch.hashes[res.Hash] = len(r.sum.Inputs)
	r.batch.results = append(r.batch.results, len(r.sum.Inputs))
	r.batch.inputs = append(r.batch.inputs, lake.InputEntry{Hash: res.Hash, Name: info.Name, Size: info.Size,
		ModTime: info.ModTime, Counts: lake.Counts{Read: s.counts.Read, Events: s.counts.Stored,
			DeadLetters: s.counts.DeadLettered, Skipped: s.counts.Skipped}})
	r.batch.records += s.counts.Read
	return res, nil
}

func pickFormat(opts Options, head []byte) (source.Format, error) {
	if opts.Format != "" && opts.Format != "auto" {
		return opts.Formats.Get(opts.Format)
	}
	if len(head) == 0 {
		return nil, errors.New("empty input")
	}
	return opts.Formats.Detect(head)
}

// trackBytes publishes the raw bytes an input consumes to the live counters until done is
// called.
func trackBytes(c *countingReader, live *Counters) (done func()) {
	var last int64
	stop := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				n := c.n.Load()
				live.RawBytes.Add(n - last)
				last = n
			}
		}
	}()
	return func() {
		close(stop)
		<-finished
		live.RawBytes.Add(c.n.Load() - last)
	}
}

// sink receives one input's records and sends them to the lake transaction and detection.
type sink struct {
	txn         *lake.Txn
	table       string
	input       string
	obs         Observer
	live        *Counters
	counts      Counts
	skipReasons map[string]int64
	sinkErr     error
}

func (s *sink) Event(ev ocsf.Event, pos int64) error {
	s.counts.Read++
	s.live.Records.Add(1)
	if err := s.txn.Write(ev); err != nil {
		s.sinkErr = fmt.Errorf("lake write: %w", err)
		return s.sinkErr
	}
	s.counts.Stored++
	if s.obs != nil {
		s.obs.Observe(ev, detect.Ref{Table: s.table, Input: s.input, Pos: pos})
	}
	return nil
}

func (s *sink) DeadLetter(raw []byte, pos int64, reason string) error {
	s.counts.Read++
	s.live.Records.Add(1)
	if err := s.txn.DeadLetter(s.table, raw, pos, reason); err != nil {
		s.sinkErr = fmt.Errorf("lake dead letter: %w", err)
		return s.sinkErr
	}
	s.counts.DeadLettered++
	return nil
}

func (s *sink) Skip(pos int64, reason string) error {
	s.counts.Read++
	s.live.Records.Add(1)
	s.counts.Skipped++
	if s.skipReasons == nil {
		s.skipReasons = map[string]int64{}
	}
	s.skipReasons[reason]++
	return nil
}
