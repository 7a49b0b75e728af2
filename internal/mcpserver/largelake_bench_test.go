package mcpserver_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpwatch/mcpwatch/internal/mcpserver"
	"github.com/mcpwatch/mcpwatch/internal/query"
)

// benchLakeEnv names the lake the large-lake benchmarks read. They build nothing: make the
// lake once with the command in benchLake's skip message.
const benchLakeEnv = "MCPWATCH_BENCH_LAKE"

// benchLake opens the lake named by MCPWATCH_BENCH_LAKE, or skips.
func benchLake(b *testing.B) *query.DB {
	b.Helper()
	dir := os.Getenv(benchLakeEnv)
	if dir == "" {
		b.Skipf("set %s to a lake built once with: go run ./cmd/mcpwatch --lake /tmp/bench-lake demo --records 10000000 --seed 1 --day %s --out /tmp/bench-demo-in",
			benchLakeEnv, demoDay.Format("2006-01-02"))
	}
	db, err := query.Open(context.Background(), dir, query.WithLogger(quiet()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// ipClass is a kind of address searched for, and the addresses of that kind.
type ipClass struct {
	name string
	ips  []string
}

// benchIPs picks the addresses to search for on the demo day: the busiest, middling and
// rarest IPv4 and IPv6 addresses of the lake, and addresses of the documentation ranges,
// which are absent (checked).
func benchIPs(b *testing.B, db *query.DB) []ipClass {
	b.Helper()
	res, err := db.QueryTrusted(context.Background(), `SELECT ip, count(*) AS n FROM (
		SELECT src_endpoint.ip AS ip FROM vpc_flow WHERE eventday = ?
		UNION ALL SELECT dst_endpoint.ip FROM vpc_flow WHERE eventday = ?) GROUP BY ip ORDER BY n DESC, ip`,
		demoDay.Format("20060102"), demoDay.Format("20060102"))
	if err != nil {
		b.Fatal(err)
	}
	present := map[string]bool{}
	var v4, v6 []string
	for _, r := range res.Rows {
		ip, _ := r[0].(string)
		a, err := netip.ParseAddr(ip)
		if err != nil {
			continue
		}
		present[a.String()] = true
		if a.Is4() {
			v4 = append(v4, ip)
		} else {
			v6 = append(v6, ip)
		}
	}
	if len(v4) < 8 || len(v6) < 2 {
		b.Fatalf("the lake has %d IPv4 and %d IPv6 addresses on %s: build it with the demo command", len(v4), len(v6), demoDay.Format("2006-01-02"))
	}
	// spread picks n addresses from busiest to rarest.
	spread := func(list []string, n int) []string {
		n = min(n, len(list))
		out := make([]string, 0, n)
		for i := range n {
			out = append(out, list[i*(len(list)-1)/max(n-1, 1)])
		}
		return slices.Compact(out)
	}
	absent := []string{"192.0.2.77", "198.51.100.200", "203.0.113.254", "2001:db8:5ec::1", "2001:db8:ffff::abcd", "2001:db8::dead:beef"}
	for _, ip := range absent {
		if present[ip] {
			b.Fatalf("%s is in the lake; the benchmark needs it absent", ip)
		}
	}
	return []ipClass{
		{"ipv4-present", spread(v4, 8)},
		{"ipv6-present", spread(v6, 4)},
		{"ipv4-absent", absent[:3]},
		{"ipv6-absent", absent[3:]},
	}
}

// latencies records call durations and reports percentiles.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

// report sets p50-ms, p99-ms and max-ms (nearest rank).
func (l *latencies) report(b *testing.B) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return
	}
	slices.Sort(l.d)
	rank := func(q float64) time.Duration { return l.d[max(int(q*float64(len(l.d))+0.999999)-1, 0)] }
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(rank(0.50)), "p50-ms")
	b.ReportMetric(ms(rank(0.99)), "p99-ms")
	b.ReportMetric(ms(l.d[len(l.d)-1]), "max-ms")
}

// searchDay calls search_ip_addresses for ip over the demo day and fails on an error.
func searchDay(ctx context.Context, cs *mcp.ClientSession, ip string) error {
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "search_ip_addresses", Arguments: map[string]any{
		"ip_address": ip, "start_time": demoDay.Format(time.RFC3339), "end_time": demoDay.Add(24*time.Hour - time.Millisecond).Format(time.RFC3339Nano)}})
	if err != nil {
		return fmt.Errorf("%s: %w", ip, err)
	}
	if res.IsError {
		return fmt.Errorf("%s: tool error: %v", ip, res.Content)
	}
	return nil
}

// BenchmarkSearchIPLargeLake measures search_ip_addresses over a 1-day window of a large lake
// (the target: 10M events, p50 < 150 ms, p99 < 500 ms) through a go-sdk client, with
// the query cache off so that every call runs its SQL. Each sub-benchmark cycles through its
// addresses; "mixed" through all of them. "cached" is the same calls answered from the query
// cache: what the MCP layer costs per call (JSON-RPC, validation, 100-result envelope and
// text). "http-50-clients" runs 50 Streamable HTTP sessions at once, cache off, and fails on
// any error. Run with MCPWATCH_BENCH_LAKE set, for example:
//
//	MCPWATCH_BENCH_LAKE=/tmp/bench-lake go test -run XXX -bench SearchIPLargeLake -benchtime 200x ./internal/mcpserver
func BenchmarkSearchIPLargeLake(b *testing.B) {
	db := benchLake(b)
	classes := benchIPs(b, db)
	var all []string
	for _, c := range classes {
		all = append(all, c.ips...)
	}
	newServer := func(cache bool) *mcpserver.Server {
		s := mcpserver.DefaultSettings()
		if err := s.Set("ENABLE_QUERY_CACHING", fmt.Sprint(cache)); err != nil {
			b.Fatal(err)
		}
		srv, err := mcpserver.New(mcpserver.Options{Settings: s, Backend: mcpserver.NewLocal(db), Lake: db, Logger: quiet(),
			Now: func() time.Time { return demoDay.Add(36 * time.Hour) }})
		if err != nil {
			b.Fatal(err)
		}
		return srv
	}
	ctx := context.Background()
	cs := connect(b, newServer(false))
	sequential := func(b *testing.B, cs *mcp.ClientSession, ips []string) {
		for _, ip := range ips { // warm the page cache and the table list
			if err := searchDay(ctx, cs, ip); err != nil {
				b.Fatal(err)
			}
		}
		var lat latencies
		i := 0
		for b.Loop() {
			start := time.Now()
			if err := searchDay(ctx, cs, ips[i%len(ips)]); err != nil {
				b.Fatal(err)
			}
			lat.add(time.Since(start))
			i++
		}
		lat.report(b)
	}
	for _, c := range classes {
		b.Run(c.name, func(b *testing.B) { sequential(b, cs, c.ips) })
	}
	b.Run("mixed", func(b *testing.B) { sequential(b, cs, all) })
	b.Run("cached", func(b *testing.B) { sequential(b, connect(b, newServer(true)), all) })

	b.Run("http-50-clients", func(b *testing.B) {
		url := serveHTTP(b, newServer(false), mcpserver.HTTPOptions{Logger: quiet()})
		const clients = 50
		sessions := make([]*mcp.ClientSession, clients)
		for i := range sessions {
			cs, err := mcp.NewClient(&mcp.Implementation{Name: fmt.Sprint("bench", i), Version: "1"}, nil).
				Connect(ctx, &mcp.StreamableClientTransport{Endpoint: url}, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { cs.Close() })
			sessions[i] = cs
		}
		var (
			lat      latencies
			failures atomic.Int64
			errOnce  sync.Once
			firstErr error
			wg       sync.WaitGroup
		)
		calls := make(chan int)
		b.ResetTimer()
		for _, cs := range sessions {
			wg.Go(func() {
				for i := range calls {
					start := time.Now()
					if err := searchDay(ctx, cs, all[i%len(all)]); err != nil {
						failures.Add(1)
						errOnce.Do(func() { firstErr = err })
						continue
					}
					lat.add(time.Since(start))
				}
			})
		}
		for i := range b.N {
			calls <- i
		}
		close(calls)
		wg.Wait()
		b.StopTimer()
		if n := failures.Load(); n > 0 {
			b.Fatalf("%d of %d calls failed; the first: %v", n, b.N, firstErr)
		}
		lat.report(b)
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	})
}
