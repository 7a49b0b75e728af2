package output

import (
	"fmt"
	"io"
	"testing"
	"time"
)

// BenchmarkWrite renders 10,000 rows of a typical query result (strings, numbers, a time, a
// nested value) in each format.
func BenchmarkWrite(b *testing.B) {
	cols := []string{"ip", "bytes", "flows", "last_seen", "observables"}
	rows := make([][]any, 10_000)
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range rows {
		rows[i] = []any{fmt.Sprintf("10.0.%d.%d", i/250, i%250), int64(i * 1000), int64(i % 17),
			at.Add(time.Duration(i) * time.Second), []any{map[string]any{"name": "dst_endpoint.ip", "type_id": int64(2)}}}
	}
	for _, f := range []Format{Table, JSON, NDJSON, CSV} {
		b.Run(f.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := Write(io.Discard, f, cols, rows); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
