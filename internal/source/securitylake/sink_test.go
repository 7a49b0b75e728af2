package securitylake

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/sourcetest"
)

// recordingSink keeps everything a Format hands it.
type recordingSink = sourcetest.Sink[ocsf.Event]

// readBytes reads Parquet content named name through Format.Read, as the ingest pipeline
// does (random access).
func readBytes(t testing.TB, name string, b []byte) (*recordingSink, error) {
	t.Helper()
	s := &recordingSink{T: t}
	in := source.Input{Name: name, R: bytes.NewReader(b), ReaderAt: bytes.NewReader(b), Size: int64(len(b))}
	return s, Format{}.Read(context.Background(), in, s)
}

func readFile(t testing.TB, path string) (*recordingSink, error) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return readBytes(t, path, b)
}

// samples returns the Security Lake output files of the samples (not their raw inputs).
func samples(t testing.TB) []string {
	t.Helper()
	root := filepath.Join(sourcetest.DataDir(t), "security-lake-samples", "samples")
	var out []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "input" || d.Name() == "inputs") {
			return filepath.SkipDir
		}
		if !d.IsDir() && filepath.Ext(p) == ".parquet" {
			out = append(out, p)
		}
		return nil
	})
	if err != nil || len(out) == 0 {
		t.Fatalf("no samples under %s: %v", root, err)
	}
	return out
}

// vpcflowInput is a Parquet flow log delivery as the ingest pipeline gives it.
func vpcflowInput(name string, b []byte) source.Input {
	return source.Input{Name: name, R: bytes.NewReader(b), ReaderAt: bytes.NewReader(b), Size: int64(len(b))}
}
