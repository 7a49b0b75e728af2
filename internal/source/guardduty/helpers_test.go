package guardduty

import (
	"context"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/ocsf/schema"
	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/sourcetest"
)

// recordingSink keeps everything a Format hands it.
type recordingSink = sourcetest.Sink[*ocsf.ImportedFinding]

func read(t testing.TB, f source.Format, text string) (*recordingSink, error) {
	t.Helper()
	s := &recordingSink{T: t}
	err := f.Read(context.Background(), source.Input{Name: "test", R: strings.NewReader(text)}, s)
	return s, err
}

// difference is an intentional difference between our event and a reference, defined here so
// that the tests may list it unkeyed.
type difference sourcetest.Difference

var vals = sourcetest.Vals

// validate checks ev against the OCSF 1.1.0 schema.
func validate(t testing.TB, ev *ocsf.ImportedFinding) {
	t.Helper()
	if err := schema.Validate(ev); err != nil {
		t.Errorf("invalid OCSF 1.1.0: %v", err)
	}
	if ev.ClassUID != ocsf.ClassDetectionFinding || ev.Metadata.Product.Name != "GuardDuty" {
		t.Errorf("class %d product %q", ev.ClassUID, ev.Metadata.Product.Name)
	}
}
