// Command gen writes zz_generated.go, the accessors of package fields (go generate).
package main

import (
	"fmt"
	"os"

	"github.com/mcpwatch/mcpwatch/internal/rules/fields/internal/fieldgen"
)

func main() {
	src, err := fieldgen.Generate()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.WriteFile("zz_generated.go", src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
