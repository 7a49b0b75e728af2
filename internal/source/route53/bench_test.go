package route53

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/sourcetest"
)

// benchRecords is how many records one benchmark iteration reads.
const benchRecords = 4096

// queryLog generates an S3 delivery of n Resolver query log records: instances of a VPC
// resolving names of a few services, most with answers, some NXDOMAIN, some through an inbound
// endpoint, some blocked or alerted by DNS Firewall.
func queryLog(n int) []byte {
	rng := rand.New(rand.NewPCG(5, 6))
	names := []string{"mcp.atlassian.com.", "api.github.com.", "s3.eu-west-1.amazonaws.com.", "server.smithery.ai.",
		"sts.eu-west-1.amazonaws.com.", "registry.npmjs.org.", "pypi.org.", "ip-10-0-1-23.eu-west-1.compute.internal."}
	var b bytes.Buffer
	for i := range n {
		name := names[rng.IntN(len(names))]
		if rng.IntN(8) == 0 {
			name = fmt.Sprintf("%x.t.example.net.", rng.Uint64())
		}
		qtype := []string{"A", "AAAA", "A", "HTTPS"}[rng.IntN(4)]
		fmt.Fprintf(&b, `{"version":"1.100000","account_id":"123456789012","region":"eu-west-1","vpc_id":"vpc-0a1b2c3d4e5f67890","query_timestamp":"2025-03-04T%02d:%02d:%02dZ","query_name":"%s","query_type":"%s","query_class":"IN",`,
			i/3600%24, i/60%60, i%60, name, qtype)
		switch r := rng.IntN(20); {
		case r == 0:
			b.WriteString(`"rcode":"NXDOMAIN","answers":[],`)
		default:
			b.WriteString(`"rcode":"NOERROR","answers":[`)
			k := 1 + rng.IntN(3)
			for j := range k {
				if j > 0 {
					b.WriteByte(',')
				}
				if j == 0 && k > 1 {
					fmt.Fprintf(&b, `{"Rdata":"%sedgekey.net.","Type":"CNAME","Class":"IN"}`, name)
				} else {
					fmt.Fprintf(&b, `{"Rdata":"%d.%d.%d.%d","Type":"A","Class":"IN"}`, 3+rng.IntN(200), rng.IntN(256), rng.IntN(256), 1+rng.IntN(254))
				}
			}
			b.WriteString(`],`)
		}
		if rng.IntN(10) == 0 {
			fmt.Fprintf(&b, `"srcaddr":"192.168.%d.%d","srcport":"%d","transport":"UDP","srcids":{"resolver_endpoint":"rslvr-in-0123456789abcdef","resolver_network_interface":"rni-0123456789abcdef"}`,
				rng.IntN(256), 1+rng.IntN(254), 1024+rng.IntN(60000))
		} else {
			fmt.Fprintf(&b, `"srcaddr":"10.0.%d.%d","srcport":"%d","transport":"UDP","srcids":{"instance":"i-0%016x"}`,
				rng.IntN(4), 2+rng.IntN(250), 1024+rng.IntN(60000), rng.Uint64()>>4)
		}
		if rng.IntN(25) == 0 {
			fmt.Fprintf(&b, `,"firewall_rule_action":"%s","firewall_rule_group_id":"rslvr-frg-0123456789abcdef","firewall_domain_list_id":"rslvr-fdl-0123456789abcdef"`,
				[]string{"BLOCK", "ALERT"}[rng.IntN(2)])
		}
		b.WriteString("}\n")
	}
	return b.Bytes()
}

// BenchmarkReadNormalize reads an S3 delivery of Resolver query logs through Format.Read
// (framing, parsing, normalization to OCSF, the sink call) and reports records/s, records per
// CPU second (what one core does alone) and allocations per record.
func BenchmarkReadNormalize(b *testing.B) {
	data := queryLog(benchRecords)
	b.SetBytes(int64(len(data)))
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mallocs := ms.Mallocs
	cpu := sourcetest.ProcessCPUTime()
	records := 0
	for b.Loop() {
		s := &sourcetest.CountSink{}
		if err := (Format{}).Read(b.Context(), source.Input{Name: "bench", R: bytes.NewReader(data)}, s); err != nil {
			b.Fatal(err)
		}
		if s.Events != benchRecords {
			b.Fatalf("%d events, %d dead", s.Events, s.Dead)
		}
		records += s.Events
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

// TestQueryLogValid checks the benchmark's input: every record an event, every event valid.
func TestQueryLogValid(t *testing.T) {
	data := queryLog(300)
	s, err := read(t, Format{}, string(data))
	if err != nil || len(s.events()) != 300 {
		t.Fatalf("%v: %d events of %d", err, len(s.events()), len(s.out))
	}
	if !strings.HasSuffix(string(data), "}\n") {
		t.Error("not NDJSON")
	}
}

// loopReader reads the records of one delivery again and again, n bytes in all at least
// (whole records), without holding more than that delivery.
type loopReader struct {
	data      []byte
	off, left int64
}

func (r *loopReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := copy(p, r.data[r.off:])
	r.off += int64(n)
	if r.off == int64(len(r.data)) {
		r.off = 0
		r.left -= int64(len(r.data))
	}
	return n, nil
}

// BenchmarkStream2GB streams 2 GB of Resolver query logs (about 4.5 million records), generated
// as they are read (a 2 MB delivery over and over), through Format.Read, and reports the peak
// heap (live and not yet collected objects, the 2 MB included), the process's peak
// RSS, records/s and records per CPU second: memory stays bounded whatever the input's size.
// It takes about ten seconds a run, so it is a benchmark rather than a test.
func BenchmarkStream2GB(b *testing.B) {
	const size = 2 << 30
	data := queryLog(benchRecords)
	for b.Loop() {
		runtime.GC()
		s := sourcetest.NewHeapSampler()
		cpu := sourcetest.ProcessCPUTime()
		start := time.Now()
		r := &loopReader{data: data, left: size}
		if err := (Format{}).Read(b.Context(), source.Input{Name: "stream", R: r}, s); err != nil {
			b.Fatal(err)
		}
		elapsed, cpu := time.Since(start), sourcetest.ProcessCPUTime()-cpu
		if s.Dead != 0 || s.Events < size/len(data)*benchRecords {
			b.Fatalf("%d events, %d dead letters", s.Events, s.Dead)
		}
		b.ReportMetric(float64(s.Peak)/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(sourcetest.PeakRSS())/(1<<20), "peak-RSS-MB")
		b.ReportMetric(float64(s.Events)/elapsed.Seconds(), "records/s")
		if cpu > 0 {
			b.ReportMetric(float64(s.Events)/cpu.Seconds(), "records/cpu-s")
		}
		b.ReportMetric(float64(size)/(1<<30), "GB")
	}
}
