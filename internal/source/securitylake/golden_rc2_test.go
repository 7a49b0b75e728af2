package securitylake

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/source/sourcetest"
)

// rc2Renames are the attributes OCSF 1.1.0 renamed from 1.0.0-rc.2, as Security Lake's two
// source versions have them. A user's uuid (the ARN) is its uid in 1.1.0 and its rc.2 uid
// (the principal id) uid_alt: renamedRC2 applies those only to users with a uuid.
var rc2Renames = map[string]string{
	"cloud.account_uid":      "cloud.account.uid",
	"actor.user.account_uid": "actor.user.account.uid",
	"actor.session.mfa":      "actor.session.is_mfa",
	"user.account_uid":       "user.account.uid",
	"mfa":                    "is_mfa",
	"resources.account_uid":  "resources.owner.account.uid",
}

// renamedRC2 returns ref with rc2Renames and the uuid renames applied.
func renamedRC2(ref sourcetest.Flat) sourcetest.Flat {
	renames := map[string]string{}
	for k, v := range rc2Renames {
		renames[k] = v
	}
	for _, u := range []string{"actor.user", "user"} {
		if ref[u+".uuid"] != nil {
			renames[u+".uuid"] = u + ".uid"
			renames[u+".uid"] = u + ".uid_alt"
		}
	}
	return renamed(ref, renames)
}

// Reasons of the differences between Security Lake's rc.2 rows and our 1.1.0 events.
const (
	whyVersion  = "we convert to OCSF 1.1.0, the version mcpwatch's lake holds (Security Lake source version 2)"
	whyDatetime = "1.1.0 events carry the datetime profile: every timestamp gets its _dt twin"
	whyCategory = "1.1.0 moved the class: its caption (rc.2's Audit Activity category is Identity & Access " +
		"Management, rc.2's API Activity 3005 is 6003 in Application Activity)"
	whyEmpty  = "an empty string (or a 0 id, Unknown) is absent in mcpwatch's types (omitzero)"
	whyAction = "1.1.0's security_control profile requires action_id, which rc.2 lacks: from the disposition " +
		"(Allowed/No Action: Allowed; Blocked: Denied; unknown: Unknown), as the vpcflow format does"
	whyObservables = "rc.2 rows have no observables; we add the endpoints' addresses and instances (and the " +
		"DNS query) as mcpwatch's formats do"
	whyAccount = "rc.2 CloudTrail rows have no cloud account; recipientAccountId (in unmapped) is the account " +
		"whose trail logged the event, the lake's partition; without it, the actor's account"
	whyNoData      = `"-" (NODATA) is no ip_t: omitted, as the vpcflow format omits it`
	whyDNSActivity = "rc.2 DNS rows use Network Activity's Refuse (5) and Fail (4), which 1.1.0 DNS Activity " +
		"has not: Other (99) with the caption kept"
	whyService = "1.1.0 Authentication needs service or dst_endpoint; Security Lake's rc.2 AssumeRole rows " +
		"have neither: the API's service (sts.amazonaws.com) is the service authenticated to"
	whySvcName = "network_endpoint needs one of ip, uid, hostname, svc_name, ...: a CloudTrail caller that is " +
		"an AWS service (sourceIPAddress cloudformation.amazonaws.com, in domain) is also its svc_name"
)

// TestGoldenRC2 reads every Security Lake source version 1 (OCSF 1.0.0-rc.2) sample but the
// findings (see TestGoldenFindingsRC2) and compares our 1.1.0 event with the row, read by
// parquet-go's generic reader, attribute by attribute after the 1.1.0 renames. Every other
// difference is listed with its reason.
func TestGoldenRC2(t *testing.T) {
	root := filepath.Join(sourcetest.DataDir(t), "security-lake-samples", "samples", "1.0.0-rc.2")
	n := 0
	for _, p := range samples(t) {
		if !strings.Contains(p, "1.0.0-rc.2") || strings.Contains(p, "SH_FINDINGS") {
			continue
		}
		n++
		rel, _ := filepath.Rel(root, p)
		t.Run(rel, func(t *testing.T) {
			s, err := readFile(t, p)
			if err != nil || len(s.Events) != 1 {
				t.Fatalf("%v: %d events, dead letters %v", err, len(s.Events), s.Dead)
			}
			ev := s.Events[0]
			validate(t, ev)
			ours := sourcetest.FlattenEvent(t, ev, utc)
			ref := renamedRC2(sourcetest.FlattenParquet(t, p, utc))
			diffs := map[string]difference{
				"metadata.version":  {vals("1.0.0-rc.2"), vals("1.1.0"), whyVersion},
				"metadata.profiles": {ref["metadata.profiles"], append(vals(ref["metadata.profiles"]...), "datetime"), whyDatetime},
			}
			for k, v := range ours {
				if base, ok := strings.CutSuffix(k, "_dt"); ok && ref[k] == nil && ours[base] != nil {
					diffs[k] = difference{nil, v, whyDatetime}
				}
			}
			for k, v := range ref {
				if ours[k] == nil && (joined(v) == "" || strings.HasSuffix(k, "_id") && joined(v) == "0") {
					diffs[k] = difference{v, nil, whyEmpty}
				}
			}
			add := func(k string, ref, ours []any, why string) { diffs[k] = difference{ref, ours, why} }
			switch family := strings.Split(rel, string(filepath.Separator))[0]; family {
			case "VPC_FLOW", "ROUTE53":
				add("action", nil, ours["action"], whyAction)
				add("action_id", nil, ours["action_id"], whyAction)
				for _, k := range []string{"observables.name", "observables.type", "observables.type_id", "observables.value"} {
					if ours[k] != nil {
						add(k, nil, ours[k], whyObservables)
					}
				}
				if ref["src_endpoint.ip"] != nil && ref["src_endpoint.ip"][0] == "-" {
					add("src_endpoint.ip", vals("-"), nil, whyNoData)
					add("dst_endpoint.ip", vals("-"), nil, whyNoData)
				}
				if family == "ROUTE53" && (ref["activity_id"][0] == int64(4) || ref["activity_id"][0] == int64(5)) {
					add("activity_id", ref["activity_id"], vals(int64(99)), whyDNSActivity)
					add("type_uid", ref["type_uid"], vals(int64(400399)), whyDNSActivity)
				}
			case "CLOUD_TRAIL":
				add("category_name", vals("Audit Activity"), ours["category_name"], whyCategory)
				if ref["cloud.account.uid"] == nil {
					acct := ref["unmapped.recipientAccountId"]
					if acct == nil {
						acct = ref["actor.user.account.uid"]
					}
					add("cloud.account.uid", nil, acct, whyAccount)
				}
				if ref["class_uid"][0] == int64(3005) {
					add("class_uid", vals(int64(3005)), vals(int64(6003)), whyCategory)
					add("category_uid", vals(int64(3)), vals(int64(6)), whyCategory)
					add("category_name", vals("Audit Activity"), vals("Application Activity"), whyCategory)
					add("type_uid", ref["type_uid"], vals(600300+ref["type_uid"][0].(int64)%100), whyCategory)
				}
				if ref["class_uid"][0] == int64(3002) && ref["service.name"] == nil && ref["dst_endpoint.svc_name"] == nil {
					add("service.name", nil, ref["api.service.name"], whyService)
				}
				if ref["src_endpoint.ip"] == nil && ref["src_endpoint.domain"] != nil {
					add("src_endpoint.svc_name", nil, ref["src_endpoint.domain"], whySvcName)
				}
			}
			sourcetest.CompareFlat(t, ours, ref, diffs)
		})
	}
	if n != 29 {
		t.Errorf("compared %d rc.2 samples, want 29 (4 VPC_FLOW, 4 ROUTE53, 21 CLOUD_TRAIL)", n)
	}
}
