package cloudtrail

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/jsonscan"
)

// sample returns a test record of testdata.
func sample(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// Small records for the tests of framing and accounting.
const (
	evDescribe = `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAX","arn":"arn:aws:iam::111111111111:user/bob","accountId":"111111111111","userName":"bob"},"eventTime":"2025-01-02T03:04:05Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.1","userAgent":"aws-cli/2","requestParameters":null,"responseElements":null,"requestID":"r1","eventID":"e1","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111111111111","eventCategory":"Management"}`
	evLogin    = `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAX","arn":"arn:aws:iam::111111111111:user/bob","accountId":"111111111111","userName":"bob"},"eventTime":"2025-01-02T03:04:06Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.1","userAgent":"Mozilla/5.0","requestParameters":null,"responseElements":{"ConsoleLogin":"Failure"},"additionalEventData":{"LoginTo":"https://console.aws.amazon.com/","MobileVersion":"No","MFAUsed":"No"},"errorMessage":"Failed authentication","eventID":"e2","readOnly":false,"eventType":"AwsConsoleSignIn","managementEvent":true,"recipientAccountId":"111111111111","eventCategory":"Management"}`
	evCreate   = `{"eventVersion":"1.08","userIdentity":{"type":"Root","principalId":"111111111111","arn":"arn:aws:iam::111111111111:root","accountId":"111111111111","accessKeyId":"ASIAX"},"eventTime":"2025-01-02T03:04:07Z","eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.1","userAgent":"console.amazonaws.com","requestParameters":{"userName":"svc-mcp"},"responseElements":{"accessKey":{"accessKeyId":"AKIAX","status":"Active","userName":"svc-mcp","createDate":"Jan 2, 2025, 3:04:07 AM"}},"requestID":"r3","eventID":"e3","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111111111111","eventCategory":"Management"}`
	evInsight  = `{"eventVersion":"1.08","eventTime":"2025-01-02T03:00:00Z","awsRegion":"us-east-1","eventID":"e4","eventType":"AwsCloudTrailInsight","recipientAccountId":"111111111111","sharedEventID":"s","insightDetails":{"state":"Start","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","insightType":"ApiCallRateInsight"},"eventCategory":"Insight"}`
	evData     = `{"eventVersion":"1.09","userIdentity":{"type":"AWSService","invokedBy":"s3.amazonaws.com"},"eventTime":"2025-01-02T03:04:08Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"s3.amazonaws.com","requestParameters":{"bucketName":"b","key":"k"},"eventID":"e5","readOnly":true,"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"111111111111","eventCategory":"Data"}`
	digestFile = `{"awsAccountId":"111111111111","digestStartTime":"2025-01-02T02:00:00Z","digestEndTime":"2025-01-02T03:00:00Z","digestS3Bucket":"b","digestS3Object":"o","digestPublicKeyFingerprint":"f","digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":"2025-01-02T02:59:00Z","oldestEventTime":"2025-01-02T02:00:01Z","previousDigestS3Bucket":"b","previousDigestS3Object":"p","previousDigestHashValue":"h","previousDigestHashAlgorithm":"SHA-256","previousDigestSignature":"s","logFiles":[{"s3Bucket":"b","s3Object":"l","hashValue":"h","hashAlgorithm":"SHA-256","newestEventTime":"2025-01-02T02:59:00Z","oldestEventTime":"2025-01-02T02:00:01Z"}]}`
)

// kinds summarizes outcomes: "E6003" for an event of class 6003, "D" a dead letter, "S" a skip.
func kinds(s *recordingSink) string {
	var b strings.Builder
	for _, o := range s.out {
		switch {
		case o.event != nil:
			b.WriteString("E")
			b.WriteString(strconv.Itoa(int(o.event.Header().ClassUID)))
		case o.skip:
			b.WriteString("S")
		default:
			b.WriteString("D")
		}
		b.WriteString(" ")
	}
	return strings.TrimSpace(b.String())
}

func TestReadShapes(t *testing.T) {
	eb := `{"version":"0","id":"x","detail-type":"AWS API Call via CloudTrail","source":"aws.ec2","account":"222222222222","time":"2025-01-02T03:04:05Z","region":"ap-south-1","resources":[],"detail":` +
		strings.Replace(strings.Replace(evDescribe, `"recipientAccountId":"111111111111",`, "", 1), `"awsRegion":"us-east-1",`, "", 1) + `}`
	lookup := `{"Events":[{"EventId":"e1","EventName":"DescribeInstances","ReadOnly":"true","EventTime":1735787045.0,"EventSource":"ec2.amazonaws.com","Username":"bob","Resources":[],"CloudTrailEvent":` +
		quoteJSON(evDescribe) + `}],"NextToken":"abc"}`
	tests := []struct {
		name, in string
		want     string // kinds
		reasons  []string
		err      string
	}{
		{name: "log file", in: `{"Records":[` + evDescribe + "," + evLogin + "," + evCreate + `]}`, want: "E6003 E3002 E3001"},
		{name: "log file, Records not first", in: `{"Other":1,"Records":[` + evDescribe + "," + evLogin + `]}`, want: "E6003 E3002"},
		{name: "ndjson", in: evDescribe + "\n" + evLogin + "\n\n" + evCreate + "\n", want: "E6003 E3002 E3001"},
		{name: "array", in: "[\n" + evDescribe + ",\n" + evCreate + "\n]\n", want: "E6003 E3001"},
		{name: "cloudwatch export", in: "2025-01-02T03:04:05.000Z " + evDescribe + "\n2025-01-02T03:04:06.000Z " + evLogin + "\n", want: "E6003 E3002"},
		{name: "eventbridge", in: eb, want: "E6003"},
		{name: "eventbridge of another type", in: `{"detail-type":"GuardDuty Finding","source":"aws.guardduty","detail":{}}`, want: "D",
			reasons: []string{`EventBridge event of detail-type "GuardDuty Finding" holds no CloudTrail event`}},
		{name: "lookup-events", in: lookup, want: "E6003"},
		{name: "digest", in: digestFile, want: "S", reasons: []string{errDigest.reason}},
		{name: "insights and data events", in: `{"Records":[` + evInsight + "," + evData + "," + evDescribe + `]}`, want: "S S E6003",
			reasons: []string{errInsight.reason, errData.reason, ""}},
		{name: "malformed lines", in: evDescribe + "\n{\"eventName\":tru}\nnot json\n" + evLogin, want: "E6003 D D E3002",
			reasons: []string{"", "invalid JSON at byte 14: invalid literal (want true)", "not a JSON object or array", ""}},
		{name: "wrong member types", in: `{"eventName":5}` + "\n" + `{"userIdentity":"bob"}` + "\n" + `{"eventName":"X","eventTime":"yesterday"}` + "\n" + `{"eventTime":"2025-01-02T03:04:05Z"}`,
			want: "D D D D", reasons: []string{"invalid JSON at byte 14: eventName: expected a string, found number",
				"invalid JSON at byte 17: userIdentity: expected an object, found string",
				`eventTime "yesterday" is not an RFC 3339 time`, "no eventName"}},
		{name: "truncated log file", in: `{"Records":[` + evDescribe + "," + evLogin[:100], want: "E6003 D",
			reasons: []string{"", jsonscan.ErrTruncated.Error()}, err: `input ends inside its "Records" array`},
		{name: "element not an object", in: `{"Records":[` + evDescribe + `,42,"x",` + evCreate + `]}`, want: "E6003 D D E3001",
			reasons: []string{"", "invalid JSON at byte 1: expected an object, found number", "invalid JSON at byte 1: expected an object, found string", ""}},
		{name: "invalid members found late", in: strings.Replace(evDescribe, `"type":"IAMUser"`, `"type":tru`, 1) + "\n" +
			strings.Replace(evDescribe, `"eventCategory":"Management"`, `"tlsDetails":{"tlsVersion":"TLSv1.2","x":[1,]},"eventCategory":"Management"`, 1) + "\n" +
			strings.Replace(evLogin, `"MobileVersion":"No"`, `"MobileVersion":"\u00"`, 1) + "\n" +
			`{"a":1,"Records":[` + evDescribe + `,` + evCreate + ` ` + evLogin + `]}` + "\n",
			want: "D D D E6003 E3001 D", reasons: []string{"invalid JSON at byte 47: invalid literal (want true)",
				"invalid JSON at byte 571: unexpected ']'",
				`invalid JSON at byte 501: invalid \u escape`, "", "",
				"Records: invalid JSON at byte 1259: expected ',' or ']' after an array element, found '{'"}},
		{name: "no actor", in: strings.Replace(evDescribe, `"userIdentity":{"type":"IAMUser","principalId":"AIDAX","arn":"arn:aws:iam::111111111111:user/bob","accountId":"111111111111","userName":"bob"},`, "", 1),
			want: "D", reasons: []string{"no userIdentity: an event needs its actor"}},
		{name: "no source", in: strings.Replace(evDescribe, `"sourceIPAddress":"192.0.2.1",`, "", 1),
			want: "D", reasons: []string{"no sourceIPAddress nor vpcEndpointId: an API Activity needs its src_endpoint"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, slow := range []bool{false, true} {
				s := &recordingSink{t: t, validate: true}
				var r io.Reader = strings.NewReader(tt.in)
				if slow {
					r = iotest.OneByteReader(r)
				}
				err := Format{}.Read(context.Background(), source.Input{Name: "t", R: r}, s)
				if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
					t.Errorf("slow %v: error %v, want %q", slow, err, tt.err)
				}
				if got := kinds(s); got != tt.want {
					t.Errorf("slow %v: got %s, want %s (%+v)", slow, got, tt.want, s.out)
				}
				for i, want := range tt.reasons {
					if i < len(s.out) && s.out[i].reason != want {
						t.Errorf("slow %v: record %d reason %q, want %q", slow, i+1, s.out[i].reason, want)
					}
				}
			}
		})
	}
}

func quoteJSON(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range s {
		switch c {
		case '"', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	b.WriteByte('"')
	return b.String()
}

func TestEventBridgeHints(t *testing.T) {
	in := `{"detail-type":"AWS API Call via CloudTrail","source":"aws.ec2","account":"222222222222","region":"ap-south-1","detail":` +
		strings.Replace(strings.Replace(evDescribe, `"recipientAccountId":"111111111111",`, "", 1), `"awsRegion":"us-east-1",`, "", 1) + `}`
	s, err := read(t, Format{}, in)
	if err != nil || len(s.events()) != 1 {
		t.Fatalf("%v %+v", err, s.out)
	}
	h := s.events()[0].Header()
	if h.Cloud.Account.UID != "222222222222" || h.Cloud.Region != "ap-south-1" {
		t.Errorf("cloud %+v, want EventBridge's account and region", h.Cloud)
	}
	// Without EventBridge, the input's location.
	s, _ = read(t, Format{}, strings.Replace(strings.Replace(evDescribe, `"recipientAccountId":"111111111111",`, "", 1), `"awsRegion":"us-east-1",`, "", 1))
	if h := s.events()[0].Header(); h.Cloud.Account.UID != "999999999999" || h.Cloud.Region != "eu-west-1" {
		t.Errorf("cloud %+v, want the input's account and region", h.Cloud)
	}
}

// TestRequestDataReachable checks that what detection looks for in the request and response
// of an API call — user data, commands, container definitions and images — is in
// api.request.data and api.response.data as Security Lake keeps them: the members' JSON text.
func TestRequestDataReachable(t *testing.T) {
	tests := []struct {
		file, op      string
		activity      int32
		inRequest     []string
		inResponse    []string
		resourceUIDs  []string
		unmappedWants map[string]string
	}{
		{"runinstances.json", "RunInstances", apiCreate,
			[]string{`"userData":"IyEvYmluL2Jhc2gKbnB4IC15IEBtb2RlbGNvbnRleHRwcm90b2NvbC9zZXJ2ZXItZmlsZXN5c3RlbSAvZGF0YSAmCg=="`, `"imageId":"ami-0abcdef1234567890"`},
			[]string{`"instanceId":"i-0123456789abcdef0"`}, nil,
			map[string]string{"tlsDetails.clientProvidedHostHeader": "ec2.eu-west-1.amazonaws.com", "readOnly": "false",
				"userIdentity.sessionContext.sessionIssuer.userName": "DevRole", "sessionCredentialFromConsole": "false"}},
		{"sendcommand.json", "SendCommand", activityOther,
			[]string{`"documentName":"AWS-RunShellScript"`, `"instanceIds":["i-0123456789abcdef0","i-0fedcba9876543210"]`},
			[]string{`"comment":"start \"mcp\" server"`},
			[]string{"arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0", "arn:aws:ssm:eu-west-1::document/AWS-RunShellScript"},
			map[string]string{"managementEvent": "true"}},
		{"registertaskdefinition.json", "RegisterTaskDefinition", apiUpdate,
			[]string{`"image":"ghcr.io/example/mcp-gateway:1.4.2"`, `"command":["npx","-y","@modelcontextprotocol/server-github"]`, `"value":"https://mcp.example.com/sse"`},
			[]string{`"revision":3`}, nil, map[string]string{"userIdentity.sessionContext.webIdFederationData.attributes": ""}},
	}
	for _, tt := range tests {
		s, err := read(t, Format{}, sample(t, tt.file))
		if err != nil || len(s.events()) != 1 {
			t.Fatalf("%s: %v %+v", tt.file, err, s.out)
		}
		a, ok := s.events()[0].(*ocsf.APIActivity)
		if !ok {
			t.Fatalf("%s: %T", tt.file, s.events()[0])
		}
		if a.API.Operation != tt.op || a.ActivityID != tt.activity {
			t.Errorf("%s: %s activity %d", tt.file, a.API.Operation, a.ActivityID)
		}
		for _, w := range tt.inRequest {
			if !strings.Contains(a.API.Request.Data, w) {
				t.Errorf("%s: request data lacks %s", tt.file, w)
			}
		}
		for _, w := range tt.inResponse {
			if !strings.Contains(a.API.Response.Data, w) {
				t.Errorf("%s: response data lacks %s", tt.file, w)
			}
		}
		var uids []string
		for _, r := range a.Resources {
			uids = append(uids, r.UID)
			if r.Owner.Account.UID != "123456789012" || r.Type == "" {
				t.Errorf("%s: resource %+v", tt.file, r)
			}
		}
		if strings.Join(uids, " ") != strings.Join(tt.resourceUIDs, " ") {
			t.Errorf("%s: resources %v, want %v", tt.file, uids, tt.resourceUIDs)
		}
		for k, v := range tt.unmappedWants {
			got, ok := a.Unmapped[k]
			if v == "" {
				if ok {
					t.Errorf("%s: unmapped[%s] = %q, want none (empty object)", tt.file, k, got)
				}
			} else if got != v {
				t.Errorf("%s: unmapped[%s] = %q, want %q", tt.file, k, got, v)
			}
		}
		if a.Actor.User.UID == "" || a.Actor.User.Account.UID != "123456789012" || a.Cloud.Account.UID != "123456789012" {
			t.Errorf("%s: actor %+v cloud %+v", tt.file, a.Actor, a.Cloud)
		}
	}
}

func TestMappingDetails(t *testing.T) {
	s, err := read(t, Format{}, evLogin+"\n"+evCreate+"\n"+sample(t, "registertaskdefinition.json")+"\n"+evData+"\n"+sample(t, "sendcommand.json"))
	if err != nil {
		t.Fatal(err)
	}
	evs := s.events()
	if len(evs) != 4 {
		t.Fatalf("%+v", s.out)
	}
	login := evs[0].(*ocsf.Authentication)
	if login.StatusID != statusFailure || login.Status != "Failure" || login.IsMFA == nil || *login.IsMFA ||
		login.DstEndpoint.SvcName != "https://console.aws.amazon.com/" || login.API.Response.Message != "Failed authentication" ||
		login.Metadata.EventCode != "AwsConsoleSignIn" || login.Unmapped["additionalEventData.MobileVersion"] != "No" ||
		login.User.UID != "arn:aws:iam::111111111111:user/bob" || login.API.Request.UID != MissingRequestID {
		t.Errorf("ConsoleLogin: %+v", login)
	}
	create := evs[1].(*ocsf.AccountChange)
	if create.ActivityName != "Create" || create.User.Name != "svc-mcp" || create.Actor.User.Type != "Root" ||
		create.Actor.User.CredentialID != "ASIAX" || create.StatusID != statusSuccess {
		t.Errorf("CreateAccessKey: %+v", create)
	}
	reg := evs[2].(*ocsf.APIActivity)
	if reg.Actor.IdP.Name != "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" ||
		reg.Actor.Session.IsMFA == nil || *reg.Actor.Session.IsMFA || reg.Actor.Session.CreatedTime != 1741086000000 ||
		reg.Actor.Session.Issuer != "arn:aws:iam::123456789012:role/CIDeploy" {
		t.Errorf("RegisterTaskDefinition actor: %+v", reg.Actor)
	}
	send := evs[3].(*ocsf.APIActivity)
	if send.SrcEndpoint.IP != "2001:db8::1234" || send.Observables[0].Value != "2001:db8::1234" {
		t.Errorf("SendCommand source: %+v %+v", send.SrcEndpoint, send.Observables)
	}
	if s.out[3].reason != errData.reason {
		t.Errorf("data event: %+v", s.out[3])
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		source, name string
		class        int32
		activity     int32
	}{
		{"ec2.amazonaws.com", "DescribeInstances", ocsf.ClassAPIActivity, apiRead},
		{"ec2.amazonaws.com", "RunInstances", ocsf.ClassAPIActivity, apiCreate},
		{"ec2.amazonaws.com", "TerminateInstances", ocsf.ClassAPIActivity, apiDelete},
		{"ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", ocsf.ClassAPIActivity, apiUpdate},
		{"lambda.amazonaws.com", "Invoke", ocsf.ClassAPIActivity, activityOther},
		{"unknown.amazonaws.com", "UnknownAPI", ocsf.ClassAPIActivity, activityOther},
		{"s3.amazonaws.com", "GetObject", ocsf.ClassAPIActivity, apiRead},
		{"sts.amazonaws.com", "AssumeRole", ocsf.ClassAuthentication, authLogon},
		{"signin.amazonaws.com", "CheckMfa", ocsf.ClassAuthentication, activityOther},
		{"iam.amazonaws.com", "CreateUser", ocsf.ClassAccountChange, acctCreate},
		{"transfer.amazonaws.com", "CreateUser", ocsf.ClassAPIActivity, apiCreate},
		{"iam.amazonaws.com", "AttachRolePolicy", ocsf.ClassAccountChange, acctAttachPolicy},
		{"iam.amazonaws.com", "PutUserPolicy", ocsf.ClassAccountChange, acctAttachPolicy},
		{"iam.amazonaws.com", "AddUserToGroup", ocsf.ClassAccountChange, acctAttachPolicy},
		{"iam.amazonaws.com", "RemoveRoleFromInstanceProfile", ocsf.ClassAccountChange, acctDetachPolicy},
		{"iam.amazonaws.com", "DeleteRolePolicy", ocsf.ClassAccountChange, acctDelete},
		{"iam.amazonaws.com", "ChangePassword", ocsf.ClassAccountChange, acctPasswordChange},
		{"iam.amazonaws.com", "UpdateLoginProfile", ocsf.ClassAccountChange, acctPasswordReset},
		{"iam.amazonaws.com", "EnableMFADevice", ocsf.ClassAccountChange, acctMFAEnable},
		{"iam.amazonaws.com", "DeactivateMFADevice", ocsf.ClassAccountChange, acctMFADisable},
		{"iam.amazonaws.com", "TagRole", ocsf.ClassAccountChange, activityOther},
		{"iam.amazonaws.com", "ListUsers", ocsf.ClassAPIActivity, apiRead},
	}
	for _, tt := range tests {
		c, a := classify(tt.source, tt.name)
		if c != tt.class || a != tt.activity {
			t.Errorf("%s %s: %d/%d, want %d/%d", tt.source, tt.name, c, a, tt.class, tt.activity)
		}
		if classifications[classKey{c, a}] == nil {
			t.Errorf("%s: no classification for %d/%d", tt.name, c, a)
		}
	}
	// UpdateAccessKey takes its activity from the status it sets.
	for status, want := range map[string]string{"Inactive": "Disable", "Active": "Enable", "": "Other"} {
		rec := strings.Replace(strings.Replace(evCreate, `"CreateAccessKey"`, `"UpdateAccessKey"`, 1),
			`{"userName":"svc-mcp"}`, `{"userName":"svc-mcp","accessKeyId":"AKIAX","status":"`+status+`"}`, 1)
		s, _ := read(t, Format{}, rec)
		if evs := s.events(); len(evs) != 1 || evs[0].Header().ActivityName != want {
			t.Errorf("UpdateAccessKey %q: %+v, want %s", status, s.out, want)
		}
	}
}

func TestServiceIdentity(t *testing.T) {
	rec := `{"eventVersion":"1.08","userIdentity":{"type":"AWSService","invokedBy":"trustedadvisor.amazonaws.com"},"eventTime":"2025-01-02T03:04:05Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeSecurityGroups","awsRegion":"us-east-1","sourceIPAddress":"trustedadvisor.amazonaws.com","userAgent":"trustedadvisor.amazonaws.com","requestID":"r","eventID":"e","eventType":"AwsApiCall","recipientAccountId":"111111111111"}`
	s, err := read(t, Format{}, rec)
	if err != nil || len(s.events()) != 1 {
		t.Fatalf("%v %+v", err, s.out)
	}
	a := s.events()[0].(*ocsf.APIActivity)
	if a.Actor.User != (ocsf.User{}) || a.Actor.InvokedBy != "trustedadvisor.amazonaws.com" || a.Unmapped["userIdentity.type"] != "AWSService" {
		t.Errorf("actor %+v unmapped %v", a.Actor, a.Unmapped)
	}
	if a.SrcEndpoint.Domain != "trustedadvisor.amazonaws.com" || a.SrcEndpoint.SvcName != a.SrcEndpoint.Domain || a.SrcEndpoint.IP != "" {
		t.Errorf("src_endpoint %+v", a.SrcEndpoint)
	}
	if len(a.Observables) != 1 || a.Observables[0].Name != "src_endpoint.domain" || a.Observables[0].TypeID != ocsf.ObservableHostname {
		t.Errorf("observables %+v", a.Observables)
	}
}

func TestEscapesAndWhitespace(t *testing.T) {
	rec := "{\n  \"eventVersion\": \"1.08\",\n  \"userIdentity\": {\"type\": \"IAMUser\", \"arn\": \"arn:aws:iam::1:user/b\\u00f8b\", \"userName\": \"b\\u00f8b\"},\n" +
		"  \"eventTime\": \"2025-01-02T03:04:05.123Z\", \"eventSource\": \"ec2.amazonaws.com\", \"eventName\": \"Describe\\u0049nstances\",\n" +
		"  \"sourceIPAddress\": \"192.0.2.1\", \"userAgent\": \"a\\tb\\\"c\",\n  \"requestParameters\": {\n    \"filterSet\": { \"items\": [ {\"name\": \"x y\"} ] }\n  },\n" +
		"  \"\\u0072eadOnly\": true\n}\n"
	s, err := read(t, Format{}, rec)
	if err != nil || len(s.events()) != 1 {
		t.Fatalf("%v %+v", err, s.out)
	}
	a := s.events()[0].(*ocsf.APIActivity)
	if a.API.Operation != "DescribeInstances" || a.ActivityName != "Read" || a.Actor.User.Name != "bøb" ||
		a.HTTPRequest.UserAgent != "a\tb\"c" || a.Time != 1735787045123 || a.Unmapped["readOnly"] != "true" {
		t.Errorf("%+v", a)
	}
	if a.API.Request.Data != `{"filterSet":{"items":[{"name":"x y"}]}}` {
		t.Errorf("request data %q", a.API.Request.Data)
	}
}

func TestTooLong(t *testing.T) {
	s, err := read(t, Format{MaxRecordBytes: 1000}, evDescribe+"\n"+sample(t, "runinstances.json")+"\n"+evLogin)
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(s); got != "E6003 D E3002" {
		t.Fatalf("%s %+v", got, s.out)
	}
	if d := s.out[1]; len(d.dead) != 1000 || d.reason != "record longer than 1000 bytes" {
		t.Errorf("dead letter of %d bytes: %s", len(d.dead), d.reason)
	}
}

func TestSinkErrorAndCancel(t *testing.T) {
	in := strings.Repeat(evDescribe+"\n", 10)
	s := &recordingSink{t: t, failAt: 3}
	err := Format{}.Read(context.Background(), source.Input{Name: "t", R: strings.NewReader(in)}, s)
	if !errors.Is(err, errSinkFull) || len(s.out) != 3 {
		t.Errorf("error %v after %d records", err, len(s.out))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s = &recordingSink{t: t}
	err = Format{}.Read(ctx, source.Input{Name: "t", R: strings.NewReader(in)}, s)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
	if err := (Format{}).Read(context.Background(), source.Input{Name: "t"}, s); err == nil {
		t.Error("no reader: no error")
	}
}

// TestReaderAt reads through Input.ReaderAt when there is no R.
func TestReaderAt(t *testing.T) {
	in := `{"Records":[` + evDescribe + `]}`
	s := &recordingSink{t: t, validate: true}
	r := strings.NewReader(in)
	if err := (Format{}).Read(context.Background(), source.Input{Name: "t", ReaderAt: r, Size: int64(len(in))}, s); err != nil || kinds(s) != "E6003" {
		t.Errorf("%v %s", err, kinds(s))
	}
}

// TestIncompleteIdentities reads events whose identities say little: each is a valid event, or
// a dead letter saying what is missing.
func TestIncompleteIdentities(t *testing.T) {
	const tm = `"eventTime":"2025-01-02T03:04:05Z","sourceIPAddress":"192.0.2.1",`
	tests := []struct {
		rec, want string
		check     func(ocsf.Event) bool
	}{
		{`{"eventName":"AssumeRole",` + tm + `"userIdentity":{"type":"X","principalId":"p"},"eventSource":"sts.amazonaws.com"}`, "",
			func(e ocsf.Event) bool {
				a := e.(*ocsf.Authentication)
				return a.User.UID == "p" && a.Actor.User.UID == "p" && a.Service.Name == "sts.amazonaws.com"
			}},
		{`{"eventName":"ConsoleLogin",` + tm + `"userIdentity":{"type":"IAMUser","userName":"u"}}`,
			"no eventSource nor additionalEventData.LoginTo: an Authentication needs its service", nil},
		{`{"eventName":"AssumeRole",` + tm + `"eventSource":"sts.amazonaws.com","userIdentity":{"type":"AWSService","invokedBy":"ec2.amazonaws.com"}}`,
			"no user: neither the request (roleArn) nor userIdentity names the user authenticated", nil},
		{`{"eventName":"CreateUser","eventSource":"iam.amazonaws.com",` + tm + `"userIdentity":{"type":"X","invokedBy":"x"}}`,
			"no user: neither the request, the response nor userIdentity names the user changed", nil},
		{`{"eventName":"CreateUser","eventSource":"iam.amazonaws.com",` + tm + `"userIdentity":{"type":"X","principalId":"p"}}`, "",
			func(e ocsf.Event) bool {
				a := e.(*ocsf.AccountChange)
				return a.User.UID == "p" && a.Actor.User.UID == "p"
			}},
		{`{"eventName":"DescribeRegions","eventSource":"ec2.amazonaws.com",` + tm + `"userIdentity":{"type":"X"}}`,
			"userIdentity names no actor (no user, session or invoking service)", nil},
	}
	for _, tt := range tests {
		s, err := read(t, Format{}, tt.rec)
		if err != nil || len(s.out) != 1 {
			t.Fatalf("%v %+v", err, s.out)
		}
		o := s.out[0]
		if o.reason != tt.want || tt.check != nil && (o.event == nil || !tt.check(o.event)) {
			t.Errorf("%s: %+v", tt.rec, o)
		}
	}
}
