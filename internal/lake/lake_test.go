package lake

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

func TestRoundTripDefaultTables(t *testing.T) {
	l := openLake(t, WithBatchRows(100), WithRowGroupRows(250))
	tx := begin(t, l, "mixed.json")

	var flows []ocsf.NetworkActivity
	var e ocsf.NetworkActivity
	for i := range 1000 {
		// Three partitions: two accounts, and a second day for one of them.
		acct, at := "111111111111", day0.Add(time.Duration(i)*time.Second)
		switch i % 3 {
		case 1:
			acct = "222222222222"
		case 2:
			at = at.Add(24 * time.Hour)
		}
		flow(&e, i, acct, "us-east-1", at)
		if i%11 == 0 {
			e.DstEndpoint.Port = nil // absent, not zero
		}
		flows = append(flows, e)
		if err := tx.Write(&e); err != nil { // e is reused: Write must copy it
			t.Fatal(err)
		}
	}
	var dns []ocsf.DNSActivity
	var finds []ocsf.DetectionFinding
	for i := range 20 {
		d := dnsEvent(i, "111111111111", "eu-west-1", day0)
		f := findingEvent(i, "111111111111", "us-east-1", day0.Add(time.Hour))
		dns, finds = append(dns, *d), append(finds, *f)
		if err := tx.Write(d); err != nil {
			t.Fatal(err)
		}
		if err := tx.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	res := commit(t, tx, hashOf("mixed"))
	if res.Duplicate {
		t.Fatal("first commit reported as duplicate")
	}
	if want := map[string]int64{VPCFlow: 1000, Route53: 20, Findings: 20}; !mapsEqual(res.Rows, want) {
		t.Errorf("rows = %v, want %v", res.Rows, want)
	}

	if got, want := jsonLines(t, scanAll[ocsf.NetworkActivity](t, l, VPCFlow)), jsonLines(t, flows); !slices.Equal(got, want) {
		t.Errorf("VPC_FLOW rows differ: got %d rows, want %d; first got %s\nfirst want %s", len(got), len(want), first(got), first(want))
	}
	if got, want := jsonLines(t, scanAll[ocsf.DNSActivity](t, l, Route53)), jsonLines(t, dns); !slices.Equal(got, want) {
		t.Errorf("ROUTE53 rows differ:\n got %s\nwant %s", first(got), first(want))
	}
	if got, want := jsonLines(t, scanAll[ocsf.DetectionFinding](t, l, Findings)), jsonLines(t, finds); !slices.Equal(got, want) {
		t.Errorf("FINDINGS rows differ:\n got %s\nwant %s", first(got), first(want))
	}

	// Pointers keep absent apart from zero, and times come back as the same instants.
	rows := scanAll[ocsf.NetworkActivity](t, l, VPCFlow)
	var nilPorts, zeroPorts int
	for _, r := range rows {
		if r.DstEndpoint.Port == nil {
			nilPorts++
		} else if *r.DstEndpoint.Port == 0 {
			zeroPorts++
		}
		if !r.TimeDT.Equal(time.UnixMilli(r.Time)) || r.TimeDT.Location() != time.UTC {
			t.Fatalf("time_dt %v does not match time %d", r.TimeDT, r.Time)
		}
	}
	if nilPorts != 91 || zeroPorts != 182 {
		t.Errorf("nil ports %d, zero ports %d; want 91 and 182", nilPorts, zeroPorts)
	}
}

func TestScanFilterAndPartitions(t *testing.T) {
	l := openLake(t)
	tx := begin(t, l, "in")
	var e ocsf.NetworkActivity
	for i := range 30 {
		flow(&e, i, []string{"111111111111", "222222222222", ""}[i%3], "us-east-1", day0.Add(time.Duration(i%2)*24*time.Hour))
		if err := tx.Write(&e); err != nil {
			t.Fatal(err)
		}
	}
	commit(t, tx, hashOf("in"))
	parts, err := l.Partitions(VPCFlow)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range parts {
		got = append(got, p.Region+"/"+p.Account+"/"+p.Day)
	}
	want := []string{
		"us-east-1/111111111111/20240501", "us-east-1/111111111111/20240502",
		"us-east-1/222222222222/20240501", "us-east-1/222222222222/20240502",
		"us-east-1/unknown/20240501", "us-east-1/unknown/20240502",
	}
	if !slices.Equal(got, want) {
		t.Errorf("partitions = %v, want %v", got, want)
	}
	n := 0
	err = Scan(context.Background(), l, VPCFlow, func(p Partition) bool { return p.Account == "222222222222" && p.Day == "20240502" },
		func(p Partition, rows []ocsf.NetworkActivity) error {
			for _, r := range rows {
				if r.Cloud.Account.UID != "222222222222" || r.TimeDT.Format("20060102") != "20240502" {
					t.Errorf("row of %s/%s in partition %+v", r.Cloud.Account.UID, r.TimeDT, p)
				}
			}
			n += len(rows)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if n != 5 {
		t.Errorf("filtered scan returned %d rows, want 5", n)
	}
	if ps, _ := l.Partitions(Route53); len(ps) != 0 {
		t.Errorf("ROUTE53 partitions = %v, want none", ps)
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return "<none>"
	}
	return s[0]
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
