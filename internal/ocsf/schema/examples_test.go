package schema

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestAWSExamples validates the OCSF examples of AWS sources (github.com/ocsf/examples) at
// OCSF 1.1.0 and 1.0.0-rc.2, each against the schema its metadata.version names. Where AWS's
// example itself breaks the schema, the table lists the exact errors and says why.
func TestAWSExamples(t *testing.T) {
	root := filepath.Join(sharedData(t), "ocsf-examples", "aws")
	tests := map[string][]want{
		"v1.1.0/CloudTrail/API Activity/samples/generic_api_activity.ocsf": nil,
		"v1.1.0/CloudTrail/Account Change/samples/account_change.ocsf":     nil,
		"v1.1.0/CloudTrail/Authentication/samples/authentication.ocsf":     nil,
		"v1.1.0/Route53/samples/route53.ocsf":                              nil,
		"v1.1.0/Security Hub/Compliance Finding/samples/sechub-pci.ocsf":   nil,
		"v1.1.0/Security Hub/Vulnerability Finding/samples/inspector.ocsf": nil,
		// svc_name "-" and boundary "-" with boundary_id 99 (Other) are valid.
		"v1.1.0/VPC Flowlogs/samples/vpcflowlog.ocsf": nil,
		"v1.1.0/EKS Audit Logs/samples/eks.ocsf": {
			// "12.000.22.33": an octet with leading zeros, which the dictionary's ip_t
			// pattern rejects too.
			{"src_endpoint.ip", KindValue},
			// "2021-09-07 20:37:30.502000": no "T" and no zone, which the dictionary's
			// datetime_t pattern rejects too.
			{"start_time_dt", KindValue},
			{"time_dt", KindValue},
		},
		"v1.1.0/Security Hub/Detection Finding/samples/sechub-guardduty.ocsf": {
			// "linux" is no profile: the Linux extension's profile is linux/linux_users
			// (and extensions are not embedded).
			{"metadata.profiles[2]", KindProfile},
		},
		"v1.1.0/WAF/Samples/waf.ocsf": {
			// HTTP Activity requires dst_endpoint (network category) and http_response;
			// the WAF log has neither.
			{"dst_endpoint", KindRequired},
			{"http_response", KindRequired},
			// "httpRequest.headers[].value" is a path of the raw WAF log, not of the event.
			{"observables[0].name", KindReference},
			// "Resource UID" with type_id 2, whose caption is "IP Address" (10 is Resource UID).
			{"observables[2].type", KindCaption},
			{"observables[3].type", KindCaption},
			// "2021-09-23 18:06:56.512000": no "T" and no zone.
			{"time_dt", KindValue},
		},
		"v1.0.0-rc.2/CloudTrail/API Activity/samples/generic_api_activity.ocsf": nil,
		"v1.0.0-rc.2/CloudTrail/Account Change/samples/account_change.ocsf":     nil,
		"v1.0.0-rc.2/CloudTrail/Authentication/samples/authentication.ocsf":     nil,
		"v1.0.0-rc.2/Route53/samples/route53.ocsf":                              nil,
		"v1.0.0-rc.2/Security Hub/samples/Security Hub.ocsf":                    nil,
		"v1.0.0-rc.2/VPC Flowlogs/samples/vpcflowlog.ocsf":                      nil,
	}

	// Every example of the two versions is in the table.
	var files []string
	for _, ver := range []string{"v1.1.0", "v1.0.0-rc.2"} {
		err := filepath.WalkDir(filepath.Join(root, ver), func(p string, d fs.DirEntry, err error) error {
			if err == nil && strings.HasSuffix(p, ".ocsf") {
				rel, _ := filepath.Rel(root, p)
				files = append(files, filepath.ToSlash(rel))
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		if _, ok := tests[f]; !ok {
			t.Errorf("example %s is not in the table", f)
		}
	}

	for name, wantErrs := range tests {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join(root, filepath.FromSlash(name)))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var got []want
			var msgs Errors
			sum, err := ValidateStream(t.Context(), f, func(r Result) error {
				for _, e := range r.Errors {
					got = append(got, want{e.Path, e.Kind})
				}
				msgs = append(msgs, r.Errors...)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Records != 1 {
				t.Errorf("got %d records, want 1", sum.Records)
			}
			if !slices.Equal(got, wantErrs) {
				t.Errorf("got errors %v, want %v\n%v", got, wantErrs, msgs)
			}
		})
	}
}
