package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/version"
)

func newVersionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print mcpwatch's version",
		Example: "  mcpwatch version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintf(e.stdout, "mcpwatch %s", version.Version)
			if c := version.Commit(); c != "" {
				fmt.Fprintf(e.stdout, " (%s)", c)
			}
			fmt.Fprintf(e.stdout, "\nOCSF %s (Security Lake source version 2.0), %s %s/%s\n", ocsf.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
