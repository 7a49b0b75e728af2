package mcpserver_test

import (
	"context"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpwatch/mcpwatch/internal/mcpserver"
)

// BenchmarkSearchIP measures search_ip_addresses end to end through an in-process go-sdk
// client on the demo lake, for a 1-day window.
func BenchmarkSearchIP(b *testing.B) {
	s := mcpserver.DefaultSettings()
	if err := s.Set("ENABLE_QUERY_CACHING", "false"); err != nil {
		b.Fatal(err)
	}
	srv, _ := localServer(b, s)
	cs := connect(b, srv)
	args := map[string]any{"ip_address": "10.0.1.10", "start_time": demoDay.Format(time.RFC3339),
		"end_time": demoDay.Add(24*time.Hour - time.Second).Format(time.RFC3339), "limit": 100}
	b.ResetTimer()
	for b.Loop() {
		if _, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "search_ip_addresses", Arguments: args}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMCPOverhead measures what the protocol adds to a call: a tool whose query is
// answered from the cache, so the time is JSON-RPC, validation, envelope and text rendering.
func BenchmarkMCPOverhead(b *testing.B) {
	srv, _ := localServer(b, mcpserver.DefaultSettings())
	cs := connect(b, srv)
	args := map[string]any{"ip_address": "10.0.1.10", "start_time": demoDay.Format(time.RFC3339),
		"end_time": demoDay.Add(24*time.Hour - time.Second).Format(time.RFC3339), "limit": 10}
	if _, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "search_ip_addresses", Arguments: args}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "search_ip_addresses", Arguments: args}); err != nil {
			b.Fatal(err)
		}
	}
}
