package lake

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// cloudTrailLeaves is how many leaf columns CloudTrailRow has (its documentation says so).
const cloudTrailLeaves = 92

func TestCloudTrailRowLeaves(t *testing.T) {
	if n := len(parquet.SchemaOf(new(CloudTrailRow)).Columns()); n != cloudTrailLeaves {
		t.Errorf("CloudTrailRow has %d leaf columns, want %d", n, cloudTrailLeaves)
	}
}

// cloudTrailEvents returns one event of each class CLOUD_TRAIL_MGMT holds, every attribute a
// row keeps set, in account and region.
func cloudTrailEvents(account, region string, t time.Time) []ocsf.Event {
	yes, no := true, false
	base := func(class, activity int32) ocsf.Base {
		var b ocsf.Base
		b.Classify(class, activity)
		b.SetSeverity(ocsf.SeverityInformational)
		b.SetTime(t)
		b.Metadata = ocsf.Metadata{Version: ocsf.Version, UID: "e-" + region, EventCode: "AwsApiCall", Profiles: []string{"cloud", "datetime"},
			Product: ocsf.Product{Name: "CloudTrail", VendorName: "AWS", Version: "1.08", Feature: ocsf.Feature{Name: "Management"}}}
		b.Cloud = ocsf.Cloud{Provider: "AWS", Region: region, Account: ocsf.Account{UID: account}}
		b.Observables = []ocsf.Observable{ocsf.NewObservable("src_endpoint.ip", ocsf.ObservableIP, "192.0.2.1")}
		b.Unmapped = map[string]string{"recipientAccountId": account, "readOnly": "false"}
		return b
	}
	actor := ocsf.Actor{User: ocsf.User{UID: "arn:aws:sts::1:assumed-role/r/s", UIDAlt: "AROA:s", Name: "s", Type: "AssumedRole",
		CredentialID: "ASIA", Account: ocsf.Account{UID: account}}, InvokedBy: "cloudformation.amazonaws.com",
		IdP:     ocsf.IdP{Name: "accounts.google.com", UID: "arn:aws:identitystore::1:identitystore/d-1"},
		Session: ocsf.Session{CreatedTime: t.UnixMilli() - 1000, CreatedTimeDT: t.Add(-time.Second), IsMFA: &no, Issuer: "arn:aws:iam::1:role/r"}}
	api := ocsf.API{Operation: "RunInstances", Version: "2016-11-15", Service: ocsf.Service{Name: "ec2.amazonaws.com"},
		Request:  ocsf.APIRequest{UID: "req", Data: `{"userData":"IyEvYmluL3No"}`},
		Response: ocsf.APIResponse{Error: "Client.UnauthorizedOperation", Message: "denied", Data: `{"x":1}`}}
	a := &ocsf.APIActivity{Base: base(ocsf.ClassAPIActivity, 1), API: api, Actor: actor,
		SrcEndpoint: ocsf.NetworkEndpoint{IP: "192.0.2.1", UID: "vpce-1"}, DstEndpoint: ocsf.NetworkEndpoint{Hostname: "ec2.amazonaws.com"},
		HTTPRequest: ocsf.HTTPRequest{UserAgent: "aws-cli/2"}, StatusID: 2, Status: "Failure",
		Resources: []ocsf.ResourceDetails{{UID: "arn:aws:ec2:r:1:instance/i-1", Name: "i-1", Type: "AWS::EC2::Instance",
			Owner: ocsf.User{Account: ocsf.Account{UID: account}}}}}
	au := &ocsf.Authentication{Base: base(ocsf.ClassAuthentication, 1), API: api, Actor: actor,
		SrcEndpoint: ocsf.NetworkEndpoint{Domain: "AWS Internal", SvcName: "AWS Internal"},
		DstEndpoint: ocsf.NetworkEndpoint{SvcName: "https://console.aws.amazon.com/"}, HTTPRequest: ocsf.HTTPRequest{UserAgent: "Mozilla"},
		User:    ocsf.User{UID: "arn:aws:iam::1:user/b", UIDAlt: "AIDA", Name: "b", Account: ocsf.Account{UID: account}},
		Service: ocsf.Service{Name: "signin.amazonaws.com"}, IsMFA: &yes, StatusID: 1, Status: "Success"}
	ac := &ocsf.AccountChange{Base: base(ocsf.ClassAccountChange, 7), API: api, Actor: actor,
		SrcEndpoint: ocsf.NetworkEndpoint{IP: "2001:db8::1"}, HTTPRequest: ocsf.HTTPRequest{UserAgent: "console"},
		User: ocsf.User{UID: "arn:aws:iam::1:role/x", UIDAlt: "AROAX", Name: "x"}, StatusID: 1, Status: "Success"}
	return []ocsf.Event{a, au, ac}
}

// TestCloudTrailMgmtTable writes events of the three classes to CLOUD_TRAIL_MGMT in two
// partitions and reads them back: each row converts back to the event written.
func TestCloudTrailMgmtTable(t *testing.T) {
	l := openLake(t)
	tx := begin(t, l, "ct")
	var written []ocsf.Event
	for _, p := range []struct{ account, region string }{{"111111111111", "us-east-1"}, {"222222222222", "eu-west-3"}} {
		for _, ev := range cloudTrailEvents(p.account, p.region, day0) {
			if err := tx.Write(ev); err != nil {
				t.Fatal(err)
			}
			written = append(written, ev)
		}
	}
	if err := tx.Write((*ocsf.AccountChange)(nil)); err == nil {
		t.Error("a nil event was written")
	}
	commit(t, tx, hashOf("ct"))

	parts, err := l.Partitions(CloudTrailMgmt)
	if err != nil || len(parts) != 2 || parts[1].Account != "111111111111" || parts[1].Region != "us-east-1" ||
		parts[0].Account != "222222222222" || parts[0].Region != "eu-west-3" || parts[0].Day != "20240501" {
		t.Fatalf("partitions %+v, %v", parts, err)
	}
	want := map[string]bool{}
	for _, ev := range written {
		b, _ := json.Marshal(ev)
		want[string(b)] = true
	}
	rows := scanAll[CloudTrailRow](t, l, CloudTrailMgmt)
	if len(rows) != len(written) {
		t.Fatalf("%d rows, want %d", len(rows), len(written))
	}
	for _, r := range rows {
		b, _ := json.Marshal(r.Event())
		if !want[string(b)] {
			t.Errorf("row read back as %s, which was not written", b)
		}
		delete(want, string(b))
	}
}

func TestCloudTrailRowOf(t *testing.T) {
	var r CloudTrailRow
	for _, ev := range []ocsf.Event{&ocsf.DNSActivity{}, (*ocsf.APIActivity)(nil), (*ocsf.Authentication)(nil), (*ocsf.AccountChange)(nil)} {
		if cloudTrailRowOf(&r, ev) {
			t.Errorf("%T converted", ev)
		}
	}
	// A row is overwritten whole.
	evs := cloudTrailEvents("1", "r", day0)
	cloudTrailRowOf(&r, evs[0])
	cloudTrailRowOf(&r, evs[2])
	if len(r.Resources) != 0 || r.DstEndpoint.Hostname != "" || r.ClassUID != ocsf.ClassAccountChange {
		t.Errorf("row kept attributes of the previous event: %+v", r)
	}
	r.ClassUID = ocsf.ClassDNSActivity
	if r.Event() != nil {
		t.Error("a row of another class converted")
	}
}

// BenchmarkCloudTrailWrite writes CLOUD_TRAIL_MGMT rows (the three classes in turn, every
// attribute a row keeps set) through a transaction in one partition, encoding included, and
// reports the CPU time a row costs.
func BenchmarkCloudTrailWrite(b *testing.B) {
	l := openLake(b, WithParallelism(1))
	evs := cloudTrailEvents("111111111111", "us-east-1", day0)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	tx, err := l.Begin(context.Background(), InputInfo{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	for i := range b.N {
		if err := tx.Write(evs[i%len(evs)]); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := tx.Commit(context.Background(), CommitInfo{ContentHash: hashOf(b.Name() + strconv.Itoa(b.N))}); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/row")
	}
}
