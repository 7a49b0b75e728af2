package lake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

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
// calling fn with batches of at most 512 rows, one file and row group at a time, so memory
// stays bounded. T must be the table's row type. The batch slice is reused after fn returns;
// the rows' values (strings, nested slices) are not, so fn may keep copies of the rows. An
// error from fn stops the scan and is returned.
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
	buf := make([]T, scanBatch)
	for _, p := range parts {
		if filter != nil && !filter(p) {
			continue
		}
		rel, err := filepath.Rel(l.root, p.Path)
		if err != nil {
			return fmt.Errorf("lake: %w", err)
		}
		rel = filepath.ToSlash(rel)
		ents, err := l.st.list(ctx, rel)
		if err != nil {
			return err
		}
		names := make([]string, 0, len(ents))
		for _, e := range ents {
			if !e.isDir && strings.HasSuffix(e.name, ".parquet") {
				names = append(names, e.name)
			}
		}
		slices.Sort(names)
		for _, name := range names {
			if err := scanFile(ctx, l, joinRel(rel, name), p, buf, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// errStop wraps an error returned by a Scan callback, so that it is returned unwrapped.
type errStop struct{ err error }

func (e errStop) Error() string { return e.err.Error() }

// scanFile reads one file for Scan.
func scanFile[T any](ctx context.Context, l *Lake, rel string, p Partition, buf []T, fn func(Partition, []T) error) error {
	obj, err := l.st.open(ctx, rel)
	if errors.Is(err, os.ErrNotExist) {
		return nil // removed since listed (rolled back)
	}
	if err != nil {
		return err
	}
	defer obj.Close()
	err = protect(func() error {
		pf, err := parquet.OpenFile(obj, obj.Size())
		if err != nil {
			return err
		}
		for _, rg := range pf.RowGroups() {
			r := parquet.NewGenericRowGroupReader[T](rg)
			// Never ask for more rows than remain: parquet-go's reader retries every
			// exhausted column for every extra slot, which is quadratic.
			left := rg.NumRows()
			for left > 0 {
				if err := ctx.Err(); err != nil {
					r.Close()
					return errStop{err}
				}
				b := buf[:min(int64(len(buf)), left)]
				clear(b)
				n, err := r.Read(b)
				left -= int64(n)
				if n > 0 {
					if ferr := fn(p, b[:n]); ferr != nil {
						r.Close()
						return errStop{ferr}
					}
				}
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					r.Close()
					return err
				}
				if n == 0 {
					r.Close()
					return fmt.Errorf("row group ended %d rows early", left)
				}
			}
			r.Close()
		}
		return nil
	})
	var stop errStop
	if errors.As(err, &stop) {
		return stop.err
	}
	if err != nil {
		return fmt.Errorf("lake: read %s: %w", l.st.location(rel), err)
	}
	return nil
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
