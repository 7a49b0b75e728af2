package detect

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/intel"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// benignEvents are flows no rule matches (n distinct events, few enough to stay in cache as
// the event a reader has just filled does): internal clients to internet services on 443/80,
// internal database and DNS traffic, and the responses, IPv4 and some IPv6.
func benignEvents(n int) []*ocsf.NetworkActivity {
	r := rand.New(rand.NewPCG(1, 1))
	out := make([]*ocsf.NetworkActivity, 0, n)
	for len(out) < n {
		client := fmt.Sprintf("10.%d.%d.%d", r.IntN(4), r.IntN(256), 1+r.IntN(254))
		var f fl
		switch r.IntN(6) {
		case 0, 1:
			f = fl{src: client, sp: int32(32768 + r.IntN(28000)), dst: fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(220), r.IntN(256), r.IntN(256), 1+r.IntN(254)), dp: 443}
		case 2:
			f = fl{src: fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(220), r.IntN(256), r.IntN(256), 1+r.IntN(254)), sp: 443, dst: client, dp: int32(32768 + r.IntN(28000)), ingress: true}
		case 3:
			f = fl{src: client, sp: int32(32768 + r.IntN(28000)), dst: "10.0.5.10", dp: 5432}
		case 4:
			f = fl{src: client, sp: int32(32768 + r.IntN(28000)), dst: "10.0.0.2", dp: 53, proto: 17}
		default:
			f = fl{src: fmt.Sprintf("fd00:%x::%x", r.IntN(16), 1+r.IntN(4000)), sp: int32(32768 + r.IntN(28000)),
				dst: fmt.Sprintf("2600:%x::%x", r.IntN(4000), r.IntN(4000)), dp: 443}
		}
		f.bytes, f.minute, f.inst = int64(r.IntN(100000)), r.IntN(1440), "i-0123456789abcdef0"
		out = append(out, f.event())
	}
	return out
}

// intelSet10k is a 10,000-entry set (three quarters addresses, a quarter blocks) that the
// benign events do not hit.
func intelSet10k(b *testing.B) *intel.Set {
	r := rand.New(rand.NewPCG(2, 2))
	var sb strings.Builder
	for i := 0; i < 10000; i++ {
		a := netip.AddrFrom4([4]byte{byte(224 + r.IntN(16)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
		if i%4 == 0 {
			fmt.Fprintln(&sb, netip.PrefixFrom(a, 16+r.IntN(12)).Masked())
		} else {
			fmt.Fprintln(&sb, a)
		}
	}
	s, _, err := intel.Load("bench.txt", strings.NewReader(sb.String()))
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func benchObserve(b *testing.B, cfg Config, events []*ocsf.NetworkActivity, benign bool) {
	d, err := NewFlowDetector(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ref := Ref{Table: "VPC_FLOW", Input: "bench.log"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ref.Pos = int64(i)
		d.Observe(events[i%len(events)], ref)
		i++
	}
	if st := d.Stats(); benign != (st.Matched == 0) {
		b.Fatalf("benign %v, but stats %+v", benign, st)
	}
}

// BenchmarkObserveBenign is the hot path without threat intel: a port check per flow.
func BenchmarkObserveBenign(b *testing.B) {
	benchObserve(b, Config{}, benignEvents(512), true)
}

// BenchmarkObserveBenignIntel10k adds a 10,000-entry intel set: both addresses parsed and
// classified, external ones looked up.
func BenchmarkObserveBenignIntel10k(b *testing.B) {
	benchObserve(b, Config{Intel: intelSet10k(b)}, benignEvents(512), true)
}

// BenchmarkObserveMatching is flows on a candidate port to a few internal servers: every
// flow updates an aggregate.
func BenchmarkObserveMatching(b *testing.B) {
	var events []*ocsf.NetworkActivity
	for i := 0; i < 4096; i++ {
		events = append(events, fl{src: fmt.Sprintf("10.0.%d.%d", i%7, 1+i%200), sp: int32(40000 + i%20000),
			dst: fmt.Sprintf("10.0.1.%d", 1+i%16), dp: 8080, minute: i % 1440, bytes: 2000}.event())
	}
	benchObserve(b, Config{Intel: intelSet10k(b)}, events, false)
}

// BenchmarkFlush builds the findings of 1,000 aggregates.
func BenchmarkFlush(b *testing.B) {
	var events []*ocsf.NetworkActivity
	for i := 0; i < 10000; i++ {
		events = append(events, fl{src: "10.0.0.5", sp: 40000, dst: fmt.Sprintf("10.0.%d.%d", i%4, 1+(i/4)%250), dp: 8080, minute: i % 1440}.event())
	}
	b.ReportAllocs()
	for b.Loop() {
		d, _ := NewFlowDetector(Config{})
		for _, ev := range events {
			d.Observe(ev, Ref{})
		}
		if fs := d.Flush(now); len(fs) != 1000 {
			b.Fatalf("%d findings", len(fs))
		}
	}
}
