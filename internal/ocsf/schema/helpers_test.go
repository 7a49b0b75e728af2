package schema

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// sharedData returns the project's shared reference data directory (../shared/data from the
// module root), or skips the test when it is not there.
func sharedData(t testing.TB) string {
	t.Helper()
	dir, ok := sharedDataDir()
	if !ok {
		t.Skip("shared reference data (../shared/data from the module root) not available")
	}
	return dir
}

// sharedDataDir finds ../shared/data from the module root, walking up from the package
// directory to go.mod.
func sharedDataDir() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
	data := filepath.Join(dir, "..", "shared", "data")
	if _, err := os.Stat(data); err != nil {
		return "", false
	}
	return data, true
}

func mustDefault(t testing.TB) *Schema {
	t.Helper()
	s, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func ptr[T any](v T) *T { return &v }

// eventTime is the time of the test events.
var eventTime = time.Date(2025, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

// base returns the base_event part of a test event of a class, with the Security Lake
// profiles given.
func base(class, activity int32, profiles ...string) ocsf.Base {
	var b ocsf.Base
	b.Classify(class, activity)
	b.SetSeverity(ocsf.SeverityInformational)
	b.SetTime(eventTime)
	b.Metadata = ocsf.Metadata{
		Version:  ocsf.Version,
		Product:  ocsf.Product{Name: "mcpwatch", VendorName: "mcpwatch", Version: "0.1.0"},
		Profiles: profiles,
		UID:      "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
	}
	b.Cloud = ocsf.Cloud{Provider: "AWS", Region: "us-east-1", Zone: "use1-az1",
		Account: ocsf.Account{UID: "123456789012", Type: "AWS Account", TypeID: 10}}
	b.StatusCode = "OK"
	return b
}

var (
	securityLakeProfiles = []string{"cloud", "datetime"}
	securityControl      = []string{"cloud", "datetime", "security_control"}
	// findingProfiles adds host, which brings device into findings.
	findingProfiles = []string{"cloud", "datetime", "host", "security_control"}
)

// validEvents returns one valid event of each class mcpwatch emits, built from the Go types
// of package ocsf with the profiles Amazon Security Lake lists for the class.
func validEvents() map[string]ocsf.Event {
	awsUser := ocsf.User{UID: "arn:aws:iam::123456789012:user/alice", Name: "alice", Type: "IAMUser",
		CredentialID: "AKIAIOSFODNN7EXAMPLE", Account: ocsf.Account{UID: "123456789012"}}
	actor := ocsf.Actor{User: awsUser, InvokedBy: "signin.amazonaws.com", Session: ocsf.Session{
		CredentialID: "ASIAIOSFODNN7EXAMPLE", Issuer: "arn:aws:iam::123456789012:role/Admin",
		CreatedTime: eventTime.Add(-time.Hour).UnixMilli(), IsMFA: ptr(true)}}
	httpReq := ocsf.HTTPRequest{UserAgent: "aws-cli/2.15.0", HTTPMethod: "POST",
		URL: ocsf.URL{URLString: "https://iam.amazonaws.com/", Hostname: "iam.amazonaws.com", Path: "/",
			Scheme: "https", Port: ptr[int32](443)}}
	src := ocsf.NetworkEndpoint{IP: "203.0.113.7", Port: ptr[int32](55012), Domain: "example.net"}

	net := &ocsf.NetworkActivity{
		Base:        base(ocsf.ClassNetworkActivity, 6, securityControl...),
		StartTime:   eventTime.Add(-time.Minute).UnixMilli(),
		StartTimeDT: eventTime.Add(-time.Minute),
		EndTime:     eventTime.UnixMilli(),
		EndTimeDT:   eventTime,
		SrcEndpoint: ocsf.NetworkEndpoint{IP: "10.0.1.25", Port: ptr[int32](50432), InstanceUID: "i-0abcd1234efgh5678",
			InterfaceUID: "eni-0123456789abcdef0", VPCUID: "vpc-0a1b2c3d", SubnetUID: "subnet-0a1b2c3d", SvcName: "-"},
		DstEndpoint: ocsf.NetworkEndpoint{IP: "2001:db8::1", Port: ptr[int32](443), Hostname: "mcp.example.com",
			IntermediateIPs: []string{"10.0.0.1"}},
		ConnectionInfo: ocsf.NetworkConnectionInfo{ProtocolNum: 6, ProtocolVer: "IPv4", TCPFlags: ptr[int32](19),
			Boundary: "-", BoundaryID: 99, Direction: "Outbound", DirectionID: 2},
		Traffic:       ocsf.NetworkTraffic{Bytes: 4096, Packets: 12},
		Action:        "Allowed",
		ActionID:      1,
		Disposition:   "Allowed",
		DispositionID: 1,
	}
	net.Observables = []ocsf.Observable{
		ocsf.NewObservable("src_endpoint.ip", ocsf.ObservableIP, "10.0.1.25"),
		ocsf.NewObservable("dst_endpoint.hostname", ocsf.ObservableHostname, "mcp.example.com"),
		ocsf.NewObservable("src_endpoint.instance_uid", ocsf.ObservableResourceUID, "i-0abcd1234efgh5678"),
	}
	net.Unmapped = map[string]string{"sublocation_id": "-"}

	dns := &ocsf.DNSActivity{
		Base:        base(ocsf.ClassDNSActivity, 2, securityControl...),
		SrcEndpoint: ocsf.NetworkEndpoint{IP: "10.0.1.25", Port: ptr[int32](53211), VPCUID: "vpc-0a1b2c3d", InstanceUID: "i-0abcd1234efgh5678"},
		DstEndpoint: ocsf.NetworkEndpoint{InterfaceUID: "rni-0123456789abcdef0"},
		ConnectionInfo: ocsf.NetworkConnectionInfo{ProtocolNum: 17, ProtocolVer: "IPv4",
			Direction: "Outbound", DirectionID: 2},
		Query: ocsf.DNSQuery{Hostname: "mcp.atlassian.com.", Type: "A", Class: "IN", PacketID: 4321},
		Answers: []ocsf.DNSAnswer{{Rdata: "185.166.143.1", Type: "A", Class: "IN", TTL: 60,
			FlagIDs: []int32{1, 3}, Flags: []string{"Authoritative Answer", "Recursion Desired"}}},
		Rcode:        "NoError",
		RcodeID:      ptr[int32](0),
		QueryTime:    eventTime.UnixMilli(),
		ResponseTime: eventTime.UnixMilli() + 3,
		Action:       "Allowed",
		ActionID:     1,
	}
	dns.Observables = []ocsf.Observable{ocsf.NewObservable("query.hostname", ocsf.ObservableHostname, "mcp.atlassian.com.")}

	api := &ocsf.APIActivity{
		Base: base(ocsf.ClassAPIActivity, 3, securityLakeProfiles...),
		API: ocsf.API{Operation: "PutRolePolicy", Version: "2010-05-08",
			Service:  ocsf.Service{Name: "iam.amazonaws.com"},
			Request:  ocsf.APIRequest{UID: "2b6e1c7a-1b0c-4a39-9a70-1f0b5d9d5c0e", Data: `{"roleName":"mcp"}`},
			Response: ocsf.APIResponse{Code: 200, Message: "ok", Data: `{"ok":true}`}},
		Actor:       actor,
		SrcEndpoint: src,
		DstEndpoint: ocsf.NetworkEndpoint{Hostname: "iam.amazonaws.com"},
		HTTPRequest: httpReq,
		Resources: []ocsf.ResourceDetails{{UID: "arn:aws:iam::123456789012:role/mcp", Name: "mcp", Type: "AWS::IAM::Role",
			Region: "us-east-1", CloudPartition: "aws", Owner: ocsf.User{Account: ocsf.Account{UID: "123456789012"}},
			Labels: []string{"team:sec"}}},
	}
	api.Observables = []ocsf.Observable{
		ocsf.NewObservable("actor.user.name", ocsf.ObservableUserName, "alice"),
		ocsf.NewObservable("resources[].uid", ocsf.ObservableResourceUID, "arn:aws:iam::123456789012:role/mcp"),
	}

	auth := &ocsf.Authentication{
		Base:         base(ocsf.ClassAuthentication, 1, securityLakeProfiles...),
		User:         awsUser,
		Actor:        actor,
		SrcEndpoint:  src,
		DstEndpoint:  ocsf.NetworkEndpoint{Hostname: "signin.aws.amazon.com"},
		HTTPRequest:  httpReq,
		Service:      ocsf.Service{Name: "signin.amazonaws.com"},
		Session:      ocsf.Session{UID: "s-1", IsMFA: ptr(false), CreatedTime: eventTime.UnixMilli()},
		IsMFA:        ptr(true),
		IsRemote:     ptr(true),
		AuthProtocol: "SAML",
		AuthProtoID:  5,
		LogonTypeID:  3,
		StatusID:     1,
		Status:       "Success",
	}

	acct := &ocsf.AccountChange{
		Base:        base(ocsf.ClassAccountChange, 7, securityLakeProfiles...),
		User:        ocsf.User{Name: "mcp-runner", UID: "AIDAEXAMPLE", Type: "IAMUser", TypeID: 99},
		Actor:       actor,
		SrcEndpoint: src,
		HTTPRequest: httpReq,
		Policy:      ocsf.Policy{Name: "AdministratorAccess", UID: "arn:aws:iam::aws:policy/AdministratorAccess"},
		API:         ocsf.API{Operation: "AttachUserPolicy", Service: ocsf.Service{Name: "iam.amazonaws.com"}},
		StatusID:    1,
		Status:      "Success",
	}

	inv := &ocsf.InventoryInfo{
		Base: base(ocsf.ClassInventoryInfo, 2, securityLakeProfiles...),
		Device: ocsf.Device{UID: "i-0abcd1234efgh5678", Name: "build-01", Hostname: "build-01.corp.example.com",
			IP: "10.0.1.25", Type: "Server", TypeID: 1, InstanceUID: "i-0abcd1234efgh5678", Region: "us-east-1",
			OS: ocsf.OS{Name: "Ubuntu", Type: "Linux", TypeID: 200}, Location: ocsf.Location{Country: "US", Region: "Virginia"}},
		Actor: ocsf.Actor{Process: ocsf.Process{PID: 4242, Name: "mcpwatch", CmdLine: "mcpwatch scan",
			File: ocsf.File{Name: "mcpwatch", Path: "/usr/local/bin/mcpwatch", Type: "Regular File", TypeID: 1}}},
	}
	inv.Observables = []ocsf.Observable{ocsf.NewObservable("device.hostname", ocsf.ObservableHostname, "build-01.corp.example.com")}
	inv.Unmapped = map[string]string{"mcp.servers": `[{"name":"github","command":"npx"}]`}

	finding := &ocsf.DetectionFinding{
		Base: base(ocsf.ClassDetectionFinding, 1, findingProfiles...),
		FindingInfo: ocsf.FindingInfo{UID: "mcpwatch-7c1f", Title: "Unsanctioned remote MCP server",
			Desc: "Traffic to a remote MCP server that policy does not sanction.", Types: []string{"Shadow MCP"},
			CreatedTime: eventTime.UnixMilli(), CreatedTimeDT: eventTime,
			FirstSeenTime: eventTime.UnixMilli(), LastSeenTime: eventTime.UnixMilli(),
			Analytic: ocsf.Analytic{UID: "MCP-001", Name: "remote-mcp-endpoint", Type: ocsf.AnalyticTypeName(ocsf.AnalyticRule),
				TypeID: ocsf.AnalyticRule, Version: "1"},
			Attacks: []ocsf.Attack{{Version: "v14", Tactic: ocsf.Technique{UID: "TA0010", Name: "Exfiltration"},
				Technique: ocsf.Technique{UID: "T1567", Name: "Exfiltration Over Web Service"}}},
			DataSources:   []string{"VPC_FLOW"},
			RelatedEvents: []ocsf.RelatedEvent{{UID: "flow-1", TypeUID: 400106, Type: "Network Activity: Traffic"}},
			ProductUID:    "mcpwatch"},
		Count:        3,
		Status:       ocsf.FindingStatusName(ocsf.StatusNew),
		StatusID:     ocsf.StatusNew,
		Confidence:   ocsf.ConfidenceName(ocsf.ConfidenceHigh),
		ConfidenceID: ocsf.ConfidenceHigh,
		RiskScore:    70,
		Action:       "Allowed",
		ActionID:     1,
		Evidences: []ocsf.Evidence{{SrcEndpoint: ocsf.NetworkEndpoint{IP: "10.0.1.25"},
			DstEndpoint: ocsf.NetworkEndpoint{Hostname: "mcp.example.com", Port: ptr[int32](443)},
			Data:        `{"lake":"VPC_FLOW/2.0"}`}},
		Remediation: ocsf.Remediation{Desc: "Block the endpoint or sanction it.", References: []string{"https://modelcontextprotocol.io"}},
		Device:      ocsf.Device{InstanceUID: "i-0abcd1234efgh5678", TypeID: 0, Type: "Unknown"},
	}
	finding.SetSeverity(ocsf.SeverityHigh)
	finding.Observables = []ocsf.Observable{ocsf.NewObservable("evidences.dst_endpoint.hostname", ocsf.ObservableHostname, "mcp.example.com")}

	return map[string]ocsf.Event{
		"NetworkActivity": net, "DNSActivity": dns, "APIActivity": api, "Authentication": auth,
		"AccountChange": acct, "InventoryInfo": inv, "DetectionFinding": finding,
	}
}

// toMap turns an event into the map Validate takes, as JSON decoding would.
func toMap(t testing.TB, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	m, err := decodeObject(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// walk returns the container that holds the last step of a path such as
// "observables[2].type_id" or "src_endpoint.port", and that last step.
func walk(t testing.TB, m map[string]any, path string) (container any, last string) {
	t.Helper()
	var cur any = m
	steps := strings.Split(strings.ReplaceAll(path, "[", ".["), ".")
	for _, step := range steps[:len(steps)-1] {
		cur = stepInto(t, cur, step, path)
	}
	return cur, steps[len(steps)-1]
}

func stepInto(t testing.TB, cur any, step, path string) any {
	t.Helper()
	if i, ok := strings.CutPrefix(step, "["); ok {
		n, err := strconv.Atoi(strings.TrimSuffix(i, "]"))
		list, _ := cur.([]any)
		if err != nil || n >= len(list) {
			t.Fatalf("bad path %s at %s", path, step)
		}
		return list[n]
	}
	obj, ok := cur.(map[string]any)
	if !ok || obj[step] == nil {
		t.Fatalf("bad path %s at %s", path, step)
	}
	return obj[step]
}

// set sets the value at a path of m.
func set(t testing.TB, m map[string]any, path string, v any) {
	t.Helper()
	c, last := walk(t, m, path)
	if i, ok := strings.CutPrefix(last, "["); ok {
		n, _ := strconv.Atoi(strings.TrimSuffix(i, "]"))
		c.([]any)[n] = v
		return
	}
	c.(map[string]any)[last] = v
}

// del deletes the attribute at a path of m.
func del(t testing.TB, m map[string]any, path string) {
	t.Helper()
	c, last := walk(t, m, path)
	delete(c.(map[string]any), last)
}

// mustSub returns the embedded source tree of a schema version.
func mustSub(t testing.TB, version string) fs.FS {
	t.Helper()
	sub, err := fs.Sub(embedded, dirPrefix+version)
	if err != nil {
		t.Fatal(err)
	}
	return sub
}
