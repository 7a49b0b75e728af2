package cloudtrail

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/sourcetest"
)

// benchRecords is how many records one benchmark iteration reads.
const benchRecords = 4096

// templates returns the raw CloudTrail events of the reference data and of testdata as compact
// JSON with their members in their order: the Security Lake samples' inputs, the OCSF
// examples' and our own API calls with large requests (last).
func templates(tb testing.TB) []string {
	tb.Helper()
	var out []string
	add := func(text string) {
		var v struct {
			Records []json.RawMessage
		}
		if err := json.Unmarshal([]byte(text), &v); err == nil && len(v.Records) > 0 {
			for _, r := range v.Records {
				out = append(out, compact(tb, r))
			}
			return
		}
		out = append(out, compact(tb, []byte(text)))
	}
	inputs, _ := filepath.Glob(filepath.Join(sourcetest.DataDir(tb), "security-lake-samples", "samples", "1.0.0-rc.2", "CLOUD_TRAIL", "*", "input", "*.gz"))
	for _, p := range inputs {
		add(sourcetest.ReadGzip(tb, p))
	}
	raws, _ := filepath.Glob(filepath.Join(sourcetest.DataDir(tb), "ocsf-examples", "aws", "v1.1.0", "CloudTrail", "*", "samples", "*.raw"))
	for _, p := range raws {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		add(string(b))
	}
	for _, name := range []string{"runinstances.json", "sendcommand.json", "registertaskdefinition.json"} {
		add(sample(tb, name))
	}
	if len(out) < 27 {
		tb.Fatalf("%d templates", len(out))
	}
	return out
}

func compact(tb testing.TB, b []byte) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		tb.Fatal(err)
	}
	return buf.String()
}

// varying matches a string member of a template, to be given a fresh value.
var varying = regexp.MustCompile(`"(eventID|eventTime|sourceIPAddress|recipientAccountId)":"[^"]*"`)

// logFile generates an S3 CloudTrail log file of n events: the templates in turn, the API calls
// with large requests a third of the time (about 1.5 KB a record on average), with fresh event
// ids, times, source addresses and accounts.
func logFile(tb testing.TB, n int) []byte {
	tpl := templates(tb)
	big := tpl[len(tpl)-3:]
	rng := rand.New(rand.NewPCG(3, 4))
	var b bytes.Buffer
	b.WriteString(`{"Records":[`)
	for i := range n {
		t := tpl[rng.IntN(len(tpl)-3)]
		if i%3 == 0 {
			t = big[rng.IntN(len(big))]
		}
		rec := varying.ReplaceAllStringFunc(t, func(m string) string {
			name := m[1 : strings.IndexByte(m[1:], '"')+1]
			var v string
			switch name {
			case "eventID":
				v = fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", rng.Uint32(), rng.IntN(1<<16), rng.IntN(1<<12), rng.IntN(1<<12), rng.Uint64()>>16)
			case "eventTime":
				v = fmt.Sprintf("2025-03-04T%02d:%02d:%02dZ", i/3600%24, i/60%60, i%60)
			case "sourceIPAddress":
				if strings.Contains(m, "amazonaws.com") || rng.IntN(4) == 0 {
					return m
				}
				v = fmt.Sprintf("%d.%d.%d.%d", 3+rng.IntN(200), rng.IntN(256), rng.IntN(256), 1+rng.IntN(254))
			case "recipientAccountId":
				v = fmt.Sprintf("%012d", 100000000000+rng.IntN(4))
			}
			return `"` + name + `":"` + v + `"`
		})
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(rec)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// BenchmarkReadNormalize reads an S3 log file of realistic events through Format.Read
// (framing, parsing, normalization to OCSF, the sink call) and reports records/s, records per
// CPU second (what one core does alone) and allocations per record.
func BenchmarkReadNormalize(b *testing.B) {
	data := logFile(b, benchRecords)
	b.SetBytes(int64(len(data)))
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mallocs := ms.Mallocs
	cpu := sourcetest.ProcessCPUTime()
	records := 0
	for b.Loop() {
		s := &sourcetest.CountSink{}
		in := source.Input{Name: "bench", R: bytes.NewReader(data)}
		if err := (Format{}).Read(b.Context(), in, s); err != nil {
			b.Fatal(err)
		}
		if s.Events != benchRecords {
			b.Fatalf("%d events, %d dead, %d skipped", s.Events, s.Dead, s.Skipped)
		}
		records += s.Total()
	}
	cpu = sourcetest.ProcessCPUTime() - cpu
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
	if cpu > 0 {
		b.ReportMetric(float64(records)/cpu.Seconds(), "records/cpu-s")
	}
	b.ReportMetric(float64(ms.Mallocs-mallocs)/float64(records), "allocs/record")
	b.ReportMetric(float64(len(data))/benchRecords, "bytes/record")
}

// TestLogFileValid checks the benchmark's input: every record an event, every event valid.
func TestLogFileValid(t *testing.T) {
	data := logFile(t, 200)
	s, err := read(t, Format{}, string(data))
	if err != nil || len(s.events()) != 200 {
		t.Fatalf("%v: %d events of %d", err, len(s.events()), len(s.out))
	}
	if !strings.HasPrefix(string(data), `{"Records":[{`) {
		t.Errorf("not a log file")
	}
}

// repeatReader reads an S3 log file of n copies of the records of one, without holding it.
type repeatReader struct {
	prefix, elems, suffix string
	n                     int
	part, off             int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	m := 0
	for m < len(p) {
		var cur string
		switch {
		case r.part == 0:
			cur = r.prefix
		case r.part <= r.n:
			cur = r.elems
			if r.part > 1 && r.off == 0 {
				p[m] = ','
				m++
				r.off = -1
				continue
			}
		case r.part == r.n+1:
			cur = r.suffix
		default:
			if m == 0 {
				return 0, io.EOF
			}
			return m, nil
		}
		start := max(r.off, 0)
		c := copy(p[m:], cur[start:])
		m += c
		r.off = start + c
		if r.off == len(cur) {
			r.part, r.off = r.part+1, 0
		}
	}
	return m, nil
}

// TestLargeLogFileMemory streams a 90 MB log file (60,000 events) through Read: the heap stays
// a small fraction of the input (the Records array is read element by element).
func TestLargeLogFileMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 90 MB")
	}
	file := string(logFile(t, 1000))
	elems := strings.TrimSuffix(strings.TrimPrefix(file, `{"Records":[`), `]}`)
	const copies = 60
	r := &repeatReader{prefix: `{"Records":[`, elems: elems, suffix: `]}`, n: copies}
	s := sourcetest.NewHeapSampler()
	runtime.GC()
	if err := (Format{}).Read(context.Background(), source.Input{Name: "big", R: r}, s); err != nil {
		t.Fatal(err)
	}
	if s.Events != copies*1000 || s.Dead != 0 {
		t.Fatalf("%d events, %d dead letters", s.Events, s.Dead)
	}
	size := uint64(len(elems)) * copies
	if s.Peak > size/4 || s.Peak > 48<<20 {
		t.Errorf("heap peaked at %d MB reading %d MB", s.Peak>>20, size>>20)
	}
	t.Logf("heap peaked at %.1f MB reading %d MB", float64(s.Peak)/(1<<20), size>>20)
}

// BenchmarkStream2GB streams a 2 GB S3 log file (about 1.4 million events), generated as it
// is read (the events of a 1.5 MB file over and over), through Format.Read, and reports the
// peak heap (live and not yet collected objects, the 1.5 MB included), the process's peak
// RSS, records/s and records per CPU second: memory stays bounded whatever the file's size.
// It takes about ten seconds a run, so it is a benchmark rather than a test.
func BenchmarkStream2GB(b *testing.B) {
	const size = 2 << 30
	file := string(logFile(b, 1000))
	elems := strings.TrimSuffix(strings.TrimPrefix(file, `{"Records":[`), `]}`)
	copies := size / len(elems)
	for b.Loop() {
		runtime.GC()
		s := sourcetest.NewHeapSampler()
		cpu := sourcetest.ProcessCPUTime()
		start := time.Now()
		r := &repeatReader{prefix: `{"Records":[`, elems: elems, suffix: `]}`, n: copies}
		if err := (Format{}).Read(b.Context(), source.Input{Name: "stream", R: r}, s); err != nil {
			b.Fatal(err)
		}
		elapsed, cpu := time.Since(start), sourcetest.ProcessCPUTime()-cpu
		if s.Events != copies*1000 || s.Dead != 0 {
			b.Fatalf("%d events, %d dead letters", s.Events, s.Dead)
		}
		b.ReportMetric(float64(s.Peak)/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(sourcetest.PeakRSS())/(1<<20), "peak-RSS-MB")
		b.ReportMetric(float64(s.Events)/elapsed.Seconds(), "records/s")
		if cpu > 0 {
			b.ReportMetric(float64(s.Events)/cpu.Seconds(), "records/cpu-s")
		}
		b.ReportMetric(float64(len(elems)*copies)/(1<<30), "GB")
	}
}
