// Command asl-mcp-server is mcpwatch's drop-in for the Python amazon-security-lake-mcp
// server of the same name: an MCP server over Amazon Security Lake (through Athena) or
// mcpwatch's local lake, configured by the same ASL_MCP_* variables, so that existing Claude
// Desktop, Cursor and VS Code configurations keep working. It is `mcpwatch mcp` on its own.
package main

import (
	"context"
	"os"

	"github.com/mcpwatch/mcpwatch/internal/cli"
)

func main() {
	os.Exit(cli.ASLMCPServer(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
