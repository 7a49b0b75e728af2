package route53

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/sourcetest"
)

// TestGoldenSecurityLake compares our events for the four raw inputs of the Security Lake
// samples with what Security Lake made of them (OCSF 1.0.0-rc.2), attribute by attribute. Every
// difference is listed with its reason: the schema changes from 1.0.0-rc.2 to 1.1.0 and the
// changes of Security Lake's 1.1.0 mapping (see the 1.1.0 example).
func TestGoldenSecurityLake(t *testing.T) {
	root := filepath.Join(sourcetest.DataDir(t), "security-lake-samples", "samples", "1.0.0-rc.2", "ROUTE53")
	common := func(ours, ref sourcetest.Flat) map[string]difference {
		d := map[string]difference{
			"metadata.version": {vals("1.0.0-rc.2"), vals("1.1.0"), "we emit OCSF 1.1.0 (Security Lake source version 2)"},
			"metadata.profiles": {vals("cloud", "security_control"), vals("cloud", "security_control", "datetime"),
				"1.1.0 Security Lake events carry the datetime profile (see the 1.1.0 example)"},
			"cloud.account_uid":               {ref["cloud.account_uid"], nil, "1.0.0-rc.2 cloud.account_uid is cloud.account.uid in 1.1.0"},
			"cloud.account.uid":               {nil, ref["cloud.account_uid"], "1.0.0-rc.2 cloud.account_uid is cloud.account.uid in 1.1.0"},
			"time_dt":                         {nil, ours["time_dt"], "the datetime profile of 1.1.0"},
			"activity_id":                     {ref["activity_id"], vals(int64(6)), "Security Lake's 1.1.0 mapping makes every record DNS Activity: Traffic (see the 1.1.0 example); rc.2 took the activity from rcode"},
			"activity_name":                   {ref["activity_name"], vals("Traffic"), "as activity_id"},
			"type_uid":                        {ref["type_uid"], vals(int64(400306)), "as activity_id"},
			"type_name":                       {ref["type_name"], vals("DNS Activity: Traffic"), "as activity_id"},
			"action":                          {nil, ours["action"], "1.0.0-rc.2 has no action; the 1.1.0 security_control profile requires action_id (the 1.1.0 example has Allowed for ALERT)"},
			"action_id":                       {nil, ours["action_id"], "as action"},
			"firewall_rule.uid":               {nil, ref["unmapped.firewall_rule_group_id"], "1.1.0 Security Lake maps firewall_rule_group_id to firewall_rule.uid (see the 1.1.0 example); rc.2 kept it in unmapped"},
			"unmapped.firewall_rule_group_id": {ref["unmapped.firewall_rule_group_id"], nil, "as firewall_rule.uid"},
		}
		for _, k := range []string{"observables.name", "observables.type", "observables.type_id", "observables.value"} {
			d[k] = difference{nil, ours[k], "Security Lake's 1.0.0-rc.2 ROUTE53 table has no observables column; 1.1.0 events carry them (see the 1.1.0 example)"}
		}
		return d
	}
	alert := map[string]difference{
		"disposition":    {vals("No Action"), vals("Alert"), "firewall_rule_action ALERT: 1.1.0 Security Lake writes disposition Alert (see the 1.1.0 example of this record), which 1.1.0 added; rc.2 had No Action"},
		"disposition_id": {vals(int64(16)), vals(int64(19)), "as disposition: 19 is Alert"},
	}
	tests := []struct {
		activity, action, disposition string
		extra                         map[string]difference
	}{
		{"Response", "Allowed", "Alert", alert},
		{"Refuse", "Denied", "Blocked", nil},
		{"Fail", "Allowed", "Alert", alert},
		{"Response", "Denied", "Blocked", nil},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			s := &recordingSink{t: t}
			in := sourcetest.ReadGzip(t, filepath.Join(root, "inputs", fmt.Sprintf("route53-inputs%d.json.gz", i)))
			if err := (Format{}).Read(context.Background(), source.Input{Name: "in", R: strings.NewReader(in)}, s); err != nil {
				t.Fatal(err)
			}
			evs := s.events()
			if len(s.out) != 1 || len(evs) != 1 {
				t.Fatalf("got %+v, want 1 event", s.out)
			}
			ev := evs[0]
			if ev.Action != tt.action || ev.Disposition != tt.disposition {
				t.Errorf("action %s disposition %s", ev.Action, ev.Disposition)
			}
			ours := sourcetest.FlattenEvent(t, ev)
			ref := sourcetest.FlattenParquet(t, filepath.Join(root, fmt.Sprintf("example%d.json.gz.parquet", i)))
			if ref["activity_name"][0] != tt.activity {
				t.Errorf("reference activity %v", ref["activity_name"])
			}
			diffs := common(ours, ref)
			for k, d := range tt.extra {
				diffs[k] = d
			}
			sourcetest.CompareFlat(t, ours, ref, diffs)
		})
	}
}

// TestGoldenOCSFExample compares our event for the raw record of the OCSF 1.1.0 Route 53
// example with the example's OCSF JSON.
func TestGoldenOCSFExample(t *testing.T) {
	dir := filepath.Join(sourcetest.DataDir(t), "ocsf-examples", "aws", "v1.1.0", "Route53", "samples")
	raw, err := os.ReadFile(filepath.Join(dir, "route53.raw"))
	if err != nil {
		t.Fatal(err)
	}
	s := &recordingSink{t: t}
	if err := (Format{}).Read(context.Background(), source.Input{Name: "raw", R: strings.NewReader(string(raw))}, s); err != nil {
		t.Fatal(err)
	}
	if len(s.out) != 1 || len(s.events()) != 1 {
		t.Fatalf("got %+v, want 1 event", s.out)
	}
	ours := sourcetest.FlattenEvent(t, s.events()[0])
	b, err := os.ReadFile(filepath.Join(dir, "route53.ocsf"))
	if err != nil {
		t.Fatal(err)
	}
	ref := sourcetest.FlattenJSON(t, b)
	// The example writes datetimes in a local offset; compare the instants.
	o, err1 := time.Parse(time.RFC3339Nano, ours["time_dt"][0].(string))
	r, err2 := time.Parse(time.RFC3339Nano, ref["time_dt"][0].(string))
	if err1 != nil || err2 != nil || !o.Equal(r) {
		t.Errorf("time_dt: ours %v, example %v", ours["time_dt"], ref["time_dt"])
	}
	delete(ours, "time_dt")
	delete(ref, "time_dt")
	sourcetest.SortObservables(ours)
	sourcetest.SortObservables(ref)
	sourcetest.CompareFlat(t, ours, ref, map[string]difference{
		"disposition_id": {nil, vals(int64(19)), "the example has disposition Alert without its disposition_id, 19 in 1.1.0; Security Lake's tables have disposition_id"},
	})
}
