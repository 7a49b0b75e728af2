package route53

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/sourcetest"
)

// FuzzRead reads any input: Read must not panic, must account for every record exactly once
// (the recording sink checks that positions grow by one), must emit only valid OCSF events
// (the sink validates each), and must do the same whatever the sizes of its reads.
func FuzzRead(f *testing.F) {
	root := filepath.Join(sourcetest.DataDir(f), "security-lake-samples", "samples", "1.0.0-rc.2", "ROUTE53", "inputs")
	for i := range 4 {
		f.Add(sourcetest.ReadGzip(f, filepath.Join(root, fmt.Sprintf("route53-inputs%d.json.gz", i))))
	}
	raw, err := os.ReadFile(filepath.Join(sourcetest.DataDir(f), "ocsf-examples", "aws", "v1.1.0", "Route53", "samples", "route53.raw"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(raw))
	for _, s := range []string{
		recInstance + "\n" + recBlocked + "\n" + recInbound + "\n",
		"[" + recInstance + "," + recInbound + "]",
		"2025-03-04T09:15:27.000Z " + recBlocked + "\n",
		`{"query_timestamp":"2025-03-04T09:15:27Z","query_name":".","srcaddr":"::1","srcport":0,"answers":[{"Type":"A"}],"srcids":{"x":[1,{"y":null}]}}`,
		string(queryLog(20)),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		read := func(slow bool) []outcome {
			s := &recordingSink{t: t}
			r := strings.NewReader(in)
			src := source.Input{Name: "fuzz", R: r, Region: "eu-west-1", Account: "999999999999"}
			if slow {
				src.R = iotest.OneByteReader(r)
			}
			(Format{MaxRecordBytes: 1 << 14}).Read(context.Background(), src, s)
			return s.out
		}
		fast, slow := read(false), read(true)
		if len(fast) != len(slow) {
			t.Fatalf("%d outcomes, %d with reads of one byte", len(fast), len(slow))
		}
		for i := range fast {
			a, b := fast[i], slow[i]
			ja, _ := json.Marshal(a.event)
			jb, _ := json.Marshal(b.event)
			if a.pos != b.pos || a.dead != b.dead || a.reason != b.reason || string(ja) != string(jb) {
				t.Fatalf("record %d: %+v, with reads of one byte %+v", i+1, a, b)
			}
		}
	})
}
