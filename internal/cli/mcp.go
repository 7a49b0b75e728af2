package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/mcpwatch/mcpwatch/internal/athena"
	"github.com/mcpwatch/mcpwatch/internal/mcpserver"
	"github.com/mcpwatch/mcpwatch/internal/query"
)

// mcpFlags are the mcp command's own flags.
type mcpFlags struct {
	httpAddr       string
	token          string
	allowedOrigins []string
	backend        string
	envFile        string
	maxConcurrent  int
	maxBody        int64
	settings       map[string]*string // ASL_MCP_* name → flag value
}

// settingFlags maps ASL_MCP_* settings to flag names.
var settingFlags = []struct{ setting, flag, usage string }{
	{"AWS_REGION", "region", "AWS region of Security Lake (ASL_MCP_AWS_REGION, default us-east-1)"},
	{"AWS_PROFILE", "profile", "AWS shared-config profile (ASL_MCP_AWS_PROFILE)"},
	{"ATHENA_WORKGROUP", "workgroup", "Athena workgroup (ASL_MCP_ATHENA_WORKGROUP, default primary)"},
	{"ATHENA_OUTPUT_LOCATION", "output-location", "s3:// location of Athena results (ASL_MCP_ATHENA_OUTPUT_LOCATION)"},
	{"SECURITY_LAKE_DATABASE", "database", "Security Lake Glue database (ASL_MCP_SECURITY_LAKE_DATABASE)"},
	{"AUTO_DISCOVER_RESOURCES", "auto-discover", "find the database and result location (ASL_MCP_AUTO_DISCOVER_RESOURCES, default true)"},
	{"MAX_QUERY_RESULTS", "max-results", "most rows a query returns (ASL_MCP_MAX_QUERY_RESULTS, default 1000)"},
	{"QUERY_TIMEOUT_SECONDS", "query-timeout", "seconds an Athena query may run (ASL_MCP_QUERY_TIMEOUT_SECONDS, default 300)"},
	{"ENABLE_QUERY_CACHING", "cache", "cache query results (ASL_MCP_ENABLE_QUERY_CACHING, default true)"},
	{"CACHE_TTL_SECONDS", "cache-ttl", "seconds a cached result is served (ASL_MCP_CACHE_TTL_SECONDS, default 3600)"},
}

func newMCPCmd(e *env) *cobra.Command {
	f := &mcpFlags{settings: map[string]*string{}}
	cmd := &cobra.Command{
		Use:   "mcp",
		Short: "Serve the lake to AI assistants over the Model Context Protocol",
		Long: `mcp runs an MCP server that lets AI assistants search security data and triage mcpwatch's
findings. It is a drop-in for the Python amazon-security-lake-mcp server (asl-mcp-server): the
same tools (search_ip_addresses, search_guardduty_findings, list_data_sources,
discover_aws_resources, universal_security_search, test_connection), response envelope and
ASL_MCP_* settings, plus list_findings, get_finding and list_mcp_servers over mcpwatch's
findings and the OCSF schema of each source as resources (ocsf://schema/<table>).

Backends: the local lake (--lake) through embedded DuckDB, used when no AWS setting is
given, or Amazon Security Lake through Athena and Glue when one is (ASL_MCP_AWS_REGION,
ASL_MCP_AWS_PROFILE, ...), with the standard AWS credential chain. Settings come from flags,
then the environment, then a .env file. Logs go to standard error.

Transports: stdio (the default, for Claude Desktop, Cursor, VS Code) or Streamable HTTP with
--http ADDR. HTTP binds 127.0.0.1 unless told otherwise and then requires a bearer token
(--token, env MCPWATCH_MCP_TOKEN).`,
		Example: `  # the local lake over stdio (what an MCP client starts)
  mcpwatch --lake ./mcpwatch-lake mcp

  # Security Lake through Athena
  ASL_MCP_AWS_REGION=us-east-1 ASL_MCP_AWS_PROFILE=security mcpwatch mcp

  # Streamable HTTP on loopback, or on all interfaces with a token
  mcpwatch mcp --http 127.0.0.1:8808
  MCPWATCH_MCP_TOKEN=$(openssl rand -hex 24) mcpwatch mcp --http 0.0.0.0:8808`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			levelFlag := cmd.Flags().Lookup("log-level")
			return runMCP(cmd.Context(), e, f, cmd, levelFlag != nil && levelFlag.Changed)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.httpAddr, "http", "", "serve Streamable HTTP on this address (host:port) instead of stdio")
	fl.StringVar(&f.token, "token", "", "bearer token HTTP clients must send (env MCPWATCH_MCP_TOKEN); required beyond loopback")
	fl.StringSliceVar(&f.allowedOrigins, "allowed-origin", nil, "an Origin allowed besides localhost ones (repeatable)")
	fl.StringVar(&f.backend, "backend", "auto", "auto (athena when an AWS setting is given, else local), local or athena")
	fl.StringVar(&f.envFile, "env-file", ".env", "read ASL_MCP_* settings from this .env file when it exists")
	fl.IntVar(&f.maxConcurrent, "max-concurrent-queries", mcpserver.DefaultMaxConcurrentQueries, "queries running at once; more wait")
	fl.Int64Var(&f.maxBody, "max-body-bytes", mcpserver.DefaultMaxBodyBytes, "largest HTTP request body accepted")
	for _, s := range settingFlags {
		f.settings[s.setting] = fl.String(s.flag, "", s.usage)
	}
	return cmd
}

// runMCP loads the settings, opens the backend and serves.
func runMCP(ctx context.Context, e *env, f *mcpFlags, cmd *cobra.Command, levelGiven bool) error {
	settings, err := mcpserver.LoadSettings(os.Environ(), f.envFile)
	if err != nil {
		return err
	}
	for _, s := range settingFlags {
		if cmd.Flags().Changed(s.flag) {
			if err := settings.Set(s.setting, *f.settings[s.setting]); err != nil {
				return fmt.Errorf("--%s: %w", s.flag, err)
			}
		}
	}
	log := e.log
	if !levelGiven || log == nil {
		level, _ := mcpserver.ParseLogLevel(settings.LogLevel)
		log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	}
	token := f.token
	if token == "" {
		token = os.Getenv("MCPWATCH_MCP_TOKEN")
	}
	hopts := mcpserver.HTTPOptions{Addr: f.httpAddr, Token: token, AllowedOrigins: f.allowedOrigins, MaxBodyBytes: f.maxBody, Logger: log}
	if f.httpAddr != "" {
		if err := mcpserver.CheckHTTPOptions(hopts); err != nil {
			return err
		}
	}

	var lakeDB *query.DB
	if fi, err := os.Stat(e.lake); err == nil && fi.IsDir() {
		if err := ensureSchemaFiles(e); err != nil {
			log.Warn("lake schema files", "err", err)
		}
		if lakeDB, err = query.Open(ctx, e.lake, query.WithLogger(log)); err != nil {
			return err
		}
		defer lakeDB.Close()
	}
	kind := f.backend
	if kind == "auto" {
		kind = "local"
		if settings.AWSConfigured() {
			kind = "athena"
		}
	}
	var backend mcpserver.Backend
	switch kind {
	case "local":
		if lakeDB == nil {
			return fmt.Errorf("no lake at %s: run `mcpwatch demo` or `mcpwatch ingest` first, pass --lake, or set ASL_MCP_AWS_REGION to query Security Lake through Athena", e.lake)
		}
		backend = mcpserver.NewLocal(lakeDB)
	case "athena":
		var opts []func(*config.LoadOptions) error
		opts = append(opts, config.WithRegion(settings.AWSRegion))
		if settings.AWSProfile != "" {
			opts = append(opts, config.WithSharedConfigProfile(settings.AWSProfile))
		}
		cfg, err := config.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			return fmt.Errorf("AWS configuration: %w", err)
		}
		client := athena.New(cfg, athena.Options{Workgroup: settings.AthenaWorkgroup, OutputLocation: settings.AthenaOutputLocation,
			Timeout: settings.QueryTimeout(), Logger: log})
		backend = mcpserver.NewAthena(client, settings)
	default:
		return fmt.Errorf("--backend %q: want auto, local or athena", f.backend)
	}
	srv, err := mcpserver.New(mcpserver.Options{Settings: settings, Backend: backend, Lake: lakeDB,
		MaxConcurrentQueries: f.maxConcurrent, Logger: log})
	if err != nil {
		return err
	}
	log.Info("MCP server starting", "backend", backend.Name(), "transport", map[bool]string{true: "http", false: "stdio"}[f.httpAddr != ""])
	if f.httpAddr != "" {
		return srv.ServeHTTP(ctx, hopts, func(addr string) {
			log.Info("MCP server listening", "url", "http://"+addr+"/mcp", "auth", token != "")
			fmt.Fprintf(e.stderr, "mcpwatch mcp: serving Streamable HTTP on http://%s/mcp\n", addr)
		})
	}
	err = srv.Run(ctx, &mcp.IOTransport{Reader: io.NopCloser(e.stdin), Writer: nopWriteCloser{e.stdout}})
	if err != nil && (errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) || strings.Contains(err.Error(), "EOF")) {
		return nil
	}
	return err
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// ASLMCPServer is the asl-mcp-server command: the mcp command on its own, configured as
// the Python server is (ASL_MCP_* variables and a .env file), with the same flags.
func ASLMCPServer(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	cmd := newMCPCmd(e)
	cmd.Use = "asl-mcp-server"
	cmd.Short = "Amazon Security Lake MCP server (mcpwatch)"
	lakeDefault := DefaultLake
	if v := os.Getenv("MCPWATCH_LAKE"); v != "" {
		lakeDefault = v
	}
	cmd.Flags().StringVar(&e.lake, "lake", lakeDefault, "mcpwatch lake directory (env MCPWATCH_LAKE)")
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetArgs(args)
	cmd.SetIn(stdin)
	cmd.SetOut(stderr) // stdout carries the protocol on stdio
	cmd.SetErr(stderr)
	if err := cmd.ExecuteContext(ctx); err != nil {
		fmt.Fprintf(stderr, "asl-mcp-server: %v\n", err)
		return 1
	}
	return 0
}
