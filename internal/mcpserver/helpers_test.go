package mcpserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpwatch/mcpwatch/internal/athena"
	"github.com/mcpwatch/mcpwatch/internal/athena/athenatest"
	"github.com/mcpwatch/mcpwatch/internal/cli"
	"github.com/mcpwatch/mcpwatch/internal/mcpserver"
	"github.com/mcpwatch/mcpwatch/internal/query"
)

// aslServerEnv makes the test binary run as the asl-mcp-server command (see TestMain), so
// that the Inspector can start the server over stdio without a separate build of
// cmd/asl-mcp-server, whose main only calls cli.ASLMCPServer.
const aslServerEnv = "MCPSERVER_TEST_RUN_ASL_MCP_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(aslServerEnv) == "1" {
		os.Exit(cli.ASLMCPServer(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	code := m.Run()
	if demoDir != "" {
		os.RemoveAll(filepath.Dir(demoDir))
	}
	os.Exit(code)
}

// demoDay is the day of the demo lakes the tests build.
var demoDay = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

// repoRoot is the directory holding go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

func sharedData(t testing.TB) string {
	d := filepath.Join(repoRoot(t), "..", "shared", "data")
	if _, err := os.Stat(d); err != nil {
		t.Skipf("shared data not found at %s", d)
	}
	return d
}

var (
	demoOnce sync.Once
	demoDir  string
	demoErr  error
)

// demoLake builds, once per test binary, a lake with a day of demo flows and the findings
// mcpwatch detects in them, the way a user does: `mcpwatch demo`.
func demoLake(t testing.TB) string {
	t.Helper()
	demoOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mcpserver-demo-")
		if err != nil {
			demoErr = err
			return
		}
		demoDir = filepath.Join(dir, "lake")
		var out, errb bytes.Buffer
		code := cli.Main(context.Background(), []string{"--lake", demoDir, "demo", "--records", "40000", "--seed", "7",
			"--day", demoDay.Format("2006-01-02"), "--out", filepath.Join(dir, "in"), "--format", "json"}, strings.NewReader(""), &out, &errb)
		if code != 0 {
			demoErr = &demoError{errb.String()}
		}
	})
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	return demoDir
}

type demoError struct{ s string }

func (e *demoError) Error() string { return "demo: " + e.s }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// localServer serves the demo lake through the local backend.
func localServer(t testing.TB, settings mcpserver.Settings) (*mcpserver.Server, *query.DB) {
	t.Helper()
	db, err := query.Open(context.Background(), demoLake(t), query.WithLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	srv, err := mcpserver.New(mcpserver.Options{Settings: settings, Backend: mcpserver.NewLocal(db), Lake: db, Logger: quiet(),
		Now: func() time.Time { return demoDay.Add(36 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	return srv, db
}

// athenaServer serves Security Lake v1 and v2 tables (with the demo flows in v2) through the
// Athena stand-in.
func athenaServer(t testing.TB, settings mcpserver.Settings, clientOpts athena.Options) (*mcpserver.Server, *athenatest.Server) {
	t.Helper()
	st, err := athenatest.New(context.Background(), athenatest.Options{Root: t.TempDir(), Account: "123456789012",
		Buckets: []string{"aws-security-data-lake-us-east-1-x1y2", "aws-athena-query-results-123456789012-us-east-1"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.BuildSecurityLake(context.Background(), sharedData(t), demoLake(t)); err != nil {
		t.Fatal(err)
	}
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""), BaseEndpoint: aws.String(st.URL)}
	if clientOpts.Logger == nil {
		clientOpts.Logger = quiet()
	}
	if clientOpts.PollInterval == 0 {
		clientOpts.PollInterval = 5 * time.Millisecond
	}
	c := athena.New(cfg, clientOpts)
	srv, err := mcpserver.New(mcpserver.Options{Settings: settings, Backend: mcpserver.NewAthena(c, settings), Logger: quiet(),
		Now: func() time.Time { return demoDay.Add(36 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	return srv, st
}

// connect returns a go-sdk client session on srv over in-memory transports.
func connect(t testing.TB, srv *mcpserver.Server) *mcp.ClientSession {
	t.Helper()
	ct, stt := mcp.NewInMemoryTransports()
	ctx := context.Background()
	ss, err := srv.MCP().Connect(ctx, stt, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// envelope is the decoded structured content of a tool result.
type envelope struct {
	Success  bool             `json:"success"`
	Error    *string          `json:"error"`
	Results  []map[string]any `json:"results"`
	Count    int              `json:"count"`
	Metadata struct {
		QueryInfo     map[string]any `json:"query_info"`
		Summary       map[string]any `json:"summary"`
		UntrustedData bool           `json:"untrusted_data"`
	} `json:"metadata"`
	isError bool
	text    string
}

func call(t testing.TB, cs *mcp.ClientSession, tool string, args map[string]any) envelope {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	var e envelope
	e.isError = res.IsError
	if len(res.Content) > 0 {
		if tc, ok := res.Content[0].(*mcp.TextContent); ok {
			e.text = tc.Text
		}
	}
	if res.StructuredContent != nil {
		b, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatalf("%s: structured content: %v", tool, err)
		}
	} else if !res.IsError {
		t.Fatalf("%s: no structured content: %s", tool, e.text)
	}
	return e
}

func mustSucceed(t testing.TB, tool string, e envelope) {
	t.Helper()
	if !e.Success || e.isError {
		msg := e.text
		if e.Error != nil {
			msg = *e.Error
		}
		t.Fatalf("%s failed: %s", tool, msg)
	}
	if e.Count != len(e.Results) {
		t.Fatalf("%s: count %d, %d results", tool, e.Count, len(e.Results))
	}
}
