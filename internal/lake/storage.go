package lake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// storage is where the lake's committed objects live: table files, dead letters, the
// manifest, commit journals and schema files. Paths are slash-separated and relative to the
// lake root. Files are always built in a local work directory first and then published, so
// a storage only has to move finished files into place; an S3 storage publishes by upload.
type storage interface {
	// location returns what users see for rel: a local path or a URL.
	location(rel string) string
	// publish moves the finished local file tmp to rel, atomically: readers see the whole
	// file or nothing. It replaces an existing object.
	publish(ctx context.Context, tmp, rel string) error
	// remove deletes rel; a missing object is not an error.
	remove(ctx context.Context, rel string) error
	// list returns the names of the immediate children of the directory rel, with whether
	// each is a directory; a missing directory is empty.
	list(ctx context.Context, rel string) ([]dirEntry, error)
	// open opens rel for random access.
	open(ctx context.Context, rel string) (object, error)
	// readFrom returns the content of rel from byte off to its end; a missing object reads as
	// empty.
	readFrom(ctx context.Context, rel string, off int64) ([]byte, error)
	// appendSync appends data to rel (creating it) and makes it durable. Callers hold the lock.
	appendSync(ctx context.Context, rel string, data []byte) error
	// lock takes the lake's exclusive lock, waiting until ctx is done; unlock releases it.
	lock(ctx context.Context) (unlock func(), err error)
}

// dirEntry is one child of a listed directory.
type dirEntry struct {
	name  string
	isDir bool
}

// object is an opened stored file.
type object interface {
	io.ReaderAt
	io.Closer
	Size() int64
}

// localStorage is a storage on the local file system.
type localStorage struct {
	root     string
	lockPath string
}

func (s *localStorage) path(rel string) string { return filepath.Join(s.root, filepath.FromSlash(rel)) }

func (s *localStorage) location(rel string) string { return s.path(rel) }

func (s *localStorage) publish(_ context.Context, tmp, rel string) error {
	dst := s.path(rel)
	dir := filepath.Dir(dst)
	if err := mkdirAllSync(s.root, dir); err != nil {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("lake: publish %s: %w", rel, err)
	}
	return syncDir(dir)
}

func (s *localStorage) remove(_ context.Context, rel string) error {
	if err := os.Remove(s.path(rel)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("lake: remove %s: %w", rel, err)
	}
	return nil
}

func (s *localStorage) list(_ context.Context, rel string) ([]dirEntry, error) {
	ents, err := os.ReadDir(s.path(rel))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lake: list %s: %w", rel, err)
	}
	out := make([]dirEntry, 0, len(ents))
	for _, e := range ents {
		out = append(out, dirEntry{name: e.Name(), isDir: e.IsDir()})
	}
	return out, nil
}

// localObject is an opened local file.
type localObject struct {
	*os.File
	size int64
}

func (o localObject) Size() int64 { return o.size }

func (s *localStorage) open(_ context.Context, rel string) (object, error) {
	f, err := os.Open(s.path(rel))
	if err != nil {
		return nil, fmt.Errorf("lake: open %s: %w", rel, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lake: stat %s: %w", rel, err)
	}
	return localObject{File: f, size: st.Size()}, nil
}

func (s *localStorage) readFrom(_ context.Context, rel string, off int64) ([]byte, error) {
	f, err := os.Open(s.path(rel))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lake: read %s: %w", rel, err)
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return nil, fmt.Errorf("lake: read %s: %w", rel, err)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("lake: read %s: %w", rel, err)
	}
	return b, nil
}

func (s *localStorage) appendSync(_ context.Context, rel string, data []byte) error {
	p := s.path(rel)
	if err := mkdirAllSync(s.root, filepath.Dir(p)); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("lake: append %s: %w", rel, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("lake: append %s: %w", rel, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("lake: sync %s: %w", rel, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("lake: close %s: %w", rel, err)
	}
	return nil
}

func (s *localStorage) lock(ctx context.Context) (func(), error) {
	f, err := os.OpenFile(s.lockPath, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lake: lock: %w", err)
	}
	if err := lockWait(ctx, f); err != nil {
		f.Close()
		return nil, fmt.Errorf("lake: lock %s: %w", s.lockPath, err)
	}
	return func() {
		unlockFile(f)
		f.Close()
	}, nil
}

// mkdirAllSync creates dir and its missing parents below root, syncing each parent whose
// entries changed so that the new directories survive a crash.
func mkdirAllSync(root, dir string) error {
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		return nil
	}
	rel, err := filepath.Rel(root, dir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("lake: directory %s is outside the lake %s", dir, root)
	}
	cur := root
	for _, part := range strings.Split(filepath.ToSlash(rel), "/") {
		if part == "" || part == "." {
			continue
		}
		next := filepath.Join(cur, part)
		err := os.Mkdir(next, 0o755)
		switch {
		case err == nil:
			if err := syncDir(cur); err != nil {
				return err
			}
		case errors.Is(err, fs.ErrExist):
		default:
			return fmt.Errorf("lake: mkdir %s: %w", next, err)
		}
		cur = next
	}
	return nil
}

// syncDir makes the entries of directory dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("lake: sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("lake: sync %s: %w", dir, err)
	}
	return nil
}

// joinRel joins slash-separated relative path elements.
func joinRel(elem ...string) string { return path.Join(elem...) }
