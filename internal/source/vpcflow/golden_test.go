package vpcflow

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/source/sourcetest"
)

// difference is an intentional difference between mcpwatch's 1.1.0 events and a reference,
// defined here so that the tables below may list it unkeyed.
type difference sourcetest.Difference

var vals = sourcetest.Vals

// unmappedDash explains why absent values are not in unmapped.
const unmappedDash = `Security Lake copies absent ("-") unmapped fields into unmapped; we leave them out: they say ` +
	`nothing and a Parquet map per row costs a sixth of a record's encoding time`

// TestGoldenSecurityLake compares the events of the four raw Parquet inputs of the Security
// Lake samples with what Security Lake made of them (OCSF 1.0.0-rc.2), attribute by
// attribute. Every difference is listed with its reason: most are the schema changes from
// 1.0.0-rc.2 to 1.1.0.
func TestGoldenSecurityLake(t *testing.T) {
	dir := filepath.Join(sourcetest.DataDir(t), "security-lake-samples", "samples", "1.0.0-rc.2", "VPC_FLOW")
	// Differences every sample has.
	common := func(ours sourcetest.Flat, ref sourcetest.Flat) map[string]difference {
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
			ours := sourcetest.FlattenEvent(t, ev)
			ref := sourcetest.FlattenParquet(t, filepath.Join(dir, tt.output))
			diffs := common(ours, ref)
			for k, d := range tt.extra {
				diffs[k] = d
			}
			sourcetest.CompareFlat(t, ours, ref, diffs)
		})
	}
}

// TestGoldenOCSFExample reads the raw record of the OCSF 1.1.0 VPC Flow Logs example
// (comma-separated with a header of underscored names, which we turn into the
// space-separated text AWS writes) and compares the event with the example's OCSF JSON.
func TestGoldenOCSFExample(t *testing.T) {
	dir := filepath.Join(sourcetest.DataDir(t), "ocsf-examples", "aws", "v1.1.0", "VPC Flowlogs", "samples")
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
	ours := sourcetest.FlattenEvent(t, &s.events[0])

	b, err := os.ReadFile(filepath.Join(dir, "vpcflowlog.ocsf"))
	if err != nil {
		t.Fatal(err)
	}
	ref := sourcetest.FlattenJSON(t, b)

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
	sourcetest.CompareFlat(t, ours, ref, map[string]difference{
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
