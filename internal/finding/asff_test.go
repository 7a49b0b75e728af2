package finding

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/ocsf/schema"
)

// sharedData is the project's reference data directory: ../shared/data next to the module root.
func sharedData(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
	data := filepath.Join(dir, "..", "shared", "data")
	if _, err := os.Stat(data); err != nil {
		t.Skipf("reference data not available: %v", err)
	}
	return data
}

// asffSamples returns the real Security Hub ASFF findings of the OCSF examples, by file name.
func asffSamples(t testing.TB) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(sharedData(t), "ocsf-examples", "aws", "v1.1.0", "Security Hub", "*", "samples", "*.raw"))
	if err != nil || len(files) < 3 {
		t.Fatalf("ASFF samples: %v (%d found, want 3)", err, len(files))
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	return out
}

// decodeStrict decodes one ASFF finding, refusing attributes the struct does not know.
func decodeStrict(b []byte) (ASFF, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var a ASFF
	err := dec.Decode(&a)
	return a, err
}

func TestValidateASFFRealSamples(t *testing.T) {
	for name, raw := range asffSamples(t) {
		t.Run(name, func(t *testing.T) {
			// Each sample is a single finding (not wrapped in an EventBridge event or a
			// Findings array): an object with SchemaVersion at the top.
			a, err := decodeStrict(raw)
			if err != nil {
				t.Fatalf("decode into ASFF: %v", err)
			}
			if err := ValidateASFF(a); err != nil {
				t.Fatalf("ValidateASFF rejected a real finding: %v", err)
			}
			// Field names and shapes: re-encoding gives back the same JSON document.
			again, err := json.Marshal(a)
			if err != nil {
				t.Fatal(err)
			}
			var want, got any
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(again, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(want, got) {
				t.Errorf("round trip differs:\nwant %v\ngot  %v", want, got)
			}
		})
	}
}

func TestValidateASFFRejects(t *testing.T) {
	raw := asffSamples(t)["sechub-guardduty.raw"]
	five := 500
	tests := []struct {
		name   string
		mutate func(a *ASFF)
		want   []string // substrings of the error, each naming the attribute
	}{
		{"schema version", func(a *ASFF) { a.SchemaVersion = "2019-01-01" }, []string{`ASFF SchemaVersion: "2019-01-01", want "2018-10-08"`}},
		{"no id", func(a *ASFF) { a.Id = "  " }, []string{"ASFF Id: required, missing or blank"}},
		{"product arn", func(a *ASFF) { a.ProductArn = "arn:aws:s3:::bucket" }, []string{`ASFF ProductArn: "arn:aws:s3:::bucket" does not match`}},
		{"no generator", func(a *ASFF) { a.GeneratorId = "" }, []string{"ASFF GeneratorId: required"}},
		{"account", func(a *ASFF) { a.AwsAccountId = "1234" }, []string{`ASFF AwsAccountId: "1234" is not a 12-digit account id`}},
		{"no types", func(a *ASFF) { a.Types = nil }, []string{"ASFF Types: required, at least one type"}},
		{"bad namespace", func(a *ASFF) { a.Types = []string{"Threats/Command and Control"} },
			[]string{`ASFF Types[0]: type "Threats/Command and Control": namespace "Threats" is not one of`}},
		{"bad category", func(a *ASFF) { a.Types = []string{"TTPs/Data Exfiltration/x"} },
			[]string{`ASFF Types[0]: type "TTPs/Data Exfiltration/x": category "Data Exfiltration" is not defined for namespace "TTPs"`}},
		{"empty level", func(a *ASFF) { a.Types = []string{"TTPs//x"} }, []string{`ASFF Types[0]: type "TTPs//x": level 2 is empty`}},
		{"provider types", func(a *ASFF) { a.FindingProviderFields.Types = []string{"Effects/Bad"} },
			[]string{`ASFF FindingProviderFields.Types[0]: type "Effects/Bad": category "Bad"`}},
		{"created format", func(a *ASFF) { a.CreatedAt = "2023-09-19 15:05:22" }, []string{`ASFF CreatedAt: "2023-09-19 15:05:22" is not an RFC 3339 timestamp`}},
		{"updated before created", func(a *ASFF) { a.UpdatedAt = "2023-09-18T00:00:00Z" }, []string{"ASFF UpdatedAt: 2023-09-18T00:00:00Z is before CreatedAt"}},
		{"no updated", func(a *ASFF) { a.UpdatedAt = "" }, []string{"ASFF UpdatedAt: required, missing"}},
		{"observed order", func(a *ASFF) { a.LastObservedAt = "2020-01-01T00:00:00Z" }, []string{"ASFF LastObservedAt: 2020-01-01T00:00:00Z is before FirstObservedAt"}},
		{"no severity", func(a *ASFF) { a.Severity = ASFFSeverity{Original: "x"} }, []string{"ASFF Severity: required, needs Label or Normalized"}},
		{"severity label", func(a *ASFF) { a.Severity.Label = "Low" }, []string{`ASFF Severity.Label: "Low" is not one of`}},
		{"severity normalized", func(a *ASFF) { a.Severity.Normalized = &five }, []string{"ASFF Severity.Normalized: 500 not in 0-100"}},
		{"confidence", func(a *ASFF) { a.Confidence = &five }, []string{"ASFF Confidence: 500 not in 0-100"}},
		{"long title", func(a *ASFF) { a.Title = strings.Repeat("é", 257) }, []string{"ASFF Title: 257 characters, more than 256"}},
		{"long description", func(a *ASFF) { a.Description = strings.Repeat("x", 1025) }, []string{"ASFF Description: 1025 characters, more than 1024"}},
		{"no description", func(a *ASFF) { a.Description = "" }, []string{"ASFF Description: required"}},
		{"no resources", func(a *ASFF) { a.Resources = nil }, []string{"ASFF Resources: required, at least one resource"}},
		{"resource fields", func(a *ASFF) {
			a.Resources[0].Id = ""
			a.Resources[0].Partition = "azure"
			a.Resources[0].Region = "Ohio"
		},
			[]string{"ASFF Resources[0].Id: required", `ASFF Resources[0].Partition: "azure"`, `ASFF Resources[0].Region: "Ohio"`}},
		{"too many resources", func(a *ASFF) {
			for len(a.Resources) < 33 {
				a.Resources = append(a.Resources, a.Resources[0])
			}
		}, []string{"ASFF Resources: 33 resources, more than 32"}},
		{"workflow", func(a *ASFF) { a.Workflow.Status = "OPEN" }, []string{`ASFF Workflow.Status: "OPEN"`}},
		{"record state", func(a *ASFF) { a.RecordState = "DELETED" }, []string{`ASFF RecordState: "DELETED" is not ACTIVE or ARCHIVED`}},
		{"network", func(a *ASFF) {
			p := 70000
			a.Network = &ASFFNetwork{Direction: "UP", SourceIpV4: "2001:db8::1", DestinationIpV6: "10.0.0.1", SourcePort: &p, Protocol: strings.Repeat("T", 17)}
		}, []string{`ASFF Network.Direction: "UP" is not IN or OUT`, `ASFF Network.SourceIpV4: "2001:db8::1" is not an IPv4 address`,
			`ASFF Network.DestinationIpV6: "10.0.0.1" is not an IPv6 address`, "ASFF Network.SourcePort: 70000 not in 0-65535",
			"ASFF Network.Protocol: 17 characters, more than 16"}},
		{"product fields", func(a *ASFF) {
			a.ProductFields["k"] = strings.Repeat("v", 2049)
			a.ProductFields[strings.Repeat("k", 129)] = "v"
			for i := 0; len(a.ProductFields) <= 50; i++ {
				a.ProductFields[string(rune('A'+i))] = "v"
			}
		}, []string{"ASFF ProductFields: 51 pairs, more than 50", "ASFF ProductFields[k]: value has 2049 characters, more than 2048",
			"ASFF ProductFields: key \"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\" has 129 characters, want 1-128"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := decodeStrict(raw)
			if err != nil {
				t.Fatal(err)
			}
			tt.mutate(&a)
			err = ValidateASFF(a)
			if err == nil {
				t.Fatal("ValidateASFF accepted a broken finding")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
			if n := strings.Count(err.Error(), "ASFF "); n != len(tt.want) {
				t.Errorf("%d problems reported, want %d: %v", n, len(tt.want), err)
			}
		})
	}
}

func TestValidateASFFType(t *testing.T) {
	valid := []string{
		"TTPs", "TTPs/Defense Evasion", "TTPs/Defense Evasion/CloudTrailStopped",
		"Software and Configuration Checks/Vulnerabilities/CVE",
		"Software and Configuration Checks/Industry and Regulatory Standards/PCI-DSS",
		"Effects/Data Exfiltration", "Unusual Behaviors/Network Flow/x/y", "Sensitive Data Identifications/PII",
		"Unusual Behaviors/IP address",
	}
	invalid := []string{"", "ttps", "TTPs/", "/TTPs", "TTPs/Exfiltration", "Effects/Data Exfiltration/ ", "Unusual Behaviors/IP Address", "Other"}
	for _, v := range valid {
		if err := ValidateASFFType(v); err != nil {
			t.Errorf("ValidateASFFType(%q) = %v", v, err)
		}
	}
	for _, v := range invalid {
		if ValidateASFFType(v) == nil {
			t.Errorf("ValidateASFFType(%q) accepted", v)
		}
	}
}

// sampleFinding is a finding as the flow detector makes it.
func sampleFinding() ocsf.DetectionFinding {
	f := version(0, 45, 12, ocsf.SeverityHigh, evidence(ms(10), "10.0.0.5"), evidence(ms(40), "10.0.0.6"))
	port, eph := int32(8080), int32(51000)
	f.Evidences[1].SrcEndpoint.Port, f.Evidences[1].DstEndpoint.Port = &eph, &port
	f.Evidences[1].ConnectionInfo = ocsf.NetworkConnectionInfo{ProtocolNum: 6, DirectionID: 2, Direction: "Outbound"}
	f.FindingInfo.Desc = "A description."
	f.FindingInfo.Analytic = ocsf.Analytic{UID: "flow.threat_intel", Name: "Threat intel", Type: "Rule", TypeID: 1, Version: "1"}
	f.FindingInfo.Attacks = []ocsf.Attack{{Version: "16.1", Tactic: ocsf.Technique{UID: "TA0011", Name: "Command and Control"},
		Technique: ocsf.Technique{UID: "T1071", Name: "Application Layer Protocol"}}}
	f.FindingInfo.DataSources = []string{"VPC_FLOW"}
	f.FindingInfo.Types = []string{"TTPs/Command and Control/ThreatIntelMatch", "not a type"}
	f.Resources = []ocsf.ResourceDetails{{UID: "arn:aws:ec2:us-east-1:111111111111:instance/i-0abc", Name: "i-0abc",
		Type: "AwsEc2Instance", Region: "us-east-1", CloudPartition: "aws"}}
	f.Remediation = ocsf.Remediation{Desc: "Block it.", References: []string{"https://attack.mitre.org/techniques/T1071/"}}
	f.Unmapped = map[string]string{"intel.source": "feed.txt:3"}
	f.ConfidenceID, f.Confidence, f.ConfidenceScore = ocsf.ConfidenceHigh, "High", 0
	return f
}

func TestToASFF(t *testing.T) {
	f := sampleFinding()
	a, err := ToASFF(f, ASFFOptions{})
	if err != nil {
		t.Fatalf("ToASFF: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"SchemaVersion", a.SchemaVersion, "2018-10-08"},
		{"Id", a.Id, f.FindingInfo.UID},
		{"ProductArn", a.ProductArn, "arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default"},
		{"GeneratorId", a.GeneratorId, "flow.threat_intel"},
		{"AwsAccountId", a.AwsAccountId, "111111111111"},
		{"Types", a.Types, []string{"TTPs/Command and Control/ThreatIntelMatch"}},
		{"CreatedAt", a.CreatedAt, "2026-11-21T10:46:00.000Z"},
		{"UpdatedAt", a.UpdatedAt, "2026-11-21T10:46:00.000Z"},
		{"FirstObservedAt", a.FirstObservedAt, "2026-11-21T10:00:00.000Z"},
		{"LastObservedAt", a.LastObservedAt, "2026-11-21T10:45:00.000Z"},
		{"Severity.Label", a.Severity.Label, "HIGH"},
		{"Severity.Normalized", *a.Severity.Normalized, 70},
		{"Severity.Original", a.Severity.Original, "High"},
		{"Confidence", *a.Confidence, 90},
		{"Title", a.Title, "title"},
		{"Description", a.Description, "A description."},
		{"ProductName", a.ProductName, "mcpwatch"},
		{"CompanyName", a.CompanyName, "mcpwatch"},
		{"Region", a.Region, "us-east-1"},
		{"Workflow", a.Workflow.Status, "NEW"},
		{"RecordState", a.RecordState, "ACTIVE"},
		{"Resources", a.Resources, []ASFFResource{{Type: "AwsEc2Instance", Id: "arn:aws:ec2:us-east-1:111111111111:instance/i-0abc", Partition: "aws", Region: "us-east-1"}}},
		{"Network", *a.Network, ASFFNetwork{Direction: "OUT", Protocol: "TCP", SourceIpV4: "10.0.0.6", DestinationIpV4: "198.51.100.77", SourcePort: ptr(51000), DestinationPort: ptr(8080)}},
		{"Remediation", a.Remediation.Recommendation, ASFFRecommendation{Text: "Block it.", Url: "https://attack.mitre.org/techniques/T1071/"}},
		{"ProductFields rule", a.ProductFields["mcpwatch/RuleId"], "flow.threat_intel"},
		{"ProductFields count", a.ProductFields["mcpwatch/Count"], "12"},
		{"ProductFields unmapped", a.ProductFields["mcpwatch/intel.source"], "feed.txt:3"},
		{"ProductFields attack", a.ProductFields["mcpwatch/Attacks:0"], "TA0011 T1071 Application Layer Protocol"},
		{"Provider severity", a.FindingProviderFields.Severity.Label, "HIGH"},
		{"Provider types", a.FindingProviderFields.Types, a.Types},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	// The JSON form decodes strictly and still validates.
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeStrict(b)
	if err != nil || ValidateASFF(back) != nil {
		t.Fatalf("JSON round trip: %v %v", err, ValidateASFF(back))
	}

	// Without resources the account is the resource; a closed finding is archived; lengths
	// are cut to ASFF's limits.
	f.Resources = nil
	f.ActivityID = ActivityClose
	f.StatusID = ocsf.StatusResolved
	f.FindingInfo.Title = strings.Repeat("t", 300)
	f.FindingInfo.Desc = strings.Repeat("d", 2000)
	a, err = ToASFF(f, ASFFOptions{CompanyName: "Example Corp"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Resources[0].Type != "AwsAccount" || a.Resources[0].Id != "AWS::::Account:111111111111" ||
		a.RecordState != "ARCHIVED" || a.Workflow.Status != "RESOLVED" || len([]rune(a.Title)) != 256 ||
		len([]rune(a.Description)) != 1024 || a.CompanyName != "Example Corp" {
		t.Errorf("got %+v", a)
	}
}

func ptr(v int) *int { return &v }

func TestToASFFErrors(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(f *ocsf.DetectionFinding, o *ASFFOptions)
		want   string
	}{
		{"no uid", func(f *ocsf.DetectionFinding, _ *ASFFOptions) { f.FindingInfo.UID = "" }, "no finding_info.uid"},
		{"no account", func(f *ocsf.DetectionFinding, _ *ASFFOptions) { f.Cloud.Account.UID = "" }, `account "" is not a 12-digit`},
		{"no region", func(f *ocsf.DetectionFinding, _ *ASFFOptions) { f.Cloud.Region = "" }, "no cloud.region"},
		{"no taxonomy type", func(f *ocsf.DetectionFinding, _ *ASFFOptions) { f.FindingInfo.Types = []string{"mcp"} }, "follows the ASFF types taxonomy"},
		{"bad region", func(f *ocsf.DetectionFinding, _ *ASFFOptions) { f.Cloud.Region = "Mars" }, `ASFF ProductArn: "arn:aws:securityhub:Mars:`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, o := sampleFinding(), ASFFOptions{}
			tt.mutate(&f, &o)
			_, err := ToASFF(f, o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	// Options fill in what the finding lacks.
	f := sampleFinding()
	f.Cloud = ocsf.Cloud{Provider: "AWS"}
	a, err := ToASFF(f, ASFFOptions{Account: "222222222222", Region: "cn-north-1"})
	if err != nil {
		t.Fatal(err)
	}
	if a.ProductArn != "arn:aws-cn:securityhub:cn-north-1:222222222222:product/222222222222/default" {
		t.Errorf("ProductArn = %s", a.ProductArn)
	}
}

func FuzzValidateASFF(f *testing.F) {
	for _, raw := range asffSamples(f) {
		f.Add(raw)
	}
	ok, _ := ToASFF(sampleFinding(), ASFFOptions{})
	b, _ := json.Marshal(ok)
	f.Add(b)
	f.Add([]byte(`{"Types":["TTPs//"],"Resources":[{}],"Network":{"SourcePort":-1}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var a ASFF
		if json.Unmarshal(data, &a) != nil {
			return
		}
		if ValidateASFF(a) != nil {
			return
		}
		// A valid finding stays valid through its JSON form.
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		var back ASFF
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if err := ValidateASFF(back); err != nil {
			t.Fatalf("re-encoded finding invalid: %v", err)
		}
	})
}

// TestToASFFFromMergedVersions checks that a merged finding (as stored after several runs)
// converts and validates too.
func TestToASFFFromMergedVersions(t *testing.T) {
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	m := MergeAt(sampleFinding(), sampleFinding(), now)
	a, err := ToASFF(m, ASFFOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a.UpdatedAt != "2026-11-23T00:00:00.000Z" || a.ProductFields["mcpwatch/Count"] != "24" {
		t.Errorf("UpdatedAt %s count %s", a.UpdatedAt, a.ProductFields["mcpwatch/Count"])
	}
}

// TestLifecycleValidatesOCSF checks that the versions Merge makes stay valid OCSF 1.1.0
// Detection Findings: an update, and a resolved finding reopened by new activity.
func TestLifecycleValidatesOCSF(t *testing.T) {
	f := sampleFinding()
	if err := schema.Validate(&f); err != nil {
		t.Fatalf("sample finding: %v", err)
	}
	later := sampleFinding()
	later.FindingInfo.LastSeenTime += 3600_000
	resolved := f
	resolved.StatusID, resolved.Status = ocsf.StatusResolved, "Resolved"
	for name, m := range map[string]ocsf.DetectionFinding{
		"update":   MergeAt(f, later, time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)),
		"reopened": MergeAt(resolved, later, time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)),
	} {
		if err := schema.Validate(&m); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
