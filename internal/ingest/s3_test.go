package ingest

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/mcpwatch/mcpwatch/internal/demo"
	"github.com/mcpwatch/mcpwatch/internal/lake"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/s3test"
)

// putMultipart uploads data as a multipart object of 5 MiB parts (S3's minimum but for the
// last), as large deliveries are.
func putMultipart(t *testing.T, c *s3.Client, bucket, key string, data []byte) {
	t.Helper()
	ctx := context.Background()
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	var parts []types.CompletedPart
	const partSize = 5 << 20
	for i, n := int32(1), 0; n < len(data); i++ {
		end := min(n+partSize, len(data))
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: &key, UploadId: up.UploadId,
			PartNumber: aws.Int32(i), Body: bytes.NewReader(data[n:end])})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(i)})
		n = end
	}
	if len(parts) < 2 {
		t.Fatalf("%d bytes make %d part: not a multipart test", len(data), len(parts))
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		t.Fatal(err)
	}
}

// TestS3InputsToS3Lake ingests flow logs from an S3 bucket (listing page by page, a multipart
// object among them) into a lake in another S3 bucket, all through the AWS SDK against an S3
// server on 127.0.0.1; a second run is a no-op without downloading anything again.
func TestS3InputsToS3Lake(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t, "logs", "lake")
	dir := t.TempDir()
	res, err := demo.Generate(ctx, demo.Config{Dir: dir, Records: 20000, Seed: 4, Day: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Files {
		rel, _ := filepath.Rel(dir, f)
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("logs"), Key: aws.String(filepath.ToSlash(rel)),
			Body: bytes.NewReader(b)}); err != nil {
			t.Fatal(err)
		}
	}
	// A large delivery uploaded in parts: 60,000 default-format records, about 6 MiB uncompressed.
	var big bytes.Buffer
	big.WriteString(header)
	for i := range 60000 {
		fmt.Fprintf(&big, "2 123456789012 eni-0a1b2c3d4e5f60718 10.0.1.5 203.0.113.9 %d 443 6 10 8400 %d %d ACCEPT OK\n",
			32768+i%20000, 1769904000+i, 1769904060+i)
	}
	putMultipart(t, srv.Client, "logs", "AWSLogs/123456789012/vpcflowlogs/ap-south-1/2026/02/01/big.log", big.Bytes())

	lk, err := lake.OpenS3(srv.Client, "lake", "mcpwatch", lake.WithWorkDir(t.TempDir()), lake.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer lk.Close()
	refs, err := Resolver{S3: srv.Client}.Resolve(ctx, []string{"s3://logs/AWSLogs/"})
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != len(res.Files)+1 {
		t.Fatalf("listed %d objects, uploaded %d", len(refs), len(res.Files)+1)
	}
	for _, r := range refs {
		if r.Region == "" || r.Account == "" || r.Size == 0 {
			t.Fatalf("%+v: no hints or size from the listing", r)
		}
	}
	opts := Options{Formats: formats(), S3: srv.Client, TempDir: t.TempDir()}
	sum, err := Run(ctx, lk, refs, opts)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Read != 80000 || sum.Stored != 80000 || !sum.Reconciles() || sum.Failed != 0 {
		t.Fatalf("%+v, %d failed", sum.Counts, sum.Failed)
	}
	for _, f := range sum.Inputs[0].Files {
		if !strings.HasPrefix(f, "s3://lake/mcpwatch/VPC_FLOW/2.0/") {
			t.Fatalf("lake file at %s", f)
		}
	}
	n := 0
	err = lake.Scan(ctx, lk, "VPC_FLOW", func(p lake.Partition) bool { return p.Region == "ap-south-1" }, func(_ lake.Partition, rows []ocsf.NetworkActivity) error {
		n += len(rows)
		return nil
	})
	if err != nil || n != 60000 {
		t.Fatalf("the multipart object's records in the lake: %d, %v", n, err)
	}

	// Again: every object is known by its URL, size and time, so nothing is downloaded.
	again, err := Run(ctx, lk, refs, Options{Formats: formats(), S3: nil})
	if err != nil {
		t.Fatal(err)
	}
	if again.Duplicates != len(refs) || again.Read != 0 || again.Failed != 0 {
		t.Fatalf("second run: %d duplicates of %d, %+v", again.Duplicates, len(refs), again.Counts)
	}
}

func TestResolveS3Prefixes(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t, "bkt")
	for _, k := range []string{"logs/a.log", "logs/ab.log", "logs/a/x.log", "logs/a/y/z.log", "logs/dir/"} {
		srv.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String(k), Body: bytes.NewReader([]byte("x"))})
	}
	tests := []struct {
		arg  string
		want string
		err  string
	}{
		{arg: "s3://bkt/logs/a/", want: "s3://bkt/logs/a/x.log s3://bkt/logs/a/y/z.log"},
		{arg: "s3://bkt/logs/a", want: "s3://bkt/logs/a/x.log s3://bkt/logs/a/y/z.log"},
		{arg: "s3://bkt/logs/a.log", want: "s3://bkt/logs/a.log"},
		{arg: "s3://bkt/nothing", err: "no object there"},
		{arg: "s3://", err: "no bucket"},
	}
	for _, tt := range tests {
		refs, err := Resolver{S3: srv.Client}.Resolve(ctx, []string{tt.arg})
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.arg, err, tt.err)
			}
			continue
		}
		var got []string
		for _, r := range refs {
			got = append(got, r.Path)
		}
		if err != nil || strings.Join(got, " ") != tt.want {
			t.Errorf("%s: %v %v, want %s", tt.arg, got, err, tt.want)
		}
	}
	if _, err := (Resolver{}).Resolve(ctx, []string{"s3://bkt/logs/"}); err == nil || !strings.Contains(err.Error(), "no S3 client") {
		t.Errorf("s3:// without a client: %v", err)
	}
}
