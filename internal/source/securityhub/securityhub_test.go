package securityhub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/sourcetest"
)

// samples returns compact JSON of the three 1.1.0 example findings (GuardDuty, PCI,
// Inspector) and the GuardDuty user guide's SSH brute force finding.
func samples(t testing.TB) (gd, pci, insp, ssh string) {
	t.Helper()
	dir := filepath.Join(sourcetest.DataDir(t), "ocsf-examples", "aws", "v1.1.0", "Security Hub")
	load := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var c bytes.Buffer
		if err := json.Compact(&c, b); err != nil {
			t.Fatal(err)
		}
		return c.String()
	}
	return load(filepath.Join(dir, "Detection Finding/samples/sechub-guardduty.raw")),
		load(filepath.Join(dir, "Compliance Finding/samples/sechub-pci.raw")),
		load(filepath.Join(dir, "Vulnerability Finding/samples/inspector.raw")),
		load(filepath.Join("testdata", "guardduty-ssh-bruteforce.asff.json"))
}

// TestInputShapes reads the same findings in every envelope AWS delivers them in and checks
// that each yields the same events, with every record accounted for.
func TestInputShapes(t *testing.T) {
	gd, pci, insp, ssh := samples(t)
	eventBridge := func(findings ...string) string {
		return `{"version":"0","id":"4f7f6a4c-2b6c-4f0c-9b8a-0d1b4c3b2a10","detail-type":"Security Hub Findings - Imported",` +
			`"source":"aws.securityhub","account":"111111111111","time":"2023-09-19T15:05:23Z","region":"us-east-2",` +
			`"resources":[],"detail":{"findings":[` + strings.Join(findings, ",") + `]}}`
	}
	var pretty bytes.Buffer
	json.Indent(&pretty, []byte(`{"Findings":[`+gd+`,`+pci+`],"NextToken":"abc"}`), "", "  ")
	tests := []struct {
		name, input string
		uids        []string
		dead, skip  int
	}{
		{"one finding", pci, []string{"pci"}, 0, 0},
		{"pretty single finding", func() string { var b bytes.Buffer; json.Indent(&b, []byte(gd), "", "    "); return b.String() }(),
			[]string{"gd"}, 0, 0},
		{"BatchImportFindings", `{"Findings":[` + gd + `,` + pci + `,` + insp + `]}`, []string{"gd", "pci", "insp"}, 0, 0},
		{"GetFindings, pretty", pretty.String(), []string{"gd", "pci"}, 0, 0},
		{"EventBridge", eventBridge(gd, ssh), []string{"gd", "ssh"}, 0, 0},
		{"NDJSON of findings", gd + "\n" + pci + "\r\n\n" + insp + "\n", []string{"gd", "pci", "insp"}, 0, 0},
		{"NDJSON of events", eventBridge(gd) + "\n" + eventBridge(pci, insp), []string{"gd", "pci", "insp"}, 0, 0},
		{"concatenated documents", eventBridge(gd) + eventBridge(ssh), []string{"gd", "ssh"}, 0, 0},
		{"JSON array", "[" + gd + "," + pci + "]", []string{"gd", "pci"}, 0, 0},
		{"NDJSON with a broken line", gd + "\n{\"Id\": \n" + pci + "\n", []string{"gd", "pci"}, 1, 0},
		{"NDJSON with a non-finding", gd + "\n[1,\"x\"]\n{\"hello\":1}\n", []string{"gd"}, 3, 0},
		{"other EventBridge event", `{"version":"0","detail-type":"Security Hub Insight Results","source":"aws.securityhub","detail":{"insightName":"x"}}` +
			"\n" + eventBridge(ssh), []string{"ssh"}, 0, 1},
		{"finding without Id", strings.Replace(pci, `"Id":`, `"Ident":`, 1), nil, 1, 0},
		{"finding without Title", strings.Replace(pci, `"Title":`, `"Titel":`, 1), nil, 1, 0},
		{"finding without times", strings.NewReplacer(`"UpdatedAt":`, `"U":`, `"CreatedAt":`, `"C":`).Replace(pci), nil, 1, 0},
	}
	want := map[string]string{
		"gd":   "arn:aws:guardduty:us-east-2:111111111111:detector/1ac1bfceda6679698215d5d0EXAMPLE/finding/a6c556fcbc9bea427a19f8b787099a0b",
		"pci":  "arn:aws:securityhub:us-east-2:111111111111:subscription/pci-dss/v/3.2.1/PCI.Config.1/finding/7d619054-6f0d-456b-aa75-23b20f74fae6",
		"insp": "arn:aws:inspector2:us-east-2:111111111111:finding/faa0d54609b94871badcc83ac7c2add5",
		"ssh":  "arn:aws:guardduty:us-east-1:193043430472:detector/d4b040365221be2b54a6264dc9a4bc64/finding/46ba0ac2845071e23ccdeb2ae03bfdea",
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := read(t, tt.input)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range s.Events {
				got = append(got, e.FindingInfo.UID)
				validate(t, e)
			}
			var wantUIDs []string
			for _, u := range tt.uids {
				wantUIDs = append(wantUIDs, want[u])
			}
			if strings.Join(got, " ") != strings.Join(wantUIDs, " ") {
				t.Errorf("findings %q, want %q", got, wantUIDs)
			}
			if len(s.Dead) != tt.dead || len(s.Skips) != tt.skip {
				t.Errorf("dead letters %v, skipped %v; want %d and %d", s.Dead, s.Skips, tt.dead, tt.skip)
			}
			// Positions are the records' ordinals.
			var pos []int64
			pos = append(pos, s.Pos...)
			for _, d := range s.Dead {
				pos = append(pos, d.Pos)
				if d.Reason == "" || d.Raw == "" {
					t.Errorf("dead letter without raw record or reason: %+v", d)
				}
			}
			seen := map[int64]bool{}
			for _, p := range pos {
				if p < 1 || p > int64(s.Records()) || seen[p] {
					t.Errorf("position %d of %d records (all: %v)", p, s.Records(), pos)
				}
				seen[p] = true
			}
		})
	}
}

func TestDeadLetterReasons(t *testing.T) {
	_, pci, _, _ := samples(t)
	for _, tt := range []struct{ input, reason string }{
		{strings.Replace(pci, `"Id":`, `"Ident":`, 1), "no Id"},
		{strings.Replace(pci, `"Title":`, `"Titel":`, 1), "has no Title"},
		{strings.NewReplacer(`"UpdatedAt":`, `"U":`, `"CreatedAt":`, `"C":`).Replace(pci), "neither a valid UpdatedAt nor a valid CreatedAt"},
		{`{"hello":"world"}`, "not an ASFF finding"},
		{`"text"`, "not a JSON object"},
		{pci + "\n{\"broken\n", "invalid JSON"},
	} {
		s, err := read(t, tt.input)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Dead) != 1 || !strings.Contains(s.Dead[0].Reason, tt.reason) {
			t.Errorf("%.60s: dead letters %v, want one saying %q", tt.input, s.Dead, tt.reason)
		}
	}
}

func TestReadErrors(t *testing.T) {
	_, pci, _, _ := samples(t)
	// A broken multi-line document ends the input after what could be read.
	s, err := read(t, "{\n\"Findings\": ["+pci+"]\n}\n{\n\"Findings\": [")
	if err == nil || !strings.Contains(err.Error(), "invalid JSON") || len(s.Events) != 1 {
		t.Errorf("got %d events and error %v; want 1 event and an invalid JSON error", len(s.Events), err)
	}
	// A value over the limit ends the input.
	s = &recordingSink{T: t}
	big := "{\n\"Findings\": [" + strings.Repeat(pci+",", 100) + pci + "]}"
	err = Format{MaxValueBytes: 1 << 16}.Read(context.Background(), source.Input{Name: "big", R: strings.NewReader(big)}, s)
	if !errors.Is(err, errTooLarge) || s.Records() != 0 {
		t.Errorf("got %d records and error %v; want none and errTooLarge", s.Records(), err)
	}
	s = &recordingSink{T: t}
	err = Format{MaxValueBytes: 1 << 10}.Read(context.Background(), source.Input{Name: "line", R: strings.NewReader(pci + "\n")}, s)
	if !errors.Is(err, errTooLarge) {
		t.Errorf("long line: error %v, want errTooLarge", err)
	}
	// Random access only.
	s = &recordingSink{T: t}
	if err := (Format{}).Read(context.Background(), source.Input{Name: "ra", ReaderAt: strings.NewReader(pci), Size: int64(len(pci))}, s); err != nil || len(s.Events) != 1 {
		t.Errorf("ReaderAt input: %d events, %v", len(s.Events), err)
	}
	// Cancellation.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	many := strings.Repeat(pci+"\n", checkEvery+1)
	s = &recordingSink{T: t}
	if err := (Format{}).Read(ctx, source.Input{Name: "c", R: strings.NewReader(many)}, s); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
}

// TestAccountRegionFallback: a finding without AwsAccountId or Region takes the input's.
func TestAccountRegionFallback(t *testing.T) {
	_, pci, _, _ := samples(t)
	in := strings.NewReplacer(`"AwsAccountId":"111111111111",`, "", `"Region":"us-east-2",`, "").Replace(pci)
	s, err := read(t, in)
	if err != nil || len(s.Events) != 1 {
		t.Fatalf("%v %v", err, s.Dead)
	}
	if c := s.Events[0].Cloud; c.Account.UID != "999999999999" || c.Region != "eu-west-1" {
		t.Errorf("cloud %+v", c)
	}
}

func TestSniff(t *testing.T) {
	gd, pci, _, _ := samples(t)
	for _, tt := range []struct {
		head string
		want bool
	}{
		{pci, true},
		{"\ufeff  \n" + gd, true},
		{`{"Findings":[` + pci + `]}`, true},
		{`{"version":"0","detail-type":"Security Hub Findings - Imported","source":"aws.securityhub","detail":{"findings":[]}}`, true},
		{`{"version":"0","detail-type":"GuardDuty Finding","source":"aws.guardduty","detail":{"schemaVersion":"2.0","accountId":"1"}}`, false},
		{`{"schemaVersion":"2.0","accountId":"123456789012","type":"Recon:EC2/PortProbeUnprotectedPort","service":{"serviceName":"guardduty"}}`, false},
		{`{"Records":[{"eventVersion":"1.08","eventSource":"securityhub.amazonaws.com"}]}`, false},
		{"2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1 2 ACCEPT OK", false},
		{"PAR1", false},
		{"", false},
	} {
		if got := (Format{}).Sniff([]byte(tt.head)); got != tt.want {
			t.Errorf("Sniff(%.80q) = %v, want %v", tt.head, got, tt.want)
		}
	}
}

// TestEvidences checks what detection correlates on in the GuardDuty user guide's SSH brute
// force finding: the connection, its addresses and ports, and the observables.
func TestEvidences(t *testing.T) {
	_, _, _, ssh := samples(t)
	s, err := read(t, ssh)
	if err != nil || len(s.Events) != 1 {
		t.Fatal(err, s.Dead)
	}
	ev := s.Events[0]
	validate(t, ev)
	if len(ev.Evidences) != 1 {
		t.Fatalf("evidences %+v", ev.Evidences)
	}
	e := ev.Evidences[0]
	if e.SrcEndpoint.IP != "199.241.229.197" || *e.SrcEndpoint.Port != 46717 || e.DstEndpoint.IP != "172.31.43.6" ||
		*e.DstEndpoint.Port != 22 || e.ConnectionInfo.ProtocolNum != 6 || e.ConnectionInfo.DirectionID != 1 {
		t.Errorf("evidence %+v", e)
	}
	var obs []string
	for _, o := range ev.Observables {
		obs = append(obs, o.Name+"="+o.Value)
	}
	want := "evidences[].src_endpoint.ip=199.241.229.197 evidences[].dst_endpoint.ip=172.31.43.6 " +
		"resources[].uid=arn:aws:ec2:us-east-1:193043430472:instance/i-0c10c2c7863d1a356"
	if strings.Join(obs, " ") != want {
		t.Errorf("observables %s\nwant %s", strings.Join(obs, " "), want)
	}
	if ev.Resources[0].Labels[0] != "Name=kubectl" || ev.SeverityID != ocsf.SeverityMedium || ev.ActivityID != 2 {
		t.Errorf("labels %v severity %d activity %d", ev.Resources[0].Labels, ev.SeverityID, ev.ActivityID)
	}
	for _, k := range []string{"ProductFields.aws/guardduty/service/action/networkConnectionAction/remoteIpDetails/ipAddressV4",
		"ProductFields.aws/guardduty/service/action/networkConnectionAction/localPortDetails/port"} {
		if _, ok := ev.Unmapped[k]; ok {
			t.Errorf("%s mapped and still in unmapped", k)
		}
	}
	if ev.Unmapped["ProductFields.aws/guardduty/service/action/networkConnectionAction/remotePortDetails/portName"] != "Unknown" {
		t.Errorf("unmapped %v", ev.Unmapped)
	}
}

// TestActionAndNetwork: findings of other products carry their network facts in the ASFF
// Action or Network objects.
func TestActionAndNetwork(t *testing.T) {
	base := `{"SchemaVersion":"2018-10-08","Id":"p-1","ProductArn":"arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default",` +
		`"GeneratorId":"rule-1","AwsAccountId":"111111111111","Types":["TTPs/Command and Control"],"CreatedAt":"2024-01-01T00:00:00Z",` +
		`"UpdatedAt":"2024-01-01T00:00:00Z","Severity":{"Normalized":75},"Title":"t","Description":"d","Resources":[{"Type":"Other","Id":"x"}]`
	tests := []struct {
		name, extra string
		want        string
	}{
		{"Action", `,"Action":{"ActionType":"NETWORK_CONNECTION","NetworkConnectionAction":{"ConnectionDirection":"OUTBOUND",` +
			`"RemoteIpDetails":{"IpAddressV4":"203.0.113.9"},"RemotePortDetails":{"Port":8080},"LocalIpDetails":{"IpAddressV4":"10.0.0.5"},"Protocol":"TCP"},` +
			`"DnsRequestAction":{"Domain":"mcp.example.com"}}`,
			"10.0.0.5>203.0.113.9:8080 mcp.example.com"},
		{"Network", `,"Network":{"Direction":"OUT","Protocol":"UDP","SourceIpV4":"10.0.0.7","DestinationIpV6":"2001:db8::1","DestinationPort":53,"DestinationDomain":"relay.example"}`,
			"10.0.0.7>2001:db8::1:53 relay.example"},
		{"port probes", `,"Action":{"ActionType":"PORT_PROBE","PortProbeAction":{"PortProbeDetails":[` +
			`{"LocalPortDetails":{"Port":3000},"LocalIpDetails":{"IpAddressV4":"10.0.0.9"},"RemoteIpDetails":{"IpAddressV4":"198.51.100.1"}},` +
			`{"LocalPortDetails":{"Port":6277},"LocalIpDetails":{"IpAddressV4":"10.0.0.9"},"RemoteIpDetails":{"IpAddressV4":"198.51.100.1"}}]}}`,
			"198.51.100.1>10.0.0.9:3000 198.51.100.1>10.0.0.9:6277"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := read(t, base+tt.extra+"}")
			if err != nil || len(s.Events) != 1 {
				t.Fatal(err, s.Dead)
			}
			ev := s.Events[0]
			validate(t, ev)
			if ev.ClassUID != ocsf.ClassDetectionFinding || ev.SeverityID != ocsf.SeverityHigh {
				t.Errorf("class %d severity %d", ev.ClassUID, ev.SeverityID)
			}
			var got []string
			for _, e := range ev.Evidences {
				switch {
				case e.Query.Hostname != "":
					got = append(got, e.Query.Hostname)
				default:
					s := e.SrcEndpoint.IP + ">" + e.DstEndpoint.IP
					if e.DstEndpoint.Port != nil {
						s += ":" + itoa(*e.DstEndpoint.Port)
					}
					got = append(got, s)
					if e.DstEndpoint.Domain != "" {
						got = append(got, e.DstEndpoint.Domain)
					}
				}
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("evidences %q, want %q", strings.Join(got, " "), tt.want)
			}
		})
	}
}

func itoa(n int32) string { b, _ := json.Marshal(n); return string(b) }
