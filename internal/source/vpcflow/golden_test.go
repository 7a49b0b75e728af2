package vpcflow

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// flat is an event flattened to its leaf attributes: "connection_info.boundary_id" -> values
// (one for a scalar, several for a list). Numbers are int64, everything else a string.
type flat map[string][]any

// flattenEvent flattens ev through its OCSF JSON encoding.
func flattenEvent(t *testing.T, ev *ocsf.NetworkActivity) flat {
	t.Helper()
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	out := flat{}
	flattenJSON(out, "", m)
	return out
}

func flattenJSON(out flat, prefix string, v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			flattenJSON(out, key, e)
		}
	case []any:
		for _, e := range v {
			flattenJSON(out, prefix, e)
		}
	case float64:
		out[prefix] = append(out[prefix], int64(v))
	default:
		out[prefix] = append(out[prefix], fmt.Sprint(v))
	}
}

// flattenParquet reads the single row of a Security Lake Parquet file and flattens it like
// flattenEvent: legacy list elements ("profiles.array") become the list's values, and map
// entries ("unmapped.map.key"/"value") become "unmapped.<key>".
func flattenParquet(t *testing.T, path string) flat {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	if pf.NumRows() != 1 {
		t.Fatalf("%s: %d rows, want 1", path, pf.NumRows())
	}
	cols := pf.Schema().Columns()
	rows := make([]parquet.Row, 1)
	n, _ := parquet.NewReader(pf).ReadRows(rows)
	if n != 1 {
		t.Fatalf("%s: read %d rows", path, n)
	}
	out := flat{}
	var mapKeys, mapValues []string
	for _, v := range rows[0] {
		if v.IsNull() {
			continue
		}
		key := strings.TrimSuffix(strings.Join(cols[v.Column()], "."), ".array")
		var val any
		switch v.Kind() {
		case parquet.ByteArray:
			val = string(v.ByteArray())
		case parquet.Int32:
			val = int64(v.Int32())
		case parquet.Int64:
			val = v.Int64()
		default:
			t.Fatalf("%s: unexpected %v in %s", path, v.Kind(), key)
		}
		switch key {
		case "unmapped.map.key":
			mapKeys = append(mapKeys, val.(string))
		case "unmapped.map.value":
			mapValues = append(mapValues, val.(string))
		default:
			out[key] = append(out[key], val)
		}
	}
	for i, k := range mapKeys {
		out["unmapped."+k] = []any{mapValues[i]}
	}
	return out
}

// difference is an intentional difference between mcpwatch's 1.1.0 events and a reference.
type difference struct {
	ref    []any // the reference's value; nil when the reference lacks the attribute
	ours   []any // our value; nil when we lack the attribute
	reason string
}

// compareFlat compares ours with ref attribute by attribute, allowing only the listed
// differences, each of which must actually occur.
func compareFlat(t *testing.T, ours, ref flat, diffs map[string]difference) {
	t.Helper()
	keys := map[string]bool{}
	for k := range ours {
		keys[k] = true
	}
	for k := range ref {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		o, r := ours[k], ref[k]
		if d, ok := diffs[k]; ok {
			if !reflect.DeepEqual(o, d.ours) || !reflect.DeepEqual(r, d.ref) {
				t.Errorf("%s: ours %v, reference %v; the listed difference (%s) is ours %v, reference %v",
					k, o, r, d.reason, d.ours, d.ref)
			}
			continue
		}
		if !reflect.DeepEqual(o, r) {
			t.Errorf("%s: ours %v, reference %v", k, o, r)
		}
	}
	for k := range diffs {
		if !keys[k] {
			t.Errorf("%s: listed as a difference but in neither event", k)
		}
	}
}

func vals(v ...any) []any { return v }

// unmappedDash explains why absent values are not in unmapped.
const unmappedDash = `Security Lake copies absent ("-") unmapped fields into unmapped; we leave them out: they say ` +
	`nothing and a Parquet map per row costs a sixth of a record's encoding time`

// TestGoldenSecurityLake compares the events of the four raw Parquet inputs of the Security
// Lake samples with what Security Lake made of them (OCSF 1.0.0-rc.2), attribute by
// attribute. Every difference is listed with its reason: most are the schema changes from
// 1.0.0-rc.2 to 1.1.0.
func TestGoldenSecurityLake(t *testing.T) {
	dir := filepath.Join(dataDir(t), "security-lake-samples", "samples", "1.0.0-rc.2", "VPC_FLOW")
	// Differences every sample has.
	common := func(ours flat, ref flat) map[string]difference {
		d := map[string]difference{
			"metadata.version": {vals("1.0.0-rc.2"), vals("1.1.0"),
				"we emit OCSF 1.1.0 (Security Lake source version 2)"},
			"metadata.profiles": {vals("cloud", "security_control"), vals("cloud", "security_control", "datetime"),
				"1.1.0 Security Lake events carry the datetime profile (see the 1.1.0 example)"},
			"cloud.account_uid": {ref["cloud.account_uid"], nil,
				"1.0.0-rc.2 cloud.account_uid is cloud.account.uid in 1.1.0"},
			"cloud.account.uid": {nil, ref["cloud.account_uid"],
				"1.0.0-rc.2 cloud.account_uid is cloud.account.uid in 1.1.0"},
			"action":                    {nil, ours["action"], "1.0.0-rc.2 has no action; the 1.1.0 security_control profile requires action_id"},
			"action_id":                 {nil, ours["action_id"], "1.0.0-rc.2 has no action_id; 1.1.0 security_control requires it"},
			"time_dt":                   {nil, ours["time_dt"], "the datetime profile of 1.1.0"},
			"start_time_dt":             {nil, ours["start_time_dt"], "the datetime profile of 1.1.0"},
			"end_time_dt":               {nil, ours["end_time_dt"], "the datetime profile of 1.1.0"},
			"unmapped.sublocation_id":   {vals("-"), nil, unmappedDash},
			"unmapped.sublocation_type": {vals("-"), nil, unmappedDash},
		}
		for _, k := range []string{"observables.name", "observables.type", "observables.type_id", "observables.value"} {
			if ours[k] == nil {
				continue // no address or instance to observe (NODATA)
			}
			d[k] = difference{nil, ours[k], "Security Lake's 1.0.0-rc.2 VPC_FLOW table has no observables column; 1.1.0 events carry them (see the 1.1.0 example)"}
		}
		return d
	}
	tests := []struct {
		input, output string
		extra         map[string]difference
		wantAction    string
	}{
		{input: "vpc_flow-input0.json.parquet", output: "example0.gz.parquet", wantAction: "Denied"},
		{input: "vpc_flow-input1.json.parquet", output: "example1.gz.parquet", wantAction: "Allowed"},
		{input: "vpc_flow-input2.json.parquet", output: "example2.gz.parquet", wantAction: "Allowed"},
		{input: "vpc_flow-input3.parquet", output: "example3.gz.parquet", wantAction: "Unknown",
			extra: map[string]difference{
				"src_endpoint.ip": {vals("-"), nil, `AWS wrote ip "-" for NODATA, which is no valid ip_t: omitted`},
				"dst_endpoint.ip": {vals("-"), nil, `AWS wrote ip "-" for NODATA, which is no valid ip_t: omitted`},
				"src_endpoint.instance_uid": {vals("-"), nil,
					`instance-id "-" means no instance; we omit it (as every other "-" id) rather than store "-" as an instance id`},
				"connection_info.boundary": {nil, vals("-"),
					`traffic_path is null in this input; we give boundary_id 99 its caption "-" as for traffic-path "-"`},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.input, func(t *testing.T) {
			s, err := readFile(t, filepath.Join(dir, "inputs", tt.input))
			if err != nil {
				t.Fatal(err)
			}
			if len(s.events) != 1 || len(s.dead) != 0 || s.skipped != 0 {
				t.Fatalf("got %d events, %d dead letters %v, %d skipped; want 1 event", len(s.events), len(s.dead), s.dead, s.skipped)
			}
			ev := &s.events[0]
			if ev.Action != tt.wantAction {
				t.Errorf("action %q, want %q", ev.Action, tt.wantAction)
			}
			ours := flattenEvent(t, ev)
			ref := flattenParquet(t, filepath.Join(dir, tt.output))
			diffs := common(ours, ref)
			for k, d := range tt.extra {
				diffs[k] = d
			}
			compareFlat(t, ours, ref, diffs)
		})
	}
}

// TestGoldenOCSFExample reads the raw record of the OCSF 1.1.0 VPC Flow Logs example
// (comma-separated with a header of underscored names, which we turn into the
// space-separated text AWS writes) and compares the event with the example's OCSF JSON.
func TestGoldenOCSFExample(t *testing.T) {
	dir := filepath.Join(dataDir(t), "ocsf-examples", "aws", "v1.1.0", "VPC Flowlogs", "samples")
	raw, err := os.ReadFile(filepath.Join(dir, "vpcflowlog.raw"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := read(t, Format{}, strings.ReplaceAll(string(raw), ",", " "))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.events) != 1 || len(s.dead) != 0 {
		t.Fatalf("got %d events and dead letters %v, want 1 event", len(s.events), s.dead)
	}
	ours := flattenEvent(t, &s.events[0])

	b, err := os.ReadFile(filepath.Join(dir, "vpcflowlog.ocsf"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	ref := flat{}
	flattenJSON(ref, "", m)

	// The example writes datetimes in a local offset; compare the instants.
	for _, k := range []string{"time_dt", "start_time_dt", "end_time_dt"} {
		o, err1 := time.Parse(time.RFC3339Nano, ours[k][0].(string))
		r, err2 := time.Parse(time.RFC3339Nano, ref[k][0].(string))
		if err1 != nil || err2 != nil || !o.Equal(r) {
			t.Errorf("%s: ours %v, example %v", k, ours[k], ref[k])
		}
		delete(ours, k)
		delete(ref, k)
	}
	compareFlat(t, ours, ref, map[string]difference{
		"dst_endpoint.interface_uid": {vals("eni-000000000000000000"), vals("eni-0000000000000000"),
			"the example's raw record has eni-0000000000000000 and its OCSF eni-000000000000000000 (an anonymization slip); we keep the raw value"},
		"disposition_id": {nil, vals(int64(2)),
			"the example has disposition Blocked without its disposition_id; Security Lake's tables have disposition_id (2 in the rc.2 sample of this record)"},
		"start_time":                {nil, ours["start_time"], "the example omits start_time; Security Lake's 1.1.0 table has it, from start"},
		"end_time":                  {nil, ours["end_time"], "the example omits end_time; Security Lake's 1.1.0 table has it, from end"},
		"unmapped.sublocation_id":   {vals("-"), nil, unmappedDash},
		"unmapped.sublocation_type": {vals("-"), nil, unmappedDash},
	})
	if !slices.Equal(ours["metadata.profiles"], vals("cloud", "security_control", "datetime")) {
		t.Errorf("profiles %v", ours["metadata.profiles"])
	}
}
