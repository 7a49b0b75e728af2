package guardduty

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/source/securityhub"
	"github.com/mcpwatch/mcpwatch/internal/source/sourcetest"
)

// eventBridge wraps a native finding in the EventBridge event GuardDuty publishes.
func eventBridge(finding string) string {
	return `{"version":"0","id":"cd2d702e-ab31-411b-9344-793ce56b1bc7","detail-type":"GuardDuty Finding","source":"aws.guardduty",` +
		`"account":"111111111111","time":"2023-09-19T15:05:23Z","region":"us-east-2","resources":[],"detail":` + finding + `}`
}

// TestConsistentWithSecurityHub normalizes the native GuardDuty finding behind the OCSF
// example sechub-guardduty (as an EventBridge event) and the example's ASFF finding (through
// the securityhub format), and compares the two events attribute by attribute: a GuardDuty
// finding must look the same whichever way it arrives.
func TestConsistentWithSecurityHub(t *testing.T) {
	native := sourcetest.ReadFile(t, filepath.Join("testdata", "cloudtrail-logging-disabled.json"))
	s, err := read(t, Format{}, eventBridge(native))
	if err != nil || len(s.Events) != 1 {
		t.Fatalf("%v; dead letters %v, skipped %v", err, s.Dead, s.Skips)
	}
	ours := s.Events[0]
	validate(t, ours)

	raw := sourcetest.ReadFile(t, filepath.Join(sourcetest.DataDir(t), "ocsf-examples", "aws", "v1.1.0", "Security Hub",
		"Detection Finding", "samples", "sechub-guardduty.raw"))
	var viaHub ocsf.ImportedFinding
	if err := (securityhub.Normalizer{}).Normalize([]byte(raw), &viaHub); err != nil {
		t.Fatal(err)
	}
	o, r := sourcetest.FlattenEvent(t, ours, sourcetest.UTCDatetimes()), sourcetest.FlattenEvent(t, &viaHub, sourcetest.UTCDatetimes())
	sourcetest.CompareFlat(t, o, r, map[string]difference{
		"unmapped.Severity.Normalized": {vals("40"), nil,
			"Severity.Normalized is deprecated and Security Hub's value for a GuardDuty severity is not documented " +
				"(40 for severity 2, LOW, here; 40 for MEDIUM in the GuardDuty user guide): we leave it out"},
	})
}

// TestExportFile reads a GuardDuty S3 export (one finding per line) and checks what
// detection correlates on: connections, port probes, domains, resources and observables.
func TestExportFile(t *testing.T) {
	s, err := read(t, Format{}, sourcetest.ReadFile(t, filepath.Join("testdata", "findings-export.jsonl")))
	if err != nil || len(s.Events) != 3 || len(s.Dead)+len(s.Skips) != 0 {
		t.Fatalf("%v: %d events, dead letters %v, skipped %v", err, len(s.Events), s.Dead, s.Skips)
	}
	for _, ev := range s.Events {
		validate(t, ev)
	}
	conn, probe, dns := s.Events[0], s.Events[1], s.Events[2]

	if got := conn.FindingInfo.Types; len(got) != 1 || got[0] != "TTPs/Command and Control/UnauthorizedAccess:EC2-MaliciousIPCaller.Custom" {
		t.Errorf("types %q", got)
	}
	if conn.SeverityID != ocsf.SeverityMedium || conn.ActivityID != 2 || conn.StatusID != ocsf.StatusNew {
		t.Errorf("severity %d activity %d status %d", conn.SeverityID, conn.ActivityID, conn.StatusID)
	}
	r := conn.Resources[0]
	if r.Type != "AwsEc2Instance" || r.UID != "arn:aws:ec2:us-east-1:123456789012:instance/i-05746eb48123455e0" ||
		strings.Join(r.Labels, ",") != "Name=dev-workstation-7,team=ml" ||
		!strings.Contains(r.Data, `"IamInstanceProfileArn":"arn:aws:iam::123456789012:instance-profile/dev-workstation"`) ||
		!strings.Contains(r.Data, `"IpV4Addresses":["10.20.1.15"]`) {
		t.Errorf("resource %+v", r)
	}
	wantEvidence(t, conn, "data:{\"threatListName\":\"mcp-relays\"}", "10.20.1.15:51544>203.0.113.77:8000/6 Outbound")
	wantObservables(t, conn, "evidences[].src_endpoint.ip=10.20.1.15", "evidences[].dst_endpoint.ip=203.0.113.77",
		"resources[].uid=arn:aws:ec2:us-east-1:123456789012:instance/i-05746eb48123455e0")
	if conn.FindingInfo.FirstSeenTimeDT.Format("15:04:05") != "10:12:00" || conn.FindingInfo.LastSeenTimeDT.Format("15:04:05") != "11:40:27" {
		t.Errorf("first/last seen %v %v", conn.FindingInfo.FirstSeenTimeDT, conn.FindingInfo.LastSeenTimeDT)
	}

	wantEvidence(t, probe, "192.0.2.200>10.20.2.40:6277/0 Inbound", "192.0.2.201>10.20.2.40:6274/0 Inbound")
	if !strings.Contains(probe.Resources[0].Data, `"LaunchedAt":"2024-03-01T08:00:00Z"`) {
		t.Errorf("launch time in epoch milliseconds: %s", probe.Resources[0].Data)
	}
	if probe.SeverityID != ocsf.SeverityLow || probe.ActivityID != 1 {
		t.Errorf("severity %d activity %d", probe.SeverityID, probe.ActivityID)
	}

	wantEvidence(t, dns, "query:example.net", "query:x7f3.exfil.example.net")
	wantObservables(t, dns, "evidences[].query.hostname=example.net", "evidences[].query.hostname=x7f3.exfil.example.net",
		"resources[].uid=arn:aws:ec2:us-east-1:123456789012:instance/i-05746eb48123455e0")
	if dns.SeverityID != ocsf.SeverityHigh || dns.Unmapped["ProductFields.aws/guardduty/service/archived"] != "true" {
		t.Errorf("severity %d, archived %q", dns.SeverityID, dns.Unmapped["ProductFields.aws/guardduty/service/archived"])
	}
}

// wantEvidence compares the evidences of ev, written compactly, with want.
func wantEvidence(t *testing.T, ev *ocsf.ImportedFinding, want ...string) {
	t.Helper()
	var got []string
	for _, e := range ev.Evidences {
		switch {
		case e.Query.Hostname != "":
			got = append(got, "query:"+e.Query.Hostname)
		case e.SrcEndpoint.IP != "" && e.DstEndpoint.IP != "":
			s := e.SrcEndpoint.IP
			if e.SrcEndpoint.Port != nil {
				s += ":" + itoa(*e.SrcEndpoint.Port)
			}
			s += ">" + e.DstEndpoint.IP
			if e.DstEndpoint.Port != nil {
				s += ":" + itoa(*e.DstEndpoint.Port)
			}
			got = append(got, s+"/"+itoa(e.ConnectionInfo.ProtocolNum)+" "+e.ConnectionInfo.Direction)
		case e.Data != "":
			got = append(got, "data:"+e.Data)
		default:
			got = append(got, "?")
		}
	}
	if strings.Join(got, " | ") != strings.Join(want, " | ") {
		t.Errorf("evidences %q, want %q", got, want)
	}
}

func wantObservables(t *testing.T, ev *ocsf.ImportedFinding, want ...string) {
	t.Helper()
	var got []string
	for _, o := range ev.Observables {
		got = append(got, o.Name+"="+o.Value)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("observables %q, want %q", got, want)
	}
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

// pascal returns the JSON v with its object keys in PascalCase, as the AWS CLI writes
// GuardDuty findings, except the keys of affectedResources, which are data.
func pascal(v any, data bool) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			nk := k
			if !data {
				nk = strings.ToUpper(k[:1]) + k[1:]
			}
			out[nk] = pascal(e, k == "affectedResources")
		}
		return out
	case []any:
		for i, e := range v {
			v[i] = pascal(e, false)
		}
	}
	return v
}

// TestCLIOutput: `aws guardduty get-findings` writes {"Findings": [...]} with PascalCase keys;
// its findings must give the same events as the native JSON.
func TestCLIOutput(t *testing.T) {
	native := sourcetest.ReadFile(t, filepath.Join("testdata", "cloudtrail-logging-disabled.json"))
	var m map[string]any
	d := json.NewDecoder(strings.NewReader(native))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(map[string]any{"Findings": []any{pascal(m, false)}}, "", "    ")
	if !(Format{}).Sniff(b) {
		t.Error("Sniff does not recognize the CLI output")
	}
	s, err := read(t, Format{}, string(b))
	if err != nil || len(s.Events) != 1 {
		t.Fatalf("%v: dead letters %v", err, s.Dead)
	}
	want, err := read(t, Format{}, native)
	if err != nil || len(want.Events) != 1 {
		t.Fatal(err, want.Dead)
	}
	sourcetest.CompareFlat(t, sourcetest.FlattenEvent(t, s.Events[0], sourcetest.UTCDatetimes()),
		sourcetest.FlattenEvent(t, want.Events[0], sourcetest.UTCDatetimes()), map[string]difference{})
}

func TestInputShapesAndAccounting(t *testing.T) {
	native := sourcetest.ReadFile(t, filepath.Join("testdata", "cloudtrail-logging-disabled.json"))
	var c bytes.Buffer
	json.Compact(&c, []byte(native))
	one := c.String()
	tests := []struct {
		name, input           string
		events, dead, skipped int
		reason                string
	}{
		{"pretty finding", native, 1, 0, 0, ""},
		{"EventBridge NDJSON", eventBridge(one) + "\n" + eventBridge(one) + "\n", 2, 0, 0, ""},
		{"array of events", "[" + eventBridge(one) + "," + one + "]", 2, 0, 0, ""},
		{"other detail-type", `{"detail-type":"GuardDuty Runtime Protection Healthy","source":"aws.guardduty","detail":{}}` + "\n" + one, 1, 0, 1, ""},
		{"no type", strings.Replace(one, `"type":"Stealth`, `"kind":"Stealth`, 1), 0, 1, 0, "has no type"},
		{"no arn nor id", strings.NewReplacer(`"arn":`, `"ARNx":`, `"id":`, `"idx":`).Replace(one), 0, 1, 0, "no arn"},
		{"no title", strings.Replace(one, `"title":`, `"heading":`, 1), 0, 1, 0, "has no Title"},
		{"broken line", one + "\n{\"schemaVersion\":\n" + one, 2, 1, 0, "invalid JSON"},
		{"a number", one + "\n42\n", 1, 1, 0, "not a JSON object"},
		{"event without detail", `{"detail-type":"GuardDuty Finding","source":"aws.guardduty"}`, 0, 1, 0, "without a detail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := read(t, Format{}, tt.input)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Events) != tt.events || len(s.Dead) != tt.dead || len(s.Skips) != tt.skipped {
				t.Fatalf("%d events, dead %v, skipped %v; want %d, %d, %d", len(s.Events), s.Dead, s.Skips, tt.events, tt.dead, tt.skipped)
			}
			for _, ev := range s.Events {
				validate(t, ev)
			}
			if tt.reason != "" && !strings.Contains(s.Dead[0].Reason, tt.reason) {
				t.Errorf("dead letter %q, want %q", s.Dead[0].Reason, tt.reason)
			}
		})
	}
}

func TestSniff(t *testing.T) {
	native := sourcetest.ReadFile(t, filepath.Join("testdata", "cloudtrail-logging-disabled.json"))
	asff := sourcetest.ReadFile(t, filepath.Join(sourcetest.DataDir(t), "ocsf-examples", "aws", "v1.1.0", "Security Hub",
		"Detection Finding", "samples", "sechub-guardduty.raw"))
	export := sourcetest.ReadFile(t, filepath.Join("testdata", "findings-export.jsonl"))
	for _, tt := range []struct {
		name, head string
		gd, hub    bool
	}{
		{"native", native, true, false},
		{"export", export, true, false},
		{"EventBridge", eventBridge(native), true, false},
		{"ASFF", asff, false, true},
		{"ASFF in EventBridge", `{"detail-type":"Security Hub Findings - Imported","source":"aws.securityhub","detail":{"findings":[` + asff + `]}}`, false, true},
		{"CloudTrail", `{"Records":[{"eventVersion":"1.08","eventSource":"guardduty.amazonaws.com","eventName":"CreateDetector"}]}`, false, false},
		{"flow log", "version account-id interface-id\n2 123456789012 eni-1", false, false},
	} {
		if got := (Format{}).Sniff([]byte(tt.head)); got != tt.gd {
			t.Errorf("%s: guardduty Sniff = %v", tt.name, got)
		}
		if got := (securityhub.Format{}).Sniff([]byte(tt.head)); got != tt.hub {
			t.Errorf("%s: securityhub Sniff = %v", tt.name, got)
		}
	}
}

func TestASFFType(t *testing.T) {
	for gd, want := range map[string]string{
		"Recon:EC2/PortProbeUnprotectedPort":            "TTPs/Discovery/Recon:EC2-PortProbeUnprotectedPort",
		"PenTest:IAMUser/KaliLinux":                     "TTPs/PenTest:IAMUser/KaliLinux",
		"Execution:Runtime/NewBinaryExecuted":           "TTPs/Execution/Execution:Runtime-NewBinaryExecuted",
		"Behavior:EC2/SomethingNew":                     "Unusual Behaviors/VM/Behavior:EC2-SomethingNew",
		"Behavior:IAMUser/InstanceLaunchUnusual":        "Unusual Behaviors/User/Behavior:IAMUser-InstanceLaunchUnusual",
		"CredentialAccess:Kubernetes/MaliciousIPCaller": "TTPs/Credential Access/CredentialAccess:Kubernetes-MaliciousIPCaller",
		"Weird": "TTPs/Weird",
	} {
		if got := ASFFType(gd); got != want {
			t.Errorf("ASFFType(%q) = %q, want %q", gd, got, want)
		}
	}
	for v, want := range map[float64]string{1: "LOW", 3.9: "LOW", 4: "MEDIUM", 6.9: "MEDIUM", 7: "HIGH", 8.9: "HIGH", 9: "CRITICAL", 10: "CRITICAL"} {
		if got := SeverityLabel(v); got != want {
			t.Errorf("SeverityLabel(%v) = %s, want %s", v, got, want)
		}
	}
}

// TestOtherResource: resource types without an ASFF details type are Other, flattened.
func TestOtherResource(t *testing.T) {
	f := `{"schemaVersion":"2.0","accountId":"123456789012","region":"eu-west-1","arn":"arn:aws:guardduty:eu-west-1:123456789012:detector/d/finding/f1",` +
		`"type":"Execution:Runtime/NewBinaryExecuted","resource":{"resourceType":"ECSCluster","ecsClusterDetails":{"name":"mcp","arn":"arn:aws:ecs:eu-west-1:123456789012:cluster/mcp",` +
		`"taskDetails":{"containers":[{"name":"inspector","image":"ghcr.io/modelcontextprotocol/inspector:0.15.0"}]}}},` +
		`"service":{"serviceName":"guardduty","detectorId":"d","runtimeDetails":{"process":{"name":"node","executablePath":"/usr/local/bin/node","pid":4242,"user":"root","userId":0}}},` +
		`"severity":5,"createdAt":"2024-05-01T00:00:00Z","updatedAt":"2024-05-01T00:00:00Z","title":"New binary executed","description":"d"}`
	s, err := read(t, Format{}, f)
	if err != nil || len(s.Events) != 1 {
		t.Fatalf("%v %v", err, s.Dead)
	}
	ev := s.Events[0]
	validate(t, ev)
	r := ev.Resources[0]
	if r.Type != "Other" || r.UID != "arn:aws:ecs:eu-west-1:123456789012:cluster/mcp" ||
		!strings.Contains(r.Data, `"ecsClusterDetails/taskDetails/containers.0_/image":"ghcr.io/modelcontextprotocol/inspector:0.15.0"`) {
		t.Errorf("resource %+v", r)
	}
	p := ev.Evidences[0].Actor.Process
	if p.Name != "node" || p.PID != 4242 || p.File.Path != "/usr/local/bin/node" || p.User.Name != "root" || p.User.UID != "0" {
		t.Errorf("process %+v", p)
	}
	wantObservables(t, ev, "evidences[].actor.process.name=node", "evidences[].actor.process.user.name=root",
		"resources[].uid=arn:aws:ecs:eu-west-1:123456789012:cluster/mcp")
}
