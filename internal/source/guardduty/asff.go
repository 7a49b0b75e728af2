package guardduty

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ToASFF converts a native GuardDuty finding (decoded generically: objects map[string]any,
// numbers json.Number; camelCase keys as GuardDuty's API, EventBridge and S3 exports write
// them, or PascalCase as the AWS CLI and SDKs do) to the ASFF finding GuardDuty sends Security
// Hub for it, also generically decoded:
//
//   - Id the finding's arn; ProductArn arn:<partition>:securityhub:<region>::product/aws/guardduty;
//     GeneratorId the detector's arn; ProductName GuardDuty, CompanyName Amazon; Region,
//     AwsAccountId;
//   - Types the ASFF type of the GuardDuty type (the table of the GuardDuty User Guide, else
//     its threat purpose's namespace), also in FindingProviderFields.Types;
//   - Severity.Product the GuardDuty severity and Severity.Label its level (Low below 4,
//     Medium below 7, High below 9, Critical), also in FindingProviderFields.Severity;
//   - FirstObservedAt and LastObservedAt service.eventFirstSeen and eventLastSeen; CreatedAt,
//     UpdatedAt, Title, Description; SourceUrl the finding in the GuardDuty console;
//   - ProductFields the service object flattened ("aws/guardduty/service/action/actionType",
//     array elements as ".<i>_/"), with aws/securityhub/FindingId, ProductName and
//     CompanyName;
//   - Resources from resource: an EC2 instance (AwsEc2Instance), an access key
//     (AwsIamAccessKey), S3 buckets (AwsS3Bucket), an EKS cluster (AwsEksCluster); another
//     resource type as Other with its attributes flattened into Details.Other;
//   - Workflow NEW, RecordState ACTIVE (archiving a finding in GuardDuty does not update it in
//     Security Hub), Sample from service.additionalInfo.sample.
func ToASFF(f map[string]any) (map[string]any, error) {
	f = normalizeKeys(f)
	arn := str(f, "arn")
	account, region, partition := str(f, "accountId"), str(f, "region"), str(f, "partition")
	if partition == "" {
		partition = "aws"
		if parts := strings.SplitN(arn, ":", 3); len(parts) == 3 && parts[0] == "arn" {
			partition = parts[1]
		}
	}
	id := str(f, "id")
	if arn == "" {
		detector := str(f, "service", "detectorId")
		if id == "" || detector == "" || account == "" || region == "" {
			return nil, fmt.Errorf("not a GuardDuty finding: no arn, and no id, detector, account and region to make one")
		}
		arn = fmt.Sprintf("arn:%s:guardduty:%s:%s:detector/%s/finding/%s", partition, region, account, detector, id)
	}
	if id == "" {
		id = arn[strings.LastIndexByte(arn, '/')+1:]
	}
	gdType := str(f, "type")
	if gdType == "" {
		return nil, fmt.Errorf("GuardDuty finding %s has no type", arn)
	}
	productArn := fmt.Sprintf("arn:%s:securityhub:%s::product/aws/guardduty", partition, region)
	generator := arn
	if i := strings.Index(arn, "/finding/"); i > 0 {
		generator = arn[:i]
	}
	service, _ := f["service"].(map[string]any)
	asffType := ASFFType(gdType)

	out := map[string]any{
		"SchemaVersion":   "2018-10-08",
		"Id":              arn,
		"ProductArn":      productArn,
		"GeneratorId":     generator,
		"ProductName":     "GuardDuty",
		"CompanyName":     "Amazon",
		"AwsAccountId":    account,
		"Region":          region,
		"Types":           []any{asffType},
		"Title":           str(f, "title"),
		"Description":     str(f, "description"),
		"SourceUrl":       fmt.Sprintf("https://%s.console.aws.amazon.com/guardduty/home?region=%s#/findings?macros=current&fId=%s", region, region, id),
		"Workflow":        map[string]any{"Status": "NEW"},
		"WorkflowState":   "NEW",
		"RecordState":     "ACTIVE",
		"Sample":          lookup(service, "additionalInfo", "sample") == true,
		"ProductFields":   productFields(service, productArn, arn),
		"CreatedAt":       timeText(f["createdAt"]),
		"UpdatedAt":       timeText(f["updatedAt"]),
		"FirstObservedAt": timeText(lookup(service, "eventFirstSeen")),
		"LastObservedAt":  timeText(lookup(service, "eventLastSeen")),
	}
	for k, v := range out {
		if s, ok := v.(string); ok && s == "" {
			delete(out, k)
		}
	}
	label := ""
	if sev, ok := f["severity"].(json.Number); ok {
		if v, err := sev.Float64(); err == nil {
			label = SeverityLabel(v)
			out["Severity"] = map[string]any{"Product": sev, "Label": label}
		}
	}
	fpf := map[string]any{"Types": []any{asffType}}
	if label != "" {
		fpf["Severity"] = map[string]any{"Label": label}
	}
	out["FindingProviderFields"] = fpf
	if res := resources(f, partition, region, account); len(res) > 0 {
		out["Resources"] = res
	}
	return out, nil
}

// SeverityLabel is the level of a GuardDuty severity, as the GuardDuty User Guide and Security
// Hub give it: Low (below 4.0), Medium (below 7.0), High (below 9.0), Critical.
func SeverityLabel(v float64) string {
	switch {
	case v < 4:
		return "LOW"
	case v < 7:
		return "MEDIUM"
	case v < 9:
		return "HIGH"
	}
	return "CRITICAL"
}

// timeText returns a GuardDuty time as ASFF text: text as it is, epoch milliseconds (older
// findings write launchTime so) as RFC 3339.
func timeText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return time.UnixMilli(n).UTC().Format(time.RFC3339Nano)
		}
	}
	return ""
}

// productFields flattens the service object the way GuardDuty's Security Hub integration
// does: "aws/guardduty/service/<path>" with "/" between keys and ".<i>_" after array names,
// every leaf as text.
func productFields(service map[string]any, productArn, arn string) map[string]any {
	out := map[string]any{
		"aws/securityhub/FindingId":   productArn + "/" + arn,
		"aws/securityhub/ProductName": "GuardDuty",
		"aws/securityhub/CompanyName": "Amazon",
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				walk(path+"/"+k, e)
			}
		case []any:
			for i, e := range v {
				walk(path+"."+strconv.Itoa(i)+"_", e)
			}
		case nil:
		default:
			out[path] = leafString(v)
		}
	}
	for k, v := range service {
		walk("aws/guardduty/service/"+k, v)
	}
	return out
}

// leafString is a JSON leaf as text.
func leafString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// resources maps the finding's resource to ASFF Resources.
func resources(f map[string]any, partition, region, account string) []any {
	res, _ := f["resource"].(map[string]any)
	if res == nil {
		return nil
	}
	base := func(typ, id string, details map[string]any) map[string]any {
		r := map[string]any{"Type": typ, "Id": id, "Partition": partition, "Region": region}
		if len(details) > 0 {
			r["Details"] = details
		}
		return r
	}
	var out []any
	if inst, ok := res["instanceDetails"].(map[string]any); ok {
		if id := str(inst, "instanceId"); id != "" {
			d := map[string]any{}
			setStr(d, "Type", str(inst, "instanceType"))
			setStr(d, "ImageId", str(inst, "imageId"))
			var v4, v6 []any
			for _, ni := range objects(inst, "networkInterfaces") {
				if ip := str(ni, "publicIp"); ip != "" {
					v4 = append(v4, ip)
				}
				if ip := str(ni, "privateIpAddress"); ip != "" {
					v4 = append(v4, ip)
				}
				for _, ip := range strs(ni, "ipv6Addresses") {
					v6 = append(v6, ip)
				}
				setStr(d, "VpcId", str(ni, "vpcId"))
				setStr(d, "SubnetId", str(ni, "subnetId"))
			}
			if len(v4) > 0 {
				d["IpV4Addresses"] = v4
			}
			if len(v6) > 0 {
				d["IpV6Addresses"] = v6
			}
			setStr(d, "IamInstanceProfileArn", str(inst, "iamInstanceProfile", "arn"))
			setStr(d, "LaunchedAt", timeText(inst["launchTime"]))
			r := base("AwsEc2Instance", fmt.Sprintf("arn:%s:ec2:%s:%s:instance/%s", partition, region, account, id),
				map[string]any{"AwsEc2Instance": d})
			if tags := tagMap(inst["tags"]); len(tags) > 0 {
				r["Tags"] = tags
			}
			out = append(out, r)
		}
	}
	if ak, ok := res["accessKeyDetails"].(map[string]any); ok {
		if id := str(ak, "accessKeyId"); id != "" {
			d := map[string]any{}
			setStr(d, "PrincipalId", str(ak, "principalId"))
			setStr(d, "PrincipalName", str(ak, "userName"))
			setStr(d, "PrincipalType", str(ak, "userType"))
			out = append(out, base("AwsIamAccessKey", "AWS::IAM::AccessKey:"+id, map[string]any{"AwsIamAccessKey": d}))
		}
	}
	for _, b := range objects(res, "s3BucketDetails") {
		id := str(b, "arn")
		if id == "" {
			if name := str(b, "name"); name != "" {
				id = fmt.Sprintf("arn:%s:s3:::%s", partition, name)
			}
		}
		if id == "" {
			continue
		}
		d := map[string]any{}
		setStr(d, "OwnerId", str(b, "owner", "id"))
		setStr(d, "CreatedAt", timeText(b["createdAt"]))
		r := base("AwsS3Bucket", id, map[string]any{"AwsS3Bucket": d})
		if tags := tagMap(b["tags"]); len(tags) > 0 {
			r["Tags"] = tags
		}
		out = append(out, r)
	}
	if eks, ok := res["eksClusterDetails"].(map[string]any); ok {
		if id := or(str(eks, "arn"), str(eks, "name")); id != "" {
			d := map[string]any{}
			setStr(d, "Name", str(eks, "name"))
			setStr(d, "Arn", str(eks, "arn"))
			out = append(out, base("AwsEksCluster", id, map[string]any{"AwsEksCluster": d}))
		}
	}
	if len(out) == 0 {
		// Another kind of resource (ECS, Lambda, RDS, container, ...): Other, with every
		// attribute flattened.
		other := map[string]any{}
		var walk func(path string, v any)
		walk = func(path string, v any) {
			switch v := v.(type) {
			case map[string]any:
				for k, e := range v {
					walk(strings.TrimPrefix(path+"/"+k, "/"), e)
				}
			case []any:
				for i, e := range v {
					walk(path+"."+strconv.Itoa(i)+"_", e)
				}
			case nil:
			default:
				other[path] = leafString(v)
			}
		}
		walk("", res)
		id := ""
		keys := make([]string, 0, len(other))
		for k := range other {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if strings.HasSuffix(strings.ToLower(k), "arn") && strings.HasPrefix(other[k].(string), "arn:") {
				id = other[k].(string)
				break
			}
		}
		if id == "" {
			id = or(str(res, "resourceType"), "Unknown")
		}
		out = append(out, base("Other", id, map[string]any{"Other": other}))
	}
	return out
}

// tagMap turns GuardDuty's [{"key": k, "value": v}] into ASFF's {"k": "v"}.
func tagMap(v any) map[string]any {
	a, _ := v.([]any)
	out := map[string]any{}
	for _, e := range a {
		if t, ok := e.(map[string]any); ok {
			if k := str(t, "key"); k != "" {
				out[k] = str(t, "value")
			}
		}
	}
	return out
}

func setStr(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}

// normalizeKeys returns f with PascalCase keys (AWS CLI and SDK output) turned into
// GuardDuty's camelCase, except inside maps whose keys are data (affectedResources).
func normalizeKeys(f map[string]any) map[string]any {
	if _, ok := f["accountId"]; ok {
		return f
	}
	if _, ok := f["AccountId"]; !ok {
		if _, ok := f["SchemaVersion"]; !ok {
			return f
		}
	}
	var conv func(v any, data bool) any
	conv = func(v any, data bool) any {
		switch v := v.(type) {
		case map[string]any:
			out := make(map[string]any, len(v))
			for k, e := range v {
				nk := k
				if !data {
					nk = lowerFirst(k)
				}
				out[nk] = conv(e, nk == "affectedResources")
			}
			return out
		case []any:
			out := make([]any, len(v))
			for i, e := range v {
				out[i] = conv(e, false)
			}
			return out
		}
		return v
	}
	return conv(f, false).(map[string]any)
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError || !unicode.IsUpper(r) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// lookup returns the value at the object path keys of m, or nil.
func lookup(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = o[k]
	}
	return v
}

func str(m map[string]any, keys ...string) string {
	s, _ := lookup(m, keys...).(string)
	return s
}

func strs(m map[string]any, keys ...string) []string {
	a, _ := lookup(m, keys...).([]any)
	var out []string
	for _, e := range a {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func objects(m map[string]any, keys ...string) []map[string]any {
	a, _ := lookup(m, keys...).([]any)
	var out []map[string]any
	for _, e := range a {
		if o, ok := e.(map[string]any); ok {
			out = append(out, o)
		}
	}
	return out
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
