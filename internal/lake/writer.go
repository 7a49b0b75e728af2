package lake

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/parquet-go/parquet-go"
)

// tableWriter writes the rows of one table for one transaction.
type tableWriter interface {
	// write copies ev into the table; ev is accepted by the table.
	write(ev ocsf.Event) error
	// finish closes every file, waits for the encoders and returns the files written.
	finish() ([]fileResult, error)
	// abort stops the encoders, waits for them and returns their batches.
	abort()
}

// fileResult is a finished file of a transaction, still in the work directory.
type fileResult struct {
	partRel string // partition directory, relative to the lake root
	seq     int    // number of the file in its partition for this transaction
	tmp     string // local path of the finished file
	rows    int64
}

// errNilEvent is returned for a nil event.
var errNilEvent = errors.New("lake: nil event")

// typedWriter is the tableWriter of tables whose rows are R. It is used by the goroutine of
// its transaction; its lanes run in their own goroutines.
type typedWriter[R any] struct {
	tx    *Txn
	ts    *tableState
	codec *typedCodec[R]
	cfg   *config
	opts  []parquet.WriterOption
	dir   string // work directory of this table's files

	parts    map[partKey]*partition[R]
	last     *partition[R]
	open     int   // partitions with an open file
	extra    int   // lanes beyond the first of each open file, at most lanes-1
	partials int   // partitions with a batch being filled
	clock    int64 // LRU clock, ticks at every batch sent
	files    int   // files started, names their work files

	// free holds the batches encoders gave back (guarded by freeMu; freed is signalled after
	// each). slabs counts the batches that exist (being filled, queued, encoding or free)
	// and rows their capacity, at most budget rows.
	freeMu sync.Mutex
	free   [][]R
	freed  chan struct{}
	slabs  int
	rows   int
	budget int

	// encoders holds a token for every lane alive, closing ones included, so that at most
	// maxOpenFiles+lanes-1 Parquet writers exist at once.
	encoders chan struct{}

	wg      sync.WaitGroup // lanes and file finishers
	mu      sync.Mutex     // guards results
	results []fileResult

	failed   chan struct{} // closed on the first background error
	failOnce sync.Once
	ferr     error
	stop     atomic.Bool // set by abort: lanes drop their batches
}

// partition is one partition of a table being written by a transaction.
type partition[R any] struct {
	key     partKey
	rel     string
	nextSeq int
	file    *openFile[R] // nil when no file is open
	slab    []R          // batch being filled
	limit   int          // rows slab may take before it is sent
	lastUse int64
}

// openFile is a partition file being written by one or more lanes.
type openFile[R any] struct {
	seq   int
	id    int // work file name prefix
	lanes []*lane[R]
	next  int   // batches sent, picks the lane round-robin
	rows  int64 // rows sent
}

// lane is one encoder of a file: a goroutine writing the batches it receives as row groups
// of its own work file.
type lane[R any] struct {
	in   chan []R
	path string
	rows int64
	err  error
	done chan struct{}
}

func newTypedWriter[R any](tx *Txn, ts *tableState, c *typedCodec[R]) *typedWriter[R] {
	cfg := &tx.l.cfg
	budget := (cfg.maxOpenFiles + 2*cfg.lanes + 1) * cfg.batchRows
	return &typedWriter[R]{
		tx:       tx,
		ts:       ts,
		codec:    c,
		cfg:      cfg,
		opts:     cfg.writerOptions(),
		dir:      filepath.Join(tx.dir, ts.name),
		parts:    map[partKey]*partition[R]{},
		freed:    make(chan struct{}, 1),
		encoders: make(chan struct{}, cfg.maxOpenFiles+cfg.lanes-1),
		budget:   budget,
		failed:   make(chan struct{}),
	}
}

func (w *typedWriter[R]) write(ev ocsf.Event) error {
	h := w.codec.header(ev)
	if h == nil {
		return errNilEvent
	}
	day := dayOf(h.Time)
	p := w.last
	if p == nil || p.key.day != day || p.key.region != h.Cloud.Region || p.key.account != h.Cloud.Account.UID {
		var err error
		if p, err = w.partition(partKey{region: h.Cloud.Region, account: h.Cloud.Account.UID, day: day}); err != nil {
			return err
		}
	}
	n := len(p.slab)
	if n == cap(p.slab) {
		if n > 0 && !w.canGrow(p) {
			// The batches of all partitions hold the budget: send this one as it is.
			if err := w.send(p); err != nil {
				return err
			}
			n = 0
		}
		if err := w.grow(p); err != nil {
			return err
		}
	}
	p.slab = p.slab[:n+1]
	if !w.codec.convert(&p.slab[n], ev) {
		p.slab = p.slab[:n]
		return fmt.Errorf("lake: table %s cannot take an event of type %T", w.ts.name, ev)
	}
	if n+1 >= p.limit {
		return w.send(p)
	}
	return nil
}

// partition returns the partition of k, creating its state on first use.
func (w *typedWriter[R]) partition(k partKey) (*partition[R], error) {
	if err := w.err(); err != nil {
		return nil, err
	}
	p := w.parts[k]
	if p == nil {
		p = &partition[R]{key: k, rel: k.relDir(w.ts.name, w.ts.version)}
		w.parts[k] = p
	}
	w.last = p
	return p, nil
}

// minSlab is the largest capacity of a new batch; batches double up to batchRows as they
// fill.
const minSlab = 64

// canGrow reports whether p's full batch may be replaced by a larger one within the budget.
func (w *typedWriter[R]) canGrow(p *partition[R]) bool {
	c := cap(p.slab)
	return c < w.cfg.batchRows && w.rows+min(2*c, w.cfg.batchRows)-c <= w.budget
}

// grow gives p a batch with room for one more row: a recycled or new one when p has none,
// else a larger copy of the batch (batches start small so that small inputs and many
// partitions stay small). p's batch, if any, is full and canGrow.
func (w *typedWriter[R]) grow(p *partition[R]) error {
	if p.slab == nil {
		s, err := w.getSlab(p)
		if err != nil {
			return err
		}
		p.slab = s
		w.partials++
		var inFile int64
		if p.file != nil {
			inFile = p.file.rows
		}
		p.limit = int(min(int64(w.cfg.batchRows), w.cfg.fileRows-inFile))
		return nil
	}
	c := min(2*cap(p.slab), w.cfg.batchRows)
	w.rows += c - cap(p.slab)
	s := make([]R, len(p.slab), c)
	copy(s, p.slab)
	p.slab = s
	return nil
}

// getSlab returns an empty batch for req: a free one, a recycled or new one within the
// budget, or else the next one an encoder gives back. When every batch is being filled (more
// partitions than the budget holds), it first sends the fullest batch of another partition.
func (w *typedWriter[R]) getSlab(req *partition[R]) ([]R, error) {
	for {
		if s, ok := w.takeFree(); ok {
			return s, nil
		}
		if v, ok := w.ts.slabs.Get().([]R); ok {
			if w.rows+cap(v) <= w.budget {
				w.slabs++
				w.rows += cap(v)
				return v[:0], nil
			}
			w.ts.slabs.Put(v)
		}
		// New batches start small, smaller still when many partitions share the budget.
		if c := min(minSlab, w.cfg.batchRows, max(1, w.budget/(4*len(w.parts)))); w.rows+c <= w.budget {
			w.slabs++
			w.rows += c
			return make([]R, 0, c), nil
		}
		if w.slabs == w.partials {
			var full *partition[R]
			for _, q := range w.parts {
				if q != req && len(q.slab) > 0 && (full == nil || len(q.slab) > len(full.slab)) {
					full = q
				}
			}
			if full == nil {
				return nil, errors.New("lake: internal error: no batch to recycle")
			}
			if err := w.send(full); err != nil {
				return nil, err
			}
			continue
		}
		select {
		case <-w.freed:
		case <-w.tx.ctx.Done():
			return nil, w.tx.ctx.Err()
		case <-w.failed:
			return nil, w.ferr
		}
	}
}

// takeFree returns an empty batch an encoder gave back, if any.
func (w *typedWriter[R]) takeFree() ([]R, bool) {
	w.freeMu.Lock()
	defer w.freeMu.Unlock()
	n := len(w.free)
	if n == 0 {
		return nil, false
	}
	s := w.free[n-1]
	w.free = w.free[:n-1]
	return s[:0], true
}

// send hands p's batch to the next lane of its file, and closes the file when it is full.
func (w *typedWriter[R]) send(p *partition[R]) error {
	if err := w.sendSlab(p); err != nil {
		return err
	}
	if p.file != nil && p.file.rows >= w.cfg.fileRows {
		w.closeFile(p)
	}
	return nil
}

// sendSlab hands p's batch, if not empty, to the next lane of its file, opening a file (and
// closing the least recently used one if too many are open).
func (w *typedWriter[R]) sendSlab(p *partition[R]) error {
	s := p.slab
	if len(s) == 0 {
		return nil
	}
	if p.file == nil {
		w.openFile(p)
	}
	p.slab = nil
	w.partials--
	w.clock++
	p.lastUse = w.clock
	f := p.file
	k := f.next % w.cfg.lanes
	f.next++
	if k == len(f.lanes) && k > 0 && w.extra >= w.cfg.lanes-1 {
		// Other files hold the extra encoders: this one makes do with what it has, so that
		// memory holds at most maxOpenFiles+lanes-1 encoders.
		k = (f.next - 1) % len(f.lanes)
	}
	if k == len(f.lanes) {
		// Wait for a closed file's lane to finish if as many writers as allowed exist.
		select {
		case w.encoders <- struct{}{}:
		case <-w.tx.ctx.Done():
			p.slab = s // sent nowhere: keep it
			w.partials++
			return w.tx.ctx.Err()
		case <-w.failed:
			p.slab = s
			w.partials++
			return w.ferr
		}
		if k > 0 {
			w.extra++
		}
		ln := &lane[R]{
			in:   make(chan []R, 1),
			path: filepath.Join(w.dir, strconv.Itoa(f.id)+"-"+strconv.Itoa(k)+".parquet"),
			done: make(chan struct{}),
		}
		f.lanes = append(f.lanes, ln)
		w.wg.Add(1)
		go w.runLane(ln)
	}
	select {
	case f.lanes[k].in <- s:
	case <-w.tx.ctx.Done():
		w.putSlab(s)
		return w.tx.ctx.Err()
	case <-w.failed:
		w.putSlab(s)
		return w.ferr
	}
	f.rows += int64(len(s))
	return nil
}

// openFile starts a file for p, first closing the least recently used open file if
// maxOpenFiles are open. A partition whose file was closed this way gets a new file for its
// next batch; finish concatenates such segments.
func (w *typedWriter[R]) openFile(p *partition[R]) {
	if w.open >= w.cfg.maxOpenFiles {
		var lru *partition[R]
		for _, q := range w.parts {
			if q.file != nil && (lru == nil || q.lastUse < lru.lastUse) {
				lru = q
			}
		}
		w.closeFile(lru)
	}
	p.file = &openFile[R]{seq: p.nextSeq, id: w.files}
	p.nextSeq++
	w.files++
	w.open++
}

// closeFile closes the lanes of p's file and finishes the file in the background. p keeps
// its batch being filled.
func (w *typedWriter[R]) closeFile(p *partition[R]) {
	f := p.file
	p.file = nil
	w.open--
	w.extra -= max(len(f.lanes)-1, 0)
	for _, ln := range f.lanes {
		close(ln.in)
	}
	if len(f.lanes) > 0 {
		w.wg.Add(1)
		go w.finishFile(p.rel, f)
	}
}

// runLane encodes the batches of ln into its work file.
func (w *typedWriter[R]) runLane(ln *lane[R]) {
	defer w.wg.Done()
	defer close(ln.done)
	defer func() { <-w.encoders }()
	var pw *parquet.GenericWriter[R]
	out, err := os.Create(ln.path)
	if err == nil {
		pw = getEncoder[R](w.ts, out, w.opts)
	}
	for s := range ln.in {
		if err == nil && !w.stop.Load() {
			err = protect(func() error {
				_, err := pw.Write(s)
				return err
			})
			ln.rows += int64(len(s))
		}
		w.putSlab(s)
	}
	if err == nil && !w.stop.Load() {
		err = protect(pw.Close)
	}
	if out != nil {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		ln.err = fmt.Errorf("lake: encode %s: %w", w.ts.name, err)
		w.fail(ln.err)
	}
}

// finishFile waits for the lanes of f and, when there are several, concatenates their row
// groups into one file, copying them without re-encoding.
func (w *typedWriter[R]) finishFile(rel string, f *openFile[R]) {
	defer w.wg.Done()
	var rows int64
	for _, ln := range f.lanes {
		<-ln.done
		if ln.err != nil || w.stop.Load() {
			return
		}
		rows += ln.rows
	}
	res := fileResult{partRel: rel, seq: f.seq, tmp: f.lanes[0].path, rows: rows}
	if len(f.lanes) > 1 {
		res.tmp = filepath.Join(w.dir, strconv.Itoa(f.id)+".parquet")
		paths := make([]string, len(f.lanes))
		for i, ln := range f.lanes {
			paths[i] = ln.path
		}
		if err := concatFiles[R](w.ts, res.tmp, paths, w.opts, true); err != nil {
			w.fail(fmt.Errorf("lake: write %s: %w", w.ts.name, err))
			return
		}
	}
	w.mu.Lock()
	w.results = append(w.results, res)
	w.mu.Unlock()
}

// concatFiles writes to dst the row groups of the files srcs, copied without re-encoding,
// and removes srcs. With interleave, it takes the first row group of each file, then the
// second of each, and so on (the order lanes received their batches in); without, every row
// group of the first file, then of the second, and so on.
func concatFiles[R any](ts *tableState, dst string, srcs []string, opts []parquet.WriterOption, interleave bool) (err error) {
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	groups := make([][]parquet.RowGroup, len(srcs))
	for i, src := range srcs {
		in, err := os.Open(src)
		if err != nil {
			return err
		}
		defer in.Close()
		st, err := in.Stat()
		if err != nil {
			return err
		}
		pf, err := parquet.OpenFile(in, st.Size())
		if err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
		groups[i] = pf.RowGroups()
	}
	return protect(func() error {
		pw := getEncoder[R](ts, out, opts)
		var order []parquet.RowGroup
		if interleave {
			for j := 0; ; j++ {
				n := len(order)
				for _, g := range groups {
					if j < len(g) {
						order = append(order, g[j])
					}
				}
				if len(order) == n {
					break
				}
			}
		} else {
			for _, g := range groups {
				order = append(order, g...)
			}
		}
		for _, rg := range order {
			if _, err := pw.WriteRowGroup(rg); err != nil {
				return err
			}
		}
		if err := pw.Close(); err != nil {
			return err
		}
		for _, src := range srcs {
			os.Remove(src)
		}
		return nil
	})
}

// getEncoder returns a new Parquet writer of ts's rows writing to out. Writers are not
// recycled: parquet-go v0.32.0's GenericWriter.Reset empties the path_in_schema of every
// column chunk of the files written after it, which Athena, Spark and parquet-mr need to find
// columns (DuckDB does not, so only a test of the footer shows it).
func getEncoder[R any](_ *tableState, out io.Writer, opts []parquet.WriterOption) *parquet.GenericWriter[R] {
	return parquet.NewGenericWriter[R](out, opts...)
}

// putSlab gives a batch back and wakes a getSlab waiting for one.
func (w *typedWriter[R]) putSlab(s []R) {
	w.freeMu.Lock()
	w.free = append(w.free, s)
	w.freeMu.Unlock()
	select {
	case w.freed <- struct{}{}:
	default:
	}
}

// fail records the first background error and wakes the transaction's goroutine.
func (w *typedWriter[R]) fail(err error) {
	w.failOnce.Do(func() {
		w.ferr = err
		close(w.failed)
	})
}

// err returns the first background error, or nil.
func (w *typedWriter[R]) err() error {
	select {
	case <-w.failed:
		return w.ferr
	default:
		return nil
	}
}

func (w *typedWriter[R]) finish() ([]fileResult, error) {
	// Send the last batches, those of partitions with an open file first.
	var err error
	for _, withFile := range []bool{true, false} {
		for _, p := range w.sortedParts() {
			if (p.file != nil) == withFile && err == nil {
				err = w.sendSlab(p)
			}
		}
	}
	for _, p := range w.parts {
		if p.file != nil {
			w.closeFile(p)
		}
	}
	w.wg.Wait()
	w.recycle()
	if err = errors.Join(err, w.err()); err != nil {
		return nil, err
	}
	res := w.results
	slices.SortFunc(res, func(a, b fileResult) int {
		if a.partRel != b.partRel {
			return strings.Compare(a.partRel, b.partRel)
		}
		return a.seq - b.seq
	})
	return w.mergeSegments(res)
}

// sortedParts returns the partitions in a fixed order, so that what finish does does not
// depend on map iteration.
func (w *typedWriter[R]) sortedParts() []*partition[R] {
	ps := make([]*partition[R], 0, len(w.parts))
	for _, p := range w.parts {
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(a, b *partition[R]) int { return strings.Compare(a.rel, b.rel) })
	return ps
}

// mergeSegments concatenates the consecutive files of a partition that together hold at most
// fileRows rows (the segments of a file that was closed to open another), and numbers the
// files of each partition from 0. res is sorted by partition and sequence.
func (w *typedWriter[R]) mergeSegments(res []fileResult) ([]fileResult, error) {
	var out []fileResult
	for i := 0; i < len(res); {
		j, rows := i+1, res[i].rows
		for j < len(res) && res[j].partRel == res[i].partRel && rows+res[j].rows <= w.cfg.fileRows {
			rows += res[j].rows
			j++
		}
		seq := 0
		if len(out) > 0 && out[len(out)-1].partRel == res[i].partRel {
			seq = out[len(out)-1].seq + 1
		}
		merged := fileResult{partRel: res[i].partRel, seq: seq, tmp: res[i].tmp, rows: rows}
		if j-i > 1 {
			w.files++
			merged.tmp = filepath.Join(w.dir, "m"+strconv.Itoa(w.files)+".parquet")
			srcs := make([]string, 0, j-i)
			for _, r := range res[i:j] {
				srcs = append(srcs, r.tmp)
			}
			if err := concatFiles[R](w.ts, merged.tmp, srcs, w.opts, false); err != nil {
				return nil, fmt.Errorf("lake: write %s: %w", w.ts.name, err)
			}
		}
		out = append(out, merged)
		i = j
	}
	return out, nil
}

func (w *typedWriter[R]) abort() {
	w.stop.Store(true)
	for _, p := range w.parts {
		if p.file != nil {
			w.closeFile(p)
		}
		if p.slab != nil {
			w.putSlab(p.slab)
			p.slab = nil
			w.partials--
		}
	}
	w.wg.Wait()
	w.recycle()
}

// recycle gives the batches of this transaction to the table's pool, cleared so that they do
// not keep the transaction's strings alive. The lanes are done.
func (w *typedWriter[R]) recycle() {
	w.freeMu.Lock()
	defer w.freeMu.Unlock()
	for _, s := range w.free {
		if cap(s) == w.cfg.batchRows {
			clear(s[:cap(s)])
			w.ts.slabs.Put(s[:0])
		}
	}
	w.free = nil
}

// protect runs f, turning a panic into an error.
func protect(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return f()
}
