package mcpserver_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/mcpserver"
)

// TestLocalSearchIPCached checks that a search answered from the query cache gives the
// same results as the first: the search merges the results of several queries, and must not
// change the cached ones.
func TestLocalSearchIPCached(t *testing.T) {
	srv, db := localServer(t, mcpserver.DefaultSettings())
	cs := connect(t, srv)
	// An address whose events are not all in the last 15 minutes of the day, so that the
	// search runs the queries of both slices.
	res, err := db.QueryTrusted(context.Background(), `SELECT ip FROM (SELECT src_endpoint.ip AS ip, max("time") - min("time") AS span
		FROM vpc_flow GROUP BY 1) ORDER BY span DESC, ip LIMIT 1`)
	if err != nil {
		t.Fatal(err)
	}
	ip := res.Rows[0][0].(string)
	args := map[string]any{"ip_address": ip, "start_time": demoDay.Format(time.RFC3339),
		"end_time": demoDay.Add(24*time.Hour - time.Millisecond).Format(time.RFC3339), "limit": 1000}
	first := call(t, cs, "search_ip_addresses", args)
	mustSucceed(t, "search_ip_addresses", first)
	if first.Count < 2 {
		t.Fatalf("%s: %d results, want several", ip, first.Count)
	}
	for i := range 3 {
		again := call(t, cs, "search_ip_addresses", args)
		mustSucceed(t, "search_ip_addresses", again)
		if cached, _ := again.Metadata.QueryInfo["cached"].(bool); !cached {
			t.Fatalf("call %d not answered from the cache", i+2)
		}
		if !reflect.DeepEqual(again.Results, first.Results) {
			t.Fatalf("call %d: %d results, the first call had %d", i+2, again.Count, first.Count)
		}
	}
}
