package securitylake

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/sourcetest"
)

// flowFile writes n VPC flows as OCSF 1.1.0 Network Activity rows, as mcpwatch's lake writes
// them (three-level lists, ZSTD, row groups of 65,536 rows).
func flowFile(b testing.TB, n int) []byte {
	b.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[ocsf.NetworkActivity](&buf, parquet.Compression(&zstd.Codec{Level: zstd.SpeedFastest}),
		parquet.MaxRowsPerRowGroup(65536))
	base := sampleEvents()[0].(*ocsf.NetworkActivity)
	rows := make([]ocsf.NetworkActivity, 0, 1024)
	for i := range n {
		e := *base
		e.SetTime(time.UnixMilli(1714557600000 + int64(i)))
		e.SrcEndpoint.IP = fmt.Sprintf("10.0.%d.%d", i/250%250, i%250)
		e.Traffic.Bytes = int64(i)
		rows = append(rows, e)
		if len(rows) == cap(rows) || i == n-1 {
			if _, err := w.Write(rows); err != nil {
				b.Fatal(err)
			}
			rows = rows[:0]
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkRead reads 100,000 rows of a 1.1.0 VPC_FLOW file as mcpwatch's lake writes it, and
// of a DNS file in Security Lake's source version 1 shape (OCSF 1.0.0-rc.2, legacy lists,
// upgraded to 1.1.0 on the way).
func BenchmarkRead(b *testing.B) {
	const n = 100_000
	for _, tt := range []struct {
		name string
		data []byte
	}{{"flows-1.1.0", flowFile(b, n)}, {"dns-rc2", legacyFile(b, n, -1, 65536)}} {
		b.Run(tt.name, func(b *testing.B) {
			b.SetBytes(int64(len(tt.data)))
			b.ReportAllocs()
			cpu := sourcetest.ProcessCPUTime()
			for b.Loop() {
				s := &sourcetest.CountSink{}
				in := source.Input{Name: "b.parquet", ReaderAt: bytes.NewReader(tt.data), Size: int64(len(tt.data)), Region: "r", Account: "a"}
				if err := (Format{}).Read(context.Background(), in, s); err != nil || s.Events != n {
					b.Fatalf("%v: %d events, %d dead", err, s.Events, s.Dead)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
			if d := sourcetest.ProcessCPUTime() - cpu; d > 0 {
				b.ReportMetric(float64(n*b.N)/d.Seconds(), "rows/cpu-s")
			}
		})
	}
}
