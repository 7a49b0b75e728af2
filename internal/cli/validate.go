package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/mcpwatch/mcpwatch/internal/ocsf/schema"
)

func newValidateCmd(e *env) *cobra.Command {
	var quiet bool
	cmd := &cobra.Command{
		Use:   "validate [flags] FILE...",
		Short: "Check OCSF events (JSON or NDJSON) against the OCSF schema",
		Long: `Validate checks OCSF events against the OCSF schema embedded in mcpwatch (1.1.0, and 1.0.0-rc.2
for events whose metadata.version says so): required attributes (with those of base_event and
of the profiles the event lists), types, enum values, uid arithmetic and object constraints.
A file may hold one JSON object, a JSON array of objects, or NDJSON; - reads standard input.
The exit status is 1 when any event is invalid.`,
		Example: `  mcpwatch validate events.ndjson
  mcpwatch findings --format ndjson | mcpwatch validate -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var total schema.Summary
			for _, name := range args {
				var r io.Reader = e.stdin
				if name != "-" {
					f, err := os.Open(name)
					if err != nil {
						return err
					}
					defer f.Close()
					r = f
				}
				sum, err := schema.ValidateStream(cmd.Context(), r, func(res schema.Result) error {
					if res.Valid() || quiet {
						return nil
					}
					for _, ve := range res.Errors {
						fmt.Fprintf(e.stdout, "%s: record %d (line %d): %s\n", name, res.Index+1, res.Line, ve.Error())
					}
					return nil
				})
				total.Records += sum.Records
				total.Valid += sum.Valid
				total.Invalid += sum.Invalid
				if err != nil {
					fmt.Fprintf(e.stdout, "%s: %v\n", name, err)
					total.Invalid++
				}
			}
			fmt.Fprintf(e.stdout, "%d records: %d valid, %d invalid\n", total.Records, total.Valid, total.Invalid)
			if total.Invalid > 0 {
				return exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only the summary")
	return cmd
}
