// Package awsconf builds AWS SDK configuration the way the AWS CLI does: the default
// credential chain, with the region, profile and endpoint a user gives on the command line.
package awsconf

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Options are the user's choices; empty fields leave the SDK's defaults (environment,
// shared config files, instance metadata).
type Options struct {
	Region  string
	Profile string
	// EndpointURL points S3 at an S3-compatible store (MinIO, a test server); S3 then uses
	// path-style addressing.
	EndpointURL string
}

// Load returns the SDK configuration for o.
func Load(ctx context.Context, o Options) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return cfg, nil
}

// NewS3 returns an S3 client for cfg and o.
func NewS3(cfg aws.Config, o Options) *s3.Client {
	return s3.NewFromConfig(cfg, func(so *s3.Options) {
		if o.EndpointURL != "" {
			so.BaseEndpoint = aws.String(o.EndpointURL)
			so.UsePathStyle = true
		}
	})
}
