// Command mcpwatch finds shadow MCP in AWS telemetry. See `mcpwatch --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/mcpwatch/mcpwatch/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
