package securitylake

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/source/securityhub"
	"github.com/mcpwatch/mcpwatch/internal/source/sourcetest"
)

// findingRenames are the Security Finding (2001) attributes of rc.2 and where the 1.1.0
// Compliance Finding Security Lake makes of the same finding has them.
var findingRenames = map[string]string{
	"finding.created_time":               "finding_info.created_time",
	"finding.desc":                       "finding_info.desc",
	"finding.first_seen_time":            "finding_info.first_seen_time",
	"finding.last_seen_time":             "finding_info.last_seen_time",
	"finding.modified_time":              "finding_info.modified_time",
	"finding.related_events.product_uid": "finding_info.related_events.product_uid",
	"finding.related_events.uid":         "finding_info.related_events.uid",
	"finding.title":                      "finding_info.title",
	"finding.types":                      "finding_info.types",
	"finding.uid":                        "finding_info.uid",
	"finding.remediation.desc":           "remediation.desc",
	"finding.remediation.kb_articles":    "remediation.references",
	"state":                              "status",
	"state_id":                           "status_id",
	"cloud.account_uid":                  "cloud.account.uid",
	"metadata.product.version":           "metadata.log_version",
	"resources.cloud_partition":          "resource.cloud_partition",
	"resources.details":                  "resource.data",
	"resources.labels":                   "resource.labels",
	"resources.region":                   "resource.region",
	"resources.type":                     "resource.type",
	"resources.uid":                      "resource.uid",
}

// unmappedFinding is why the parts of a finding that a Compliance Finding has no attribute
// for (process, malware, vulnerabilities) are in unmapped under their rc.2 OCSF names.
const unmappedFinding = "a Compliance Finding (1.1.0) has no process, malware or vulnerabilities: what Security " +
	"Lake's rc.2 row had there is kept in unmapped under its rc.2 OCSF path"

// TestGoldenFindingsRC2 reads Security Lake's rc.2 SH_FINDINGS samples (Security Finding
// 2001, a Security Hub control with every ASFF object filled) and compares our 1.1.0
// Compliance Finding with (1) the row itself, after the 1.1.0 renames, and (2) what the
// securityhub format makes of the raw ASFF finding the row came from: a finding must look
// the same whether it comes from Security Hub or from a Security Lake of either version.
func TestGoldenFindingsRC2(t *testing.T) {
	dir := filepath.Join(sourcetest.DataDir(t), "security-lake-samples", "samples", "1.0.0-rc.2", "SH_FINDINGS")
	for i := range 4 {
		t.Run(fmt.Sprint("example", i), func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("example%d.json.gz.parquet", i))
			s, err := readFile(t, path)
			if err != nil || len(s.Events) != 1 {
				t.Fatalf("%v: %d events, dead letters %v", err, len(s.Events), s.Dead)
			}
			ev := s.Events[0].(*ocsf.ImportedFinding)
			validate(t, ev)
			if ev.ClassUID != ocsf.ClassComplianceFinding {
				t.Errorf("class %d, want Compliance Finding (a Security Hub control)", ev.ClassUID)
			}
			ours := sourcetest.FlattenEvent(t, ev, utc)

			t.Run("row", func(t *testing.T) {
				ref := renamed(sourcetest.FlattenParquet(t, path, utc), findingRenames)
				diffs := map[string]difference{
					"metadata.version":  {vals("1.0.0-rc.2"), vals("1.1.0"), whyVersion},
					"metadata.profiles": {vals("cloud"), vals("cloud", "datetime"), whyDatetime},
					"class_uid":         {vals(int64(2001)), vals(int64(2003)), "rc.2's Security Finding is the 1.1.0 class of the product: Security Hub's controls are Compliance Findings"},
					"class_name":        {vals("Security Finding"), vals("Compliance Finding"), "see class_uid"},
					"type_uid":          {ref["type_uid"], vals(200300 + ref["type_uid"][0].(int64)%100), "see class_uid"},
					"type_name":         {ref["type_name"], vals("Compliance Finding: " + ours["activity_name"][0].(string)), "see class_uid"},
					"activity_name": {ref["activity_name"], ours["activity_name"],
						"rc.2's Generate is 1.1.0's Create"},
					"metadata.product.feature.name": {vals("Security Hub"), nil,
						"rc.2's mapping copied ProductName into feature.name; 1.1.0's takes it from GuardDuty's featureName only"},
					"compliance.standards": {nil, vals("standards/aws-foundational-security-best-practices/v/1.0.0"),
						"1.1.0 requires compliance.standards: the finding's AssociatedStandards are not objects, so the standard of ProductFields.StandardsArn"},
					"observables.name":    {nil, vals("resource.uid"), "rc.2 rows have no observables; the resource's uid, as Security Lake's 1.1.0 mapping"},
					"observables.type":    {nil, vals("Resource UID"), "see observables.name"},
					"observables.type_id": {nil, vals(int64(10)), "see observables.name"},
					"observables.value":   {nil, ref["resource.uid"], "see observables.name"},
				}
				if ref["activity_name"][0] == "Update" {
					delete(diffs, "activity_name")
				}
				if ref["unmapped.Compliance.StatusReasons[].ReasonCode"] != nil {
					diffs["compliance.status_code"] = difference{nil, vals("CW_ALARMS_NOT_PRESENT"),
						"Security Lake's 1.1.0 mapping has the StatusReasons' ReasonCode as status_code; rc.2 left it in unmapped (where it stays)"}
				}
				for k, v := range ours {
					if base, ok := strings.CutSuffix(k, "_dt"); ok && ours[base] != nil {
						diffs[k] = difference{nil, v, whyDatetime}
					}
					if strings.HasPrefix(k, "unmapped.process.") || strings.HasPrefix(k, "unmapped.malware[]") ||
						strings.HasPrefix(k, "unmapped.vulnerabilities[]") {
						diffs[k] = difference{nil, v, unmappedFinding}
					}
				}
				for k, v := range ref {
					if strings.HasPrefix(k, "process.") || strings.HasPrefix(k, "malware.") || strings.HasPrefix(k, "vulnerabilities.") {
						diffs[k] = difference{v, nil, unmappedFinding}
					}
					if ours[k] == nil && joined(v) == "0" && strings.HasSuffix(k, "type_id") {
						diffs[k] = difference{v, nil, whyEmpty}
					}
				}
				sourcetest.CompareFlat(t, ours, ref, diffs)
				// What moved to unmapped is all there.
				for k, want := range map[string]string{"process.name": "syslogd", "malware[].name": "Stringler",
					"vulnerabilities[].cve.uid": "CVE-2020-12345", "vulnerabilities[].cve.cvss[].base_score": "4.7"} {
					if i < 3 || k != "process.name" { // example3's process is empty
						if got := ev.Unmapped[k]; got != want {
							t.Errorf("unmapped %s = %q, want %q", k, got, want)
						}
					}
				}
			})

			t.Run("securityhub", func(t *testing.T) {
				var viaHub ocsf.ImportedFinding
				raw := sourcetest.ReadGzip(t, filepath.Join(dir, "inputs", fmt.Sprintf("securityhub-inputs%d.json.gz", i)))
				if err := (securityhub.Normalizer{}).Normalize([]byte(raw), &viaHub); err != nil {
					t.Fatal(err)
				}
				hub := sourcetest.FlattenEvent(t, &viaHub, utc)
				diffs := map[string]difference{
					"unmapped.CompanyName": {nil, vals("AWS"), "Security Lake's rc.2 row keeps CompanyName in unmapped too (it is also vendor_name)"},
				}
				if hub["unmapped.Compliance.StatusReasons[].ReasonCode"] == nil && ours["unmapped.Compliance.StatusReasons[].ReasonCode"] != nil {
					diffs["unmapped.Compliance.StatusReasons[].ReasonCode"] = difference{nil, ours["unmapped.Compliance.StatusReasons[].ReasonCode"],
						"rc.2 kept the reason code in unmapped; it is status_code as well"}
				}
				for k, v := range ours {
					if strings.HasPrefix(k, "unmapped.process.") || strings.HasPrefix(k, "unmapped.malware[]") ||
						strings.HasPrefix(k, "unmapped.vulnerabilities[]") {
						diffs[k] = difference{nil, v, unmappedFinding + "; the securityhub format keeps them under their ASFF path"}
					}
				}
				for k, v := range hub {
					if (strings.HasPrefix(k, "unmapped.Process.") || strings.HasPrefix(k, "unmapped.Malware[].") ||
						strings.HasPrefix(k, "unmapped.Vulnerabilities[].")) && ours[k] == nil {
						diffs[k] = difference{v, nil, unmappedFinding + "; the securityhub format keeps them under their ASFF path"}
					}
				}
				sourcetest.CompareFlat(t, ours, hub, diffs)
			})
		})
	}
}
