package probe

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/scan/scantest"
)

// BenchmarkSweepClosed sweeps 127.0.1.0/24 × 10 ports where nothing listens (loopback
// answers each connect with a reset), with the default options (64 at once, 1,000 new
// endpoints/s) and unthrottled (256 at once, no rate limit). It reports endpoints per second
// and the peak Go heap during the sweep.
func BenchmarkSweepClosed(b *testing.B) {
	ports := make([]int, 10)
	for i := range ports {
		ports[i] = scantest.FreePort(b)
	}
	for _, bc := range []struct {
		name string
		opts Options
	}{
		{"defaults", Options{Ports: ports}},
		{"unthrottled", Options{Ports: ports, Concurrency: 256, Rate: 1e9}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			scope := loopbackScope(b, "127.0.1.0/24")
			targets := targetsOf(b, "127.0.1.0/24")
			var peak atomic.Uint64
			stop := make(chan struct{})
			go func() {
				var ms runtime.MemStats
				for {
					select {
					case <-stop:
						return
					case <-time.After(20 * time.Millisecond):
						runtime.ReadMemStats(&ms)
						if ms.HeapAlloc > peak.Load() {
							peak.Store(ms.HeapAlloc)
						}
					}
				}
			}()
			var endpoints int64
			b.ResetTimer()
			for b.Loop() {
				p, err := New(scope, bc.opts)
				if err != nil {
					b.Fatal(err)
				}
				st, err := p.Run(context.Background(), targets, func(Result) { b.Error("an MCP endpoint where nothing listens") })
				if err != nil {
					b.Fatal(err)
				}
				if st.Open != 0 {
					b.Fatalf("%d open endpoints", st.Open)
				}
				endpoints += st.Endpoints
			}
			b.StopTimer()
			close(stop)
			b.ReportMetric(float64(endpoints)/b.Elapsed().Seconds(), "endpoints/s")
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
		})
	}
}
