package query

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// DataFile is one Parquet file of a table of the lake.
type DataFile struct {
	// Path is the file's absolute path, with slashes, as the table's view reads it.
	Path string
	// Size and ModTime identify this version of the file: a file of the lake is never
	// rewritten once committed, a new one gets a new name.
	Size    int64
	ModTime time.Time
}

// DataFiles lists the Parquet files of the view's table whose eventDay partition lies between
// fromDay and toDay (YYYYMMDD, inclusive), sorted by path. ok is false when the view does not
// read a table's files directly (the findings view, a view made empty because its files
// could not be read, or one that had no file at the last Open or Refresh and so sees none):
// then FilesFrom cannot stand for it.
func (d *DB) DataFiles(view, fromDay, toDay string) (files []DataFile, ok bool, err error) {
	t, found := d.table(view)
	if !found || t.Source == findingsSource || t.Err != "" || t.Files == 0 {
		return nil, false, nil
	}
	paths, err := filepath.Glob(filepath.FromSlash(d.dataGlob(t.Source)))
	if err != nil {
		return nil, false, fmt.Errorf("query: list %s files: %w", t.Source, err)
	}
	for _, p := range paths {
		day := filepath.Base(filepath.Dir(p))
		day, isDay := strings.CutPrefix(day, "eventDay=")
		if !isDay || day < fromDay || day > toDay {
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			if os.IsNotExist(err) {
				continue // removed since the listing
			}
			return nil, false, fmt.Errorf("query: %w", err)
		}
		files = append(files, DataFile{Path: filepath.ToSlash(p), Size: fi.Size(), ModTime: fi.ModTime()})
	}
	slices.SortFunc(files, func(a, b DataFile) int { return strings.Compare(a.Path, b.Path) })
	return files, true, nil
}

// FilesFrom is a FROM item with the columns of a table's view (the partition columns
// included) that reads only the files given as its one parameter: a VARCHAR[] of paths that
// DataFiles returned, bound, never spliced into the text. read_parquet expands glob patterns
// in those paths, so a path holding a glob character must not be given (see HasGlob).
func FilesFrom() string {
	return "(SELECT " + dataColumns + " FROM read_parquet(?::VARCHAR[], hive_partitioning = true, hive_types_autocast = false, union_by_name = true))"
}

// HasGlob reports whether path holds a character that DuckDB's file functions read as a
// wildcard.
func HasGlob(path string) bool { return strings.ContainsAny(path, "*?[]{}") }

// table returns the view named name as of the last Open or Refresh.
func (d *DB) table(name string) (Table, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, t := range d.tables {
		if t.Name == name {
			return t, true
		}
	}
	return Table{}, false
}
