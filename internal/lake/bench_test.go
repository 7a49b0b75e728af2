package lake

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// flowSource cycles through n pre-generated flows, the way a reader hands out events: one
// struct, overwritten for every record.
type flowSource struct {
	flows []ocsf.NetworkActivity
	i     int
}

func newFlowSource(n int, accounts []string, days int) *flowSource {
	s := &flowSource{flows: make([]ocsf.NetworkActivity, n)}
	for i := range s.flows {
		at := day0.Add(time.Duration(i%days)*24*time.Hour + time.Duration(i)*time.Millisecond)
		flow(&s.flows[i], i, accounts[i%len(accounts)], "us-east-1", at)
	}
	return s
}

func (s *flowSource) next(e *ocsf.NetworkActivity) {
	*e = s.flows[s.i]
	if s.i++; s.i == len(s.flows) {
		s.i = 0
	}
}

// BenchmarkTxnWrite measures Txn.Write plus Commit of Network Activity rows in one partition
// or four (two accounts, two days), as one input of b.N records, with one or two encoders per
// file: rows/s is wall-clock throughput including the wait for the encoders at Commit.
func BenchmarkTxnWrite(b *testing.B) {
	for _, c := range []struct {
		parts, lanes int
	}{{1, 1}, {1, 2}, {4, 1}, {4, 2}} {
		b.Run(fmt.Sprintf("partitions=%d/lanes=%d", c.parts, c.lanes), func(b *testing.B) {
			accounts, days := []string{"111111111111", "222222222222"}, 2
			if c.parts == 1 {
				accounts, days = accounts[:1], 1
			}
			lanes := c.lanes
			src := newFlowSource(1<<16, accounts, days)
			l := openLake(b, WithParallelism(lanes))
			var e ocsf.NetworkActivity
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			tx, err := l.Begin(context.Background(), InputInfo{Name: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			for range b.N {
				src.next(&e)
				if err := tx.Write(&e); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := tx.Commit(context.Background(), CommitInfo{ContentHash: hashOf(b.Name() + strconv.Itoa(b.N))}); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/row")
		})
	}
}

// BenchmarkSmallTxn measures a whole transaction of one small input (100 flows, one
// partition): the fixed cost per input file.
func BenchmarkSmallTxn(b *testing.B) {
	src := newFlowSource(100, []string{"111111111111"}, 1)
	l := openLake(b)
	var e ocsf.NetworkActivity
	b.ReportAllocs()
	for i := range b.N {
		tx, err := l.Begin(context.Background(), InputInfo{Name: "small"})
		if err != nil {
			b.Fatal(err)
		}
		for range 100 {
			src.next(&e)
			if err := tx.Write(&e); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := tx.Commit(context.Background(), CommitInfo{ContentHash: hashOf("small" + strconv.Itoa(i))}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScan measures reading Network Activity rows back with Scan.
func BenchmarkScan(b *testing.B) {
	const n = 50000
	src := newFlowSource(n, []string{"111111111111"}, 1)
	l := openLake(b)
	tx := begin(b, l, "scan")
	var e ocsf.NetworkActivity
	for range n {
		src.next(&e)
		if err := tx.Write(&e); err != nil {
			b.Fatal(err)
		}
	}
	commit(b, tx, hashOf("scan"))
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		got := 0
		err := Scan(context.Background(), l, VPCFlow, nil, func(_ Partition, rows []ocsf.NetworkActivity) error {
			got += len(rows)
			return nil
		})
		if err != nil || got != n {
			b.Fatal(got, err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(n*b.N), "cpu-ns/row")
}

// BenchmarkLargeInputMemory writes one input of LAKE_MEM_ROWS (default 5,000,000) flows in
// one partition and reports the peak Go heap (sampled every 5 ms) and the process's peak
// resident set (VmHWM). Run it alone: go test -run XXX -bench LargeInputMemory -benchtime 1x.
// LAKE_MEM_FILE_ROWS sets WithFileRows; LAKE_MEM_ACCOUNTS spreads the rows round-robin over
// that many accounts (partitions).
func BenchmarkLargeInputMemory(b *testing.B) {
	rows := 5_000_000
	if s := os.Getenv("LAKE_MEM_ROWS"); s != "" {
		rows, _ = strconv.Atoi(s)
	}
	accounts := []string{"111111111111"}
	if s := os.Getenv("LAKE_MEM_ACCOUNTS"); s != "" {
		n, _ := strconv.Atoi(s)
		for i := 1; i < n; i++ {
			accounts = append(accounts, strconv.Itoa(111111111111+i))
		}
	}
	src := newFlowSource(1<<14, accounts, 1)
	var opts []Option
	if s := os.Getenv("LAKE_MEM_FILE_ROWS"); s != "" {
		n, _ := strconv.ParseInt(s, 10, 64)
		opts = append(opts, WithFileRows(n))
	}
	l := openLake(b, opts...)
	for i := range b.N {
		var peak atomic.Uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
			t := time.NewTicker(5 * time.Millisecond)
			defer t.Stop()
			for {
				metrics.Read(s)
				if v := s[0].Value.Uint64(); v > peak.Load() {
					peak.Store(v)
				}
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		})
		start := time.Now()
		tx, err := l.Begin(context.Background(), InputInfo{Name: "large"})
		if err != nil {
			b.Fatal(err)
		}
		var e ocsf.NetworkActivity
		for range rows {
			src.next(&e)
			if err := tx.Write(&e); err != nil {
				b.Fatal(err)
			}
		}
		res, err := tx.Commit(context.Background(), CommitInfo{ContentHash: hashOf("large" + strconv.Itoa(i))})
		if err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		close(stop)
		wg.Wait()
		var size int64
		for _, f := range res.Files {
			if st, err := os.Stat(f); err == nil {
				size += st.Size()
			}
		}
		b.ReportMetric(float64(peak.Load())/1e6, "peak-heap-MB")
		b.ReportMetric(float64(vmHWM())/1e6, "peak-rss-MB")
		b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
		b.ReportMetric(float64(size)/float64(rows), "bytes/row")
		b.ReportMetric(float64(len(res.Files)), "files")
	}
	runtime.KeepAlive(src)
}

// vmHWM returns the process's peak resident set size in bytes, or 0 where /proc is missing.
func vmHWM() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
