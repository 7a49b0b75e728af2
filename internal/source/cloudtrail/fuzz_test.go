package cloudtrail

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
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
	gz, _ := filepath.Glob(filepath.Join(sourcetest.DataDir(f), "security-lake-samples", "samples", "1.0.0-rc.2", "CLOUD_TRAIL", "*", "input", "*.gz"))
	for _, p := range gz {
		f.Add(sourcetest.ReadGzip(f, p))
	}
	raws, _ := filepath.Glob(filepath.Join(sourcetest.DataDir(f), "ocsf-examples", "aws", "v1.1.0", "CloudTrail", "*", "samples", "*.raw"))
	for _, p := range raws {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	for _, name := range []string{"runinstances.json", "sendcommand.json", "registertaskdefinition.json"} {
		f.Add(sample(f, name))
	}
	for _, s := range []string{
		`{"Records":[` + evDescribe + "," + evLogin + "," + evCreate + "," + evInsight + "," + evData + `]}`,
		digestFile, evDescribe + "\n" + evLogin + "\n",
		`{"detail-type":"AWS API Call via CloudTrail","account":"1","region":"r","detail":` + evCreate + `}`,
		`{"Events":[{"CloudTrailEvent":` + quoteJSON(evLogin) + `}]}`,
		`{"x":1,"Records":[` + evDescribe + `,1]}`, `[` + evDescribe + `]`,
		`{"Records":[{"eventName":"AssumeRole","eventTime":"2025-01-02T03:04:05Z","userIdentity":{"type":"X"}}]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		read := func(slow bool) []outcome {
			s := &recordingSink{t: t, validate: true}
			var r = strings.NewReader(in)
			src := source.Input{Name: "fuzz", R: r, Region: "eu-west-1", Account: "999999999999"}
			if slow {
				src.R = iotest.OneByteReader(r)
			}
			(Format{MaxRecordBytes: 1 << 16}).Read(context.Background(), src, s)
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
			if a.pos != b.pos || a.dead != b.dead || a.reason != b.reason || a.skip != b.skip || !reflect.DeepEqual(ja, jb) {
				t.Fatalf("record %d: %+v, with reads of one byte %+v", i+1, a, b)
			}
		}
	})
}
