package lake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/parquet-go/parquet-go"
)

func TestOpenCleansDeadProcessesWorkFiles(t *testing.T) {
	dir := t.TempDir()
	live, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	// The live Lake has a transaction in progress.
	tx := begin(t, live, "in progress")
	var e ocsf.NetworkActivity
	flow(&e, 1, "1", "r", day0)
	if err := tx.Write(&e); err != nil {
		t.Fatal(err)
	}

	// A crashed process left its lock file (no one holds it) and work directory, and
	// something left a work directory without a lock file.
	tmp := filepath.Join(dir, "_mcpwatch", "tmp")
	for _, p := range []string{"dead1/txn/VPC_FLOW/0-0.parquet", "orphan/x"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(tmp, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, p), []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, "dead1.lock"), nil, 0o644); err != nil {
		t.Fatal(err)
	}

	other, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for _, gone := range []string{"dead1", "dead1.lock", "orphan"} {
		if _, err := os.Stat(filepath.Join(tmp, gone)); !os.IsNotExist(err) {
			t.Errorf("%s survived Open: %v", gone, err)
		}
	}
	// The live process's work files are untouched, and its transaction commits.
	if _, err := os.Stat(tx.dir); err != nil {
		t.Fatalf("live transaction's work directory removed: %v", err)
	}
	res := commit(t, tx, hashOf("live"))
	if res.Rows[VPCFlow] != 1 {
		t.Errorf("live commit rows = %v", res.Rows)
	}
	// Close removes a Lake's own work area.
	work := other.work
	other.Close()
	if _, err := os.Stat(work); !os.IsNotExist(err) {
		t.Errorf("work area survived Close: %v", err)
	}
}

// crashAfterPublish leaves the lake as a process that died between publishing the files of a
// commit and appending its manifest entry would: it commits normally, then removes the
// manifest line and puts the commit journal back.
func crashAfterPublish(t *testing.T, dir string, res CommitResult) {
	t.Helper()
	man := filepath.Join(dir, "_mcpwatch", "manifest.ndjson")
	b, err := os.ReadFile(man)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	last := lines[len(lines)-2]
	if !strings.Contains(last, res.Entry.Files[0]) {
		t.Fatalf("last manifest line is not the commit: %s", last)
	}
	if err := os.WriteFile(man, []byte(strings.Join(lines[:len(lines)-2], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	j, _ := json.Marshal(journal{Hash: res.Entry.Hash, Run: res.Entry.Run, Files: append(res.Entry.Files, res.Entry.DeadLetters...)})
	if err := os.MkdirAll(filepath.Join(dir, "_mcpwatch", "pending"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "_mcpwatch", "pending", "crashed.json"), j, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRollsBackInterruptedCommit(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	keep := begin(t, l, "keep")
	var e ocsf.NetworkActivity
	flow(&e, 1, "1", "r", day0)
	if err := keep.Write(&e); err != nil {
		t.Fatal(err)
	}
	commit(t, keep, hashOf("keep"))
	tx := begin(t, l, "crashed")
	for i := range 10 {
		flow(&e, i, "2", "r", day0.Add(time.Duration(i%2)*24*time.Hour))
		if err := tx.Write(&e); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.DeadLetter(VPCFlow, []byte("x"), 1, "r"); err != nil {
		t.Fatal(err)
	}
	res := commit(t, tx, hashOf("crashed"))
	l.Close()
	crashAfterPublish(t, dir, res)

	l, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, f := range append(res.Files, res.DeadLetters...) {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("uncommitted file %s survived recovery: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "_mcpwatch", "pending", "crashed.json")); !os.IsNotExist(err) {
		t.Errorf("journal survived recovery: %v", err)
	}
	if got := scanAll[ocsf.NetworkActivity](t, l, VPCFlow); len(got) != 1 {
		t.Errorf("%d rows after recovery, want the 1 committed", len(got))
	}
	if _, ok := l.Lookup(hashOf("crashed")); ok {
		t.Error("rolled-back input is in the manifest")
	}
}

func TestJournalOfACommittedInputKeepsItsFiles(t *testing.T) {
	// The manifest entry was appended but the journal not yet removed.
	dir := t.TempDir()
	l, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	tx := begin(t, l, "x")
	var e ocsf.NetworkActivity
	flow(&e, 1, "1", "r", day0)
	if err := tx.Write(&e); err != nil {
		t.Fatal(err)
	}
	res := commit(t, tx, hashOf("x"))
	l.Close()
	stray := filepath.Join(dir, filepath.FromSlash(res.Entry.Files[0]))
	stray = strings.TrimSuffix(stray, "-0.parquet") + "-1.parquet"
	if err := os.WriteFile(stray, []byte("left by an earlier attempt"), 0o644); err != nil {
		t.Fatal(err)
	}
	j, _ := json.Marshal(journal{Hash: res.Entry.Hash, Files: []string{res.Entry.Files[0], strings.TrimPrefix(filepath.ToSlash(stray), filepath.ToSlash(dir)+"/"), "../../outside"}})
	os.MkdirAll(filepath.Join(dir, "_mcpwatch", "pending"), 0o755)
	if err := os.WriteFile(filepath.Join(dir, "_mcpwatch", "pending", "j.json"), j, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := os.Stat(res.Files[0]); err != nil {
		t.Errorf("committed file removed: %v", err)
	}
	if _, err := os.Stat(stray); !os.IsNotExist(err) {
		t.Errorf("stray file of the journal kept: %v", err)
	}
}

func TestReingestAfterCrashDoesNotDuplicate(t *testing.T) {
	// Files were published, the manifest entry was not, and the journal is lost too (say,
	// the process crashed and someone cleaned the pending directory): re-ingesting the same
	// input produces the same file names, which replace the orphans.
	dir := t.TempDir()
	l, err := Open(dir, WithFileRows(300), WithBatchRows(100))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ingest := func() CommitResult {
		tx := begin(t, l, "input")
		var e ocsf.NetworkActivity
		for i := range 1000 {
			flow(&e, i, "1", "r", day0)
			if err := tx.Write(&e); err != nil {
				t.Fatal(err)
			}
		}
		return commit(t, tx, hashOf("input"))
	}
	first := ingest()
	crashAfterPublish(t, dir, first)
	os.RemoveAll(filepath.Join(dir, "_mcpwatch", "pending"))
	l2, err := Open(dir, WithFileRows(300), WithBatchRows(100))
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	l = l2
	if _, ok := l.Lookup(hashOf("input")); ok {
		t.Fatal("the crash simulation left the manifest entry")
	}
	second := ingest()
	if second.Duplicate || !equalStrings(first.Entry.Files, second.Entry.Files) {
		t.Errorf("re-ingest wrote %q, first wrote %q", second.Entry.Files, first.Entry.Files)
	}
	if n := len(scanAll[ocsf.NetworkActivity](t, l, VPCFlow)); n != 1000 {
		t.Errorf("%d rows after re-ingest, want 1000", n)
	}
}

func TestTornManifestLine(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	commit(t, begin(t, l, "a"), hashOf("a"))
	l.Close()
	man := filepath.Join(dir, "_mcpwatch", "manifest.ndjson")
	f, err := os.OpenFile(man, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"hash":"` + hashOf("b") + `","name":"b","fi`) // crash mid-append
	f.Close()

	var logs bytes.Buffer
	l, err = Open(dir, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatalf("Open with a torn manifest: %v", err)
	}
	if _, ok := l.Lookup(hashOf("a")); !ok {
		t.Error("entry before the torn line lost")
	}
	if _, ok := l.Lookup(hashOf("b")); ok {
		t.Error("torn entry accepted")
	}
	if !strings.Contains(logs.String(), "torn") {
		t.Errorf("no warning logged: %s", logs.String())
	}
	commit(t, begin(t, l, "c"), hashOf("c"))
	l.Close()
	l, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, h := range []string{"a", "c"} {
		if _, ok := l.Lookup(hashOf(h)); !ok {
			t.Errorf("entry %s lost after the torn line", h)
		}
	}
	if _, ok := l.Lookup(hashOf("b")); ok {
		t.Error("torn entry accepted after reopen")
	}
}

func TestManifestParse(t *testing.T) {
	good := func(h string) string {
		b, _ := json.Marshal(Entry{Hash: hashOf(h), Name: h, Size: 1})
		return string(b) + "\n"
	}
	tests := []struct {
		name   string
		data   string
		hashes []string
		torn   bool
	}{
		{"empty", "", nil, false},
		{"two", good("a") + good("b"), []string{"a", "b"}, false},
		{"blank lines", "\n\n" + good("a") + "  \n", []string{"a"}, false},
		{"garbage in the middle", good("a") + "{not json\n" + good("b"), []string{"a", "b"}, false},
		{"torn tail", good("a") + `{"hash":"`, []string{"a"}, true},
		{"wrong types", `{"hash":1}` + "\n" + good("a"), []string{"a"}, false},
	}
	log := slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))
	for _, tt := range tests {
		m := newManifest()
		m.parse([]byte(tt.data), log)
		if len(m.entries) != len(tt.hashes) || m.torn != tt.torn {
			t.Errorf("%s: %d entries, torn %v", tt.name, len(m.entries), m.torn)
		}
		for _, h := range tt.hashes {
			if e, ok := m.lookup(hashOf(h)); !ok || e.Name != h {
				t.Errorf("%s: lookup %s = %+v, %v", tt.name, h, e, ok)
			}
		}
		if wantOff := int64(strings.LastIndexByte(tt.data, '\n') + 1); m.off != wantOff {
			t.Errorf("%s: offset %d, want %d", tt.name, m.off, wantOff)
		}
	}
}

func FuzzManifestParse(f *testing.F) {
	b, _ := json.Marshal(Entry{Hash: hashOf("a"), Name: "a", Files: []string{"x"}, Rows: map[string]int64{"T": 1}})
	f.Add(append(b, '\n'))
	f.Add([]byte("{\n}\n{\"hash\":\"\"}\n\xff\xfe"))
	f.Add([]byte(`{"mtime":"not a time","counts":{"read":"x"}}` + "\n"))
	log := slog.New(slog.NewTextHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelError}))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := newManifest()
		// Parsing in one go and in two pieces (as incremental reads do) agree.
		m.parse(data, log)
		m2 := newManifest()
		cut := len(data) / 2
		m2.parse(data[:cut], log)
		m2.parse(data[m2.off:], log)
		if m.off != m2.off || len(m.entries) != len(m2.entries) {
			t.Fatalf("one pass: off %d, %d entries; two passes: off %d, %d entries", m.off, len(m.entries), m2.off, len(m2.entries))
		}
		if m.off > int64(len(data)) || (m.off > 0 && data[m.off-1] != '\n') {
			t.Fatalf("offset %d is not at a line boundary", m.off)
		}
		for h, i := range m.byHash {
			if m.entries[i].Hash != h {
				t.Fatalf("index of %q points at %q", h, m.entries[i].Hash)
			}
		}
	})
}

func TestSchemaFile(t *testing.T) {
	l := openLake(t)
	for _, table := range []Table{TableOf[ocsf.NetworkActivity](VPCFlow, SourceVersion), TableOf[ocsf.DNSActivity](Route53, SourceVersion),
		TableOf[ocsf.DetectionFinding](Findings, SourceVersion)} {
		p, err := l.SchemaFile(table.Name())
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(l.Root(), "_mcpwatch", "schema", table.Name()+".parquet"); p != want {
			t.Errorf("schema file at %s, want %s", p, want)
		}
		pf := readParquet(t, p)
		if pf.NumRows() != 0 {
			t.Errorf("%s: %d rows", table.Name(), pf.NumRows())
		}
		if !parquet.EqualNodes(pf.Schema(), table.codec.schema()) {
			t.Errorf("%s: schema differs:\n%s", table.Name(), pf.Schema())
		}
		if v, _ := pf.Lookup(MetaOCSFVersion); v != "1.1.0" {
			t.Errorf("%s: OCSF version %q", table.Name(), v)
		}
		st1, _ := os.Stat(p)
		if p2, err := l.SchemaFile(table.Name()); err != nil || p2 != p {
			t.Errorf("second call: %s, %v", p2, err)
		}
		if st2, _ := os.Stat(p); !os.SameFile(st1, st2) {
			t.Error("schema file rewritten although unchanged")
		}
	}
	// A stale or damaged schema file is replaced.
	p, _ := l.SchemaFile(VPCFlow)
	if err := os.WriteFile(p, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if p2, err := l.SchemaFile(VPCFlow); err != nil || readParquet(t, p2).NumRows() != 0 {
		t.Errorf("damaged schema file not replaced: %v", err)
	}
	if _, err := l.SchemaFile("NOPE"); err == nil {
		t.Error("schema file of an unknown table")
	}
	// The schema file is outside the table directories.
	if got := visibleFiles(t, l); len(got) != 0 {
		t.Errorf("visible files: %q", got)
	}
	_ = context.Background
}

func TestLockSerializesCommitsAcrossLakes(t *testing.T) {
	// Two Lakes on one directory hold separate lock descriptors, as two processes do.
	dir := t.TempDir()
	a, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	unlock, err := a.st.lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tx := begin(t, b, "x")
	var e ocsf.NetworkActivity
	flow(&e, 1, "1", "r", day0)
	if err := tx.Write(&e); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := tx.Commit(ctx, CommitInfo{ContentHash: hashOf("x")}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("commit while another Lake holds the lock = %v, want a deadline error", err)
	}
	if got := visibleFiles(t, b); len(got) != 0 {
		t.Errorf("files published without the lock: %q", got)
	}
	unlock()
	tx = begin(t, b, "x")
	if err := tx.Write(&e); err != nil {
		t.Fatal(err)
	}
	if res := commit(t, tx, hashOf("x")); res.Rows[VPCFlow] != 1 {
		t.Errorf("commit after unlock = %+v", res)
	}
	// Open also waits for the lock (it cleans and recovers under it).
	unlock, err = a.st.lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	opened := make(chan error, 1)
	go func() {
		c, err := Open(dir)
		if err == nil {
			c.Close()
		}
		opened <- err
	}()
	select {
	case err := <-opened:
		t.Fatalf("Open returned (%v) while the lock was held", err)
	case <-time.After(100 * time.Millisecond):
	}
	unlock()
	if err := <-opened; err != nil {
		t.Fatal(err)
	}
}
