package securitylake

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/mcpwatch/mcpwatch/internal/lake"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/sourcetest"
	"github.com/mcpwatch/mcpwatch/internal/source/vpcflow"
)

// parquetHead is what the ingest pipeline gives Sniff for Parquet content: the magic and the
// file's footer.
func parquetHead(t testing.TB, b []byte) []byte {
	t.Helper()
	n := int(binary.LittleEndian.Uint32(b[len(b)-8:]))
	return append([]byte("PAR1"), b[len(b)-8-n:len(b)-8]...)
}

// TestSniffSamples proves over every Parquet file of the samples that this format claims
// Security Lake's files and no raw flow log delivery, and that the vpcflow format claims the
// deliveries and none of Security Lake's files.
func TestSniffSamples(t *testing.T) {
	root := filepath.Join(sourcetest.DataDir(t), "security-lake-samples", "samples")
	var lakeFiles, flowFiles int
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".parquet" {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		head := parquetHead(t, b)
		isInput := strings.Contains(p, string(filepath.Separator)+"inputs"+string(filepath.Separator))
		sl, vf := (Format{}).Sniff(head), (vpcflow.Format{}).Sniff(head)
		if isInput {
			flowFiles++
			if sl || !vf {
				t.Errorf("%s (flow log delivery): securitylake %v, vpcflow %v", p, sl, vf)
			}
		} else {
			lakeFiles++
			if !sl || vf {
				t.Errorf("%s (Security Lake): securitylake %v, vpcflow %v", p, sl, vf)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if lakeFiles != 34 || flowFiles != 4 {
		t.Errorf("sniffed %d Security Lake files and %d deliveries, want 34 and 4", lakeFiles, flowFiles)
	}
	for _, head := range []string{"", "PAR1", "PAR1\x00\x01garbage", `{"class_uid":4001,"metadata":{}}`} {
		if (Format{}).Sniff([]byte(head)) {
			t.Errorf("Sniff(%q) = true", head)
		}
	}
}

// TestRoundTrip writes events of every table this format feeds through mcpwatch's own lake
// (OCSF 1.1.0, three-level lists, TIMESTAMP(MILLIS) datetimes) and reads the files back:
// every event must come back equal, in the lake's layout (its location gives nothing the
// rows lack).
func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	l, err := lake.Open(dir, lake.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	tx, err := l.Begin(context.Background(), lake.InputInfo{Name: "roundtrip"})
	if err != nil {
		t.Fatal(err)
	}
	want := sampleEvents()
	for _, ev := range want {
		if err := tx.Write(ev); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.Commit(context.Background(), lake.CommitInfo{ContentHash: strings.Repeat("ab", 32)}); err != nil {
		t.Fatal(err)
	}
	var got []ocsf.Event
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() && strings.HasPrefix(d.Name(), "_") {
			if err == nil {
				return filepath.SkipDir
			}
			return err
		}
		if filepath.Ext(p) != ".parquet" {
			return nil
		}
		if _, ok := ParseLocation(p); !ok {
			t.Errorf("%s: not recognized as Security Lake's layout", p)
		}
		s, err := readFile(t, p)
		if err != nil || len(s.Dead) != 0 {
			t.Errorf("%s: %v, dead letters %v", p, err, s.Dead)
		}
		got = append(got, s.Events...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("read back %d events, wrote %d", len(got), len(want))
	}
	key := func(ev ocsf.Event) string { b, _ := json.Marshal(ev); return string(b) }
	var a, b []string
	for i := range want {
		validate(t, got[i])
		a, b = append(a, key(want[i])), append(b, key(got[i]))
	}
	sort.Strings(a)
	sort.Strings(b)
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("read back\n%s\nwrote\n%s", b[i], a[i])
		}
	}
}

func i32(v int32) *int32 { return &v }

// sampleEvents are events of every class this format produces, with lists of objects, maps,
// pointers and datetimes.
func sampleEvents() []ocsf.Event {
	day := time.Date(2024, 5, 1, 10, 0, 0, 123e6, time.UTC)
	cloud := ocsf.Cloud{Provider: "AWS", Region: "us-east-1", Account: ocsf.Account{UID: "123456789012"}}
	md := func(product string, profiles ...string) ocsf.Metadata {
		return ocsf.Metadata{Version: ocsf.Version, Product: ocsf.Product{Name: product, VendorName: "AWS"}, Profiles: profiles}
	}
	flow := &ocsf.NetworkActivity{}
	flow.Classify(ocsf.ClassNetworkActivity, 6)
	flow.SetSeverity(ocsf.SeverityInformational)
	flow.SetTime(day)
	flow.Metadata = md("Amazon VPC", "cloud", "security_control", "datetime")
	flow.Cloud = cloud
	flow.StartTime, flow.StartTimeDT = day.UnixMilli(), day
	flow.SrcEndpoint = ocsf.NetworkEndpoint{IP: "10.0.0.5", Port: i32(51544), IntermediateIPs: []string{"10.0.0.6", "10.0.0.7"}}
	flow.DstEndpoint = ocsf.NetworkEndpoint{IP: "203.0.113.9", Port: i32(0)}
	flow.ConnectionInfo = ocsf.NetworkConnectionInfo{ProtocolNum: 6, TCPFlags: i32(0), Direction: "Outbound", DirectionID: 2}
	flow.Traffic = ocsf.NetworkTraffic{Bytes: 1 << 40, Packets: 3}
	flow.Action, flow.ActionID, flow.Disposition, flow.DispositionID = "Allowed", 1, "Allowed", 1
	flow.Observables = []ocsf.Observable{ocsf.NewObservable("dst_endpoint.ip", ocsf.ObservableIP, "203.0.113.9")}
	flow.Unmapped = map[string]string{"sublocation_id": "x", "ecs_cluster_name": "mcp"}

	dns := &ocsf.DNSActivity{}
	dns.Classify(ocsf.ClassDNSActivity, 2)
	dns.SetSeverity(ocsf.SeverityInformational)
	dns.SetTime(day)
	dns.Metadata = md("Route 53", "cloud", "security_control", "datetime")
	dns.Cloud = cloud
	dns.SrcEndpoint = ocsf.NetworkEndpoint{IP: "10.0.0.5", Port: i32(5353)}
	dns.Query = ocsf.DNSQuery{Hostname: "mcp.atlassian.com.", Type: "A", Class: "IN"}
	dns.Answers = []ocsf.DNSAnswer{{Rdata: "192.0.2.1", Type: "A", Class: "IN", FlagIDs: []int32{1, 3}, Flags: []string{"Authoritative Answer", "Recursion Desired"}},
		{Rdata: "192.0.2.2", Type: "A"}}
	dns.Rcode, dns.RcodeID = "NoError", i32(0)
	dns.Action, dns.ActionID = "Allowed", 1

	var out []ocsf.Event
	out = append(out, flow, dns)
	epoch, yes := int32(0), true
	for i, class := range []int32{ocsf.ClassDetectionFinding, ocsf.ClassComplianceFinding, ocsf.ClassVulnerabilityFinding} {
		f := &ocsf.ImportedFinding{FindingInfo: ocsf.FindingInfo{UID: fmt.Sprint("f-", i), Title: "t", Types: []string{"TTPs/Discovery"},
			CreatedTime: day.UnixMilli(), CreatedTimeDT: day, RelatedEvents: []ocsf.RelatedEvent{{UID: "r", ProductID: "p"}}}}
		f.Classify(class, 2)
		f.SetSeverity(ocsf.SeverityHigh)
		f.SetTime(day)
		f.Metadata = md("GuardDuty", "cloud", "datetime")
		f.Cloud = cloud
		f.Status, f.StatusID = "New", 1
		switch class {
		case ocsf.ClassDetectionFinding:
			f.Resources = []ocsf.ResourceDetails{{UID: "i-1", Type: "AwsEc2Instance", Labels: []string{"a=b"}}, {UID: "k", Type: "AwsIamAccessKey"}}
			f.Evidences = []ocsf.Evidence{{SrcEndpoint: ocsf.NetworkEndpoint{IP: "198.51.100.1"}, DstEndpoint: ocsf.NetworkEndpoint{IP: "10.0.0.9", Port: i32(6277)},
				ConnectionInfo: ocsf.NetworkConnectionInfo{Direction: "Inbound", DirectionID: 1}}, {Query: ocsf.DNSQuery{Hostname: "relay.example"}}}
			f.Observables = []ocsf.Observable{ocsf.NewObservable("evidences[].src_endpoint.ip", ocsf.ObservableIP, "198.51.100.1")}
		case ocsf.ClassComplianceFinding:
			f.Resource = ocsf.ResourceDetails{UID: "AWS::::Account:123456789012", Type: "AwsAccount"}
			f.Compliance = ocsf.Compliance{Control: "Config.1", Standards: []string{"standards/pci-dss/v/3.2.1"}, Requirements: []string{"PCI DSS 10.5.2"}, Status: "FAILED"}
			f.Remediation = ocsf.Remediation{Desc: "enable", References: []string{"https://docs.aws.amazon.com/x"}}
		case ocsf.ClassVulnerabilityFinding:
			f.Resource = ocsf.ResourceDetails{UID: "arn:aws:ecr:...", Type: "AwsEcrContainerImage"}
			f.Vulnerabilities = []ocsf.Vulnerability{{CVE: ocsf.CVE{UID: "CVE-2023-1255", CreatedTime: day.UnixMilli(), CreatedTimeDT: day,
				CVSS: []ocsf.CVSS{{BaseScore: 5.9, Version: "3.1"}, {BaseScore: 4.4, Version: "2.0", VectorString: "AV:L"}}, EPSS: ocsf.EPSS{Score: "0.00066"}},
				AffectedPackages: []ocsf.AffectedPackage{{Name: "openssl", Version: "3.0.8", Epoch: &epoch}}, IsFixAvailable: &yes,
				References: []string{"https://example.com/1", "https://example.com/2"}}}
		}
		out = append(out, f)
	}
	return out
}

// legacyRow is a row in the shape of Security Lake's parquet-mr files: lists as a group
// holding a repeated "array" field (two-level, here without the LIST annotation, which
// parquet-go does not write for this shape).
type legacyRow struct {
	Metadata struct {
		Version string `parquet:"version"`
		Product struct {
			Name       string `parquet:"name"`
			VendorName string `parquet:"vendor_name"`
		} `parquet:"product"`
		Profiles *struct {
			Array []string `parquet:"array"`
		} `parquet:"profiles,optional"`
	} `parquet:"metadata"`
	Time  int64 `parquet:"time"`
	Cloud struct {
		AccountUID *string `parquet:"account_uid,optional"`
		Region     string  `parquet:"region"`
		Provider   string  `parquet:"provider"`
	} `parquet:"cloud"`
	SrcEndpoint struct {
		IP string `parquet:"ip"`
	} `parquet:"src_endpoint"`
	Query *struct {
		Hostname string `parquet:"hostname"`
	} `parquet:"query,optional"`
	Answers *struct {
		Array []struct {
			Rdata string  `parquet:"rdata"`
			Type  *string `parquet:"type,optional"`
		} `parquet:"array"`
	} `parquet:"answers,optional"`
	ClassUID      int32  `parquet:"class_uid"`
	CategoryUID   int32  `parquet:"category_uid"`
	ActivityID    int32  `parquet:"activity_id"`
	ActivityName  string `parquet:"activity_name"`
	SeverityID    int32  `parquet:"severity_id"`
	TypeUID       int32  `parquet:"type_uid"`
	DispositionID int32  `parquet:"disposition_id"`
}

// legacyFile writes n rows of DNS activity (with row i of class 4002, HTTP Activity, which
// mcpwatch has no type for) in row groups of groupRows rows.
func legacyFile(t testing.TB, n int, http int, groupRows int64) []byte {
	t.Helper()
	var b bytes.Buffer
	w := parquet.NewGenericWriter[legacyRow](&b, parquet.MaxRowsPerRowGroup(groupRows))
	acct := "123456789012"
	for i := range n {
		var r legacyRow
		r.Metadata.Version = "1.0.0-rc.2"
		r.Metadata.Product.Name, r.Metadata.Product.VendorName = "Route 53", "AWS"
		r.Metadata.Profiles = &struct {
			Array []string `parquet:"array"`
		}{Array: []string{"cloud", "security_control"}}
		r.Time = 1700000000000 + int64(i)*1000
		if i%3 != 0 {
			r.Cloud.AccountUID = &acct
		}
		r.Cloud.Region, r.Cloud.Provider = "eu-west-1", "AWS"
		r.SrcEndpoint.IP = fmt.Sprintf("10.1.0.%d", i)
		r.Query = &struct {
			Hostname string `parquet:"hostname"`
		}{Hostname: fmt.Sprintf("host%d.example.", i)}
		if i%2 == 0 {
			typ := "A"
			r.Answers = &struct {
				Array []struct {
					Rdata string  `parquet:"rdata"`
					Type  *string `parquet:"type,optional"`
				} `parquet:"array"`
			}{}
			for j := range i % 4 {
				r.Answers.Array = append(r.Answers.Array, struct {
					Rdata string  `parquet:"rdata"`
					Type  *string `parquet:"type,optional"`
				}{Rdata: fmt.Sprintf("192.0.2.%d", j), Type: &typ})
			}
		}
		r.ClassUID, r.CategoryUID, r.ActivityID, r.ActivityName, r.SeverityID, r.TypeUID = 4003, 4, 2, "Response", 1, 400302
		r.DispositionID = 16
		if i == http {
			r.ClassUID, r.TypeUID = 4002, 400201
		}
		if _, err := w.Write([]legacyRow{r}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestLegacyRowGroups reads a file of many rows in several row groups with legacy lists,
// nulls and empty lists, in Security Lake's S3 layout: every row is accounted for, in order,
// and what the rows lack comes from the layout.
func TestLegacyRowGroups(t *testing.T) {
	const n = 40
	b := legacyFile(t, n, 17, 7)
	name := "s3://aws-security-data-lake-eu-west-1-x/aws/ROUTE53/1.0/region=eu-west-1/accountId=999999999999/eventDay=20231114/f.gz.parquet"
	s, err := readBytes(t, name, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Events) != n-1 || len(s.Dead) != 1 || s.Dead[0].Pos != 18 {
		t.Fatalf("%d events, dead letters %+v; want %d and the row 18 (HTTP Activity)", len(s.Events), s.Dead, n-1)
	}
	if !strings.Contains(s.Dead[0].Reason, "class 4002") || !strings.Contains(s.Dead[0].Raw, `"class_uid":4002`) {
		t.Errorf("dead letter %+v", s.Dead[0])
	}
	for k, ev := range s.Events {
		i := int(s.Pos[k] - 1)
		d := ev.(*ocsf.DNSActivity)
		validate(t, d)
		if d.Query.Hostname != fmt.Sprintf("host%d.example.", i) || d.Time != 1700000000000+int64(i)*1000 {
			t.Errorf("row %d: %+v", i, d.Query)
		}
		wantAnswers := 0
		if i%2 == 0 {
			wantAnswers = i % 4
		}
		if len(d.Answers) != wantAnswers {
			t.Errorf("row %d: %d answers, want %d", i, len(d.Answers), wantAnswers)
		}
		for j, a := range d.Answers {
			if a.Rdata != fmt.Sprintf("192.0.2.%d", j) || a.Type != "A" {
				t.Errorf("row %d answer %d: %+v", i, j, a)
			}
		}
		wantAcct := "123456789012"
		if i%3 == 0 {
			wantAcct = "999999999999" // from the layout
		}
		if d.Cloud.Account.UID != wantAcct || d.ActionID != 1 || strings.Join(d.Metadata.Profiles, ",") != "cloud,security_control,datetime" {
			t.Errorf("row %d: account %q, action %d, profiles %v", i, d.Cloud.Account.UID, d.ActionID, d.Metadata.Profiles)
		}
	}
}

// TestBrokenFiles: corrupt or truncated files end with an error, never a panic, keeping
// what was read.
func TestBrokenFiles(t *testing.T) {
	good := legacyFile(t, 30, -1, 7)
	tests := map[string][]byte{
		"empty":            {},
		"magic only":       []byte("PAR1"),
		"no end magic":     good[:len(good)-1],
		"footer too long":  append(append([]byte{}, good[:len(good)-8]...), 0xff, 0xff, 0xff, 0x7f, 'P', 'A', 'R', '1'),
		"truncated footer": append(append([]byte("PAR1"), good[len(good)-40:len(good)-8]...), 32, 0, 0, 0, 'P', 'A', 'R', '1'),
	}
	// Corrupt the column data (not the footer) in several places.
	for _, at := range []int{4, 100, len(good) / 3, len(good) / 2} {
		c := bytes.Clone(good)
		for i := at; i < at+16 && i < len(c)-8; i++ {
			c[i] ^= 0x5a
		}
		tests[fmt.Sprint("corrupt at ", at)] = c
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := readBytes(t, "broken.parquet", b)
			if err == nil && len(s.Events)+len(s.Dead) != 30 {
				t.Errorf("no error and %d records", len(s.Events)+len(s.Dead))
			}
		})
	}
	// Content without random access is refused clearly.
	err := Format{}.Read(context.Background(), source.Input{Name: "stream", R: bytes.NewReader(good)}, &recordingSink{T: t})
	if err == nil || !strings.Contains(err.Error(), "random access") {
		t.Errorf("stream: %v", err)
	}
	// A Parquet file that is not OCSF.
	flows, err := os.ReadFile(filepath.Join(sourcetest.DataDir(t), "security-lake-samples", "samples", "1.0.0-rc.2", "VPC_FLOW", "inputs", "vpc_flow-input0.json.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readBytes(t, "flows.parquet", flows); !errors.Is(err, errSchema) {
		t.Errorf("flow log delivery: %v, want errSchema", err)
	}
}

func TestParseLocation(t *testing.T) {
	for name, want := range map[string]Location{
		"s3://aws-security-data-lake-us-east-1-abc/aws/VPC_FLOW/1.0/region=us-east-1/accountId=123456789012/eventDay=20230101/x.gz.parquet": {
			"VPC_FLOW", "1.0", "us-east-1", "123456789012"},
		"/lake/SH_FINDINGS/2.0/region=eu-west-1/accountId=111111111111/eventDay=20240501/f.parquet": {"SH_FINDINGS", "2.0", "eu-west-1", "111111111111"},
		"/tmp/example0.gz.parquet": {},
	} {
		got, ok := ParseLocation(name)
		if got != want || ok != (want != Location{}) {
			t.Errorf("ParseLocation(%q) = %+v, %v", name, got, ok)
		}
	}
}
