// Package deps pins dependencies in go.mod until the packages that import them exist.
package deps

import (
	_ "github.com/duckdb/duckdb-go/v2"
	_ "github.com/klauspost/compress/gzip"
	_ "github.com/spf13/cobra"
	_ "golang.org/x/term"
)
