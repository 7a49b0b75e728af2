package fields_test

import (
	"bytes"
	"os"
	"slices"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/rules/fields"
	"github.com/mcpwatch/mcpwatch/internal/rules/fields/internal/fieldgen"
)

// TestGeneratedUpToDate fails when the ocsf types changed and zz_generated.go was not
// regenerated (go generate ./internal/rules/fields).
func TestGeneratedUpToDate(t *testing.T) {
	want, err := fieldgen.Generate()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("zz_generated.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("zz_generated.go is stale: run go generate ./internal/rules/fields")
	}
}

func int32p(v int32) *int32 { return &v }

func TestRead(t *testing.T) {
	na := &ocsf.NetworkActivity{ActionID: 0}
	na.DstEndpoint.Port = int32p(0)
	na.SrcEndpoint.IP = "10.0.0.1"
	na.Traffic.Bytes = 42
	na.Unmapped = map[string]string{"mcp.url": "https://x"}
	dns := &ocsf.DNSActivity{Answers: []ocsf.DNSAnswer{{Rdata: "1.2.3.4"}, {Rdata: ""}, {Rdata: "a.example."}}}
	dns.Query.Hostname = "mcp.example.com."
	api := &ocsf.APIActivity{Resources: []ocsf.ResourceDetails{{UID: "i-1", Labels: []string{"a", "b"}}, {UID: "i-2"}}}
	api.API.Request.Data = `{"userData":"x"}`

	tests := []struct {
		ev      ocsf.Event
		path    string
		kind    fields.Kind
		multi   bool
		str     string
		num     int64
		present bool
		strs    []string
	}{
		{na, "dst_endpoint.port", fields.Int, false, "", 0, true, nil},  // a port 0 is present
		{na, "src_endpoint.port", fields.Int, false, "", 0, false, nil}, // absent
		{na, "action_id", fields.Int, false, "", 0, true, nil},          // required by OCSF: 0 is present
		{na, "traffic.bytes", fields.Int, false, "", 42, true, nil},
		{na, "traffic.packets", fields.Int, false, "", 0, false, nil}, // omitzero
		{na, "src_endpoint.ip", fields.String, false, "10.0.0.1", 0, true, nil},
		{na, "unmapped.mcp.url", fields.String, false, "https://x", 0, true, nil},
		{dns, "query.hostname", fields.String, false, "mcp.example.com.", 0, true, nil},
		{dns, "answers[].rdata", fields.String, true, "", 0, true, []string{"1.2.3.4", "a.example."}},
		{api, "api.request.data", fields.JSON, false, `{"userData":"x"}`, 0, true, nil},
		{api, "resources.uid", fields.String, true, "", 0, true, []string{"i-1", "i-2"}},
		{api, "resources.labels", fields.String, true, "", 0, true, []string{"a", "b"}},
	}
	for _, tc := range tests {
		f, ok := fields.Lookup(fields.TypeOf(tc.ev), tc.path)
		if !ok {
			t.Errorf("%s: not found", tc.path)
			continue
		}
		if f.Kind != tc.kind || f.Multi != tc.multi {
			t.Errorf("%s: kind %v multi %v", tc.path, f.Kind, f.Multi)
			continue
		}
		switch {
		case f.Multi:
			if got := f.Strs(tc.ev, nil); !slices.Equal(got, tc.strs) {
				t.Errorf("%s = %q, want %q", tc.path, got, tc.strs)
			}
		case f.Kind == fields.Int:
			if v, ok := f.Int(tc.ev); v != tc.num || ok != tc.present {
				t.Errorf("%s = %d, %v; want %d, %v", tc.path, v, ok, tc.num, tc.present)
			}
		default:
			if got := f.Str(tc.ev); got != tc.str {
				t.Errorf("%s = %q, want %q", tc.path, got, tc.str)
			}
		}
	}
}

func TestLookupUnknown(t *testing.T) {
	for _, p := range []string{"query.hostname", "dst_endpoint.nope", "unmapped.", ""} {
		if _, ok := fields.Lookup(fields.NetworkActivity, p); ok {
			t.Errorf("NetworkActivity has %q", p)
		}
	}
	if _, ok := fields.Lookup(0, "time"); ok {
		t.Error("type 0 has fields")
	}
}

func TestTypes(t *testing.T) {
	for _, ty := range fields.Types() {
		if ty.String() == "" || len(ty.Classes()) == 0 || len(fields.Paths(ty)) < 20 {
			t.Errorf("type %d: %q %v %d paths", ty, ty, ty.Classes(), len(fields.Paths(ty)))
		}
		for _, c := range ty.Classes() {
			if fields.TypeOfClass(c) != ty {
				t.Errorf("class %d -> %v, want %v", c, fields.TypeOfClass(c), ty)
			}
		}
	}
	if fields.TypeOf(&ocsf.DetectionFinding{}) != 0 {
		t.Error("mcpwatch's own findings are not read by rules")
	}
}

func BenchmarkRead(b *testing.B) {
	na := &ocsf.NetworkActivity{}
	na.DstEndpoint.Port = int32p(443)
	f, _ := fields.Lookup(fields.NetworkActivity, "dst_endpoint.port")
	var ev ocsf.Event = na
	var s int64
	for b.Loop() {
		v, _ := f.Int(ev)
		s += v
	}
	_ = s
}
