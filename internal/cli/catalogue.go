package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mcpwatch/mcpwatch/internal/catalogue"
	"github.com/mcpwatch/mcpwatch/internal/output"
)

func newCatalogueCmd(e *env) *cobra.Command {
	var (
		files  []string
		kinds  []string
		search string
		format string
	)
	cmd := &cobra.Command{
		Use:   "catalogue",
		Short: "Show the catalogue of known MCP servers, hubs and packages",
		Long: `Catalogue lists what mcpwatch knows MCP by: remote MCP servers by host and path (every public
endpoint of the embedded list, hubs such as Smithery, Zapier, Composio and Pipedream, and AWS's
own endpoints such as the AWS Knowledge and AWS MCP servers and Bedrock AgentCore gateways),
and local MCP server packages, images and executables with the naming patterns of the rest.
Hosts and URLs nobody listed are judged by heuristics (an "mcp" label, a /mcp or /sse path),
with a lower confidence.

Kinds: saas, hub, aws, internal, reference, vendor-local, community, bridge, devtool,
framework, not-mcp. Extend or override the catalogue with --catalogue FILE (CSV, the format
is in docs/policy.md); rows of a later file override rows of the same host and path, or of the
same package. The table shows a summary; json, ndjson and csv show every field.`,
		Example: `  mcpwatch catalogue
  mcpwatch catalogue --kind hub --kind aws
  mcpwatch catalogue --search atlassian --format json
  mcpwatch catalogue --catalogue our-mcp-servers.csv --kind internal
  mcpwatch catalogue match mcp.atlassian.com https://mcp.example.com/mcp
  mcpwatch catalogue match "npx -y @modelcontextprotocol/server-filesystem /home"`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			of, err := output.ParseFormat(format)
			if err != nil {
				return fmt.Errorf("--format: %w", err)
			}
			var want []catalogue.Kind
			for _, k := range kinds {
				for _, part := range strings.Split(k, ",") {
					kk, err := catalogue.ParseKind(part)
					if err != nil {
						return fmt.Errorf("--kind: %w", err)
					}
					want = append(want, kk)
				}
			}
			c, err := catalogue.Load(files...)
			if err != nil {
				return err
			}
			q := strings.ToLower(search)
			var rows [][]any
			for _, en := range c.Entries() {
				if len(want) > 0 && !slices.Contains(want, en.Kind) {
					continue
				}
				if q != "" && !strings.Contains(strings.ToLower(strings.Join([]string{en.ID, en.Service, en.URL, en.Host, en.Path,
					en.Package, string(en.Kind), en.Auth, en.Notes}, "\x00")), q) {
					continue
				}
				if of == output.Table {
					endpoint := en.Host + en.Path
					if !en.Remote() {
						endpoint = string(en.Ecosystem) + ":" + en.Package
					}
					rows = append(rows, []any{string(en.Kind), en.Service, endpoint, en.Auth})
					continue
				}
				rows = append(rows, []any{en.ID, string(en.Kind), en.Service, en.URL, en.Host, en.Path, en.Auth, en.Dedicated,
					en.Package, string(en.Ecosystem), en.Notes, en.Source})
			}
			columns := []string{"id", "kind", "service", "url", "host", "path", "auth", "dedicated", "package", "ecosystem", "notes", "source"}
			if of == output.Table {
				columns = []string{"KIND", "SERVICE", "ENDPOINT", "AUTH"}
			}
			if err := output.Write(e.stdout, of, columns, rows); err != nil {
				return err
			}
			if of == output.Table {
				fmt.Fprintf(e.stdout, "%d of %d entries\n", len(rows), c.Len())
			}
			return nil
		},
	}
	cmd.PersistentFlags().StringArrayVar(&files, "catalogue", nil, "catalogue file (CSV) extending or overriding the built-in catalogue; repeatable")
	cmd.Flags().StringArrayVar(&kinds, "kind", nil, "show only entries of this kind (repeatable or comma-separated)")
	cmd.Flags().StringVar(&search, "search", "", "show only entries whose fields contain this text (case-insensitive)")
	cmd.PersistentFlags().StringVar(&format, "format", "table", "table, json, ndjson or csv")
	cmd.AddCommand(newCatalogueMatchCmd(e, &files, &format))
	return cmd
}

// matchAs are the kinds of input catalogue match understands.
var matchAs = []string{"auto", "host", "url", "command", "image", "npm", "pypi", "exec"}

func newCatalogueMatchCmd(e *env, files *[]string, format *string) *cobra.Command {
	var as string
	cmd := &cobra.Command{
		Use:   "match [flags] HOST|URL|COMMAND...",
		Short: "Say what the catalogue makes of hosts, URLs, commands or packages",
		Long: `Match looks each argument up in the catalogue and says whether it is MCP, how sure
(high: a known entry; medium: a naming pattern or two heuristics; low: one heuristic or a host
that also serves other traffic), on what basis, and which catalogue entry it used.

With --as auto (the default) an argument with white space is a command line, one with "://" a
URL, and anything else a host name (also tried as an executable name when it is not MCP as a
host). For a bridge such as mcp-remote, the remote URL among its arguments is looked up too.`,
		Example: `  mcpwatch catalogue match mcp.atlassian.com knowledge-mcp.global.api.aws mcpherson.com
  mcpwatch catalogue match https://server.smithery.ai/@acme/tools/mcp
  mcpwatch catalogue match "npx -y mcp-remote https://mcp.linear.app/sse"
  mcpwatch catalogue match --as image mcp/github:latest`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := oneOf("as", as, matchAs...); err != nil {
				return err
			}
			of, err := output.ParseFormat(*format)
			if err != nil {
				return fmt.Errorf("--format: %w", err)
			}
			c, err := catalogue.Load(*files...)
			if err != nil {
				return err
			}
			var rows [][]any
			for _, arg := range args {
				kind := as
				if kind == "auto" {
					switch {
					case strings.ContainsAny(strings.TrimSpace(arg), " \t"):
						kind = "command"
					case strings.Contains(arg, "://"):
						kind = "url"
					default:
						kind = "host"
					}
				}
				var (
					m      catalogue.Match
					detail string
				)
				switch kind {
				case "host":
					m = c.LookupHost(arg)
					if m.Confidence < catalogue.High && m.Basis != catalogue.BasisNotMCP && !strings.Contains(arg, ".") {
						if pm := c.MatchPackage(catalogue.Exec, arg); pm.Confidence > m.Confidence {
							m, kind = pm, "exec"
						}
					}
				case "url":
					m = c.LookupURL(arg)
				case "command", "image":
					var cm catalogue.CommandMatch
					if kind == "command" {
						cm = c.MatchCommand(arg)
					} else {
						cm = c.MatchImage(arg)
					}
					m = cm.Match
					if cm.Package != "" {
						detail = fmt.Sprintf("%s %s via %s", cm.Ecosystem, cm.Package, cm.Launcher)
					}
					if cm.URL != "" {
						detail += fmt.Sprintf("; remote %s: %s", cm.URL, cm.Remote)
					}
				default:
					m = c.MatchPackage(catalogue.Ecosystem(kind), arg)
				}
				rows = append(rows, matchRow(arg, kind, m, detail))
			}
			return output.Write(e.stdout, of, []string{"input", "as", "mcp", "confidence", "basis", "kind", "entry", "service", "source", "detail"}, rows)
		},
	}
	cmd.Flags().StringVar(&as, "as", "auto", "what the arguments are: "+strings.Join(matchAs, ", "))
	return cmd
}

// matchRow renders one answer of catalogue match.
func matchRow(input, as string, m catalogue.Match, detail string) []any {
	var id, service, source string
	if m.Entry != nil {
		id, service, source = m.Entry.ID, m.Entry.Service, m.Entry.Source
	}
	if m.Basis == catalogue.BasisHeuristic {
		id = m.Heuristic.String()
	}
	mcp := "no"
	if m.OK() {
		mcp = "yes"
	}
	return []any{input, as, mcp, m.Confidence.String(), m.Basis.String(), string(m.Kind()), id, service, source, detail}
}
