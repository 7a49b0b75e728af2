package lake

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/s3test"
)

func openS3Lake(t *testing.T, srv *s3test.Server, prefix string) *Lake {
	t.Helper()
	l, err := OpenS3(srv.Client, "lake", prefix, WithWorkDir(t.TempDir()), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// TestS3LakeRoundTrip writes a lake to S3 through the SDK and reads it back: the same layout
// as a local lake under the prefix, the manifest making a second commit of the same input a
// duplicate in another process, and Scan reading the Parquet files by ranged GETs.
func TestS3LakeRoundTrip(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t, "lake")
	l := openS3Lake(t, srv, "security-lake/ext/mcpwatch")
	tx := begin(t, l, "flows")
	var e ocsf.NetworkActivity
	for i := range 3000 {
		flow(&e, i, "111111111111", []string{"us-east-1", "eu-west-1"}[i%2], day0.Add(time.Duration(i%2)*24*time.Hour))
		if err := tx.Write(&e); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.DeadLetter(VPCFlow, []byte("bad"), 7, "broken"); err != nil {
		t.Fatal(err)
	}
	res, err := tx.Commit(ctx, CommitInfo{ContentHash: hashOf("flows"), Counts: Counts{Read: 3001, Events: 3000, DeadLetters: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 2 || len(res.DeadLetters) != 1 {
		t.Fatalf("files %v, dead letters %v", res.Files, res.DeadLetters)
	}
	for _, f := range res.Files {
		if !strings.HasPrefix(f, "s3://lake/security-lake/ext/mcpwatch/VPC_FLOW/2.0/region=") || !strings.Contains(f, "/accountId=111111111111/eventDay=2024050") {
			t.Fatalf("file location %s", f)
		}
	}
	// Every object is under the prefix, none in a work area.
	out, err := srv.Client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("lake")})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out.Contents {
		k := aws.ToString(o.Key)
		if !strings.HasPrefix(k, "security-lake/ext/mcpwatch/") || strings.Contains(k, "/tmp/") || strings.HasSuffix(k, "/lock") {
			t.Errorf("unexpected object %s", k)
		}
	}

	l2 := openS3Lake(t, srv, "security-lake/ext/mcpwatch/")
	if _, ok := l2.Lookup(hashOf("flows")); !ok {
		t.Fatal("a second process does not see the committed input")
	}
	tx2 := begin(t, l2, "flows again")
	tx2.Write(&e)
	res2, err := tx2.Commit(ctx, CommitInfo{ContentHash: hashOf("flows")})
	if err != nil || !res2.Duplicate {
		t.Fatalf("re-commit: %+v, %v", res2, err)
	}
	n := 0
	err = Scan(ctx, l2, VPCFlow, nil, func(_ Partition, rows []ocsf.NetworkActivity) error {
		n += len(rows)
		return nil
	})
	if err != nil || n != 3000 {
		t.Fatalf("scanned %d rows, %v", n, err)
	}
	parts, err := l2.Partitions(VPCFlow)
	if err != nil || len(parts) != 2 || !strings.HasPrefix(parts[0].Path, "s3://lake/") {
		t.Fatalf("partitions %+v, %v", parts, err)
	}
}

// TestS3LakeConcurrentCommits commits from two lakes (two processes) at once: the lock
// object serializes them and the manifest keeps both entries.
func TestS3LakeConcurrentCommits(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t, "lake")
	lakes := []*Lake{openS3Lake(t, srv, "p"), openS3Lake(t, srv, "p")}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := lakes[i%2]
			tx, err := l.Begin(ctx, InputInfo{Name: fmt.Sprint("in", i)})
			if err != nil {
				errs <- err
				return
			}
			var e ocsf.NetworkActivity
			flow(&e, i, "111111111111", "us-east-1", day0)
			tx.Write(&e)
			_, err = tx.Commit(ctx, CommitInfo{ContentHash: hashOf(fmt.Sprint("in", i)), Counts: Counts{Read: 1, Events: 1}})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	l3 := openS3Lake(t, srv, "p")
	for i := range 8 {
		if _, ok := l3.Lookup(hashOf(fmt.Sprint("in", i))); !ok {
			t.Fatalf("input %d lost from the manifest", i)
		}
	}
}

// TestS3LockExpires lets a lock left by a dead process expire instead of blocking forever,
// and a live lock block until its holder releases it.
func TestS3LockExpires(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t, "lake")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	dead := &s3Storage{api: srv.Client, bucket: "lake", prefix: "x", owner: "dead", now: clock}
	if _, err := dead.lock(ctx); err != nil { // never released
		t.Fatal(err)
	}
	live := &s3Storage{api: srv.Client, bucket: "lake", prefix: "x", owner: "live", now: clock}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	_, err := live.lock(short)
	cancel()
	if err == nil || !strings.Contains(err.Error(), "held by dead") {
		t.Fatalf("an unexpired lock was taken: %v", err)
	}
	now = now.Add(S3LockTTL + time.Second)
	unlock, err := live.lock(ctx)
	if err != nil {
		t.Fatalf("an expired lock blocks: %v", err)
	}
	unlock()
	if _, err := dead.lock(ctx); err != nil {
		t.Fatalf("lock not released: %v", err)
	}
}

// TestS3ListPaginates lists a directory with more children than one ListObjectsV2 page.
func TestS3ListPaginates(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t, "lake")
	st := &s3Storage{api: srv.Client, bucket: "lake", prefix: "p", now: time.Now}
	for i := range 1100 {
		key := fmt.Sprintf("p/dir/f%04d.parquet", i)
		if _, err := srv.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("lake"), Key: &key, Body: bytes.NewReader(nil)}); err != nil {
			t.Fatal(err)
		}
	}
	srv.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("lake"), Key: aws.String("p/dir/sub/x"), Body: bytes.NewReader(nil)})
	first, err := srv.Client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("lake"), Prefix: aws.String("p/dir/"), Delimiter: aws.String("/")})
	if err != nil || !aws.ToBool(first.IsTruncated) {
		t.Fatalf("the listing fits one page (truncated=%v, %v): the test would not exercise pagination", aws.ToBool(first.IsTruncated), err)
	}
	ents, err := st.list(ctx, "dir")
	if err != nil {
		t.Fatal(err)
	}
	files, dirs := 0, 0
	for _, e := range ents {
		if e.isDir {
			dirs++
		} else {
			files++
		}
	}
	if files != 1100 || dirs != 1 {
		t.Fatalf("%d files, %d dirs", files, dirs)
	}
}
