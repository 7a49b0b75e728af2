// Package s3test runs an S3 implementation (gofakes3, in memory) on 127.0.0.1 for tests, and
// gives an AWS SDK S3 client that talks to it, so that code under test uses the real SDK and
// the real S3 protocol.
package s3test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Server is an S3 endpoint on 127.0.0.1.
type Server struct {
	// URL is the endpoint, such as http://127.0.0.1:41234.
	URL string
	// Client is an SDK client for it (path-style addressing, static test credentials).
	Client *s3.Client
}

// Start starts an S3 server with the given buckets; it stops when the test ends.
func Start(t testing.TB, buckets ...string) *Server {
	t.Helper()
	backend := s3mem.New()
	ts := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(ts.Close)
	srv := &Server{URL: ts.URL, Client: NewClient(ts.URL)}
	for _, b := range buckets {
		if _, err := srv.Client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("s3test: create bucket %s: %v", b, err)
		}
	}
	return srv
}

// NewClient returns an SDK S3 client for the endpoint url with static test credentials.
func NewClient(url string) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "SECRETTEST", ""),
	})
}
