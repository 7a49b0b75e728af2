package ingest

import (
	"bufio"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/demo"
	"github.com/mcpwatch/mcpwatch/internal/detect"
	"github.com/mcpwatch/mcpwatch/internal/intel"
	"github.com/mcpwatch/mcpwatch/internal/lake"
)

// benchInput generates n demo records once per benchmark and returns the demo directory and
// the threat-intel set of its scenarios.
func benchInput(b *testing.B, n int) (string, *intel.Set) {
	b.Helper()
	dir := b.TempDir()
	res, err := demo.Generate(context.Background(), demo.Config{Dir: dir, Records: n, Seed: 1,
		Day: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(res.IntelFile)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	set, _, err := intel.Load(res.IntelFile, f)
	if err != nil {
		b.Fatal(err)
	}
	return dir, set
}

// oneFile concatenates the demo files of one record format into a single gzip file, as a
// large delivery, so that per-file costs do not hide the steady-state rate.
func oneFile(b *testing.B, dir string) string {
	b.Helper()
	refs, err := Resolve([]string{filepath.Join(dir, "AWSLogs")})
	if err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(b.TempDir(), "AWSLogs", "111111111111", "vpcflowlogs", "us-east-1", "big.log.gz")
	os.MkdirAll(filepath.Dir(out), 0o755)
	f, err := os.Create(out)
	if err != nil {
		b.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	header := ""
	for _, r := range refs {
		in, _ := os.Open(r.Path)
		zr, err := gzip.NewReader(in)
		if err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(zr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		sc.Scan()
		h := sc.Text()
		if header == "" {
			header = h
			zw.Write([]byte(h + "\n"))
		}
		if h != header { // only the files of the first record format
			in.Close()
			continue
		}
		for sc.Scan() {
			zw.Write(sc.Bytes())
			zw.Write([]byte{'\n'})
		}
		in.Close()
	}
	zw.Close()
	f.Close()
	return out
}

// BenchmarkIngest measures the whole pipeline — gunzip, parse, normalize, detect (with the
// demo's threat intel), write Parquet, commit — on the demo's 96 hourly files and on one large
// file. Each iteration ingests into a fresh lake.
func BenchmarkIngest(b *testing.B) {
	const n = 500_000
	dir, set := benchInput(b, n)
	for _, tc := range []struct {
		name string
		path func() string
	}{
		{"demo-96-files", func() string { return filepath.Join(dir, "AWSLogs") }},
		{"one-file", func() string { return oneFile(b, dir) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			refs, err := Resolve([]string{tc.path()})
			if err != nil {
				b.Fatal(err)
			}
			var records int64
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				lk, err := lake.Open(filepath.Join(b.TempDir(), "lake"))
				if err != nil {
					b.Fatal(err)
				}
				det, err := detect.NewFlowDetector(detect.Config{Intel: set})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				sum, err := Run(context.Background(), lk, refs, Options{Formats: formats(), Observer: det})
				if err != nil {
					b.Fatal(err)
				}
				det.Flush(time.Now())
				b.StopTimer()
				if !sum.Reconciles() || sum.Failed > 0 || sum.Stored == 0 {
					b.Fatalf("%+v", sum.Counts)
				}
				records += sum.Read
				lk.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
