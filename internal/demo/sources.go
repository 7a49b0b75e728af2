package demo

import (
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Sources selects the log sources Generate writes.
type Sources uint8

// The sources of the generated environment.
const (
	// SourceFlows is VPC Flow Logs (AWSLogs/<account>/vpcflowlogs/<region>/...).
	SourceFlows Sources = 1 << iota
	// SourceDNS is Route 53 Resolver query logs (AWSLogs/<account>/vpcdnsquerylogs/<vpc>/...).
	SourceDNS
	// SourceCloudTrail is CloudTrail management events (AWSLogs/<account>/CloudTrail/<region>/...).
	SourceCloudTrail
	// SourceGuardDuty is GuardDuty findings exported to S3 (AWSLogs/<account>/GuardDuty/<region>/...).
	SourceGuardDuty
	// AllSources is every source.
	AllSources = SourceFlows | SourceDNS | SourceCloudTrail | SourceGuardDuty
)

// Has reports whether s includes source x.
func (s Sources) Has(x Sources) bool { return s&x != 0 }

// dnsQuery is one Route 53 Resolver query log record.
type dnsQuery struct {
	t       int64 // unix seconds
	inst    *Instance
	name    string
	qtype   string
	rcode   string
	answers []string
	port    int
}

// hostAnswers are the names benign instances resolve, with the addresses they resolve to.
var hostAnswers = []struct {
	name    string
	answers []string
}{
	{"s3.us-east-1.amazonaws.com.", []string{"52.216.48.10"}},
	{"s3.amazonaws.com.", []string{"52.217.96.34"}},
	{"dynamodb.us-east-1.amazonaws.com.", []string{"52.94.0.76"}},
	{"sts.amazonaws.com.", []string{"54.239.29.5"}},
	{"ec2.us-east-1.amazonaws.com.", []string{"13.248.118.1"}},
	{"logs.us-east-1.amazonaws.com.", []string{"52.46.145.2"}},
	{"github.com.", []string{"140.82.112.3"}},
	{"api.github.com.", []string{"140.82.112.6"}},
	{"registry.npmjs.org.", []string{"104.16.16.35", "104.16.17.35"}},
	{"pypi.org.", []string{"151.101.0.223"}},
	{"files.pythonhosted.org.", []string{"151.101.1.63"}},
	{"proxy.golang.org.", []string{"142.250.72.113"}},
	{"deb.debian.org.", []string{"151.101.130.132"}},
	{"api.datadoghq.com.", []string{"3.233.146.20"}},
	{"hooks.slack.com.", []string{"34.193.104.81"}},
	{"sentry.io.", []string{"35.186.247.156"}},
}

// dnsNames are the scenario names and what they resolve to: the relay and the unsanctioned
// remote MCP server get names, so that DNS, flows and findings tell one story.
var dnsNames = map[netip.Addr]string{
	relayIP:         "relay.mcp-bridge.example.",
	mcpSaaSIP:       "server.smithery.ai.",
	atlassianIP:     "mcp.atlassian.com.",
	zapierIP:        "mcp.zapier.com.",
	internalToolsIP: "mcp.internal-tools.example.",
}

// addDNS appends the hour's DNS queries of vpc: benign lookups (about one per ten flow
// records) and the lookups that precede the scenarios' connections.
func addDNS(rng *rand.Rand, vpc *VPC, hour int64, flows []record, out []dnsQuery) []dnsQuery {
	// Scenario connections are preceded by a lookup of their server's name.
	looked := map[string]bool{}
	for i := range flows {
		r := &flows[i]
		name, ok := dnsNames[r.dst]
		if !ok || !r.egress || r.inst == nil || looked[r.inst.ID+name] {
			continue
		}
		looked[r.inst.ID+name] = true
		qtype := "A"
		if r.dst.Is6() {
			qtype = "AAAA"
		}
		out = append(out, dnsQuery{t: max(r.start-1, hour), inst: r.inst, name: name, qtype: qtype, rcode: "NOERROR",
			answers: []string{r.dst.String()}, port: 32768 + rng.IntN(28000)})
	}
	for i := 0; i < len(flows)/10; i++ {
		in := vpc.Instances[rng.IntN(len(vpc.Instances))]
		h := hostAnswers[rng.IntN(len(hostAnswers))]
		q := dnsQuery{t: hour + int64(rng.IntN(3600)), inst: in, name: h.name, qtype: "A", rcode: "NOERROR",
			answers: h.answers, port: 32768 + rng.IntN(28000)}
		if rng.IntN(50) == 0 { // a typo or a retired name
			q.name, q.rcode, q.answers = fmt.Sprintf("build-%d.internal.example.", rng.IntN(1000)), "NXDOMAIN", nil
		}
		out = append(out, q)
	}
	return out
}

// resolverRecord is one line of a Resolver query log, field for field as Route 53 writes it.
type resolverRecord struct {
	Version        string            `json:"version"`
	AccountID      string            `json:"account_id"`
	Region         string            `json:"region"`
	VPCID          string            `json:"vpc_id"`
	QueryTimestamp string            `json:"query_timestamp"`
	QueryName      string            `json:"query_name"`
	QueryType      string            `json:"query_type"`
	QueryClass     string            `json:"query_class"`
	Rcode          string            `json:"rcode"`
	Answers        []resolverAnswer  `json:"answers"`
	Srcaddr        string            `json:"srcaddr"`
	Srcport        string            `json:"srcport"`
	Transport      string            `json:"transport"`
	Srcids         map[string]string `json:"srcids"`
}

type resolverAnswer struct {
	Rdata string `json:"Rdata"`
	Type  string `json:"Type"`
	Class string `json:"Class"`
}

// writeDNS writes one hour of a VPC's Resolver query logs as Route 53 delivers them to S3:
// gzip JSON lines under AWSLogs/<account>/vpcdnsquerylogs/<vpc-id>/<yyyy>/<mm>/<dd>/.
func writeDNS(dir string, hour time.Time, vpc *VPC, qs []dnsQuery) (string, error) {
	slices.SortStableFunc(qs, func(a, b dnsQuery) int { return int(a.t - b.t) })
	acct := vpc.Account.ID
	name := fmt.Sprintf("%s_vpcdnsquerylogs_%s_%sZ_%s.log.gz", acct, vpc.ID, hour.Format("20060102T1504"),
		shortHash(vpc.ID+"dns"+hour.Format(time.RFC3339)))
	path := filepath.Join(dir, "AWSLogs", acct, "vpcdnsquerylogs", vpc.ID, hour.Format("2006/01/02"), name)
	return path, writeGzipLines(path, len(qs), func(i int) any {
		q := qs[i]
		rec := resolverRecord{Version: "1.100000", AccountID: acct, Region: vpc.Region, VPCID: vpc.ID,
			QueryTimestamp: time.Unix(q.t, 0).UTC().Format(time.RFC3339), QueryName: q.name, QueryType: q.qtype,
			QueryClass: "IN", Rcode: q.rcode, Answers: []resolverAnswer{}, Srcaddr: q.inst.IP.String(),
			Srcport: fmt.Sprint(q.port), Transport: "UDP", Srcids: map[string]string{"instance": q.inst.ID}}
		for _, a := range q.answers {
			t := "A"
			if netip.MustParseAddr(a).Is6() {
				t = "AAAA"
			}
			rec.Answers = append(rec.Answers, resolverAnswer{Rdata: a, Type: t, Class: "IN"})
		}
		return rec
	})
}

// ctEvent is one CloudTrail management event as CloudTrail records it.
type ctEvent struct {
	EventVersion       string         `json:"eventVersion"`
	UserIdentity       map[string]any `json:"userIdentity"`
	EventTime          string         `json:"eventTime"`
	EventSource        string         `json:"eventSource"`
	EventName          string         `json:"eventName"`
	AWSRegion          string         `json:"awsRegion"`
	SourceIPAddress    string         `json:"sourceIPAddress"`
	UserAgent          string         `json:"userAgent"`
	RequestParameters  any            `json:"requestParameters"`
	ResponseElements   any            `json:"responseElements"`
	RequestID          string         `json:"requestID"`
	EventID            string         `json:"eventID"`
	ReadOnly           bool           `json:"readOnly"`
	EventType          string         `json:"eventType"`
	ManagementEvent    bool           `json:"managementEvent"`
	RecipientAccountID string         `json:"recipientAccountId"`
	EventCategory      string         `json:"eventCategory"`
	t                  int64
}

// ctContext is what the CloudTrail generator knows about one account and region.
type ctContext struct {
	rng    *rand.Rand
	acct   *Account
	region string
	vpc    *VPC
}

func (c *ctContext) uuid() string {
	b := make([]byte, 16)
	for i := range b {
		b[i] = byte(c.rng.IntN(256))
	}
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// roleIdentity is an EC2 instance acting through its instance profile role.
func (c *ctContext) roleIdentity(in *Instance) map[string]any {
	role := string(in.Role) + "-instance-role"
	return map[string]any{
		"type": "AssumedRole", "principalId": "AROA" + upperHex(c.rng, 17) + ":" + in.ID,
		"arn":       "arn:aws:sts::" + c.acct.ID + ":assumed-role/" + role + "/" + in.ID,
		"accountId": c.acct.ID, "accessKeyId": "ASIA" + upperHex(c.rng, 16),
		"sessionContext": map[string]any{
			"sessionIssuer": map[string]any{"type": "Role", "principalId": "AROA" + upperHex(c.rng, 17),
				"arn": "arn:aws:iam::" + c.acct.ID + ":role/" + role, "accountId": c.acct.ID, "userName": role},
			"attributes":      map[string]any{"creationDate": "2026-01-01T00:00:00Z", "mfaAuthenticated": "false"},
			"ec2RoleDelivery": "2.0"},
	}
}

// userIdentity is a person using an SSO role from the console or the CLI.
func (c *ctContext) userIdentity(user string) map[string]any {
	role := "AWSReservedSSO_PowerUserAccess_0123456789abcdef"
	return map[string]any{
		"type": "AssumedRole", "principalId": "AROA" + upperHex(c.rng, 17) + ":" + user,
		"arn":       "arn:aws:sts::" + c.acct.ID + ":assumed-role/" + role + "/" + user,
		"accountId": c.acct.ID, "accessKeyId": "ASIA" + upperHex(c.rng, 16),
		"sessionContext": map[string]any{
			"sessionIssuer": map[string]any{"type": "Role", "principalId": "AROA" + upperHex(c.rng, 17),
				"arn": "arn:aws:iam::" + c.acct.ID + ":role/aws-reserved/sso.amazonaws.com/" + role, "accountId": c.acct.ID, "userName": role},
			"attributes": map[string]any{"creationDate": "2026-01-01T08:00:00Z", "mfaAuthenticated": "true"}},
	}
}

func (c *ctContext) event(t int64, id map[string]any, source, name, ip string, readOnly bool, req, resp any) ctEvent {
	return ctEvent{EventVersion: "1.09", UserIdentity: id, EventTime: time.Unix(t, 0).UTC().Format(time.RFC3339),
		EventSource: source, EventName: name, AWSRegion: c.region, SourceIPAddress: ip,
		UserAgent:         "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64",
		RequestParameters: req, ResponseElements: resp, RequestID: c.uuid(), EventID: c.uuid(), ReadOnly: readOnly,
		EventType: "AwsApiCall", ManagementEvent: true, RecipientAccountID: c.acct.ID, EventCategory: "Management", t: t}
}

// benignCT appends n benign management events of the hour: instances describing things,
// reading parameters and secrets, assuming roles, people signing in and tagging.
func (c *ctContext) benignCT(hour int64, n int, out []ctEvent) []ctEvent {
	users := []string{"alice@example.com", "bob@example.com", "carol@example.com"}
	for range n {
		t := hour + int64(c.rng.IntN(3600))
		in := c.vpc.Instances[c.rng.IntN(len(c.vpc.Instances))]
		ip := in.IP.String()
		switch r := c.rng.IntN(100); {
		case r < 25:
			out = append(out, c.event(t, c.roleIdentity(in), "ec2.amazonaws.com", "DescribeInstances", ip, true,
				map[string]any{"instancesSet": map[string]any{}, "filterSet": map[string]any{}}, nil))
		case r < 40:
			out = append(out, c.event(t, c.roleIdentity(in), "ssm.amazonaws.com", "GetParameter", ip, true,
				map[string]any{"name": "/" + string(in.Role) + "/config", "withDecryption": true}, nil))
		case r < 52:
			out = append(out, c.event(t, c.roleIdentity(in), "kms.amazonaws.com", "Decrypt", ip, true,
				map[string]any{"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}, nil))
		case r < 64:
			out = append(out, c.event(t, c.roleIdentity(in), "sts.amazonaws.com", "GetCallerIdentity", ip, true, nil, nil))
		case r < 74:
			out = append(out, c.event(t, c.roleIdentity(in), "secretsmanager.amazonaws.com", "GetSecretValue", ip, true,
				map[string]any{"secretId": "arn:aws:secretsmanager:" + c.region + ":" + c.acct.ID + ":secret:" + string(in.Role) + "-db"}, nil))
		case r < 84:
			out = append(out, c.event(t, c.roleIdentity(in), "logs.amazonaws.com", "CreateLogStream", ip, false,
				map[string]any{"logGroupName": "/app/" + string(in.Role), "logStreamName": in.ID}, nil))
		case r < 92:
			u := users[c.rng.IntN(len(users))]
			out = append(out, c.event(t, c.userIdentity(u), "ec2.amazonaws.com", "DescribeSecurityGroups", "192.0.2.10", true,
				map[string]any{"securityGroupSet": map[string]any{}}, nil))
		case r < 97:
			u := users[c.rng.IntN(len(users))]
			out = append(out, c.event(t, c.userIdentity(u), "ec2.amazonaws.com", "CreateTags", "192.0.2.10", false,
				map[string]any{"resourcesSet": map[string]any{"items": []any{map[string]any{"resourceId": in.ID}}},
					"tagSet": map[string]any{"items": []any{map[string]any{"key": "owner", "value": u}}}}, map[string]any{"_return": true}))
		default:
			u := users[c.rng.IntN(len(users))]
			e := c.event(t, c.userIdentity(u), "signin.amazonaws.com", "ConsoleLogin", "192.0.2.10", false, nil,
				map[string]any{"ConsoleLogin": "Success"})
			e.EventType = "AwsConsoleSignIn"
			e.UserAgent = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"
			out = append(out, e)
		}
	}
	return out
}

// writeCloudTrail writes one CloudTrail delivery: a gzip JSON object {"Records":[...]} under
// AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/.
func writeCloudTrail(dir string, hour time.Time, acct *Account, region string, evs []ctEvent) (string, error) {
	slices.SortStableFunc(evs, func(a, b ctEvent) int { return int(a.t - b.t) })
	name := fmt.Sprintf("%s_CloudTrail_%s_%sZ_%s.json.gz", acct.ID, region, hour.Format("20060102T1504"),
		shortHash(acct.ID+region+"ct"+hour.Format(time.RFC3339)))
	path := filepath.Join(dir, "AWSLogs", acct.ID, "CloudTrail", region, hour.Format("2006/01/02"), name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("demo: %w", err)
	}
	b, err := json.Marshal(struct {
		Records []ctEvent `json:"Records"`
	}{evs})
	if err != nil {
		return "", fmt.Errorf("demo: %w", err)
	}
	return path, writeGzip(path, b)
}

// gdFinding is a GuardDuty finding in GuardDuty's own JSON shape.
type gdFinding map[string]any

// guardDutyFindings returns the findings of one account and region of the day: benign ones
// every internet-facing fleet gets, and the ones the scenarios cause.
func guardDutyFindings(rng *rand.Rand, acct *Account, vpc *VPC, day time.Time, plan scenarioPlan) []gdFinding {
	detector := shortHash(acct.ID+vpc.Region+"detector") + shortHash(acct.ID+"d2") + shortHash(vpc.Region+"d3") + shortHash("d4"+acct.ID)
	mk := func(typ, title, desc string, sev float64, in *Instance, action map[string]any, first, last time.Time, count int) gdFinding {
		id := shortHash(typ+in.ID) + shortHash(in.ID+typ) + shortHash(acct.ID+typ+in.ID) + shortHash(typ+acct.ID+in.ID)
		return gdFinding{
			"schemaVersion": "2.0", "accountId": acct.ID, "region": vpc.Region, "partition": "aws", "id": id,
			"arn":  "arn:aws:guardduty:" + vpc.Region + ":" + acct.ID + ":detector/" + detector + "/finding/" + id,
			"type": typ, "title": title, "description": desc, "severity": sev,
			"createdAt": first.UTC().Format("2006-01-02T15:04:05.000Z"), "updatedAt": last.UTC().Format("2006-01-02T15:04:05.000Z"),
			"resource": map[string]any{"resourceType": "Instance", "instanceDetails": map[string]any{
				"instanceId": in.ID, "instanceType": "m6i.large", "instanceState": "running", "availabilityZone": in.Subnet.AZID,
				"networkInterfaces": []any{map[string]any{"networkInterfaceId": in.ENI, "privateIpAddress": in.IP.String(),
					"subnetId": in.Subnet.ID, "vpcId": vpc.ID}}}},
			"service": map[string]any{"serviceName": "guardduty", "detectorId": detector, "action": action,
				"eventFirstSeen": first.UTC().Format("2006-01-02T15:04:05.000Z"), "eventLastSeen": last.UTC().Format("2006-01-02T15:04:05.000Z"),
				"archived": false, "count": count, "resourceRole": "TARGET"},
		}
	}
	var out []gdFinding
	for _, in := range vpc.Instances {
		if in.Role != RoleWeb && in.Role != RoleBastion {
			continue
		}
		first := day.Add(time.Duration(rng.IntN(6)) * time.Hour)
		out = append(out, mk("Recon:EC2/PortProbeUnprotectedPort",
			"Unprotected port on EC2 instance "+in.ID+" is being probed.",
			"EC2 instance has an unprotected port which is being probed by a known malicious host.", 2, in,
			map[string]any{"actionType": "PORT_PROBE", "portProbeAction": map[string]any{"blocked": false,
				"portProbeDetails": []any{map[string]any{"localPortDetails": map[string]any{"port": 22, "portName": "SSH"},
					"remoteIpDetails": map[string]any{"ipAddressV4": fmt.Sprintf("198.18.%d.%d", 100+rng.IntN(50), 1+rng.IntN(250))}}}}},
			first, first.Add(time.Duration(1+rng.IntN(10))*time.Hour), 3+rng.IntN(40)))
	}
	if plan.relayBox != nil && plan.relayBox.Subnet.VPC == vpc {
		first, last := day.Add(8*time.Hour+5*time.Minute), day.Add(19*time.Hour+40*time.Minute)
		out = append(out, mk("Backdoor:EC2/C&CActivity.B",
			"Command and Control server IP queried by EC2 instance "+plan.relayBox.ID+".",
			"EC2 instance "+plan.relayBox.ID+" is communicating with IP address "+relayIP.String()+" on the threat list. This might indicate that the instance is compromised.",
			8, plan.relayBox, map[string]any{"actionType": "NETWORK_CONNECTION", "networkConnectionAction": map[string]any{
				"connectionDirection": "OUTBOUND", "blocked": false, "protocol": "TCP",
				"remoteIpDetails":   map[string]any{"ipAddressV4": relayIP.String(), "organization": map[string]any{"asnOrg": "EXAMPLE-NET", "isp": "Example Hosting"}},
				"remotePortDetails": map[string]any{"port": 443, "portName": "HTTPS"},
				"localPortDetails":  map[string]any{"port": 41000, "portName": "Unknown"}}},
			first, last, 36))
	}
	if in := plan.volumeBox; in != nil && in.Subnet.VPC == vpc {
		first, last := day.Add(16*time.Hour+2*time.Minute), day.Add(16*time.Hour+58*time.Minute)
		out = append(out, mk("Behavior:EC2/TrafficVolumeUnusual",
			"Unusual outbound traffic volume from EC2 instance "+in.ID+" to remote host "+plan.volumeIP.String()+".",
			"EC2 instance "+in.ID+" is generating unusually large amounts of network traffic to the remote host "+plan.volumeIP.String()+".",
			5, in, map[string]any{"actionType": "NETWORK_CONNECTION", "networkConnectionAction": map[string]any{
				"connectionDirection": "OUTBOUND", "blocked": false, "protocol": "TCP",
				"remoteIpDetails":   map[string]any{"ipAddressV4": plan.volumeIP.String(), "organization": map[string]any{"asnOrg": "EXAMPLE-CLOUD", "isp": "Example Cloud"}},
				"remotePortDetails": map[string]any{"port": 443, "portName": "HTTPS"},
				"localPortDetails":  map[string]any{"port": 44210, "portName": "Unknown"}}},
			first, last, 5))
	}
	return out
}

// writeGuardDuty writes the day's findings of one account and region as GuardDuty exports
// them to S3: gzip JSON lines under AWSLogs/<account>/GuardDuty/<region>/<yyyy>/<mm>/<dd>/.
func writeGuardDuty(dir string, day time.Time, acct *Account, region string, fs []gdFinding) (string, error) {
	name := fmt.Sprintf("%s-%s-%s-%s-%s.jsonl.gz", shortHash(acct.ID+region), shortHash(region)[:4], shortHash("gd")[:4],
		shortHash(day.String())[:4], shortHash(acct.ID+day.String())+shortHash(region + "x")[:4])
	path := filepath.Join(dir, "AWSLogs", acct.ID, "GuardDuty", region, day.Format("2006/01/02"), name)
	return path, writeGzipLines(path, len(fs), func(i int) any { return fs[i] })
}

// writeGzipLines writes n JSON values, one per line, gzip-compressed, at path.
func writeGzipLines(path string, n int, value func(i int) any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	w := bufio.NewWriter(zw)
	enc := json.NewEncoder(w)
	for i := range n {
		if err := enc.Encode(value(i)); err != nil {
			f.Close()
			return fmt.Errorf("demo: %s: %w", path, err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("demo: %s: %w", path, err)
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return fmt.Errorf("demo: %s: %w", path, err)
	}
	return f.Close()
}

// writeGzip writes b gzip-compressed at path.
func writeGzip(path string, b []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	if _, err := zw.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("demo: %s: %w", path, err)
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return fmt.Errorf("demo: %s: %w", path, err)
	}
	return f.Close()
}

const upperHexDigits = "0123456789ABCDEF"

// upperHex returns n random upper-case hex digits (the shape of access key ids).
func upperHex(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = upperHexDigits[rng.IntN(16)]
	}
	return string(b)
}

// userData is the base64 user data of an instance launch.
func userData(script string) string { return base64.StdEncoding.EncodeToString([]byte(script)) }

// shortHash returns 8 hex digits of the SHA-256 of s: stable ids and names.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}
