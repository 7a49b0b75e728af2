package lake

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/parquet-go/parquet-go"
)

func TestNothingVisibleBeforeCommitAndAbortLeavesNothing(t *testing.T) {
	l := openLake(t, WithBatchRows(64), WithRowGroupRows(128), WithFileRows(500))
	tx := begin(t, l, "a")
	var e ocsf.NetworkActivity
	for i := range 2000 {
		flow(&e, i, "111111111111", "us-east-1", day0.Add(time.Duration(i%3)*24*time.Hour))
		if err := tx.Write(&e); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.DeadLetter(VPCFlow, []byte("x"), 1, "bad"); err != nil {
		t.Fatal(err)
	}
	// Files have been rolled and encoded by now, but only in the work area.
	if got := visibleFiles(t, l); len(got) != 0 {
		t.Fatalf("visible before commit: %q", got)
	}
	if len(treeFiles(t, filepath.Join(l.Root(), "_mcpwatch", "tmp"))) == 0 {
		t.Fatal("no work files: the test does not exercise anything")
	}
	tx.Abort()
	if got := visibleFiles(t, l); len(got) != 0 {
		t.Errorf("visible after abort: %q", got)
	}
	for _, f := range treeFiles(t, filepath.Join(l.Root(), "_mcpwatch", "tmp")) {
		if !strings.HasSuffix(f, ".lock") {
			t.Errorf("work file left after abort: %s", f)
		}
	}
	if _, ok := l.Lookup(hashOf("a")); ok {
		t.Error("aborted input is in the manifest")
	}
	if err := tx.Write(&e); err == nil {
		t.Error("Write after Abort succeeded")
	}
	if _, err := tx.Commit(context.Background(), CommitInfo{}); err == nil {
		t.Error("Commit after Abort succeeded")
	}
	tx.Abort() // idempotent
}

func TestDuplicateCommitIsANoOp(t *testing.T) {
	l := openLake(t)
	h := hashOf("dup")
	write := func(name string, n int) *Txn {
		tx := begin(t, l, name)
		var e ocsf.NetworkActivity
		for i := range n {
			flow(&e, i, "111111111111", "us-east-1", day0)
			if err := tx.Write(&e); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.DeadLetter(VPCFlow, []byte("junk "+name), 7, "bad"); err != nil {
			t.Fatal(err)
		}
		return tx
	}
	first := commit(t, write("one.log", 10), h)
	before := visibleFiles(t, l)
	second := commit(t, write("copy-of-one.log", 10), strings.ToUpper(h))
	if !second.Duplicate || len(second.Files) != 0 || len(second.DeadLetters) != 0 || second.Rows != nil {
		t.Errorf("second commit = %+v, want a bare duplicate", second)
	}
	if second.Entry.Name != "one.log" || second.Entry.Hash != h || !equalStrings(second.Entry.Files, first.Entry.Files) {
		t.Errorf("duplicate reports entry %+v, want the first commit's", second.Entry)
	}
	if after := visibleFiles(t, l); !equalStrings(before, after) {
		t.Errorf("files changed by a duplicate:\n%q\n%q", before, after)
	}
	if n := len(scanAll[ocsf.NetworkActivity](t, l, VPCFlow)); n != 10 {
		t.Errorf("%d rows, want 10", n)
	}
	// The copy's name is recorded, so that the next run skips it unread; Lookup still gives
	// the first commit.
	if e, ok := l.LookupFile("copy-of-one.log", 0, time.Time{}); !ok || e.Hash != h || !e.Duplicate || len(e.Files) != 0 {
		t.Errorf("LookupFile of the copy = %+v, %v", e, ok)
	}
	if e, _ := l.Lookup(h); e.Name != "one.log" {
		t.Errorf("Lookup after the duplicate = %+v", e)
	}
	commit(t, write("copy-of-one.log", 10), h) // known name: no new line
	if n := manifestLines(t, l); n != 2 {
		t.Errorf("manifest has %d lines, want 2", n)
	}
	// Run commits (no hash) are never duplicates.
	commit(t, write("run", 1), "")
	commit(t, write("run", 1), "")
	if n := len(scanAll[ocsf.NetworkActivity](t, l, VPCFlow)); n != 12 {
		t.Errorf("%d rows after two runs, want 12", n)
	}
}

func TestCommitRejectsBadHash(t *testing.T) {
	l := openLake(t)
	for _, h := range []string{"abc", strings.Repeat("g", 64), hashOf("x")[:63]} {
		tx := begin(t, l, "x")
		var e ocsf.NetworkActivity
		flow(&e, 1, "1", "r", day0)
		if err := tx.Write(&e); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Commit(context.Background(), CommitInfo{ContentHash: h}); err == nil {
			t.Errorf("hash %q accepted", h)
		}
	}
	if got := visibleFiles(t, l); len(got) != 0 {
		t.Errorf("files after rejected commits: %q", got)
	}
}

func TestLookupFile(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	mtime := time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.FixedZone("x", 3600))
	tx, err := l.Begin(context.Background(), InputInfo{Name: "/logs/a.log.gz", Size: 1234, ModTime: mtime})
	if err != nil {
		t.Fatal(err)
	}
	var e ocsf.NetworkActivity
	flow(&e, 1, "1", "r", day0)
	if err := tx.Write(&e); err != nil {
		t.Fatal(err)
	}
	h := hashOf("a")
	res, err := tx.Commit(context.Background(), CommitInfo{ContentHash: h, Counts: Counts{Read: 2, Events: 1, Skipped: 1}})
	if err != nil {
		t.Fatal(err)
	}
	check := func(l *Lake) {
		t.Helper()
		tests := []struct {
			name  string
			size  int64
			mtime time.Time
			want  bool
		}{
			{"/logs/a.log.gz", 1234, mtime, true},
			{"/logs/a.log.gz", 1234, mtime.UTC(), true}, // same instant
			{"/logs/a.log.gz", 1235, mtime, false},
			{"/logs/a.log.gz", 1234, mtime.Add(time.Nanosecond), false},
			{"/logs/b.log.gz", 1234, mtime, false},
		}
		for _, tt := range tests {
			got, ok := l.LookupFile(tt.name, tt.size, tt.mtime)
			if ok != tt.want || (ok && got.Hash != h) {
				t.Errorf("LookupFile(%s, %d, %v) = %v, %v", tt.name, tt.size, tt.mtime, got.Hash, ok)
			}
		}
		got, ok := l.Lookup(h)
		if !ok || got.Counts != (Counts{Read: 2, Events: 1, Skipped: 1}) || got.Rows[VPCFlow] != 1 ||
			!equalStrings(got.Files, res.Entry.Files) || got.CommittedAt.IsZero() {
			t.Errorf("Lookup = %+v, %v", got, ok)
		}
		if _, ok := l.Lookup(hashOf("b")); ok {
			t.Error("Lookup of an unknown hash succeeded")
		}
		if _, ok := l.Lookup(""); ok {
			t.Error("Lookup of the empty hash succeeded")
		}
	}
	check(l)
	l.Close()
	l2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	check(l2)
}

func TestLookupSeesOtherProcessesCommits(t *testing.T) {
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
	tx := begin(t, a, "x")
	commit(t, tx, hashOf("x"))
	if _, ok := b.Lookup(hashOf("x")); !ok {
		t.Error("a second Lake on the same directory does not see the commit")
	}
	// And b's commit of the same input is a duplicate.
	tx = begin(t, b, "x")
	if res := commit(t, tx, hashOf("x")); !res.Duplicate {
		t.Error("commit through the second Lake is not a duplicate")
	}
}

func TestDeadLetters(t *testing.T) {
	ingest := time.Date(2024, 6, 2, 23, 59, 0, 0, time.UTC)
	l := openLake(t, WithClock(func() time.Time { return ingest }))
	tx := begin(t, l, "s3://b/k.log")
	raw := []byte("2 123 eni-1 bad line")
	if err := tx.DeadLetter(VPCFlow, raw, 3, "field 5: not a port"); err != nil {
		t.Fatal(err)
	}
	copy(raw, "XXXXXXXX") // the caller reuses its buffer
	binary := []byte{0xff, 0xfe, 'a', 0}
	if err := tx.DeadLetter(VPCFlow, binary, 9, "not UTF-8"); err != nil {
		t.Fatal(err)
	}
	if err := tx.DeadLetter(CloudTrailMgmt, []byte(`{"eventName":`), 1, "unexpected end of JSON"); err != nil {
		t.Fatal(err)
	}
	if err := tx.DeadLetter("../x", nil, 1, "r"); err == nil {
		t.Error("dead letter for table ../x accepted")
	}
	h := hashOf("dl")
	res := commit(t, tx, h)
	if len(res.DeadLetters) != 2 || len(res.Files) != 0 {
		t.Fatalf("result = %+v", res)
	}
	want := filepath.Join(l.Root(), "_deadletter", VPCFlow, "eventDay=20240602", h[:16]+".ndjson")
	if res.DeadLetters[1] != want {
		t.Errorf("dead letters at %q, want %q", res.DeadLetters[1], want)
	}
	recs := readDeadLetters(t, want)
	if len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
	if r := recs[0]; r["input"] != "s3://b/k.log" || r["pos"] != float64(3) || r["reason"] != "field 5: not a port" ||
		r["raw"] != "2 123 eni-1 bad line" || r["raw_base64"] != nil || r["ingested_at"] != "2024-06-02T23:59:00Z" {
		t.Errorf("record 0 = %v", r)
	}
	if r := recs[1]; r["raw"] != nil || r["raw_base64"] != base64.StdEncoding.EncodeToString(binary) || r["pos"] != float64(9) {
		t.Errorf("record 1 = %v", r)
	}
	ct := readDeadLetters(t, res.DeadLetters[0])
	if len(ct) != 1 || ct[0]["raw"] != `{"eventName":` {
		t.Errorf("CLOUD_TRAIL_MGMT dead letters = %v", ct)
	}
	if e, _ := l.Lookup(h); len(e.DeadLetters) != 2 || !strings.HasPrefix(e.DeadLetters[0], "_deadletter/CLOUD_TRAIL_MGMT/eventDay=20240602/") {
		t.Errorf("manifest dead letters = %q", e.DeadLetters)
	}
}

func readDeadLetters(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func TestConcurrentTransactions(t *testing.T) {
	l := openLake(t, WithBatchRows(50), WithParallelism(2))
	const inputs, rows = 8, 300
	var wg sync.WaitGroup
	errs := make(chan error, inputs*2)
	dups := make(chan bool, inputs*2)
	for k := range inputs * 2 {
		wg.Go(func() {
			// Inputs k and k+inputs have the same content: one of them must be a duplicate.
			in := k % inputs
			tx, err := l.Begin(context.Background(), InputInfo{Name: fmt.Sprint("in", k)})
			if err != nil {
				errs <- err
				return
			}
			defer tx.Abort()
			var e ocsf.NetworkActivity
			for i := range rows {
				flow(&e, in*rows+i, fmt.Sprint(100000000000+in%3), "us-east-1", day0.Add(time.Duration(i%2)*24*time.Hour))
				if err := tx.Write(&e); err != nil {
					errs <- err
					return
				}
			}
			res, err := tx.Commit(context.Background(), CommitInfo{ContentHash: hashOf(fmt.Sprint("input", in))})
			if err != nil {
				errs <- err
				return
			}
			dups <- res.Duplicate
		})
	}
	wg.Wait()
	close(errs)
	close(dups)
	for err := range errs {
		t.Fatal(err)
	}
	n := 0
	for d := range dups {
		if d {
			n++
		}
	}
	if n != inputs {
		t.Errorf("%d duplicates, want %d", n, inputs)
	}
	got := scanAll[ocsf.NetworkActivity](t, l, VPCFlow)
	if len(got) != inputs*rows {
		t.Errorf("%d rows, want %d", len(got), inputs*rows)
	}
	seen := map[string]bool{}
	for _, r := range got {
		if seen[r.Message] {
			t.Fatalf("row %q stored twice", r.Message)
		}
		seen[r.Message] = true
	}
	// One entry per input, and one name-only entry per duplicate copy (their names differ).
	b, err := os.ReadFile(filepath.Join(l.Root(), "_mcpwatch", "manifest.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	if full, alias := strings.Count(string(b), `"files"`), strings.Count(string(b), `"duplicate":true`); full != inputs || alias != inputs {
		t.Errorf("manifest has %d entries with files and %d duplicates, want %d each", full, alias, inputs)
	}
}

func TestLRUClosedWritersYieldAllRows(t *testing.T) {
	tests := []struct {
		name  string
		owner func(i int) int // which of the partitions event i goes to
		parts int
	}{
		// Runs of 25 events per account: every switch past two open files closes one.
		{"runs", func(i int) int { return (i / 25) % 5 }, 5},
		// Every event in the next of 12 partitions: more partitions than open files, and
		// than full batches the budget holds.
		{"round robin", func(i int) int { return i % 12 }, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := openLake(t, WithMaxOpenFiles(2), WithBatchRows(32), WithRowGroupRows(80), WithParallelism(2))
			tx := begin(t, l, "lru")
			fill := func(e *ocsf.NetworkActivity, i int) {
				flow(e, i, fmt.Sprint(100000000000+tt.owner(i)), "us-east-1", day0)
			}
			var e ocsf.NetworkActivity
			const n = 1500
			for i := range n {
				fill(&e, i)
				if err := tx.Write(&e); err != nil {
					t.Fatal(err)
				}
			}
			tw := tx.writers[l.specs[VPCFlow]].(*typedWriter[ocsf.NetworkActivity])
			res := commit(t, tx, hashOf("lru"))
			// Files were closed to open others (more files than partitions were started),
			// and the segments of each partition were joined again: one file each.
			if tw.files <= tt.parts {
				t.Errorf("%d files started for %d partitions: the LRU never closed one", tw.files, tt.parts)
			}
			if tw.files > n/12 {
				t.Errorf("%d files started for %d rows: files hold too few rows", tw.files, n)
			}
			if len(res.Files) != tt.parts {
				t.Errorf("%d files committed, want one per partition (%d)", len(res.Files), tt.parts)
			}
			var total int64
			for _, f := range res.Files {
				total += readParquet(t, f).NumRows()
			}
			if total != n {
				t.Errorf("files hold %d rows, want %d", total, n)
			}
			got := scanAll[ocsf.NetworkActivity](t, l, VPCFlow)
			if w, g := jsonLines(t, generated(n, fill)), jsonLines(t, got); !equalStrings(w, g) {
				t.Errorf("rows differ: %d read, %d written", len(g), len(w))
			}
			if tw.rows > tw.budget {
				t.Errorf("batches hold %d rows, over the budget of %d", tw.rows, tw.budget)
			}
		})
	}
}

func TestFileRollAndLanes(t *testing.T) {
	l := openLake(t, WithBatchRows(100), WithRowGroupRows(250), WithFileRows(1000), WithParallelism(3))
	tx := begin(t, l, "roll")
	var e ocsf.NetworkActivity
	const n = 2550
	for i := range n {
		flow(&e, i, "111111111111", "us-east-1", day0)
		if err := tx.Write(&e); err != nil {
			t.Fatal(err)
		}
	}
	h := hashOf("roll")
	res := commit(t, tx, h)
	if len(res.Files) != 3 {
		t.Fatalf("%d files, want 3: %q", len(res.Files), res.Files)
	}
	wantRows := []int64{1000, 1000, 550}
	for i, f := range res.Files {
		if !strings.HasSuffix(f, fmt.Sprintf("/%s-%d.parquet", h[:16], i)) {
			t.Errorf("file %d is %s", i, f)
		}
		pf := readParquet(t, f)
		if pf.NumRows() != wantRows[i] {
			t.Errorf("file %d has %d rows, want %d", i, pf.NumRows(), wantRows[i])
		}
		// Three lanes each wrote 100-row batches into row groups of at most 250 rows, which
		// were concatenated: no row group is larger, and there are several.
		rgs := pf.RowGroups()
		if len(rgs) < 3 {
			t.Errorf("file %d has %d row groups", i, len(rgs))
		}
		for _, rg := range rgs {
			if rg.NumRows() > 250 {
				t.Errorf("file %d has a row group of %d rows", i, rg.NumRows())
			}
		}
		for k, v := range map[string]string{MetaWriter: "mcpwatch", MetaOCSFVersion: "1.1.0", MetaTable: VPCFlow,
			MetaSourceVersion: "2.0", MetaInputHash: h, MetaInputName: "roll"} {
			if got, ok := pf.Lookup(k); !ok || got != v {
				t.Errorf("file %d: metadata %s = %q, want %q", i, k, got, v)
			}
		}
		if cb := pf.Metadata().CreatedBy; !strings.HasPrefix(cb, "mcpwatch") {
			t.Errorf("created_by = %q", cb)
		}
	}
	if got := scanAll[ocsf.NetworkActivity](t, l, VPCFlow); len(got) != n {
		t.Errorf("%d rows read, want %d", len(got), n)
	}
	// Only the committed files remain: the lanes' files were removed after concatenation.
	if got := visibleFiles(t, l); len(got) != 3 {
		t.Errorf("visible files: %q", got)
	}
}

func TestWriteErrors(t *testing.T) {
	l := openLake(t, WithTables(TableOf[ocsf.NetworkActivity](VPCFlow, SourceVersion)))
	tx := begin(t, l, "x")
	if err := tx.Write(nil); !errors.Is(err, errNilEvent) {
		t.Errorf("Write(nil) = %v", err)
	}
	if err := tx.Write((*ocsf.NetworkActivity)(nil)); !errors.Is(err, errNilEvent) {
		t.Errorf("Write(typed nil) = %v", err)
	}
	if err := tx.Write(dnsEvent(1, "1", "r", day0)); err == nil {
		t.Error("Write of an event without a table succeeded")
	}
	var e ocsf.NetworkActivity
	flow(&e, 1, "1", "r", day0)
	if err := tx.Write(&e); err != nil {
		t.Errorf("Write after errors: %v", err)
	}
	if res := commit(t, tx, hashOf("x")); res.Rows[VPCFlow] != 1 {
		t.Errorf("rows = %v", res.Rows)
	}
	err := Scan(context.Background(), l, VPCFlow, nil, func(Partition, []ocsf.DNSActivity) error { return nil })
	if err == nil {
		t.Error("Scan with the wrong row type succeeded")
	}
	if err := Scan(context.Background(), l, Route53, nil, func(Partition, []ocsf.DNSActivity) error { return nil }); err == nil {
		t.Error("Scan of a table the lake does not have succeeded")
	}
	stop := errors.New("stop")
	err = Scan(context.Background(), l, VPCFlow, nil, func(Partition, []ocsf.NetworkActivity) error { return stop })
	if err != stop {
		t.Errorf("Scan returned %v, want the callback's error", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Scan(ctx, l, VPCFlow, nil, func(Partition, []ocsf.NetworkActivity) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Scan with a cancelled context = %v", err)
	}
}

func TestOpenRejectsBadTables(t *testing.T) {
	tests := []struct {
		name   string
		tables []Table
	}{
		{"zero", []Table{{}}},
		{"bad name", []Table{TableOf[ocsf.NetworkActivity]("../X", "2.0")}},
		{"bad version", []Table{TableOf[ocsf.NetworkActivity]("X", "..")}},
		{"same name", []Table{TableOf[ocsf.NetworkActivity]("X", "2.0"), TableOf[ocsf.DNSActivity]("X", "2.0")}},
		{"same type", []Table{TableOf[ocsf.NetworkActivity]("X", "2.0"), TableOf[ocsf.NetworkActivity]("Y", "2.0")}},
		{"union without types", []Table{UnionTable("U", "2.0", func(*ocsf.APIActivity, ocsf.Event) bool { return true })}},
	}
	for _, tt := range tests {
		if l, err := Open(t.TempDir(), WithTables(tt.tables...)); err == nil {
			l.Close()
			t.Errorf("%s: Open succeeded", tt.name)
		}
	}
	if _, err := Open(t.TempDir(), WithBatchRows(0)); err == nil {
		t.Error("Open with zero batch rows succeeded")
	}
}

// cloudTrailRow is a union row of the kind CLOUD_TRAIL_MGMT will hold.
type cloudTrailRow struct {
	ocsf.Base
	API   ocsf.API   `parquet:"api,optional"`
	Actor ocsf.Actor `parquet:"actor,optional"`
	User  ocsf.User  `parquet:"user,optional"`
}

func TestUnionTable(t *testing.T) {
	union := UnionTable("UNION", SourceVersion, func(dst *cloudTrailRow, ev ocsf.Event) bool {
		switch e := ev.(type) {
		case *ocsf.APIActivity:
			*dst = cloudTrailRow{Base: e.Base, API: e.API, Actor: e.Actor}
		case *ocsf.Authentication:
			*dst = cloudTrailRow{Base: e.Base, Actor: e.Actor, User: e.User}
		default:
			return false
		}
		return true
	}, (*ocsf.APIActivity)(nil), (*ocsf.Authentication)(nil))
	l := openLake(t, WithTables(TableOf[ocsf.NetworkActivity](VPCFlow, SourceVersion), union))
	tx := begin(t, l, "ct")
	for i := range 10 {
		a := &ocsf.APIActivity{API: ocsf.API{Operation: fmt.Sprint("Op", i)}}
		a.Classify(ocsf.ClassAPIActivity, 2)
		a.SetTime(day0)
		a.Cloud = ocsf.Cloud{Provider: "AWS", Region: "us-east-1", Account: ocsf.Account{UID: "1"}}
		au := &ocsf.Authentication{User: ocsf.User{Name: fmt.Sprint("u", i)}}
		au.Classify(ocsf.ClassAuthentication, 1)
		au.SetTime(day0)
		au.Cloud = a.Cloud
		if err := tx.Write(a); err != nil {
			t.Fatal(err)
		}
		if err := tx.Write(au); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Write((*ocsf.APIActivity)(nil)); err == nil {
		t.Error("typed nil accepted by the union table")
	}
	commit(t, tx, hashOf("ct"))
	rows := scanAll[cloudTrailRow](t, l, "UNION")
	var api, auth int
	for _, r := range rows {
		switch r.ClassUID {
		case ocsf.ClassAPIActivity:
			if strings.HasPrefix(r.API.Operation, "Op") {
				api++
			}
		case ocsf.ClassAuthentication:
			if strings.HasPrefix(r.User.Name, "u") {
				auth++
			}
		}
	}
	if api != 10 || auth != 10 {
		t.Errorf("read %d API and %d authentication rows, want 10 each", api, auth)
	}
}

func TestTxnContextCancel(t *testing.T) {
	l := openLake(t, WithBatchRows(1), WithParallelism(1), WithMaxOpenFiles(1))
	ctx, cancel := context.WithCancel(context.Background())
	tx, err := l.Begin(ctx, InputInfo{Name: "c"})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Abort()
	cancel()
	var e ocsf.NetworkActivity
	var werr error
	// With one-row batches and a budget of a few batches, the writer soon has to wait for
	// its encoder, and then sees the cancellation.
	for i := 0; i < 100000 && werr == nil; i++ {
		flow(&e, i, "1", "r", day0)
		werr = tx.Write(&e)
	}
	if !errors.Is(werr, context.Canceled) {
		t.Errorf("Write with a cancelled context = %v", werr)
	}
}

func generated(n int, fill func(*ocsf.NetworkActivity, int)) []ocsf.NetworkActivity {
	out := make([]ocsf.NetworkActivity, n)
	for i := range out {
		fill(&out[i], i)
	}
	return out
}

func manifestLines(t *testing.T, l *Lake) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(l.Root(), "_mcpwatch", "manifest.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

// TestCommitSeveralInputs commits three inputs in one transaction: one set of files, one
// manifest line, every input found by hash and by file, dead letters naming their input, and
// a later commit of any of them refused.
func TestCommitSeveralInputs(t *testing.T) {
	l := openLake(t)
	ctx := context.Background()
	tx, err := l.Begin(ctx, InputInfo{Name: "batch"})
	if err != nil {
		t.Fatal(err)
	}
	mtime := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var inputs []InputEntry
	for i := range 3 {
		in := InputInfo{Name: fmt.Sprintf("in-%d.log", i), Size: int64(100 + i), ModTime: mtime}
		tx.SetInput(in)
		for j := range 10 {
			var ev ocsf.NetworkActivity
			flow(&ev, i*10+j, "123456789012", "us-east-1", time.Date(2026, 3, 1, i, j, 0, 0, time.UTC))
			if err := tx.Write(&ev); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.DeadLetter(VPCFlow, []byte("bad line"), 11, "broken"); err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, InputEntry{Hash: hashOf(fmt.Sprint("input", i)), Name: in.Name, Size: in.Size,
			ModTime: mtime, Counts: Counts{Read: 11, Events: 10, DeadLetters: 1}})
	}
	res, err := tx.Commit(ctx, CommitInfo{Inputs: inputs})
	if err != nil {
		t.Fatal(err)
	}
	if res.Duplicate || res.Rows[VPCFlow] != 30 || len(res.Files) != 1 || len(res.DeadLetters) != 1 {
		t.Fatalf("result %+v", res)
	}
	if res.Entry.Counts.Read != 33 || len(res.Entry.Inputs) != 3 {
		t.Fatalf("entry %+v", res.Entry)
	}
	data, err := os.ReadFile(filepath.Join(l.Root(), filepath.FromSlash(manifestRel)))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "\n"); n != 1 {
		t.Fatalf("manifest has %d lines, want one for the whole commit", n)
	}
	dl, err := os.ReadFile(res.DeadLetters[0])
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if !strings.Contains(string(dl), fmt.Sprintf(`"input":"in-%d.log"`, i)) {
			t.Fatalf("dead letters do not name input %d:\n%s", i, dl)
		}
	}
	// Each input is known on its own, also to a fresh process.
	l2, err := Open(l.Root(), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	for _, in := range inputs {
		e, ok := l2.Lookup(in.Hash)
		if !ok || e.Counts != in.Counts || len(e.Files) != 1 {
			t.Fatalf("Lookup(%s) = %+v, %v", in.Name, e, ok)
		}
		if _, ok := l2.LookupFile(in.Name, in.Size, in.ModTime); !ok {
			t.Fatalf("LookupFile(%s) found nothing", in.Name)
		}
	}
	// Committing one of them again, alone or among others, commits nothing.
	tx, _ = l2.Begin(ctx, InputInfo{Name: "again"})
	var ev ocsf.NetworkActivity
	flow(&ev, 99, "123456789012", "us-east-1", time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC))
	tx.Write(&ev)
	_, err = tx.Commit(ctx, CommitInfo{Inputs: []InputEntry{inputs[1], {Hash: hashOf("new"), Name: "new.log"}}})
	var dup *DuplicateInputsError
	if !errors.As(err, &dup) || len(dup.Hashes) != 1 || dup.Hashes[0] != inputs[1].Hash {
		t.Fatalf("err = %v", err)
	}
	if _, ok := l2.Lookup(hashOf("new")); ok {
		t.Fatal("a refused commit recorded an input")
	}
}

// TestFooterNamesEveryColumn checks every column chunk of every row group of committed files
// carries its path_in_schema: Athena, Spark and parquet-mr find columns by it (DuckDB does
// not, so reading the data back cannot catch its loss). Large transactions exercise several
// row groups, lanes and joined segments, and several transactions one after another.
func TestFooterNamesEveryColumn(t *testing.T) {
	l := openLake(t, WithRowGroupRows(4096), WithBatchRows(512))
	ctx := context.Background()
	for round, n := range []int{1, 20000, 20000} {
		tx := begin(t, l, fmt.Sprint("footer", round))
		var e ocsf.NetworkActivity
		for i := range n {
			flow(&e, i, "111111111111", []string{"us-east-1", "eu-west-1"}[i%2], day0)
			if err := tx.Write(&e); err != nil {
				t.Fatal(err)
			}
		}
		res, err := tx.Commit(ctx, CommitInfo{ContentHash: hashOf(fmt.Sprint("footer", round))})
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range res.Files {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			st, _ := f.Stat()
			pf, err := parquet.OpenFile(f, st.Size())
			if err != nil {
				t.Fatal(err)
			}
			leaves := pf.Schema().Columns()
			for g, rg := range pf.Metadata().RowGroups {
				for c, col := range rg.Columns {
					if got, want := strings.Join(col.MetaData.PathInSchema, "."), strings.Join(leaves[c], "."); got != want {
						t.Fatalf("round %d %s row group %d column %d: path_in_schema %q, want %q", round, path, g, c, got, want)
					}
				}
			}
			f.Close()
		}
	}
}

// TestOptionalNullsSurviveBatches writes batches of flows whose optional attributes are
// absent or present in the patterns that broke parquet-go v0.32.0 (a run of y absent rows, a
// run of y present rows, then absent rows to the end of a 64-row word of its null bitmap) with
// the lake's writer options, and reads the raw Parquet values back: an absent attribute must
// be null, never a zero value (see third_party/parquet-go/PATCHED.md; unpatched, rows after
// the present run read back as "" and 0).
func TestOptionalNullsSurviveBatches(t *testing.T) {
	cfg := defaultConfig()
	for y := 1; y < 32; y++ {
		rows := make([]ocsf.NetworkActivity, 64)
		present := func(i int) bool { return i >= y && i < 2*y }
		for i := range rows {
			flow(&rows[i], i, "111111111111", "us-east-1", day0)
			rows[i].SrcEndpoint.InstanceUID, rows[i].ConnectionInfo.BoundaryID = "", 0
			if present(i) {
				rows[i].SrcEndpoint.InstanceUID, rows[i].ConnectionInfo.BoundaryID = fmt.Sprintf("i-%017d", i), 7
			}
		}
		var buf bytes.Buffer
		w := parquet.NewGenericWriter[ocsf.NetworkActivity](&buf, cfg.writerOptions()...)
		if _, err := w.Write(rows); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		pf, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		cols := map[string]int{}
		for _, name := range [][]string{{"src_endpoint", "instance_uid"}, {"connection_info", "boundary_id"}} {
			leaf, ok := pf.Schema().Lookup(name...)
			if !ok {
				t.Fatalf("no column %v", name)
			}
			cols[strings.Join(name, ".")] = leaf.ColumnIndex
		}
		got := make([]parquet.Row, 64)
		n, _ := parquet.NewReader(pf).ReadRows(got)
		if n != 64 {
			t.Fatalf("read %d rows", n)
		}
		for i, row := range got {
			for _, v := range row {
				for name, c := range cols {
					if v.Column() == c && v.IsNull() == present(i) {
						t.Fatalf("y=%d row %d: %s null = %v, want %v (value %q)", y, i, name, v.IsNull(), !present(i), v.String())
					}
				}
			}
		}
	}
}
