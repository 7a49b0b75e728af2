package sourcetest

import (
	"os"
	"runtime/metrics"
	"strconv"
	"strings"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// HeapSampler is a CountSink that also records the peak of the heap (live and not yet
// collected objects) while events stream in, sampled every 4,096 records.
type HeapSampler struct {
	CountSink
	sample []metrics.Sample
	// Peak is the largest heap seen, in bytes.
	Peak uint64
}

// NewHeapSampler returns a HeapSampler.
func NewHeapSampler() *HeapSampler {
	return &HeapSampler{sample: []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}}
}

// Event implements source.Sink.
func (s *HeapSampler) Event(ev ocsf.Event, pos int64) error {
	if pos%4096 == 0 {
		metrics.Read(s.sample)
		s.Peak = max(s.Peak, s.sample[0].Value.Uint64())
	}
	return s.CountSink.Event(ev, pos)
}

// PeakRSS returns the peak resident set size of the process (VmHWM), 0 where unknown.
func PeakRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
