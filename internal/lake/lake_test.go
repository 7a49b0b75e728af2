package lake

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
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

func TestScanOrderAndStop(t *testing.T) {
	// One lane keeps input order inside a file; small row groups and file rolls give the
	// parallel decoders many units to reorder.
	l := openLake(t, WithParallelism(1), WithBatchRows(50), WithRowGroupRows(120), WithFileRows(700))
	tx := begin(t, l, "order")
	var e ocsf.NetworkActivity
	const n = 2000
	for i := range n {
		flow(&e, i, "111111111111", "us-east-1", day0)
		if err := tx.Write(&e); err != nil {
			t.Fatal(err)
		}
	}
	if res := commit(t, tx, hashOf("order")); len(res.Files) != 3 {
		t.Fatalf("%d files, want 3", len(res.Files))
	}
	i := 0
	err := Scan(context.Background(), l, VPCFlow, nil, func(_ Partition, rows []ocsf.NetworkActivity) error {
		for _, r := range rows {
			if want := fmt.Sprintf("flow %d", i); r.Message != want {
				return fmt.Errorf("row %d is %q, want %q", i, r.Message, want)
			}
			i++
		}
		return nil
	})
	if err != nil || i != n {
		t.Fatalf("scan: %d rows, %v", i, err)
	}
	// An error from the callback stops the scan at once.
	calls := 0
	stop := errors.New("stop")
	err = Scan(context.Background(), l, VPCFlow, nil, func(Partition, []ocsf.NetworkActivity) error {
		calls++
		if calls == 3 {
			return stop
		}
		return nil
	})
	if err != stop || calls != 3 {
		t.Errorf("scan stopped with %v after %d calls, want stop after 3", err, calls)
	}
	// So does the context.
	ctx, cancel := context.WithCancel(context.Background())
	calls = 0
	err = Scan(ctx, l, VPCFlow, nil, func(Partition, []ocsf.NetworkActivity) error {
		if calls++; calls == 2 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || calls != 2 {
		t.Errorf("cancelled scan returned %v after %d calls", err, calls)
	}
}

func TestScanDamagedFile(t *testing.T) {
	l := openLake(t)
	tx := begin(t, l, "d")
	var e ocsf.NetworkActivity
	flow(&e, 1, "1", "r", day0)
	if err := tx.Write(&e); err != nil {
		t.Fatal(err)
	}
	res := commit(t, tx, hashOf("d"))
	if err := os.WriteFile(res.Files[0], []byte("PAR1 not really PAR1"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Scan(context.Background(), l, VPCFlow, nil, func(Partition, []ocsf.NetworkActivity) error { return nil })
	if err == nil || !strings.Contains(err.Error(), res.Files[0]) {
		t.Errorf("scan of a damaged file = %v, want an error naming it", err)
	}
}

func TestScanSplitsRowGroups(t *testing.T) {
	// Row groups split into chunks that do not fall on batch or page boundaries are read by
	// several decoders (seeking into the row group), and still come back whole and in order.
	l := openLake(t, WithParallelism(1), WithBatchRows(100), WithRowGroupRows(1000), WithPageBufferSize(4<<10))
	tx := begin(t, l, "split")
	var e ocsf.NetworkActivity
	var want []ocsf.NetworkActivity
	const n = 2500
	for i := range n {
		flow(&e, i, "111111111111", "us-east-1", day0)
		if i%3 == 0 {
			e.Observables = append(e.Observables, ocsf.NewObservable("extra", ocsf.ObservableOther, fmt.Sprint(i)))
		}
		want = append(want, e)
		if err := tx.Write(&e); err != nil {
			t.Fatal(err)
		}
	}
	commit(t, tx, hashOf("split"))
	ts := l.specs[VPCFlow]
	parts, err := l.partitions(context.Background(), ts)
	if err != nil || len(parts) != 1 {
		t.Fatal(parts, err)
	}
	ents, _ := l.st.list(context.Background(), "VPC_FLOW/2.0/region=us-east-1/accountId=111111111111/eventDay=20240501")
	var files []scanFile
	for _, e := range ents {
		files = append(files, scanFile{p: parts[0], rel: "VPC_FLOW/2.0/region=us-east-1/accountId=111111111111/eventDay=20240501/" + e.name})
	}
	for _, chunk := range []int64{37, 333, 1000, 5000} {
		var got []ocsf.NetworkActivity
		err := runScan(context.Background(), l, files, 3, chunk, func(_ Partition, rows []ocsf.NetworkActivity) error {
			got = append(got, rows...)
			return nil
		})
		if err != nil {
			t.Fatalf("chunk %d: %v", chunk, err)
		}
		if len(got) != n {
			t.Fatalf("chunk %d: %d rows, want %d", chunk, len(got), n)
		}
		for i := range got {
			if a, b := jsonLines(t, got[i:i+1]), jsonLines(t, want[i:i+1]); a[0] != b[0] {
				t.Fatalf("chunk %d: row %d:\n got %s\nwant %s", chunk, i, a[0], b[0])
			}
		}
	}
}
