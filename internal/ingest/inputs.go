package ingest

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Ref is one input to read, resolved from the command line: a file, or standard input.
type Ref struct {
	// Path is the file's path, an s3:// URL, or "-" for standard input.
	Path    string
	Size    int64
	ModTime time.Time
	// Region and Account are what the path says (AWSLogs/<account>/<service>/<region>/...).
	Region, Account string
}

// IsS3 reports whether the input is an S3 object.
func (r Ref) IsS3() bool { return IsS3URL(r.Path) }

// IsStdin reports whether the input is standard input.
func (r Ref) IsStdin() bool { return r.Path == "-" }

// Resolver expands command-line arguments into inputs.
type Resolver struct {
	// S3 lists the objects of s3:// arguments; nil refuses them.
	S3 S3API
}

// Resolve expands local arguments into inputs (see Resolver.Resolve); s3:// URLs need a
// Resolver with an S3 client.
func Resolve(args []string) ([]Ref, error) { return Resolver{}.Resolve(context.Background(), args) }

// Resolve expands the command-line arguments into inputs: files as given, directories
// recursively (hidden entries skipped, sorted for a deterministic order), glob patterns,
// "-" for standard input, and s3://bucket/prefix for every object under the prefix (listed
// page by page). An argument that matches nothing is an error.
func (rv Resolver) Resolve(ctx context.Context, args []string) ([]Ref, error) {
	var refs []Ref
	seen := map[string]bool{}
	add := func(path string, info fs.FileInfo) {
		if seen[path] {
			return
		}
		seen[path] = true
		r := Ref{Path: path, Size: info.Size(), ModTime: info.ModTime()}
		r.Region, r.Account = hintsFromPath(path)
		refs = append(refs, r)
	}
	for _, arg := range args {
		if IsS3URL(arg) {
			rs, err := resolveS3(ctx, rv.S3, arg)
			if err != nil {
				return nil, err
			}
			for _, r := range rs {
				if !seen[r.Path] {
					seen[r.Path] = true
					refs = append(refs, r)
				}
			}
			continue
		}
		if arg == "-" {
			if seen["-"] {
				continue
			}
			seen["-"] = true
			refs = append(refs, Ref{Path: "-"})
			continue
		}
		paths := []string{arg}
		if strings.ContainsAny(arg, "*?[") {
			m, err := filepath.Glob(arg)
			if err != nil {
				return nil, fmt.Errorf("input %q: %w", arg, err)
			}
			if len(m) == 0 {
				return nil, fmt.Errorf("input %q: no file matches", arg)
			}
			paths = m
		}
		for _, p := range paths {
			info, err := os.Stat(p)
			if err != nil {
				return nil, fmt.Errorf("input: %w", err)
			}
			if !info.IsDir() {
				add(p, info)
				continue
			}
			var files []string
			err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if path != p && strings.HasPrefix(d.Name(), ".") {
					if d.IsDir() {
						return filepath.SkipDir
					}
					return nil
				}
				if d.Type().IsRegular() {
					files = append(files, path)
				}
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("input %s: %w", p, err)
			}
			sort.Strings(files)
			for _, f := range files {
				info, err := os.Stat(f)
				if err != nil {
					return nil, fmt.Errorf("input: %w", err)
				}
				add(f, info)
			}
		}
	}
	return refs, nil
}

// awsServices are the service directory names AWS uses under AWSLogs/<account>/, and
// whether the next directory is the region (Resolver query logs put the VPC id there).
var awsServices = map[string]bool{"vpcflowlogs": true, "CloudTrail": true, "CloudTrail-Digest": true,
	"CloudTrail-Insight": true, "GuardDuty": true, "vpcdnsquerylogs": false}

// hintsFromPath reads the region and account of an AWS log delivery path:
// .../AWSLogs/<account>/<service>/<region>/... (also with an organization id after AWSLogs).
func hintsFromPath(path string) (region, account string) {
	parts := strings.Split(filepath.ToSlash(path), "/")
	for i, p := range parts {
		if p != "AWSLogs" {
			continue
		}
		rest := parts[i+1:]
		if len(rest) > 0 && strings.HasPrefix(rest[0], "o-") { // AWSLogs/<org-id>/<account>/...
			rest = rest[1:]
		}
		if len(rest) >= 3 && isAccountID(rest[0]) {
			regionNext, known := awsServices[rest[1]]
			switch {
			case known && regionNext:
				return rest[2], rest[0]
			case known:
				return "", rest[0]
			}
		}
	}
	return "", ""
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
