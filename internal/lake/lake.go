package lake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// Paths of the lake's own area, relative to the root.
const (
	metaDir     = "_mcpwatch"
	tmpDir      = "_mcpwatch/tmp"
	pendingDir  = "_mcpwatch/pending"
	schemaDir   = "_mcpwatch/schema"
	lockRel     = "_mcpwatch/lock"
	deadLetters = "_deadletter"
)

// Lake is a lake directory opened for writing and reading. Its methods are safe for
// concurrent use; each Txn is used by one goroutine.
type Lake struct {
	root  string
	st    storage
	cfg   config
	log   *slog.Logger
	specs map[string]*tableState
	// byType routes an event's dynamic type to its table.
	byType map[reflect.Type]*tableState
	order  []*tableState

	// workBase is the local directory of the work areas of every process using this lake
	// (tmpDir under a local lake's root; a local cache directory for an S3 lake); work is
	// this Lake's private work directory in it, held by procLock.
	workBase string
	work     string
	procLock *os.File

	// commitMu serializes this process's commits before they take the file lock.
	commitMu sync.Mutex

	mu  sync.Mutex // guards man and closed
	man *manifest
	// closed is set by Close.
	closed bool

	schemaMu sync.Mutex // serializes SchemaFile
}

// tableState is a table of an open Lake with what its writers share.
type tableState struct {
	Table
	// slabs recycles the row batches of finished transactions (values are []R).
	slabs sync.Pool
}

// config holds the options of Open.
type config struct {
	tables       []Table
	log          *slog.Logger
	now          func() time.Time
	batchRows    int
	rowGroupRows int
	fileRows     int64
	maxOpenFiles int
	lanes        int
	pageBuffer   int
	compression  compress.Codec
	workDir      string
}

// Option configures Open.
type Option func(*config)

// WithTables sets the lake's tables (default DefaultTables()).
func WithTables(tables ...Table) Option { return func(c *config) { c.tables = tables } }

// WithWorkDir sets the local directory where an S3 lake builds its files before uploading
// them (default a directory under the user's cache directory). A local lake works in its own
// directory and ignores it.
func WithWorkDir(dir string) Option { return func(c *config) { c.workDir = dir } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithClock sets the clock that stamps commits and dead letters (default time.Now).
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithBatchRows sets how many rows of a partition are copied into one batch before it is
// handed to an encoder (default 2048). The batches of a transaction hold at most
// (MaxOpenFiles + 2*parallelism + 1) * n rows; with more partitions than that allows,
// batches are sent smaller.
func WithBatchRows(n int) Option { return func(c *config) { c.batchRows = n } }

// WithRowGroupRows sets the maximum rows of a Parquet row group (default 65536).
func WithRowGroupRows(n int) Option { return func(c *config) { c.rowGroupRows = n } }

// WithFileRows sets the maximum rows of a file; a partition with more rows in one
// transaction gets several files (default 1<<20).
func WithFileRows(n int64) Option { return func(c *config) { c.fileRows = n } }

// WithMaxOpenFiles bounds the partition files a transaction writes at once (default 4),
// and so its Parquet writers (about 10 MB each): when a batch needs one more, the least
// recently used file is closed, and its partition starts a new one for its next batch; the
// pieces are joined again at commit.
func WithMaxOpenFiles(n int) Option { return func(c *config) { c.maxOpenFiles = n } }

// WithParallelism sets how many encoders may write one partition file at once (default
// GOMAXPROCS, at most 4). A transaction runs one encoder per open file plus at most n-1
// more for its busiest files; each costs a Parquet writer's buffers (10 to 20 MB).
func WithParallelism(n int) Option { return func(c *config) { c.lanes = n } }

// WithPageBufferSize sets the Parquet writer's page buffer per column (default 64 KiB):
// larger pages compress a little better and cost more memory per encoder.
func WithPageBufferSize(n int) Option { return func(c *config) { c.pageBuffer = n } }

// WithCompression sets the Parquet compression codec (default ZSTD at its fastest level).
// Measured on VPC flows (BenchmarkEncodeOptions): Snappy costs about 12% less CPU per row but
// makes files 2.4 times larger (68 against 28 bytes a row), and Athena bills bytes scanned.
func WithCompression(c compress.Codec) Option { return func(cfg *config) { cfg.compression = c } }

func defaultConfig() config {
	return config{
		tables:       DefaultTables(),
		log:          slog.Default(),
		now:          time.Now,
		batchRows:    2048,
		rowGroupRows: 65536,
		fileRows:     1 << 20,
		maxOpenFiles: 4,
		lanes:        min(runtime.GOMAXPROCS(0), 4),
		pageBuffer:   64 << 10,
		compression:  &zstd.Codec{Level: zstd.SpeedFastest},
	}
}

func (c *config) validate() error {
	switch {
	case c.log == nil || c.now == nil || c.compression == nil:
		return errors.New("lake: nil logger, clock or codec")
	case c.batchRows < 1 || c.rowGroupRows < 1 || c.fileRows < 1 || c.maxOpenFiles < 1 || c.lanes < 1 || c.pageBuffer < 1:
		return errors.New("lake: batch rows, row group rows, file rows, open files, parallelism and page buffer size must be positive")
	}
	return nil
}

// writerOptions are the Parquet writer options of every file of the lake; files to be
// concatenated must share them.
func (c *config) writerOptions() []parquet.WriterOption {
	return []parquet.WriterOption{
		createdBy("mcpwatch version " + mcpwatchVersion()),
		parquet.Compression(c.compression),
		parquet.DataPageVersion(1),
		// Page header statistics only repeat the column index and the chunk statistics,
		// which are still written, and cost a second pass over every page.
		parquet.DataPageStatistics(false),
		// PLAIN strings rather than parquet-go's default DELTA_LENGTH_BYTE_ARRAY: every
		// reader supports PLAIN (Security Lake's own files use it), and after ZSTD the sizes
		// are within a few percent.
		parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.Plain),
		parquet.PageBufferSize(c.pageBuffer),
		parquet.MaxRowsPerRowGroup(int64(c.rowGroupRows)),
	}
}

// createdBy is a Parquet writer option that sets the file's created_by string as is.
type createdBy string

func (c createdBy) ConfigureWriter(cfg *parquet.WriterConfig) { cfg.CreatedBy = string(c) }

// mcpwatchVersion returns the version of the main module, or "0.0.0-devel" for a build
// without one.
func mcpwatchVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && strings.HasPrefix(bi.Main.Version, "v") {
		return strings.TrimPrefix(bi.Main.Version, "v")
	}
	return "0.0.0-devel"
}

// Open opens the lake in directory dir, creating it if needed. It loads the manifest, rolls
// back the commits a crashed process left half done, and removes the work files of
// processes that are gone (those whose work lock no live process holds). Close releases it.
func Open(dir string, opts ...Option) (*Lake, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("lake: %w", err)
	}
	workBase := filepath.Join(root, filepath.FromSlash(tmpDir))
	if err := os.MkdirAll(workBase, 0o755); err != nil {
		return nil, fmt.Errorf("lake: create %s: %w", root, err)
	}
	st := &localStorage{root: root, lockPath: filepath.Join(root, filepath.FromSlash(lockRel))}
	return open(root, st, workBase, cfg)
}

func newConfig(opts []Option) (config, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	return cfg, cfg.validate()
}

// open opens a lake whose committed objects are in st and whose work areas are in the local
// directory workBase.
func open(root string, st storage, workBase string, cfg config) (*Lake, error) {
	l := &Lake{
		root:     root,
		st:       st,
		workBase: workBase,
		cfg:      cfg,
		log:      cfg.log,
		specs:    map[string]*tableState{},
		byType:   map[reflect.Type]*tableState{},
		man:      newManifest(),
	}
	for _, t := range cfg.tables {
		if err := t.validate(); err != nil {
			return nil, err
		}
		if _, dup := l.specs[t.name]; dup {
			return nil, fmt.Errorf("lake: table %s given twice", t.name)
		}
		ts := &tableState{Table: t}
		l.specs[t.name] = ts
		l.order = append(l.order, ts)
		for _, a := range t.codec.accepts() {
			if other, dup := l.byType[a]; dup {
				return nil, fmt.Errorf("lake: event type %v goes to both %s and %s", a, other.name, t.name)
			}
			l.byType[a] = ts
		}
	}

	ctx := context.Background()
	unlock, err := l.st.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := l.cleanWork(); err != nil {
		return nil, err
	}
	if err := l.takeWork(); err != nil {
		return nil, err
	}
	if err := l.refreshLocked(ctx); err != nil {
		l.releaseWork()
		return nil, err
	}
	if err := l.recover(ctx); err != nil {
		l.releaseWork()
		return nil, err
	}
	return l, nil
}

// Root is the lake's location: its directory, or its s3:// URL.
func (l *Lake) Root() string { return l.root }

// Tables returns the lake's tables.
func (l *Lake) Tables() []Table {
	out := make([]Table, len(l.order))
	for i, t := range l.order {
		out[i] = t.Table
	}
	return out
}

// Close releases the lake's work area. Transactions must be committed or aborted first.
func (l *Lake) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	return l.releaseWork()
}

// Lookup returns the manifest entry of the input whose content is hash (SHA-256, hex).
func (l *Lake) Lookup(hash string) (Entry, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refresh()
	return l.man.lookup(strings.ToLower(hash))
}

// LookupFile returns the latest manifest entry of an input committed under this name with
// this size and modification time, so that an unchanged file can be skipped unread.
func (l *Lake) LookupFile(name string, size int64, mtime time.Time) (Entry, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refresh()
	return l.man.lookupFile(name, size, mtime)
}

// refresh reads what other processes appended to the manifest; errors are logged, the index
// stays as it was. l.mu is held.
func (l *Lake) refresh() {
	if err := l.readManifest(context.Background()); err != nil {
		l.log.Warn("lake: reading the manifest", "err", err)
	}
}

// readManifest parses the manifest from where the index stopped. l.mu is held.
func (l *Lake) readManifest(ctx context.Context) error {
	data, err := l.st.readFrom(ctx, manifestRel, l.man.off)
	if err != nil {
		return err
	}
	l.man.parse(data, l.log)
	return nil
}

// refreshLocked is refresh for a caller holding the file lock: it also ends a torn last line
// so that the next append starts a line of its own.
func (l *Lake) refreshLocked(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.readManifest(ctx); err != nil {
		return err
	}
	if l.man.torn {
		// No one else can be appending (we hold the lock): the tail is a torn write.
		if err := l.st.appendSync(ctx, manifestRel, []byte("\n")); err != nil {
			return err
		}
		l.log.Warn("lake: the manifest ended with a torn line; it is skipped")
		if err := l.readManifest(ctx); err != nil {
			return err
		}
	}
	return nil
}

// takeWork creates this Lake's work directory and takes its lock. The file lock is held.
func (l *Lake) takeWork() error {
	base := l.workBase
	id := newID()
	f, err := os.OpenFile(filepath.Join(base, id+".lock"), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("lake: work lock: %w", err)
	}
	if ok, err := tryLock(f); err != nil || !ok {
		f.Close()
		return fmt.Errorf("lake: work lock %s: held=%v: %w", f.Name(), !ok, err)
	}
	work := filepath.Join(base, id)
	if err := os.Mkdir(work, 0o755); err != nil {
		unlockFile(f)
		f.Close()
		return fmt.Errorf("lake: work directory: %w", err)
	}
	l.work, l.procLock = work, f
	return nil
}

// releaseWork removes the work directory and releases its lock.
func (l *Lake) releaseWork() error {
	if l.procLock == nil {
		return nil
	}
	err := os.RemoveAll(l.work)
	lockPath := l.procLock.Name()
	if rerr := os.Remove(lockPath); err == nil && rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		err = rerr
	}
	unlockFile(l.procLock)
	l.procLock.Close()
	l.procLock = nil
	if err != nil {
		return fmt.Errorf("lake: release work area: %w", err)
	}
	return nil
}

// cleanWork removes the work areas of processes that are gone: those whose lock file no one
// holds, and directories without a lock file. A live process creates its lock before its
// directory, under the file lock this caller holds, so neither race with a live process.
func (l *Lake) cleanWork() error {
	base := l.workBase
	ents, err := os.ReadDir(base)
	if err != nil {
		return fmt.Errorf("lake: clean work area: %w", err)
	}
	locked := map[string]bool{}
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".lock")
		if !ok || e.IsDir() {
			continue
		}
		f, err := os.OpenFile(filepath.Join(base, e.Name()), os.O_RDWR, 0)
		if err != nil {
			continue
		}
		free, err := tryLock(f)
		if err != nil || !free {
			locked[name] = true
			f.Close()
			continue
		}
		if err := os.RemoveAll(filepath.Join(base, name)); err != nil {
			l.log.Warn("lake: removing a dead process's work files", "dir", name, "err", err)
		} else {
			l.log.Info("lake: removed the work files of a process that is gone", "dir", name)
		}
		os.Remove(f.Name())
		unlockFile(f)
		f.Close()
	}
	for _, e := range ents {
		if e.IsDir() && !locked[e.Name()] {
			if err := os.RemoveAll(filepath.Join(base, e.Name())); err != nil {
				l.log.Warn("lake: removing orphan work files", "dir", e.Name(), "err", err)
			}
		}
	}
	return nil
}

// journal is a commit journal: the files a commit is publishing, written before the first
// rename and removed after the manifest entry.
type journal struct {
	Hash  string   `json:"hash,omitempty"`
	Run   string   `json:"run,omitempty"`
	Files []string `json:"files"`
}

// recover rolls back the commits whose journal remains: a process died between publishing
// files and appending their manifest entry. The file lock is held, so no live process has a
// journal.
func (l *Lake) recover(ctx context.Context) error {
	ents, err := l.st.list(ctx, pendingDir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.isDir || !strings.HasSuffix(e.name, ".json") {
			continue
		}
		rel := joinRel(pendingDir, e.name)
		data, err := l.st.readFrom(ctx, rel, 0)
		if err != nil {
			return err
		}
		var j journal
		if err := json.Unmarshal(data, &j); err != nil {
			l.log.Warn("lake: dropping an unreadable commit journal", "journal", rel, "err", err)
		} else {
			committed := map[string]bool{}
			l.mu.Lock()
			entry, ok := l.man.lookup(j.Hash)
			if !ok && j.Run != "" {
				for _, e := range l.man.entries {
					if e.Run == j.Run {
						entry, ok = e, true
					}
				}
			}
			l.mu.Unlock()
			if ok {
				for _, f := range append(entry.Files, entry.DeadLetters...) {
					committed[f] = true
				}
			}
			removed := 0
			for _, f := range j.Files {
				if committed[f] || !safeRel(f) {
					continue
				}
				if err := l.st.remove(ctx, f); err != nil {
					return err
				}
				removed++
			}
			l.log.Warn("lake: rolled back a commit interrupted by a crash", "hash", j.Hash, "run", j.Run,
				"files_removed", removed, "already_committed", ok)
		}
		if err := l.st.remove(ctx, rel); err != nil {
			return err
		}
	}
	return nil
}

// safeRel reports whether rel is a clean relative path inside the lake.
func safeRel(rel string) bool {
	if rel == "" || strings.HasPrefix(rel, "/") || strings.Contains(rel, "\\") {
		return false
	}
	for _, p := range strings.Split(rel, "/") {
		if p == "" || p == "." || p == ".." {
			return false
		}
	}
	return true
}

// newID returns 16 random hex digits.
func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
