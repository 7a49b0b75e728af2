package vpcflow

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/sourcetest"
)

// benchLines is how many records one benchmark iteration reads.
const benchLines = 4096

// flowLines generates n realistic records in the default format (v5 false) or in a version
// 5 custom format with every field of versions 2 to 5 (v5 true), header first for the
// latter: a few ENIs of one account talking to many addresses, mostly accepted TCP, some
// UDP, rejects, NODATA.
func flowLines(n int, v5 bool) string {
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	if v5 {
		b.WriteString(header(KnownFields()[:FieldTrafficPath+1]...) + "\n")
	}
	enis := []string{"eni-0a1b2c3d4e5f67890", "eni-01234abcd5678ef90", "eni-0fedcba9876543210", "eni-0aa11bb22cc33dd44"}
	for i := range n {
		eni := enis[rng.IntN(len(enis))]
		start := 1714560000 + i/50
		local := fmt.Sprintf("10.0.%d.%d", rng.IntN(4), 2+rng.IntN(250))
		remote := fmt.Sprintf("%d.%d.%d.%d", 3+rng.IntN(200), rng.IntN(256), rng.IntN(256), 1+rng.IntN(254))
		src, dst, sport, dport := local, remote, 32768+rng.IntN(28000), []int{443, 443, 443, 80, 53, 8080}[rng.IntN(6)]
		dir := "egress"
		if rng.IntN(2) == 0 {
			src, dst, sport, dport, dir = remote, local, dport, sport, "ingress"
		}
		proto, action, status := 6, "ACCEPT", "OK"
		if dport == 53 || sport == 53 {
			proto = 17
		}
		if rng.IntN(20) == 0 {
			action = "REJECT"
		}
		pkts := 1 + rng.IntN(500)
		fields := []string{"2", "123456789012", eni, src, dst, fmt.Sprint(sport), fmt.Sprint(dport), fmt.Sprint(proto),
			fmt.Sprint(pkts), fmt.Sprint(pkts * (40 + rng.IntN(1400))), fmt.Sprint(start), fmt.Sprint(start + 1 + rng.IntN(59)), action, status}
		if rng.IntN(50) == 0 {
			fields = []string{"2", "123456789012", eni, "-", "-", "-", "-", "-", "-", "-", fmt.Sprint(start), fmt.Sprint(start + 60), "-", "NODATA"}
		}
		if v5 {
			fields[0] = "5"
			nodata := fields[13] == "NODATA"
			pick := func(ok string) string {
				if nodata {
					return "-"
				}
				return ok
			}
			svc := "-"
			if rng.IntN(10) == 0 {
				svc = "S3"
			}
			fields = append(fields, "vpc-0abc1234", "subnet-0def5678", pick("i-0123456789abcdef0"), pick(fmt.Sprint([]int{2, 18, 19, 3, 1}[rng.IntN(5)])),
				pick("IPv4"), fields[3], fields[4], "us-east-1", "use1-az2", "-", "-", "-", svc, pick(dir), pick(fmt.Sprint(1+rng.IntN(8))))
		}
		b.WriteString(strings.Join(fields, " "))
		b.WriteByte('\n')
	}
	return b.String()
}

// BenchmarkParseNormalize reads text records through Format.Read (line splitting, parsing,
// address checks, normalization to OCSF, the sink call) and reports records/s and
// allocations per record.
func BenchmarkParseNormalize(b *testing.B) {
	for _, bc := range []struct {
		name string
		v5   bool
	}{{"v2-default", false}, {"v5-custom", true}} {
		b.Run(bc.name, func(b *testing.B) {
			data := []byte(flowLines(benchLines, bc.v5))
			b.SetBytes(int64(len(data)))
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			mallocs := ms.Mallocs
			cpu := sourcetest.ProcessCPUTime()
			records := 0
			for b.Loop() {
				s := &sourcetest.CountSink{}
				in := source.Input{Name: "bench", R: bytes.NewReader(data), Region: "us-east-1"}
				if err := (Format{}).Read(b.Context(), in, s); err != nil {
					b.Fatal(err)
				}
				if s.Events < benchLines*9/10 || s.Total() != benchLines {
					b.Fatalf("%d events, %d dead", s.Events, s.Dead)
				}
				records += s.Total()
			}
			cpu = sourcetest.ProcessCPUTime() - cpu
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
			if cpu > 0 {
				// Throughput per second of CPU the process used: what a core would do alone.
				b.ReportMetric(float64(records)/cpu.Seconds(), "records/cpu-s")
			}
			b.ReportMetric(float64(ms.Mallocs-mallocs)/float64(records), "allocs/record")
		})
	}
}

// BenchmarkParse measures Layout.Parse alone on the lines of BenchmarkParseNormalize.
func BenchmarkParse(b *testing.B) {
	for _, bc := range []struct {
		name string
		v5   bool
	}{{"v2-default", false}, {"v5-custom", true}} {
		b.Run(bc.name, func(b *testing.B) {
			lines, layout := benchRecords(b, bc.v5)
			var r Record
			i := 0
			for b.Loop() {
				if err := layout.Parse(lines[i%len(lines)], &r); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkNormalize measures Normalizer.NormalizeInto alone on parsed records.
func BenchmarkNormalize(b *testing.B) {
	for _, bc := range []struct {
		name string
		v5   bool
	}{{"v2-default", false}, {"v5-custom", true}} {
		b.Run(bc.name, func(b *testing.B) {
			lines, layout := benchRecords(b, bc.v5)
			recs := make([]Record, len(lines))
			for i, l := range lines {
				if err := layout.Parse(l, &recs[i]); err != nil {
					b.Fatal(err)
				}
			}
			var n Normalizer
			var ev ocsf.NetworkActivity
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := n.NormalizeInto(&ev, &recs[i%len(recs)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// benchRecords returns the records of flowLines as separate strings, and their layout.
func benchRecords(b *testing.B, v5 bool) ([]string, Layout) {
	lines := strings.Split(strings.TrimSuffix(flowLines(benchLines, v5), "\n"), "\n")
	layout := DefaultLayout()
	if v5 {
		var err error
		if layout, err = ParseHeader(lines[0]); err != nil {
			b.Fatal(err)
		}
		lines = lines[1:]
	}
	return lines, layout
}
