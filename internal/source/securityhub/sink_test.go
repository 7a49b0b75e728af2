package securityhub

import (
	"bytes"
	"context"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/sourcetest"
)

// recordingSink keeps everything a Format hands it.
type recordingSink = sourcetest.Sink[*ocsf.ImportedFinding]

// read reads text through Format.Read.
func read(t testing.TB, text string) (*recordingSink, error) {
	t.Helper()
	s := &recordingSink{T: t}
	err := Format{}.Read(context.Background(), source.Input{Name: "test", R: bytes.NewReader([]byte(text)),
		Region: "eu-west-1", Account: "999999999999"}, s)
	return s, err
}
