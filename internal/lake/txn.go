package lake

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// Key-value metadata keys of the lake's Parquet files.
const (
	// MetaWriter names the writer: "mcpwatch".
	MetaWriter = "writer"
	// MetaOCSFVersion is the OCSF version of the rows, such as 1.1.0.
	MetaOCSFVersion = "ocsf.version"
	// MetaTable and MetaSourceVersion are the file's table and source version.
	MetaTable         = "mcpwatch.table"
	MetaSourceVersion = "mcpwatch.source_version"
	// MetaInputHash is the SHA-256 of the input the rows come from (comma-separated for a
	// commit of several inputs); MetaRun identifies a commit that is not a single input;
	// MetaInputName is the input's name.
	MetaInputHash = "mcpwatch.input_sha256"
	MetaRun       = "mcpwatch.run"
	MetaInputName = "mcpwatch.input"
)

// InputInfo describes the input a transaction stores.
type InputInfo struct {
	// Name identifies the input: a path, an s3:// URL, "-", or a run's name.
	Name string
	// Size and ModTime are what the input's directory entry says (zero if unknown); with
	// Name they are the key of Lake.LookupFile.
	Size    int64
	ModTime time.Time
}

// CommitInfo completes a transaction at commit.
type CommitInfo struct {
	// ContentHash is the SHA-256 (hex) of the raw input, or "" for a commit that is not an
	// input (such as a detection run), which is never a duplicate.
	ContentHash string
	// Counts is the caller's account of the input's records, kept in the manifest.
	Counts Counts
	// Inputs, when not empty, says the transaction holds the records of several inputs (many
	// small files committed together make fewer, larger Parquet files and one commit instead
	// of many); ContentHash and Counts are then unused. Each input is recorded in the manifest
	// under its own hash, name, size and mtime. If any of them is already in the manifest,
	// nothing is committed and Commit returns a *DuplicateInputsError.
	Inputs []InputEntry
}

// DuplicateInputsError is returned by Commit when inputs of a commit of several were already
// committed (by another process, since the caller checked): nothing was committed; the caller
// may commit the other inputs again without these.
type DuplicateInputsError struct {
	Hashes []string
}

func (e *DuplicateInputsError) Error() string {
	return fmt.Sprintf("lake: %d of the inputs of this commit were committed meanwhile by another process", len(e.Hashes))
}

// CommitResult is what a commit did.
type CommitResult struct {
	// Duplicate reports that the input was already committed: nothing was written, Entry is
	// the earlier commit, and Files, DeadLetters and Rows are empty. (The manifest gains an
	// entry without files for the input's name, size and mtime if they were new, so that
	// LookupFile finds this copy too.)
	Duplicate bool
	// Entry is the manifest entry of the commit.
	Entry Entry
	// Files and DeadLetters are the locations of the files committed.
	Files       []string
	DeadLetters []string
	// Rows is the number of rows written per table.
	Rows map[string]int64
}

// Txn is a write transaction: the events and dead letters of one input, invisible until
// Commit. It is used by one goroutine. Abort after Commit does nothing, so
// `defer txn.Abort()` is the usual pattern.
type Txn struct {
	l       *Lake
	ctx     context.Context
	info    InputInfo
	id      string
	dir     string
	started time.Time

	writers  map[*tableState]tableWriter
	lastType reflect.Type
	lastW    tableWriter
	dead     map[string]*deadLetterFile
	done     bool
}

// deadLetterFile is the work file of one table's dead letters.
type deadLetterFile struct {
	f *os.File
	w *bufio.Writer
	n int64
}

// deadLetter is one line of a dead-letter file.
type deadLetter struct {
	Input      string    `json:"input"`
	Pos        int64     `json:"pos"`
	Reason     string    `json:"reason"`
	Raw        *string   `json:"raw,omitempty"`
	RawBase64  []byte    `json:"raw_base64,omitempty"`
	IngestedAt time.Time `json:"ingested_at"`
}

// Begin starts the transaction of one input. ctx bounds the transaction's waits for its
// encoders.
func (l *Lake) Begin(ctx context.Context, in InputInfo) (*Txn, error) {
	l.mu.Lock()
	closed := l.closed
	l.mu.Unlock()
	if closed {
		return nil, errors.New("lake: Begin on a closed lake")
	}
	id := newID()
	dir := filepath.Join(l.work, id)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lake: begin: %w", err)
	}
	return &Txn{
		l:       l,
		ctx:     ctx,
		info:    in,
		id:      id,
		dir:     dir,
		started: l.cfg.now(),
		writers: map[*tableState]tableWriter{},
		dead:    map[string]*deadLetterFile{},
	}, nil
}

// SetInput names the input whose records follow, in a transaction that holds several inputs
// (see CommitInfo.Inputs): dead letters record it.
func (tx *Txn) SetInput(in InputInfo) { tx.info = in }

// Write copies ev into the table that takes its Go type, in the partition of its region,
// account and UTC day. The caller may reuse ev's struct after the call; the strings and
// slices it points to are kept until the commit.
func (tx *Txn) Write(ev ocsf.Event) error {
	if tx.done {
		return errors.New("lake: Write on a finished transaction")
	}
	t := reflect.TypeOf(ev)
	w := tx.lastW
	if t != tx.lastType || w == nil {
		ts := tx.l.byType[t]
		if ts == nil {
			if ev == nil {
				return errNilEvent
			}
			return fmt.Errorf("lake: no table takes events of type %v", t)
		}
		w = tx.writers[ts]
		if w == nil {
			if err := os.MkdirAll(filepath.Join(tx.dir, ts.name), 0o755); err != nil {
				return fmt.Errorf("lake: %w", err)
			}
			w = ts.codec.newWriter(tx, ts)
			tx.writers[ts] = w
		}
		tx.lastType, tx.lastW = t, w
	}
	return w.write(ev)
}

// DeadLetter records a record of table that could not be normalized: its raw bytes (copied),
// its position in the input and why. Dead letters become visible with the commit.
func (tx *Txn) DeadLetter(table string, raw []byte, pos int64, reason string) error {
	if tx.done {
		return errors.New("lake: DeadLetter on a finished transaction")
	}
	if !validName(table) {
		return fmt.Errorf("lake: dead letter for table %q: want letters, digits and '_'", table)
	}
	d := tx.dead[table]
	if d == nil {
		f, err := os.Create(filepath.Join(tx.dir, "deadletter-"+table+".ndjson"))
		if err != nil {
			return fmt.Errorf("lake: dead letter: %w", err)
		}
		d = &deadLetterFile{f: f, w: bufio.NewWriterSize(f, 64<<10)}
		tx.dead[table] = d
	}
	rec := deadLetter{Input: tx.info.Name, Pos: pos, Reason: reason, IngestedAt: tx.l.cfg.now().UTC()}
	if utf8.Valid(raw) {
		s := string(raw)
		rec.Raw = &s
	} else {
		rec.RawBase64 = raw
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("lake: dead letter: %w", err)
	}
	b = append(b, '\n')
	if _, err := d.w.Write(b); err != nil {
		return fmt.Errorf("lake: dead letter: %w", err)
	}
	d.n++
	return nil
}

// Abort discards the transaction. It does nothing after Commit or a previous Abort.
func (tx *Txn) Abort() {
	if tx.done {
		return
	}
	tx.done = true
	for _, w := range tx.writers {
		w.abort()
	}
	for _, d := range tx.dead {
		d.f.Close()
	}
	if err := os.RemoveAll(tx.dir); err != nil {
		tx.l.log.Warn("lake: removing an aborted transaction's files", "dir", tx.dir, "err", err)
	}
}

// pubFile is a finished work file and where it goes.
type pubFile struct {
	tmp, rel string
}

// Commit makes the transaction visible. With a ContentHash already in the manifest it
// discards everything and reports a duplicate; otherwise it renames every file into place
// and appends the manifest entry, under the lake's lock. Every file of the transaction is
// finished first, so Commit waits for the encoders. On error nothing is visible (or, after a
// crash, what was published is rolled back by the next Open).
func (tx *Txn) Commit(ctx context.Context, ci CommitInfo) (res CommitResult, err error) {
	if tx.done {
		return res, errors.New("lake: Commit on a finished transaction")
	}
	hash := strings.ToLower(ci.ContentHash)
	inputs := slices.Clone(ci.Inputs)
	if len(inputs) > 0 {
		hash = ""
	}
	for i := range inputs {
		inputs[i].Hash = strings.ToLower(inputs[i].Hash)
	}
	for _, h := range append([]string{hash}, hashesOf(inputs)...) {
		if h == "" {
			continue
		}
		if b, err := hex.DecodeString(h); err != nil || len(b) != 32 {
			tx.Abort()
			return res, fmt.Errorf("lake: content hash %q is not a SHA-256 in hex", h)
		}
	}
	tx.done = true
	defer func() {
		if rerr := os.RemoveAll(tx.dir); rerr != nil {
			tx.l.log.Warn("lake: removing a transaction's work files", "dir", tx.dir, "err", rerr)
		}
	}()

	// Finish every file.
	rows := map[string]int64{}
	var files []pubFile
	id := tx.id
	switch {
	case hash != "":
		id = hash[:16]
	case len(inputs) > 0:
		// Deterministic from the inputs, like a single input's names, so that re-running
		// the same batch after a crash overwrites rather than duplicates.
		sum := sha256.Sum256([]byte(strings.Join(slices.Sorted(slices.Values(hashesOf(inputs))), ",")))
		id = "b" + hex.EncodeToString(sum[:])[:15]
	}
	var ferr error
	for _, ts := range tx.l.order {
		w := tx.writers[ts]
		if w == nil {
			continue
		}
		if ferr != nil {
			w.abort()
			continue
		}
		results, err := w.finish()
		if err != nil {
			ferr = err
			continue
		}
		for _, r := range results {
			rows[ts.name] += r.rows
			files = append(files, pubFile{tmp: r.tmp, rel: joinRel(r.partRel, id+"-"+strconv.Itoa(r.seq)+".parquet")})
		}
	}
	slices.SortFunc(files, func(a, b pubFile) int { return strings.Compare(a.rel, b.rel) })
	day := tx.started.UTC().Format("20060102")
	for _, table := range slices.Sorted(maps.Keys(tx.dead)) {
		d := tx.dead[table]
		if err := d.w.Flush(); err != nil && ferr == nil {
			ferr = fmt.Errorf("lake: dead letters: %w", err)
		}
		if err := d.f.Sync(); err != nil && ferr == nil {
			ferr = fmt.Errorf("lake: dead letters: %w", err)
		}
		d.f.Close()
	}
	if ferr != nil {
		return res, ferr
	}
	var deadFiles []pubFile
	for _, table := range slices.Sorted(maps.Keys(tx.dead)) {
		deadFiles = append(deadFiles, pubFile{
			tmp: tx.dead[table].f.Name(),
			rel: joinRel(deadLetters, table, dayKey+day, id+".ndjson"),
		})
	}

	// Stamp the footers: the input's hash is known only now.
	for _, f := range files {
		table := strings.SplitN(f.rel, "/", 3)
		kv := [][2]string{
			{MetaWriter, "mcpwatch"},
			{MetaTable, table[0]},
			{MetaSourceVersion, table[1]},
			{MetaOCSFVersion, ocsfVersionOf(table[1])},
		}
		switch {
		case hash != "":
			kv = append(kv, [2]string{MetaInputName, tx.info.Name}, [2]string{MetaInputHash, hash})
		case len(inputs) > 0:
			kv = append(kv, [2]string{MetaRun, id}, [2]string{MetaInputHash, strings.Join(hashesOf(inputs), ",")})
		default:
			kv = append(kv, [2]string{MetaInputName, tx.info.Name}, [2]string{MetaRun, tx.id})
		}
		if err := stampFooter(f.tmp, kv); err != nil {
			return res, fmt.Errorf("lake: %s: %w", f.rel, err)
		}
	}

	entry := Entry{
		Hash:    hash,
		Name:    tx.info.Name,
		Size:    tx.info.Size,
		ModTime: tx.info.ModTime,
		Counts:  ci.Counts,
		Rows:    rows,
	}
	if hash == "" {
		entry.Run = tx.id
	}
	if len(inputs) > 0 {
		entry.Run, entry.Inputs, entry.Counts = id, inputs, Counts{}
		for _, in := range inputs {
			entry.Counts.add(in.Counts)
		}
	}
	for _, f := range files {
		entry.Files = append(entry.Files, f.rel)
	}
	for _, f := range deadFiles {
		entry.DeadLetters = append(entry.DeadLetters, f.rel)
	}
	if len(entry.Rows) == 0 {
		entry.Rows = nil
	}

	// Publish under the lock.
	l := tx.l
	l.commitMu.Lock()
	defer l.commitMu.Unlock()
	unlock, err := l.st.lock(ctx)
	if err != nil {
		return res, err
	}
	defer unlock()
	if err := l.refreshLocked(ctx); err != nil {
		return res, err
	}
	if hash != "" {
		l.mu.Lock()
		prev, dup := l.man.lookup(hash)
		l.mu.Unlock()
		if dup {
			tx.recordAlias(ctx, hash)
			return CommitResult{Duplicate: true, Entry: prev}, nil
		}
	}
	if len(inputs) > 0 {
		var dups []string
		l.mu.Lock()
		for _, h := range hashesOf(inputs) {
			if _, dup := l.man.lookup(h); dup {
				dups = append(dups, h)
			}
		}
		l.mu.Unlock()
		if len(dups) > 0 {
			return res, &DuplicateInputsError{Hashes: dups}
		}
	}
	entry.CommittedAt = l.cfg.now().UTC()
	line, err := encodeEntry(entry)
	if err != nil {
		return res, err
	}
	all := append(slices.Clip(files), deadFiles...)
	jrel := joinRel(pendingDir, tx.id+".json")
	if len(all) > 0 {
		if err := tx.writeJournal(ctx, jrel, journal{Hash: hash, Run: entry.Run, Files: append(slices.Clone(entry.Files), entry.DeadLetters...)}); err != nil {
			return res, err
		}
	}
	for i, f := range all {
		if err := l.st.publish(ctx, f.tmp, f.rel); err != nil {
			tx.rollback(ctx, jrel, all[:i])
			return res, err
		}
	}
	if err := l.st.appendSync(ctx, manifestRel, line); err != nil {
		tx.rollback(ctx, jrel, all)
		return res, err
	}
	l.mu.Lock()
	if err := l.readManifest(ctx); err != nil {
		l.log.Warn("lake: re-reading the manifest", "err", err)
	}
	l.mu.Unlock()
	if len(all) > 0 {
		if err := l.st.remove(ctx, jrel); err != nil {
			l.log.Warn("lake: removing a commit journal", "journal", jrel, "err", err)
		}
	}
	res = CommitResult{Entry: entry, Rows: rows}
	for _, f := range files {
		res.Files = append(res.Files, l.st.location(f.rel))
	}
	for _, f := range deadFiles {
		res.DeadLetters = append(res.DeadLetters, l.st.location(f.rel))
	}
	return res, nil
}

// recordAlias appends a manifest entry without files for a duplicate input whose name, size
// and mtime are not known yet, so that LookupFile skips it next time without reading it.
// Errors are only logged: the commit is a duplicate either way. The lock is held.
func (tx *Txn) recordAlias(ctx context.Context, hash string) {
	l, in := tx.l, tx.info
	if in.Name == "" {
		return
	}
	l.mu.Lock()
	_, known := l.man.lookupFile(in.Name, in.Size, in.ModTime)
	l.mu.Unlock()
	if known {
		return
	}
	line, err := encodeEntry(Entry{Hash: hash, Name: in.Name, Size: in.Size, ModTime: in.ModTime,
		CommittedAt: l.cfg.now().UTC(), Duplicate: true})
	if err == nil {
		err = l.st.appendSync(ctx, manifestRel, line)
	}
	if err != nil {
		l.log.Warn("lake: recording a duplicate input's name", "input", in.Name, "err", err)
		return
	}
	l.mu.Lock()
	if err := l.readManifest(ctx); err != nil {
		l.log.Warn("lake: re-reading the manifest", "err", err)
	}
	l.mu.Unlock()
}

// writeJournal publishes the commit journal j at rel.
func (tx *Txn) writeJournal(ctx context.Context, rel string, j journal) error {
	b, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("lake: journal: %w", err)
	}
	tmp := filepath.Join(tx.dir, "journal.json")
	if err := writeFileSync(tmp, b); err != nil {
		return err
	}
	return tx.l.st.publish(ctx, tmp, rel)
}

// rollback removes the files a failed commit published, then its journal; what it cannot
// remove is left to the journal and the next Open.
func (tx *Txn) rollback(ctx context.Context, jrel string, published []pubFile) {
	for _, f := range published {
		if err := tx.l.st.remove(ctx, f.rel); err != nil {
			tx.l.log.Warn("lake: rolling back a failed commit", "file", f.rel, "err", err)
			return
		}
	}
	if err := tx.l.st.remove(ctx, jrel); err != nil {
		tx.l.log.Warn("lake: rolling back a failed commit", "journal", jrel, "err", err)
	}
}

// writeFileSync writes data to a new file at path and makes it durable.
func writeFileSync(path string, data []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("lake: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("lake: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("lake: sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("lake: close %s: %w", path, err)
	}
	return nil
}

// hashesOf returns the content hashes of inputs, in order.
func hashesOf(inputs []InputEntry) []string {
	hs := make([]string, len(inputs))
	for i, in := range inputs {
		hs[i] = in.Hash
	}
	return hs
}
