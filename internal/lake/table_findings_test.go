package lake

import (
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// TestImportedFindingsTable checks that the findings of other products (GuardDuty through
// Security Hub, ...) and mcpwatch's own findings, both OCSF findings, go to their own tables
// by Go type, and that each class of imported finding reads back whole.
func TestImportedFindingsTable(t *testing.T) {
	l := openLake(t)
	tx := begin(t, l, "findings")
	cloud := ocsf.Cloud{Provider: "AWS", Region: "us-east-2", Account: ocsf.Account{UID: "111111111111"}}
	own := &ocsf.DetectionFinding{FindingInfo: ocsf.FindingInfo{UID: "mcpwatch-1", Title: "shadow MCP"}}
	own.Classify(ocsf.ClassDetectionFinding, 1)
	own.SetTime(day0)
	own.Cloud = cloud
	if err := tx.Write(own); err != nil {
		t.Fatal(err)
	}
	epoch := int32(0)
	imported := []*ocsf.ImportedFinding{
		{FindingInfo: ocsf.FindingInfo{UID: "gd-1", Title: "CloudTrail disabled"},
			Resources: []ocsf.ResourceDetails{{UID: "AWS::IAM::AccessKey:ASIA", Type: "AwsIamAccessKey"}},
			Evidences: []ocsf.Evidence{{SrcEndpoint: ocsf.NetworkEndpoint{IP: "52.94.133.131"}}}},
		{FindingInfo: ocsf.FindingInfo{UID: "pci-1", Title: "Config.1"},
			Resource:   ocsf.ResourceDetails{UID: "AWS::::Account:111111111111", Type: "AwsAccount"},
			Compliance: ocsf.Compliance{Control: "Config.1", Standards: []string{"standards/pci-dss/v/3.2.1"}, Status: "FAILED"}},
		{FindingInfo: ocsf.FindingInfo{UID: "insp-1", Title: "CVE-2023-1255 - openssl"},
			Vulnerabilities: []ocsf.Vulnerability{{CVE: ocsf.CVE{UID: "CVE-2023-1255",
				CVSS: []ocsf.CVSS{{BaseScore: 5.9, Version: "3.1"}}, EPSS: ocsf.EPSS{Score: "0.00066"}},
				AffectedPackages: []ocsf.AffectedPackage{{Name: "openssl", Version: "3.0.8", Epoch: &epoch}}}}},
	}
	for i, f := range imported {
		f.Classify([]int32{ocsf.ClassDetectionFinding, ocsf.ClassComplianceFinding, ocsf.ClassVulnerabilityFinding}[i], 1)
		f.SetTime(day0)
		f.Cloud = cloud
		if err := tx.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	commit(t, tx, hashOf("findings"))

	mine := scanAll[ocsf.DetectionFinding](t, l, Findings)
	if len(mine) != 1 || mine[0].FindingInfo.UID != "mcpwatch-1" {
		t.Errorf("FINDINGS holds %+v, want mcpwatch's finding only", mine)
	}
	rows := scanAll[ocsf.ImportedFinding](t, l, SHFindings)
	if len(rows) != len(imported) {
		t.Fatalf("SH_FINDINGS holds %d rows, want %d", len(rows), len(imported))
	}
	byUID := map[string]ocsf.ImportedFinding{}
	for _, r := range rows {
		byUID[r.FindingInfo.UID] = r
	}
	if r := byUID["gd-1"]; r.ClassUID != ocsf.ClassDetectionFinding || len(r.Evidences) != 1 ||
		r.Evidences[0].SrcEndpoint.IP != "52.94.133.131" || len(r.Resources) != 1 {
		t.Errorf("detection finding read back as %+v", r)
	}
	if r := byUID["pci-1"]; r.ClassUID != ocsf.ClassComplianceFinding || r.Compliance.Control != "Config.1" ||
		r.Resource.Type != "AwsAccount" || len(r.Resources) != 0 {
		t.Errorf("compliance finding read back as %+v", r)
	}
	r := byUID["insp-1"]
	if r.ClassUID != ocsf.ClassVulnerabilityFinding || len(r.Vulnerabilities) != 1 {
		t.Fatalf("vulnerability finding read back as %+v", r)
	}
	v := r.Vulnerabilities[0]
	if v.CVE.UID != "CVE-2023-1255" || len(v.CVE.CVSS) != 1 || v.CVE.CVSS[0].BaseScore != 5.9 ||
		v.CVE.EPSS.Score != "0.00066" || len(v.AffectedPackages) != 1 || v.AffectedPackages[0].Epoch == nil ||
		*v.AffectedPackages[0].Epoch != 0 {
		t.Errorf("vulnerability read back as %+v", v)
	}
}
