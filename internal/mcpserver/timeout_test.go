package mcpserver_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/mcpserver"
	"github.com/mcpwatch/mcpwatch/internal/query"
)

// stuckBackend is the local backend whose queries never finish before their context ends.
type stuckBackend struct{ *mcpserver.Local }

func (stuckBackend) Query(ctx context.Context, _ mcpserver.Stmt, _ int) (*mcpserver.Rows, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestLocalQueryTimeout checks that a local query is stopped at ASL_MCP_QUERY_TIMEOUT_SECONDS
// and that the tool says so.
func TestLocalQueryTimeout(t *testing.T) {
	db, err := query.Open(context.Background(), demoLake(t), query.WithLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	settings := mcpserver.DefaultSettings()
	for k, v := range map[string]string{"QUERY_TIMEOUT_SECONDS": "1", "ENABLE_QUERY_CACHING": "false"} {
		if err := settings.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := mcpserver.New(mcpserver.Options{Settings: settings, Backend: stuckBackend{mcpserver.NewLocal(db)}, Lake: db, Logger: quiet(),
		Now: func() time.Time { return demoDay.Add(36 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	cs := connect(t, srv)
	start := time.Now()
	e := call(t, cs, "search_ip_addresses", map[string]any{"ip_address": "10.0.0.1"})
	if e.Success || e.Error == nil || !strings.Contains(*e.Error, "ASL_MCP_QUERY_TIMEOUT_SECONDS") {
		t.Fatalf("success %v, error %v: want the query timeout", e.Success, e.Error)
	}
	if d := time.Since(start); d < time.Second || d > 10*time.Second {
		t.Fatalf("the call took %v with a 1 s query timeout", d)
	}
}
