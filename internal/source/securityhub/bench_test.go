package securityhub

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/sourcetest"
)

// BenchmarkRead reads 1,000 findings (the three OCSF examples and the GuardDuty user guide's
// finding in turn) as NDJSON and as GetFindings pages of 100.
func BenchmarkRead(b *testing.B) {
	gd, pci, insp, ssh := samples(b)
	all := []string{gd, pci, insp, ssh}
	const n = 1000
	var nd strings.Builder
	for i := range n {
		nd.WriteString(all[i%len(all)] + "\n")
	}
	var pages strings.Builder
	for p := range n / 100 {
		pages.WriteString(`{"Findings":[`)
		for i := range 100 {
			if i > 0 {
				pages.WriteString(",")
			}
			pages.WriteString(all[(p*100+i)%len(all)])
		}
		pages.WriteString(`],"NextToken":"x"}` + "\n")
	}
	for _, tt := range []struct{ name, input string }{{"ndjson", nd.String()}, {"getfindings", pages.String()}} {
		b.Run(tt.name, func(b *testing.B) {
			data := []byte(tt.input)
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
		})
	}
}
