package lake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/parquet-go/parquet-go"
)

// scanBatch is the most rows Scan hands to its callback at once.
const scanBatch = 512

// Partitions returns the partitions of table that hold committed files, sorted by region,
// account and day.
func (l *Lake) Partitions(table string) ([]Partition, error) {
	ts := l.specs[table]
	if ts == nil {
		return nil, fmt.Errorf("lake: no table %q", table)
	}
	return l.partitions(context.Background(), ts)
}

func (l *Lake) partitions(ctx context.Context, ts *tableState) ([]Partition, error) {
	base := joinRel(ts.name, ts.version)
	var out []Partition
	regions, err := l.st.list(ctx, base)
	if err != nil {
		return nil, err
	}
	for _, r := range regions {
		region, ok := strings.CutPrefix(r.name, regionKey)
		if !ok || !r.isDir {
			continue
		}
		accounts, err := l.st.list(ctx, joinRel(base, r.name))
		if err != nil {
			return nil, err
		}
		for _, a := range accounts {
			account, ok := strings.CutPrefix(a.name, accountKey)
			if !ok || !a.isDir {
				continue
			}
			days, err := l.st.list(ctx, joinRel(base, r.name, a.name))
			if err != nil {
				return nil, err
			}
			for _, d := range days {
				day, ok := strings.CutPrefix(d.name, dayKey)
				if !ok || !d.isDir {
					continue
				}
				out = append(out, Partition{
					Region:  unescapeValue(region),
					Account: unescapeValue(account),
					Day:     day,
					Path:    l.st.location(joinRel(base, r.name, a.name, d.name)),
					rel:     joinRel(base, r.name, a.name, d.name),
				})
			}
		}
	}
	slices.SortFunc(out, func(a, b Partition) int {
		return strings.Compare(a.Region+"\x00"+a.Account+"\x00"+a.Day, b.Region+"\x00"+b.Account+"\x00"+b.Day)
	})
	return out, nil
}

// Scan reads the committed rows of table in the partitions filter accepts (nil accepts all),
// calling fn with batches of at most 512 rows, in order: partitions by region, account and
// day, files by name, row groups in file order. Row groups are decoded by up to GOMAXPROCS
// (at most 4) goroutines ahead of fn, a few batches each, so memory stays bounded; fn itself
// runs on the caller's goroutine. T must be the table's row type. The batch slice is reused
// after fn returns; the rows' values (strings, nested slices) are not, so fn may keep copies
// of the rows. An error from fn or ctx stops the scan and is returned.
func Scan[T any](ctx context.Context, l *Lake, table string, filter func(Partition) bool, fn func(Partition, []T) error) error {
	ts := l.specs[table]
	if ts == nil {
		return fmt.Errorf("lake: no table %q", table)
	}
	if want := reflect.TypeFor[T](); ts.RowType() != want {
		return fmt.Errorf("lake: table %s holds %v, not %v", table, ts.RowType(), want)
	}
	parts, err := l.partitions(ctx, ts)
	if err != nil {
		return err
	}
	var files []scanFile
	for _, p := range parts {
		if filter != nil && !filter(p) {
			continue
		}
		rel := p.rel
		ents, err := l.st.list(ctx, rel)
		if err != nil {
			return err
		}
		var names []string
		for _, e := range ents {
			if !e.isDir && strings.HasSuffix(e.name, ".parquet") {
				names = append(names, e.name)
			}
		}
		slices.Sort(names)
		for _, name := range names {
			files = append(files, scanFile{p: p, rel: joinRel(rel, name)})
		}
	}
	if len(files) == 0 {
		return ctx.Err()
	}
	return runScan(ctx, l, files, min(runtime.GOMAXPROCS(0), 4), scanChunk, fn)
}

// scanChunk is the most rows of a row group one decoder reads; larger row groups are split so
// that several decoders share them.
const scanChunk = 16384

// scanFile is a file Scan reads.
type scanFile struct {
	p   Partition
	rel string
}

// scanUnit is one row group of a file, decoded by a worker into batches that the caller
// receives in order.
type scanUnit[T any] struct {
	p    Partition
	name string
	rg   parquet.RowGroup
	// first and end delimit the unit's rows in the row group.
	first, end int64
	file       *openScanFile
	out        chan []T // batches; closed when the unit is done
	err        error    // set before out is closed
}

// openScanFile is a file whose row groups are being read; the last unit done closes it.
type openScanFile struct {
	obj  object
	refs atomic.Int32
}

func (f *openScanFile) release() {
	if f.refs.Add(-1) == 0 {
		f.obj.Close()
	}
}

// runScan reads files with workers goroutines decoding row groups and fn called in order.
func runScan[T any](parent context.Context, l *Lake, files []scanFile, workers int, chunk int64, fn func(Partition, []T) error) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	order := make(chan *scanUnit[T], workers) // units in file order, at most workers ahead
	todo := make(chan *scanUnit[T], workers)
	free := make(chan []T, 4*workers) // batch buffers fn is done with
	var wg sync.WaitGroup
	var openErr error // set by the dispatcher before it closes order

	// The dispatcher opens files one at a time and hands out their row groups.
	wg.Go(func() {
		defer close(todo)
		defer close(order)
		for _, f := range files {
			obj, err := l.st.open(ctx, f.rel)
			if errors.Is(err, os.ErrNotExist) {
				continue // removed since listed (rolled back)
			}
			if err != nil {
				openErr = err
				return
			}
			var units []*scanUnit[T]
			err = protect(func() error {
				pf, err := parquet.OpenFile(obj, obj.Size())
				if err != nil {
					return err
				}
				for _, rg := range pf.RowGroups() {
					for first := int64(0); first < rg.NumRows(); first += chunk {
						units = append(units, &scanUnit[T]{p: f.p, name: l.st.location(f.rel), rg: rg,
							first: first, end: min(first+chunk, rg.NumRows()), out: make(chan []T, 2)})
					}
				}
				return nil
			})
			if err != nil {
				obj.Close()
				openErr = fmt.Errorf("lake: read %s: %w", l.st.location(f.rel), err)
				return
			}
			of := &openScanFile{obj: obj}
			of.refs.Store(int32(len(units)) + 1)
			for k, u := range units {
				u.file = of
				select {
				case order <- u:
				case <-ctx.Done():
					// Drop the references of the units not handed out, and this one's.
					if of.refs.Add(-int32(len(units)-k+1)) == 0 {
						obj.Close()
					}
					return
				}
				todo <- u // never blocks for long: workers take units in order
			}
			of.release()
		}
	})
	for range workers {
		wg.Go(func() {
			for u := range todo {
				u.err = decodeUnit(ctx, u, free)
				close(u.out)
				u.file.release()
			}
		})
	}

	// The caller's goroutine delivers batches in order.
	var err error
	for u := range order {
		for b := range u.out {
			if err == nil {
				if err = ctx.Err(); err == nil {
					err = fn(u.p, b)
				}
				if err != nil {
					cancel()
				}
			}
			select {
			case free <- b[:cap(b)]:
			default:
			}
		}
		if err == nil && u.err != nil {
			err = u.err
			cancel()
		}
	}
	wg.Wait()
	if err == nil {
		err = openErr
	}
	if err == nil {
		err = parent.Err()
	}
	return err
}

// decodeUnit reads the rows of u's row group into batches sent on u.out.
func decodeUnit[T any](ctx context.Context, u *scanUnit[T], free chan []T) error {
	err := protect(func() error {
		r := parquet.NewGenericRowGroupReader[T](u.rg)
		defer r.Close()
		if u.first > 0 {
			if err := r.SeekToRow(u.first); err != nil {
				return err
			}
		}
		// Never ask for more rows than remain: parquet-go's reader retries every exhausted
		// column for every extra slot, which is quadratic.
		left := u.end - u.first
		for left > 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			var b []T
			select {
			case b = <-free:
			default:
				b = make([]T, scanBatch)
			}
			b = b[:min(int64(len(b)), left)]
			clear(b)
			n, err := r.Read(b)
			left -= int64(n)
			if n > 0 {
				select {
				case u.out <- b[:n]:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("row group ended %d rows early", left)
			}
		}
		return nil
	})
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("lake: read %s: %w", u.name, err)
	}
	return err
}

// SchemaFile returns the path of a Parquet file with no rows and the schema of table, so
// that a query engine can type a table that has no data yet. It is created on first use
// (and again if the table's schema changed) under _mcpwatch/schema/<TABLE>.parquet.
func (l *Lake) SchemaFile(table string) (string, error) {
	ts := l.specs[table]
	if ts == nil {
		return "", fmt.Errorf("lake: no table %q", table)
	}
	l.schemaMu.Lock()
	defer l.schemaMu.Unlock()
	ctx := context.Background()
	rel := joinRel(schemaDir, ts.name+".parquet")
	schema := ts.codec.schema()
	if obj, err := l.st.open(ctx, rel); err == nil {
		same := protect(func() error {
			pf, err := parquet.OpenFile(obj, obj.Size())
			if err != nil {
				return err
			}
			if !parquet.EqualNodes(pf.Schema(), schema) || pf.Schema().Name() != schema.Name() {
				return errors.New("schema changed")
			}
			if v, _ := pf.Lookup(MetaSourceVersion); v != ts.version {
				return errors.New("version changed")
			}
			return nil
		}) == nil
		obj.Close()
		if same {
			return l.st.location(rel), nil
		}
	}
	tmp := filepath.Join(l.work, "schema-"+newID()+".parquet")
	defer os.Remove(tmp)
	f, err := os.Create(tmp)
	if err != nil {
		return "", fmt.Errorf("lake: schema file: %w", err)
	}
	opts := append(l.cfg.writerOptions(),
		parquet.KeyValueMetadata(MetaWriter, "mcpwatch"),
		parquet.KeyValueMetadata(MetaTable, ts.name),
		parquet.KeyValueMetadata(MetaSourceVersion, ts.version),
		parquet.KeyValueMetadata(MetaOCSFVersion, ocsfVersionOf(ts.version)),
		schema)
	err = protect(func() error {
		w := parquet.NewGenericWriter[any](f, opts...)
		return w.Close()
	})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("lake: schema file of %s: %w", table, err)
	}
	if err := l.st.publish(ctx, tmp, rel); err != nil {
		return "", err
	}
	return l.st.location(rel), nil
}
