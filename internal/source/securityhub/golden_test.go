package securityhub

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/ocsf/schema"
	"github.com/mcpwatch/mcpwatch/internal/source/sourcetest"
)

// difference is an intentional difference between our event and a reference, defined here so
// that the tables below may list it unkeyed.
type difference sourcetest.Difference

var vals = sourcetest.Vals

// Reasons shared by several differences.
const (
	datetimeTwins = "the datetime profile: we write every timestamp_t with its _dt twin, as Security Lake's tables " +
		"have both columns; the example has only the _dt"
	noStatusID  = "the example has status New without its status_id (recommended); we set both"
	noLocation  = "mcpwatch's network_endpoint has no location (a leaf per row of every network table): it stays in unmapped"
	noProcessed = "mcpwatch's metadata has no processed_time (a leaf on every row of every table): ProcessedAt stays in unmapped"
)

// findingTimes are the finding_info timestamps the examples give only as _dt.
var findingTimes = []string{"finding_info.created_time", "finding_info.modified_time", "finding_info.first_seen_time",
	"finding_info.last_seen_time"}

// TestGoldenOCSFExamples normalizes the raw findings of the OCSF 1.1.0 examples of Security
// Hub (a GuardDuty detection, a PCI compliance control, an Inspector vulnerability) and
// compares each event with the example's OCSF, attribute by attribute.
func TestGoldenOCSFExamples(t *testing.T) {
	dir := filepath.Join(sourcetest.DataDir(t), "ocsf-examples", "aws", "v1.1.0", "Security Hub")
	tests := []struct {
		name, raw, ocsf string
		class           int32
		diffs           func(ours, ref sourcetest.Flat) map[string]difference
	}{
		{"guardduty", "Detection Finding/samples/sechub-guardduty.raw", "Detection Finding/samples/sechub-guardduty.ocsf",
			ocsf.ClassDetectionFinding, func(ours, ref sourcetest.Flat) map[string]difference {
				const pf = "unmapped.ProductFields.aws/guardduty/service/action/awsApiCallAction/remoteIpDetails/"
				return map[string]difference{
					"metadata.profiles": {vals("cloud", "datetime", "linux"), vals("cloud", "datetime"),
						"we compile no extension, so no linux profile; its attributes (process euid, ...) are not in our types"},
					"metadata.extensions.name":    {vals("linux"), nil, "no extension (see metadata.profiles)"},
					"metadata.extensions.uid":     {vals("1"), nil, "no extension (see metadata.profiles)"},
					"metadata.extensions.version": {vals("1.1.0"), nil, "no extension (see metadata.profiles)"},
					"evidences.data": {vals(""), nil,
						"additionalInfo/value is empty: an empty json_t says nothing and is omitted"},
					"evidences.src_endpoint.location.city":        {vals(""), nil, noLocation},
					"evidences.src_endpoint.location.country":     {vals("United States"), nil, noLocation},
					"evidences.src_endpoint.location.coordinates": {vals(-100.821999, 37.751), nil, noLocation},
					pf + "city/cityName":                          {nil, vals(""), noLocation},
					pf + "country/countryName":                    {nil, vals("United States"), noLocation},
					pf + "geoLocation/lat":                        {nil, vals("37.751"), noLocation},
					pf + "geoLocation/lon":                        {nil, vals("-100.822"), noLocation},
					"status_id":                                   {nil, vals(int64(1)), noStatusID},
				}
			}},
		{"pci", "Compliance Finding/samples/sechub-pci.raw", "Compliance Finding/samples/sechub-pci.ocsf",
			ocsf.ClassComplianceFinding, func(ours, ref sourcetest.Flat) map[string]difference {
				return map[string]difference{
					"metadata.processed_time_dt": {ref["metadata.processed_time_dt"], nil, noProcessed},
					"unmapped.ProcessedAt":       {nil, vals("2023-07-21T18:12:08.489Z"), noProcessed},
					"status_id":                  {nil, vals(int64(1)), noStatusID},
				}
			}},
		{"inspector", "Vulnerability Finding/samples/inspector.raw", "Vulnerability Finding/samples/inspector.ocsf",
			ocsf.ClassVulnerabilityFinding, func(ours, ref sourcetest.Flat) map[string]difference {
				return map[string]difference{
					"metadata.processed_time_dt":        {ref["metadata.processed_time_dt"], nil, noProcessed},
					"unmapped.ProcessedAt":              {nil, vals("2024-01-26T22:59:56.923Z"), noProcessed},
					"status_id":                         {nil, vals(int64(1)), noStatusID},
					"vulnerabilities.cve.created_time":  {nil, ours["vulnerabilities.cve.created_time"], datetimeTwins},
					"vulnerabilities.cve.modified_time": {nil, ours["vulnerabilities.cve.modified_time"], datetimeTwins},
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			s, err := read(t, string(raw))
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Events) != 1 || s.Records() != 1 {
				t.Fatalf("%d events, dead letters %v, skips %v; want 1 event", len(s.Events), s.Dead, s.Skips)
			}
			ev := s.Events[0]
			if ev.ClassUID != tt.class {
				t.Errorf("class %d, want %d", ev.ClassUID, tt.class)
			}
			validate(t, ev)
			b, err := os.ReadFile(filepath.Join(dir, tt.ocsf))
			if err != nil {
				t.Fatal(err)
			}
			ours, ref := sourcetest.FlattenEvent(t, ev, sourcetest.UTCDatetimes()), sourcetest.FlattenJSON(t, b, sourcetest.UTCDatetimes())
			diffs := tt.diffs(ours, ref)
			for _, k := range findingTimes {
				diffs[k] = difference{nil, ours[k], datetimeTwins}
			}
			sourcetest.CompareFlat(t, ours, ref, diffs)
		})
	}
}

// validate checks ev against the OCSF 1.1.0 schema and the invariants of the mapping.
func validate(t testing.TB, ev *ocsf.ImportedFinding) {
	t.Helper()
	if err := schema.Validate(ev); err != nil {
		t.Errorf("invalid OCSF 1.1.0: %v", err)
	}
	if ev.TypeUID != ocsf.TypeUID(ev.ClassUID, ev.ActivityID) || ev.ClassName != ocsf.ClassName(ev.ClassUID) {
		t.Errorf("classification %d/%d/%d %q", ev.ClassUID, ev.ActivityID, ev.TypeUID, ev.ClassName)
	}
	if ev.TimeDT.UnixMilli() != ev.Time {
		t.Errorf("time %d, time_dt %v", ev.Time, ev.TimeDT)
	}
	switch ev.ClassUID {
	case ocsf.ClassDetectionFinding:
		if ev.Resource.UID != "" || ev.Compliance.Control != "" {
			t.Errorf("detection finding with compliance attributes")
		}
	case ocsf.ClassComplianceFinding, ocsf.ClassVulnerabilityFinding:
		if len(ev.Resources) != 0 || len(ev.Evidences) != 0 {
			t.Errorf("class %d with resources or evidences", ev.ClassUID)
		}
	}
}
