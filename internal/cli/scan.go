package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/mcpwatch/mcpwatch/internal/ocsf/schema"
	"github.com/mcpwatch/mcpwatch/internal/output"
	"github.com/mcpwatch/mcpwatch/internal/progress"
	"github.com/mcpwatch/mcpwatch/internal/scan/hostscan"
	"github.com/mcpwatch/mcpwatch/internal/scan/inventory"
	"github.com/mcpwatch/mcpwatch/internal/scan/probe"
	"github.com/mcpwatch/mcpwatch/internal/version"
)

// scanFormats are the output formats of the scan commands: ndjson is OCSF Device Inventory
// Info events (what `mcpwatch ingest` reads), ssm the Custom:MCPServers inventory document.
var scanFormats = []string{"table", "json", "ndjson", "csv", "ssm"}

func newScanCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Discover MCP servers on this host (configs, processes) or on the network (safe probe)",
		Long: `Scan discovers MCP servers where flow logs cannot see them: on a host, in the configuration
files of MCP clients and as running processes (scan host), and on the network, by speaking MCP
to candidate endpoints (scan net). Both print OCSF Device Inventory Info events with
--format ndjson, which mcpwatch ingest stores in the lake's MCP_INVENTORY table.`,
	}
	cmd.AddCommand(newScanHostCmd(e), newScanNetCmd(e))
	return cmd
}

func newScanHostCmd(e *env) *cobra.Command {
	var (
		format, root, osName, out, hostname, instanceID, region, account, ssmOut string
		projects                                                                 []string
		allUsers, noProcs                                                        bool
		depth                                                                    int
	)
	cmd := &cobra.Command{
		Use:   "host [flags]",
		Short: "Find MCP servers in MCP client configurations and running processes",
		Long: `Scan host reads the MCP servers configured for every common MCP client — Claude Desktop,
Claude Code (~/.claude.json, .mcp.json, managed-mcp.json), Cursor, VS Code (user, workspace,
profiles, settings.json, and ~/.vscode-server for remote sessions), Windsurf, Gemini CLI, Codex
(config.toml), Kiro, Amazon Q, Cline, Roo Code, OpenCode and Zed — per user, per project and
system-wide, and finds running MCP server processes (Linux /proc) with their command lines,
packages and listening sockets. Run as root it scans every user's home.

It only reads files. Environment variables and headers are reported by name, never value;
command lines and URLs are redacted. The exit status is 0 even when servers are found.`,
		Example: `  mcpwatch scan host
  sudo mcpwatch scan host --format ndjson > mcp-inventory.ndjson && mcpwatch ingest mcp-inventory.ndjson
  mcpwatch scan host --format ssm --output /var/lib/amazon/ssm/$AWS_SSM_INSTANCE_ID/inventory/custom/MCPServers.json
  mcpwatch scan host --root /mnt/image --os linux --all-users --no-processes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := oneOf("format", format, scanFormats...); err != nil {
				return err
			}
			opts := hostscan.Options{Root: root, OS: osName, AllUsers: allUsers, ProjectDirs: projects, ProjectDepth: depth,
				Processes: !noProcs, Log: e.log}
			if root != "" && root != "/" && !cmd.Flags().Changed("no-processes") {
				opts.Processes = false // another system's files: this host's processes are not its
			}
			if !cmd.Flags().Changed("all-users") {
				opts.AllUsers = isRoot() || root != "" && root != "/"
			}
			res, err := hostscan.Scan(cmd.Context(), opts)
			if err != nil {
				return err
			}
			dev := hostDevice(hostname, instanceID, region, account, osName)
			s := inventory.Scan{Device: dev, Time: time.Now().UTC(), Records: res.Records}
			for _, p := range res.Problems {
				e.log.Warn("cannot read", "path", p.Path, "err", p.Error)
			}
			if ssmOut != "" {
				if err := writeScan(e, ssmOut, "ssm", s, res, nil); err != nil {
					return err
				}
			}
			return writeScan(e, out, format, s, res, nil)
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "table", "output: table, json, ndjson (OCSF events), csv or ssm (Custom:MCPServers inventory)")
	f.StringVar(&ssmOut, "ssm-output", "", "also write the Custom:MCPServers inventory document to this file (atomically)")
	f.StringVarP(&out, "output", "o", "", "write to this file (atomically) instead of standard output")
	f.StringVar(&root, "root", "", "scan the filesystem mounted here instead of / (an image, a fixture)")
	f.StringVar(&osName, "os", runtime.GOOS, "layout of the scanned filesystem: linux, darwin or windows")
	f.BoolVar(&allUsers, "all-users", false, "scan every user's home (default: when run as root)")
	f.StringSliceVar(&projects, "project", nil, "also look for project configurations in this directory (repeatable)")
	f.IntVar(&depth, "project-depth", 3, "directory levels under each home searched for projects (-1: none)")
	f.BoolVar(&noProcs, "no-processes", false, "do not scan running processes")
	f.StringVar(&hostname, "hostname", "", "hostname to report (default: this host's)")
	f.StringVar(&instanceID, "instance-id", os.Getenv("AWS_SSM_INSTANCE_ID"), "EC2 instance id to report (env AWS_SSM_INSTANCE_ID, set by SSM Run Command)")
	f.StringVar(&region, "region", os.Getenv("AWS_SSM_REGION_NAME"), "AWS region to report (env AWS_SSM_REGION_NAME, set by SSM Run Command)")
	f.StringVar(&account, "account", "", "AWS account id to report")
	return cmd
}

func newScanNetCmd(e *env) *cobra.Command {
	var (
		format, out             string
		scopes, paths           []string
		ports                   []int
		concurrency             int
		rate                    float64
		timeout, connectTimeout time.Duration
		listTools, all          bool
	)
	cmd := &cobra.Command{
		Use:   "net [flags] TARGET...",
		Short: "Probe hosts, CIDRs and URLs for MCP servers, safely",
		Long: `Scan net confirms MCP servers by protocol, not by port. On each open endpoint of the targets
(addresses, CIDR prefixes up to /16, host names, host:port, http(s) URLs) it POSTs a JSON-RPC
initialize to the common MCP paths, falls back to server/discover (MCP 2026-07-28) and to the
legacy HTTP+SSE transport, and recognizes OAuth-protected MCP servers (401 with RFC 9728
resource metadata naming the MCP path). It records protocol version, serverInfo, capabilities,
auth and, with --list-tools, the tool names (tools/list, read-only) to rate risk.

It never calls a tool. It connects only to addresses in --scope (by default, the targets
themselves), checked at connection time, follows no redirect, and bounds concurrency, rate and
the bytes and time spent on each response. Every request carries the User-Agent
"` + probe.DefaultUserAgent + `".`,
		Example: `  mcpwatch scan net 10.0.0.0/24
  mcpwatch scan net --ports 3000,8000,8080 --list-tools --format ndjson 10.0.3.0/24 > mcp-endpoints.ndjson
  mcpwatch scan net --scope 10.0.0.0/16 http://10.0.3.7:3001/mcp internal-tools.corp.example:8080`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := oneOf("format", format, scanFormats...); err != nil {
				return err
			}
			ctx := cmd.Context()
			var targets []probe.Target
			for _, a := range args {
				ts, err := probe.ParseTarget(ctx, a)
				if err != nil {
					return err
				}
				targets = append(targets, ts...)
			}
			if len(scopes) == 0 {
				for _, t := range targets {
					scopes = append(scopes, t.Prefix.String())
				}
			}
			scope, err := probe.ParseScope(ctx, scopes)
			if err != nil {
				return fmt.Errorf("--scope: %w", err)
			}
			p, err := probe.New(scope, probe.Options{Ports: ports, Paths: paths, Concurrency: concurrency, Rate: rate,
				RequestTimeout: timeout, ConnectTimeout: connectTimeout, ListTools: listTools, ReportOpen: all,
				ClientVersion: version.Version, Log: e.log})
			if err != nil {
				return err
			}
			var results []probe.Result
			start := time.Now()
			var done atomic.Int64
			line := progress.Start(e.stderr, 200*time.Millisecond, func() string {
				return fmt.Sprintf("probing: %d MCP endpoints so far (%s)", done.Load(), time.Since(start).Round(time.Second))
			})
			st, err := p.Run(ctx, targets, func(r probe.Result) { results = append(results, r); done.Add(1) })
			line.Stop()
			if err != nil {
				return err
			}
			e.log.Info("probe finished", "endpoints", st.Endpoints, "open", st.Open, "confirmed", st.Confirmed,
				"auth_required", st.AuthRequired, "requests", st.Requests, "elapsed", st.Elapsed)
			s := inventory.Scan{Time: time.Now().UTC()}
			for _, r := range results {
				if r.Record != nil {
					s.Records = append(s.Records, *r.Record)
				}
			}
			if format == "table" {
				defer fmt.Fprintf(e.stdout, "\n%d endpoints probed in %s: %d open, %d MCP (%d OAuth-protected)\n",
					st.Endpoints, st.Elapsed.Round(time.Millisecond), st.Open, st.Confirmed+st.AuthRequired, st.AuthRequired)
			}
			return writeScan(e, out, format, s, hostscan.Result{}, &st)
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "table", "output: table, json, ndjson (OCSF events), csv or ssm")
	f.StringVarP(&out, "output", "o", "", "write to this file (atomically) instead of standard output")
	f.StringSliceVar(&scopes, "scope", nil, "addresses, CIDRs or host names the probe may connect to (default: the targets)")
	f.IntSliceVar(&ports, "ports", probe.DefaultPorts, "candidate ports for targets that name none")
	f.StringSliceVar(&paths, "paths", probe.DefaultPaths, "HTTP paths tried on each open endpoint, in order")
	f.IntVar(&concurrency, "concurrency", 64, "endpoints probed at once")
	f.Float64Var(&rate, "rate", 1000, "new endpoints per second at most")
	f.DurationVar(&timeout, "timeout", 3*time.Second, "time budget of one HTTP exchange")
	f.DurationVar(&connectTimeout, "connect-timeout", time.Second, "time budget of one TCP connect")
	f.BoolVar(&listTools, "list-tools", false, "list the tools of confirmed servers (tools/list, read-only) to rate risk")
	f.BoolVar(&all, "all", false, "also report open endpoints that are not MCP")
	return cmd
}

// writeScan writes a scan in format to out (a file written atomically) or standard output.
func writeScan(e *env, out, format string, s inventory.Scan, res hostscan.Result, st *probe.Stats) error {
	var buf bytes.Buffer
	var w io.Writer = e.stdout
	if out != "" {
		w = &buf
	}
	if err := encodeScan(w, format, s, res, st); err != nil {
		return err
	}
	if out == "" {
		return nil
	}
	return writeFileAtomic(out, buf.Bytes())
}

func encodeScan(w io.Writer, format string, s inventory.Scan, res hostscan.Result, st *probe.Stats) error {
	switch format {
	case "ndjson":
		for i := range s.Records {
			r := &s.Records[i]
			d := s.Device
			if r.Source == inventory.SourceProbe {
				d = probeDevice(r)
			}
			ev := inventory.Event(r, d, s.Time, version.Version)
			if err := schema.Validate(&ev); err != nil {
				return fmt.Errorf("scan: event of %s is not valid OCSF (please report this): %w", r.Name, err)
			}
			b, err := json.Marshal(&ev)
			if err != nil {
				return err
			}
			if _, err := w.Write(append(b, '\n')); err != nil {
				return err
			}
		}
		return nil
	case "ssm":
		return writeValue(w, output.JSON, inventory.SSMDocument(s))
	case "json":
		return writeValue(w, output.JSON, struct {
			inventory.Scan
			Files    []string           `json:"files,omitempty"`
			Problems []hostscan.Problem `json:"problems,omitempty"`
			Stats    *probe.Stats       `json:"stats,omitempty"`
		}{s, res.Files, res.Problems, st})
	}
	of, err := output.ParseFormat(format)
	if err != nil {
		return err
	}
	cols := []string{"SOURCE", "CLIENT", "SCOPE", "NAME", "TRANSPORT", "TARGET", "PACKAGE", "USER", "WHERE"}
	rows := make([][]any, 0, len(s.Records))
	for _, r := range s.Records {
		target := r.URL
		if target == "" {
			target = r.CmdLine
		}
		where := r.ConfigPath
		switch r.Source {
		case inventory.SourceProcess:
			where = "pid " + strconv.Itoa(r.PID)
			if len(r.Listen) > 0 {
				where += " listening " + strings.Join(r.Listen, " ")
			}
		case inventory.SourceProbe:
			where = r.Status
			if r.ServerName != "" {
				where += ": " + r.ServerName + " " + r.ServerVersion + " (" + r.ProtocolVersion + ")"
			}
			if r.Auth == "oauth" {
				where += " oauth"
			}
			if r.Risk != "" {
				where += " risk " + r.Risk
			}
		}
		name := r.Name
		if r.Disabled {
			name += " (disabled)"
		}
		rows = append(rows, []any{string(r.Source), r.Client, r.Scope, name, r.Transport, target, r.Package, r.User, where})
	}
	return output.Write(w, of, cols, rows, output.WithMaxWidth(72))
}

// probeDevice is the device of a probed endpoint: the address (and name) reached.
func probeDevice(r *inventory.Record) inventory.Device {
	if a, err := netip.ParseAddr(r.Host); err == nil {
		return inventory.Device{IP: a.String()}
	}
	return inventory.Device{Hostname: r.Host}
}

// hostDevice describes this host.
func hostDevice(hostname, instanceID, region, account, osName string) inventory.Device {
	if hostname == "" {
		hostname, _ = os.Hostname()
	}
	return inventory.Device{Hostname: hostname, InstanceID: instanceID, Region: region, Account: account, OS: osName}
}

func isRoot() bool { return os.Geteuid() == 0 }

// writeFileAtomic writes data to name through a temporary file in the same directory.
func writeFileAtomic(name string, data []byte) error {
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr != nil || cerr != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %v", name, firstErr(werr, cerr))
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), name); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
