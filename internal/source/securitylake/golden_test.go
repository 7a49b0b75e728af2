package securitylake

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/ocsf/schema"
	"github.com/mcpwatch/mcpwatch/internal/source/sourcetest"
)

// utc flattens datetimes as UTC instants in milliseconds: Security Lake's rows hold them as
// TIMESTAMP_MILLIS, our events as text.
var utc = sourcetest.UTCDatetimes()

// difference is an intentional difference between our event and the reference, defined here
// so that the tables may list it unkeyed.
type difference sourcetest.Difference

var vals = sourcetest.Vals

// joined is the values of v written one after the other ("" for none).
func joined(v []any) string {
	var b strings.Builder
	for _, x := range v {
		fmt.Fprint(&b, x)
	}
	return b.String()
}

// renamed returns ref with the attributes that OCSF 1.1.0 renamed under their new names, so
// that the comparison with our 1.1.0 event is attribute by attribute.
func renamed(ref sourcetest.Flat, renames map[string]string) sourcetest.Flat {
	out := sourcetest.Flat{}
	for k, v := range ref {
		if n, ok := renames[k]; ok {
			k = n
		}
		out[k] = append(out[k], v...)
	}
	return out
}

// validate checks ev against the OCSF 1.1.0 schema.
func validate(t testing.TB, ev ocsf.Event) {
	t.Helper()
	if err := schema.Validate(ev); err != nil {
		t.Errorf("invalid OCSF 1.1.0: %v", err)
	}
	h := ev.Header()
	if h.Metadata.Version != ocsf.Version || h.TypeUID != ocsf.TypeUID(h.ClassUID, h.ActivityID) || h.TimeDT.UnixMilli() != h.Time {
		t.Errorf("header %+v", h)
	}
}
