package athenatest

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/mcpwatch/mcpwatch/internal/athena"
)

// v1Sources maps Security Lake source names to their folders in the real Security Lake
// samples (OCSF 1.0.0-rc.2, source version 1).
var v1Sources = map[string]string{
	"VPC_FLOW":         "VPC_FLOW",
	"ROUTE53":          "ROUTE53",
	"SH_FINDINGS":      "SH_FINDINGS",
	"CLOUD_TRAIL_MGMT": "CLOUD_TRAIL",
}

// v2Sources maps source names to folders of OCSF 1.1.0 examples (source version 2).
var v2Sources = map[string][]string{
	"VPC_FLOW":         {"VPC Flowlogs"},
	"ROUTE53":          {"Route53"},
	"SH_FINDINGS":      {"Security Hub"},
	"CLOUD_TRAIL_MGMT": {"CloudTrail"},
}

// SecurityLake describes the lakes BuildSecurityLake made.
type SecurityLake struct {
	// Database is the Glue database (amazon_security_lake_glue_db_<region>).
	Database string
	// Tables maps each Glue table name to its source and version ("VPC_FLOW 1.0").
	Tables map[string]string
}

// BuildSecurityLake lays out, under the server's root, a Security Lake of both generations
// from the public samples in shared (the repository's ../shared/data): source version 1 from
// the Parquet files Security Lake wrote (OCSF 1.0.0-rc.2, partitioned by eventDay) and
// source version 2 from the OCSF 1.1.0 examples (partitioned on time_dt). When v2Flows is
// not "", the VPC_FLOW/2.0 files of that mcpwatch lake are added to the version 2 flow
// table. Every table is registered in Glue under Security Lake's own names.
func (s *Server) BuildSecurityLake(ctx context.Context, shared, v2Flows string) (*SecurityLake, error) {
	root := s.db.LakeDir()
	db := athena.DatabaseForRegion(s.opts.Region)
	reg := strings.ReplaceAll(s.opts.Region, "-", "_")
	out := &SecurityLake{Database: db, Tables: map[string]string{}}
	samples := filepath.Join(shared, "security-lake-samples", "samples", "1.0.0-rc.2")
	for source, folder := range v1Sources {
		var files []string
		filepath.WalkDir(filepath.Join(samples, folder), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".parquet") && !strings.Contains(p, string(filepath.Separator)+"input") {
				files = append(files, p)
			}
			return nil
		})
		if len(files) == 0 {
			return nil, fmt.Errorf("athenatest: no samples for %s under %s", source, samples)
		}
		staged, err := stage(root, "_in/v1/"+source, files)
		if err != nil {
			return nil, err
		}
		dir := "aws/" + source + "/1.0"
		sel := "SELECT *, cloud.region AS region, coalesce(json_extract_string(to_json(cloud), '$.account_uid'), " + sqlString(s.opts.Account) + ") AS accountId, strftime(make_timestamp(\"time\" * 1000), '%Y%m%d') AS eventDay" +
			" FROM read_parquet(" + sqlString(staged) + ", union_by_name = true)"
		if err := s.copyPartitioned(ctx, sel, dir); err != nil {
			return nil, err
		}
		name := "amazon_security_lake_table_" + reg + "_" + strings.ToLower(source) + "_1_0"
		if err := s.AddTable(ctx, db, name, dir, EventDay); err != nil {
			return nil, err
		}
		out.Tables[name] = source + " 1.0"
	}
	examples := filepath.Join(shared, "ocsf-examples", "aws", "v1.1.0")
	for source, folders := range v2Sources {
		var files []string
		for _, f := range folders {
			filepath.WalkDir(filepath.Join(examples, f), func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() && strings.HasSuffix(p, ".ocsf") {
					files = append(files, p)
				}
				return nil
			})
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("athenatest: no OCSF 1.1.0 examples for %s under %s", source, examples)
		}
		staged, err := stage(root, "_in/v2/"+source, files)
		if err != nil {
			return nil, err
		}
		dir := "aws/" + source + "/2.0"
		sel := "SELECT COLUMNS(c -> c <> 'time_dt'), make_timestamp(\"time\" * 1000) AS time_dt, cloud.region AS region," +
			" coalesce(json_extract_string(to_json(cloud), '$.account.uid'), " + sqlString(s.opts.Account) + ") AS accountId, strftime(make_timestamp(\"time\" * 1000), '%Y%m%d') AS eventDay" +
			" FROM read_json(" + sqlString(staged) + ", union_by_name = true, maximum_depth = -1)"
		if err := s.copyPartitioned(ctx, sel, dir); err != nil {
			return nil, err
		}
		if source == "VPC_FLOW" && v2Flows != "" {
			if err := copyTree(filepath.Join(v2Flows, "VPC_FLOW", "2.0"), filepath.Join(root, filepath.FromSlash(dir))); err != nil {
				return nil, err
			}
		}
		name := "amazon_security_lake_table_" + reg + "_" + strings.ToLower(source) + "_2_0"
		if err := s.AddTable(ctx, db, name, dir, Iceberg); err != nil {
			return nil, err
		}
		out.Tables[name] = source + " 2.0"
	}
	return out, nil
}

// copyPartitioned writes the rows of sel under root/dir, partitioned as Security Lake is.
func (s *Server) copyPartitioned(ctx context.Context, sel, dir string) error {
	target := filepath.ToSlash(filepath.Join(s.db.LakeDir(), filepath.FromSlash(dir)))
	if err := os.MkdirAll(filepath.Dir(filepath.FromSlash(target)), 0o755); err != nil {
		return err
	}
	stmt := "COPY (" + sel + ") TO " + sqlString(target) +
		" (FORMAT parquet, PARTITION_BY (region, accountId, eventDay), OVERWRITE_OR_IGNORE true, FILENAME_PATTERN 'sample_{i}')"
	if _, err := s.db.QueryTrusted(ctx, stmt); err != nil {
		return fmt.Errorf("athenatest: lay out %s: %w", dir, err)
	}
	return nil
}

// stage copies files under root/dir (DuckDB reads nothing outside the root) and returns the
// glob of the copies.
func stage(root, dir string, files []string) (string, error) {
	d := filepath.Join(root, filepath.FromSlash(dir))
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", err
	}
	ext := filepath.Ext(files[0])
	for i, f := range files {
		if err := copyFile(f, filepath.Join(d, fmt.Sprintf("f%03d%s", i, ext))); err != nil {
			return "", err
		}
	}
	return filepath.ToSlash(d) + "/*" + ext, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// copyTree copies the regular files under src to the same relative paths under dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		return copyFile(p, filepath.Join(dst, rel))
	})
}
