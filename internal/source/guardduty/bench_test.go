package guardduty

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/sourcetest"
)

// BenchmarkRead reads an S3 export of 999 findings (the three test findings in turn).
func BenchmarkRead(b *testing.B) {
	lines := strings.TrimSpace(sourcetest.ReadFile(b, filepath.Join("testdata", "findings-export.jsonl")))
	const copies = 333
	data := []byte(strings.Repeat(lines+"\n", copies))
	n := 3 * copies
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu := sourcetest.ProcessCPUTime()
	for b.Loop() {
		s := &sourcetest.CountSink{}
		if err := (Format{}).Read(context.Background(), source.Input{Name: "b", R: bytes.NewReader(data)}, s); err != nil || s.Events != n {
			b.Fatalf("%v: %d events", err, s.Events)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "findings/s")
	if d := sourcetest.ProcessCPUTime() - cpu; d > 0 {
		b.ReportMetric(float64(n*b.N)/d.Seconds(), "findings/cpu-s")
	}
}
