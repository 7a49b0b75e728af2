package lake

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// S3API is the part of the S3 client an S3 lake uses; *s3.Client implements it.
type S3API interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, opts ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, opts ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

// S3LockTTL is how long an S3 lake's lock object is honoured: a process that died holding
// it blocks others at most this long. Commits take well under it.
const S3LockTTL = 10 * time.Minute

// OpenS3 opens the lake under s3://bucket/prefix (the same layout as a local lake, as a
// Security Lake custom source has it), creating nothing until the first commit. Files are
// built in a local work directory (WithWorkDir, default a directory under the user's cache)
// and uploaded at commit; each object appears whole. Commits of several processes are
// serialized by a lock object written with a conditional put (If-None-Match), and the
// manifest is rewritten with If-Match, so S3's strong consistency is all it needs.
func OpenS3(api S3API, bucket, prefix string, opts ...Option) (*Lake, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if bucket == "" {
		return nil, errors.New("lake: S3 lake without a bucket")
	}
	prefix = strings.Trim(prefix, "/")
	root := "s3://" + bucket
	if prefix != "" {
		root += "/" + prefix
	}
	workBase := cfg.workDir
	if workBase == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		sum := sha256.Sum256([]byte(root))
		workBase = filepath.Join(cache, "mcpwatch", "work", hex.EncodeToString(sum[:8]))
	}
	if err := os.MkdirAll(workBase, 0o755); err != nil {
		return nil, fmt.Errorf("lake: work directory: %w", err)
	}
	st := &s3Storage{api: api, bucket: bucket, prefix: prefix, owner: newID(), now: cfg.now}
	return open(root, st, workBase, cfg)
}

// s3Storage is a storage in an S3 bucket under a key prefix.
type s3Storage struct {
	api    S3API
	bucket string
	prefix string
	owner  string
	now    func() time.Time
}

func (s *s3Storage) key(rel string) string {
	if s.prefix == "" {
		return rel
	}
	return s.prefix + "/" + rel
}

func (s *s3Storage) location(rel string) string { return "s3://" + s.bucket + "/" + s.key(rel) }

func (s *s3Storage) publish(ctx context.Context, tmp, rel string) error {
	f, err := os.Open(tmp)
	if err != nil {
		return fmt.Errorf("lake: publish %s: %w", rel, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("lake: publish %s: %w", rel, err)
	}
	// One PUT (up to 5 GiB, far above the lake's file size bound) makes the object appear
	// whole or not at all.
	_, err = s.api.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.bucket, Key: aws.String(s.key(rel)),
		Body: f, ContentLength: aws.Int64(st.Size())})
	if err != nil {
		return fmt.Errorf("lake: upload %s: %w", s.location(rel), err)
	}
	return os.Remove(tmp)
}

func (s *s3Storage) remove(ctx context.Context, rel string) error {
	if _, err := s.api.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: aws.String(s.key(rel))}); err != nil && !isNotFound(err) {
		return fmt.Errorf("lake: delete %s: %w", s.location(rel), err)
	}
	return nil
}

func (s *s3Storage) list(ctx context.Context, rel string) ([]dirEntry, error) {
	p := s.key(rel) + "/"
	var out []dirEntry
	pg := s3.NewListObjectsV2Paginator(s.api, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &p, Delimiter: aws.String("/")})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			if isNotFound(err) {
				return nil, nil
			}
			return nil, fmt.Errorf("lake: list %s: %w", s.location(rel), err)
		}
		for _, cp := range page.CommonPrefixes {
			name := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), p), "/")
			if name != "" {
				out = append(out, dirEntry{name: name, isDir: true})
			}
		}
		for _, o := range page.Contents {
			name := strings.TrimPrefix(aws.ToString(o.Key), p)
			if name != "" && !strings.Contains(name, "/") {
				out = append(out, dirEntry{name: name})
			}
		}
	}
	return out, nil
}

// s3Object reads an object by ranged GETs.
type s3Object struct {
	s    *s3Storage
	ctx  context.Context
	key  string
	size int64
	etag *string
}

func (o *s3Object) Size() int64  { return o.size }
func (o *s3Object) Close() error { return nil }

func (o *s3Object) ReadAt(p []byte, off int64) (int, error) {
	if off >= o.size {
		return 0, io.EOF
	}
	end := min(off+int64(len(p)), o.size) - 1
	out, err := o.s.api.GetObject(o.ctx, &s3.GetObjectInput{Bucket: &o.s.bucket, Key: &o.key,
		Range: aws.String(fmt.Sprintf("bytes=%d-%d", off, end)), IfMatch: o.etag})
	if err != nil {
		return 0, fmt.Errorf("lake: read s3://%s/%s: %w", o.s.bucket, o.key, err)
	}
	defer out.Body.Close()
	n, err := io.ReadFull(out.Body, p[:end-off+1])
	if err == nil && n < len(p) {
		err = io.EOF
	}
	return n, err
}

func (s *s3Storage) open(ctx context.Context, rel string) (object, error) {
	key := s.key(rel)
	h, err := s.api.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return nil, fmt.Errorf("lake: open %s: %w", s.location(rel), err)
	}
	return &s3Object{s: s, ctx: ctx, key: key, size: aws.ToInt64(h.ContentLength), etag: h.ETag}, nil
}

// get returns the content and ETag of rel; a missing object is empty with no ETag.
func (s *s3Storage) get(ctx context.Context, rel string) ([]byte, *string, error) {
	out, err := s.api.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: aws.String(s.key(rel))})
	if isNotFound(err) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("lake: read %s: %w", s.location(rel), err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("lake: read %s: %w", s.location(rel), err)
	}
	return b, out.ETag, nil
}

func (s *s3Storage) readFrom(ctx context.Context, rel string, off int64) ([]byte, error) {
	b, _, err := s.get(ctx, rel)
	if err != nil || off >= int64(len(b)) {
		return nil, err
	}
	return b[off:], nil
}

// appendSync rewrites rel with data appended. S3 has no append: the caller holds the lock,
// and the write is conditional on the object being the one just read (If-Match, or
// If-None-Match for a new object), so a concurrent writer that broke an expired lock cannot
// make an update disappear.
func (s *s3Storage) appendSync(ctx context.Context, rel string, data []byte) error {
	old, etag, err := s.get(ctx, rel)
	if err != nil {
		return err
	}
	in := &s3.PutObjectInput{Bucket: &s.bucket, Key: aws.String(s.key(rel)),
		Body: bytes.NewReader(append(old, data...)), ContentLength: aws.Int64(int64(len(old) + len(data)))}
	if etag != nil {
		in.IfMatch = etag
	} else {
		in.IfNoneMatch = aws.String("*")
	}
	if _, err := s.api.PutObject(ctx, in); err != nil {
		return fmt.Errorf("lake: append %s: %w", s.location(rel), err)
	}
	return nil
}

// s3Lock is the content of the lock object.
type s3Lock struct {
	Owner   string    `json:"owner"`
	Expires time.Time `json:"expires"`
}

// lock creates the lock object with a conditional put; while another owner's unexpired lock
// exists it waits, and it removes an expired one (conditionally on its ETag) before trying
// again.
func (s *s3Storage) lock(ctx context.Context) (func(), error) {
	rel := lockRel
	wait := 50 * time.Millisecond
	for {
		body, _ := json.Marshal(s3Lock{Owner: s.owner, Expires: s.now().Add(S3LockTTL).UTC()})
		out, err := s.api.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.bucket, Key: aws.String(s.key(rel)),
			Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))), IfNoneMatch: aws.String("*")})
		if err == nil {
			etag := out.ETag
			return func() {
				// Released even when the caller's context is done; if the delete fails, the
				// lock expires by itself after S3LockTTL.
				_, _ = s.api.DeleteObject(context.WithoutCancel(ctx), &s3.DeleteObjectInput{Bucket: &s.bucket,
					Key: aws.String(s.key(rel)), IfMatch: etag})
			}, nil
		}
		if !isPreconditionFailed(err) {
			return nil, fmt.Errorf("lake: lock %s: %w", s.location(rel), err)
		}
		held, etag, gerr := s.get(ctx, rel)
		if gerr != nil {
			return nil, gerr
		}
		var cur s3Lock
		if etag != nil && json.Unmarshal(held, &cur) == nil && s.now().After(cur.Expires) {
			// Expired: remove exactly that object (not a newer lock) and try again now.
			s.api.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: aws.String(s.key(rel)), IfMatch: etag})
			continue
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("lake: lock %s held by %s: %w", s.location(rel), cur.Owner, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// isNotFound reports whether err says the object or bucket does not exist.
func isNotFound(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchKey", "NotFound", "404":
			return true
		}
	}
	return false
}

// isPreconditionFailed reports whether err is a failed conditional write (HTTP 412, or 409
// when S3 reports a concurrent conditional write).
func isPreconditionFailed(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "PreconditionFailed", "ConditionalRequestConflict":
			return true
		}
	}
	return false
}
