package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3API is the part of the S3 client ingest uses; *s3.Client implements it.
type S3API interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// ParseS3URL splits s3://bucket/key-or-prefix into its bucket and key.
func ParseS3URL(u string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(u, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%q is not an s3:// URL", u)
	}
	bucket, key, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("%q has no bucket", u)
	}
	return bucket, key, nil
}

// IsS3URL reports whether s names an S3 location.
func IsS3URL(s string) bool { return strings.HasPrefix(s, "s3://") }

// resolveS3 lists the objects under an s3:// URL (a key, or a prefix: every object below
// it, page by page), skipping "directory" placeholder keys, in key order.
func resolveS3(ctx context.Context, api S3API, u string) ([]Ref, error) {
	if api == nil {
		return nil, fmt.Errorf("input %s: no S3 client configured", u)
	}
	bucket, key, err := ParseS3URL(u)
	if err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	var refs []Ref
	pg := s3.NewListObjectsV2Paginator(api, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &key})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("input %s: listing: %w", u, err)
		}
		for _, o := range page.Contents {
			k := aws.ToString(o.Key)
			if strings.HasSuffix(k, "/") {
				continue
			}
			// A key prefix matches "logs/a" and "logs/ab": keep the exact key and what is
			// below it as a directory.
			if key != "" && k != key && !strings.HasSuffix(key, "/") && !strings.HasPrefix(k, key+"/") {
				continue
			}
			r := Ref{Path: "s3://" + bucket + "/" + k, Size: aws.ToInt64(o.Size), ModTime: aws.ToTime(o.LastModified)}
			r.Region, r.Account = hintsFromPath(k)
			refs = append(refs, r)
		}
	}
	if len(refs) == 0 {
		return nil, fmt.Errorf("input %s: no object there", u)
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].Path < refs[j].Path })
	return refs, nil
}

// download spools the object at an s3:// URL to a temporary file, streaming it (never whole
// in memory), so that it can be hashed before it is read and read at random when it is
// Parquet.
func download(ctx context.Context, api S3API, u, dir string) (path string, size int64, err error) {
	if api == nil {
		return "", 0, errors.New("no S3 client configured")
	}
	bucket, key, err := ParseS3URL(u)
	if err != nil {
		return "", 0, err
	}
	out, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return "", 0, fmt.Errorf("downloading: %w", err)
	}
	defer out.Body.Close()
	f, err := os.CreateTemp(dir, "mcpwatch-s3-*")
	if err != nil {
		return "", 0, err
	}
	size, err = io.Copy(f, out.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", 0, fmt.Errorf("downloading: %w", err)
	}
	return f.Name(), size, nil
}
