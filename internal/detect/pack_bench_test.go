package detect

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/rules"
	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/cloudtrail"
)

// newBenchPack is what mcpwatch runs: the native flow rules and the engine over the whole
// built-in pack, with a 10,000-entry intel set.
func newBenchPack(b *testing.B) *Pack {
	b.Helper()
	rs, err := rules.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	in := intelSet10k(b)
	set, err := rules.Compile(rs, rules.Env{Intel: in})
	if err != nil {
		b.Fatal(err)
	}
	flow, err := NewFlowDetector(Config{Intel: in})
	if err != nil {
		b.Fatal(err)
	}
	return &Pack{Flow: flow, Engine: NewEngine(EngineConfig{Rules: set, Intel: in})}
}

// BenchmarkPackFlows is VPC flows through detection with the full pack: the native rules,
// and the pack's flow rules (the outbound-flow signal feeding the DNS-to-flow correlation
// for a third of the flows, internal MCP-port connections). Reports the correlation state.
func BenchmarkPackFlows(b *testing.B) {
	p := newBenchPack(b)
	events := benignEvents(4096)
	ref := Ref{Table: "VPC_FLOW", Input: "bench.log"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ref.Pos = int64(i)
		p.Observe(events[i%len(events)], ref)
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	st := p.Stats().Rules
	b.ReportMetric(float64(st.GroupsPeak), "groups")
	if st.Matches["flow.outbound_external"] == 0 {
		b.Fatalf("the pack's flow rules did not run: %+v", st.Matches)
	}
}

// BenchmarkPackCloudTrail is CloudTrail management events through detection with the full
// pack: the real events of the reference data (Security Lake samples' inputs, OCSF
// examples) and the API calls with large requests of the cloudtrail tests, as the reader
// normalizes them.
func BenchmarkPackCloudTrail(b *testing.B) {
	events := cloudTrailEvents(b)
	p := newBenchPack(b)
	ref := Ref{Table: "CLOUD_TRAIL_MGMT", Input: "bench.json"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ref.Pos = int64(i)
		p.Observe(events[i%len(events)], ref)
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// collect keeps copies of the events a reader emits (readers reuse their events).
type collect struct{ events []ocsf.Event }

func (c *collect) Event(ev ocsf.Event, _ int64) error {
	raw, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	cp, err := rules.DecodeEvent(raw)
	if err != nil {
		return err
	}
	c.events = append(c.events, cp)
	return nil
}
func (c *collect) DeadLetter([]byte, int64, string) error { return nil }
func (c *collect) Skip(int64, string) error               { return nil }

var _ source.Sink = (*collect)(nil)

func cloudTrailEvents(b *testing.B) []ocsf.Event {
	b.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	data := filepath.Join(root, "..", "shared", "data")
	var paths []string
	for _, g := range []string{
		filepath.Join(data, "security-lake-samples", "samples", "*", "CLOUD_TRAIL", "*", "input", "*"),
		filepath.Join(data, "ocsf-examples", "aws", "v1.1.0", "CloudTrail", "*", "samples", "*.raw"),
		filepath.Join(root, "internal", "source", "cloudtrail", "testdata", "*.json"),
	} {
		m, _ := filepath.Glob(g)
		paths = append(paths, m...)
	}
	var c collect
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		if zr, err := gzip.NewReader(bytes.NewReader(raw)); err == nil {
			if raw, err = io.ReadAll(zr); err != nil {
				b.Fatal(err)
			}
		}
		if err := (cloudtrail.Format{}).Read(context.Background(), source.Input{Name: p, R: bytes.NewReader(raw)}, &c); err != nil {
			b.Fatal(err)
		}
	}
	if len(c.events) < 20 {
		b.Skipf("%d CloudTrail events in the reference data (is ../shared/data there?)", len(c.events))
	}
	return c.events
}

// BenchmarkCorrelationState fills the DNS-to-flow correlation of the built-in pack to its
// bound with distinct outbound flows (client, server pairs) and reports the heap the groups
// take: the memory the engine's correlation state is bounded by.
func BenchmarkCorrelationState(b *testing.B) {
	const groups = DefaultMaxGroups
	events := make([]*ocsf.NetworkActivity, groups)
	for i := range events {
		events[i] = fl{src: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, 1+i%250), sp: 40000,
			dst: fmt.Sprintf("198.18.%d.%d", i>>8&255, i&255), dp: 443, minute: i % 1440, bytes: 1000}.event()
	}
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		p := newBenchPack(b)
		for _, ev := range events {
			p.Observe(ev, Ref{Table: "VPC_FLOW"})
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		st := p.Stats().Rules
		if st.Groups < groups*9/10 {
			b.Fatalf("%d groups", st.Groups)
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(st.Groups), "heap-bytes/group")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MB")
		b.ReportMetric(float64(st.Groups), "groups")
		runtime.KeepAlive(p)
	}
}
