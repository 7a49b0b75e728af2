package detect

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/finding"
	"github.com/mcpwatch/mcpwatch/internal/intel"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/ocsf/schema"
)

const acct = "111111111111"

var (
	day0 = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	now  = time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)
)

// fl describes one flow-log record; event builds it as the VPC Flow Logs normalizer does.
type fl struct {
	src      string
	sp       int32
	dst      string
	dp       int32
	proto    int32 // 0 = TCP
	bytes    int64
	rejected bool
	minute   int    // start, minutes after day0
	ingress  bool   // the record was captured at the destination's interface
	inst     string // instance of the capturing interface
	account  string // "" = acct
}

func (f fl) event() *ocsf.NetworkActivity {
	var ev ocsf.NetworkActivity
	activity, action, disp := int32(6), int32(1), "Allowed"
	if f.rejected {
		activity, action, disp = 5, 2, "Blocked"
	}
	ev.Classify(ocsf.ClassNetworkActivity, activity)
	ev.SetSeverity(ocsf.SeverityInformational)
	ev.Metadata = ocsf.Metadata{Version: ocsf.Version, Product: ocsf.Product{Name: "Amazon VPC", VendorName: "AWS", Version: "5"}}
	ev.Cloud = ocsf.Cloud{Provider: "AWS", Region: "us-east-1", Account: ocsf.Account{UID: acct}}
	if f.account != "" {
		ev.Cloud.Account.UID = f.account
	}
	start := day0.Add(time.Duration(f.minute) * time.Minute)
	ev.SetTime(start)
	ev.StartTime, ev.StartTimeDT = ev.Time, ev.TimeDT
	ev.EndTime = start.Add(50 * time.Second).UnixMilli()
	ev.EndTimeDT = time.UnixMilli(ev.EndTime).UTC()
	sp, dp := f.sp, f.dp
	ev.SrcEndpoint = ocsf.NetworkEndpoint{IP: f.src, Port: &sp}
	ev.DstEndpoint = ocsf.NetworkEndpoint{IP: f.dst, Port: &dp}
	local, dir, dirID := &ev.SrcEndpoint, "Outbound", int32(2)
	if f.ingress {
		local, dir, dirID = &ev.DstEndpoint, "Inbound", 1
	}
	if f.inst != "" {
		local.InstanceUID, local.InterfaceUID = f.inst, "eni-"+strings.TrimPrefix(f.inst, "i-")
	}
	proto := f.proto
	if proto == 0 {
		proto = 6
	}
	flags := int32(19)
	ev.ConnectionInfo = ocsf.NetworkConnectionInfo{ProtocolNum: proto, ProtocolVer: "IPv4", TCPFlags: &flags, Direction: dir, DirectionID: dirID}
	if strings.Contains(f.src, ":") {
		ev.ConnectionInfo.ProtocolVer = "IPv6"
	}
	ev.Traffic = ocsf.NetworkTraffic{Bytes: max(f.bytes, 40), Packets: max(f.bytes/1400, 1)}
	ev.ActionID, ev.Action = action, map[int32]string{1: "Allowed", 2: "Denied"}[action]
	ev.Disposition = disp
	return &ev
}

// conn is both records of a TCP connection from a client's ephemeral port to a server port,
// as flow logs show it at the client's interface.
func conn(client, server string, port int32, up, down int64, minute int, inst string) []fl {
	return []fl{
		{src: client, sp: 51514, dst: server, dp: port, bytes: up, minute: minute, inst: inst},
		{src: server, sp: port, dst: client, dp: 51514, bytes: down, minute: minute, ingress: true, inst: inst},
	}
}

func mustIntel(t testing.TB, text string) *intel.Set {
	t.Helper()
	s, perrs, err := intel.Load("intel.txt", strings.NewReader(text))
	if err != nil || len(perrs) > 0 {
		t.Fatalf("intel: %v %v", err, perrs)
	}
	return s
}

const intelText = `# test intel
198.51.100.77 # shadow MCP relay
192.0.2.0/24
2001:db8:dead::/48
10.9.9.9
`

// run observes flows (each with its position in the input) and flushes.
func run(t testing.TB, cfg Config, flows []fl) ([]ocsf.DetectionFinding, *FlowDetector) {
	t.Helper()
	d, err := NewFlowDetector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range flows {
		d.Observe(f.event(), Ref{Table: "VPC_FLOW", Input: "flows.log", Pos: int64(i + 1)})
	}
	return d.Flush(now), d
}

// summary renders findings as "rule severity count observables..." lines for comparison.
func summary(fs []ocsf.DetectionFinding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s %s %d", f.FindingInfo.Analytic.UID, f.Severity, f.Count))
	}
	return out
}

func observableValues(f ocsf.DetectionFinding) map[string]bool {
	m := map[string]bool{}
	for _, o := range f.Observables {
		m[o.Value] = true
	}
	return m
}

func TestFlowRules(t *testing.T) {
	big := int64(30 << 20) // 30 MiB per upload: two cross the 50 MiB default threshold
	tests := []struct {
		name  string
		cfg   Config
		flows []fl
		want  []string // summary lines, in Sort order
		obs   [][]string
	}{
		{
			name:  "external 443 is nothing",
			flows: conn("10.0.0.5", "93.184.216.34", 443, 5000, 90000, 10, "i-01"),
		},
		{
			name:  "benign internal 8080 is one Low finding per server",
			flows: slices.Concat(conn("10.0.0.5", "10.0.1.9", 8080, 500, 9000, 10, "i-01"), conn("10.0.0.6", "10.0.1.9", 8080, 500, 9000, 11, "i-02"), conn("10.0.0.7", "10.0.1.9", 8080, 500, 9000, 12, "i-03")),
			want:  []string{"flow.mcp_port Low 6"},
			obs:   [][]string{{"10.0.1.9", "8080"}},
		},
		{
			name: "server seen from its own interface",
			flows: []fl{
				{src: "10.0.0.5", sp: 40000, dst: "10.0.1.9", dp: 3000, minute: 1, ingress: true, inst: "i-srv"},
				{src: "10.0.1.9", sp: 3000, dst: "10.0.0.5", dp: 40000, minute: 1, inst: "i-srv"},
			},
			want: []string{"flow.mcp_port Low 2"},
			obs:  [][]string{{"10.0.1.9", "3000", "i-srv", "arn:aws:ec2:us-east-1:111111111111:instance/i-srv"}},
		},
		{
			name: "candidate port facing a well-known port is a client port",
			flows: []fl{
				{src: "10.0.0.5", sp: 8080, dst: "10.0.1.9", dp: 443, minute: 1},
				{src: "10.0.1.9", sp: 53, dst: "10.0.0.5", dp: 5000, minute: 1, proto: 6},
			},
		},
		{
			name: "both ports candidates: the lower port is the server in both directions",
			flows: []fl{
				{src: "10.0.0.5", sp: 8080, dst: "10.0.1.9", dp: 3000, minute: 1},
				{src: "10.0.1.9", sp: 3000, dst: "10.0.0.5", dp: 8080, minute: 1},
			},
			want: []string{"flow.mcp_port Low 2"},
			obs:  [][]string{{"10.0.1.9", "3000"}},
		},
		{
			name:  "UDP and rejected flows on candidate ports are nothing",
			flows: []fl{{src: "10.0.0.5", sp: 40000, dst: "10.0.1.9", dp: 8080, proto: 17}, {src: "10.0.0.5", sp: 40000, dst: "10.0.1.9", dp: 8080, rejected: true}},
		},
		{
			name:  "configured ports replace the defaults",
			cfg:   Config{CandidatePorts: []uint16{9999}},
			flows: slices.Concat(conn("10.0.0.5", "10.0.1.9", 8080, 1, 1, 1, ""), conn("10.0.0.5", "10.0.1.10", 9999, 1, 1, 2, "")),
			want:  []string{"flow.mcp_port Low 2"},
			obs:   [][]string{{"10.0.1.10", "9999"}},
		},
		{
			name:  "no candidate ports disables the rule",
			cfg:   Config{CandidatePorts: []uint16{}},
			flows: conn("10.0.0.5", "10.0.1.9", 8080, 1, 1, 1, ""),
		},
		{
			name:  "accepted traffic with a listed address is High",
			cfg:   Config{Intel: mustIntel(t, intelText)},
			flows: conn("10.0.0.5", "198.51.100.77", 443, 20000, 9000, 10, "i-dev"),
			want:  []string{"flow.threat_intel High 2"},
			obs:   [][]string{{"10.0.0.5", "198.51.100.77", "i-dev"}},
		},
		{
			name: "only rejected traffic with a listed address is Medium",
			cfg:  Config{Intel: mustIntel(t, intelText)},
			flows: []fl{
				{src: "192.0.2.44", sp: 55000, dst: "10.0.0.5", dp: 22, rejected: true, ingress: true},
				{src: "192.0.2.44", sp: 55001, dst: "10.0.0.5", dp: 22, rejected: true, ingress: true, minute: 3},
			},
			want: []string{"flow.threat_intel Medium 2"},
			obs:  [][]string{{"10.0.0.5", "192.0.2.44"}},
		},
		{
			name: "accepted and rejected with the same listed address: one High finding",
			cfg:  Config{Intel: mustIntel(t, intelText)},
			flows: []fl{
				{src: "192.0.2.44", sp: 55000, dst: "10.0.0.5", dp: 22, rejected: true, ingress: true},
				{src: "10.0.0.5", sp: 40000, dst: "192.0.2.44", dp: 443, minute: 3},
			},
			want: []string{"flow.threat_intel High 2"},
		},
		{
			name:  "a listed internal address is never looked up",
			cfg:   Config{Intel: mustIntel(t, intelText)},
			flows: conn("10.0.0.5", "10.9.9.9", 443, 1, 1, 1, ""),
		},
		{
			name:  "IPv6: a listed /48 and an internal ULA client",
			cfg:   Config{Intel: mustIntel(t, intelText)},
			flows: conn("fd00:10::5", "2001:db8:dead::10", 443, 30000, 8000, 13, "i-v6"),
			want:  []string{"flow.threat_intel High 2"},
			obs:   [][]string{{"fd00:10::5", "2001:db8:dead::10"}},
		},
		{
			name:  "IPv6 on a candidate port",
			flows: conn("2001:db8:1::5", "fd00:10::9", 8000, 1, 1, 1, ""),
			want:  []string{"flow.mcp_port Low 2"},
			obs:   [][]string{{"fd00:10::9", "8000"}},
		},
		{
			name:  "exfiltration below the threshold: the port finding only",
			flows: conn("10.0.0.5", "203.0.113.45", 8000, big, 4000, 1, "i-etl"),
			want:  []string{"flow.mcp_port Low 2"},
		},
		{
			name:  "exfiltration to a port-flagged endpoint above the threshold is Medium",
			flows: slices.Concat(conn("10.0.0.5", "203.0.113.45", 8000, big, 4000, 1, "i-etl"), conn("10.0.0.5", "203.0.113.45", 8000, big, 4000, 2, "i-etl")),
			want:  []string{"flow.exfiltration Medium 2", "flow.mcp_port Low 4"},
			obs:   [][]string{{"10.0.0.5", "203.0.113.45", "i-etl"}, {"203.0.113.45", "8000"}},
		},
		{
			name:  "a configured threshold",
			cfg:   Config{ExfilThreshold: 1000},
			flows: conn("10.0.0.5", "203.0.113.45", 8000, 1000, 4000, 1, ""),
			want:  []string{"flow.exfiltration Medium 1", "flow.mcp_port Low 2"},
		},
		{
			name:  "listed endpoint below the threshold: High intel only",
			cfg:   Config{Intel: mustIntel(t, intelText)},
			flows: conn("10.0.0.5", "192.0.2.200", 443, big, 3000, 1, ""),
			want:  []string{"flow.threat_intel High 2"},
		},
		{
			name:  "intel plus volume is Critical",
			cfg:   Config{Intel: mustIntel(t, intelText)},
			flows: slices.Concat(conn("10.0.0.5", "192.0.2.200", 8080, big, 3000, 1, ""), conn("10.0.0.5", "192.0.2.200", 8080, big, 3000, 5, "")),
			want:  []string{"flow.exfiltration Critical 2", "flow.threat_intel High 4", "flow.mcp_port Low 4"},
		},
		{
			name: "large inbound transfers from a listed address are not exfiltration",
			cfg:  Config{Intel: mustIntel(t, intelText)},
			flows: []fl{
				{src: "192.0.2.9", sp: 443, dst: "10.0.0.5", dp: 50000, bytes: big, ingress: true},
				{src: "192.0.2.9", sp: 443, dst: "10.0.0.5", dp: 50000, bytes: big, ingress: true, minute: 2},
			},
			want: []string{"flow.threat_intel High 2"},
		},
		{
			name: "large uploads to an unflagged endpoint are nothing",
			flows: []fl{
				{src: "10.0.0.5", sp: 50000, dst: "93.184.216.34", dp: 443, bytes: big},
				{src: "10.0.0.5", sp: 50000, dst: "93.184.216.34", dp: 443, bytes: big, minute: 2},
			},
		},
		{
			name:  "extra internal prefixes",
			cfg:   Config{Intel: mustIntel(t, intelText), InternalPrefixes: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}},
			flows: conn("10.0.0.5", "198.51.100.77", 443, 1, 1, 1, ""),
		},
		{
			name:  "accounts are separate entities",
			flows: []fl{{src: "10.0.0.5", sp: 40000, dst: "10.0.1.9", dp: 8080}, {src: "10.0.0.5", sp: 40000, dst: "10.0.1.9", dp: 8080, account: "222222222222"}},
			want:  []string{"flow.mcp_port Low 1", "flow.mcp_port Low 1"},
		},
		{
			name:  "unparsable addresses are skipped",
			cfg:   Config{Intel: mustIntel(t, intelText)},
			flows: []fl{{src: "-", sp: 40000, dst: "198.51.100.77", dp: 8080}, {src: "10.0.0.5", sp: 40000, dst: "", dp: 8080}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, _ := run(t, tt.cfg, tt.flows)
			if got := summary(fs); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Fatalf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			for i, want := range tt.obs {
				have := observableValues(fs[i])
				for _, v := range want {
					if !have[v] {
						t.Errorf("finding %d (%s) lacks observable %s; has %v", i, fs[i].FindingInfo.Title, v, have)
					}
				}
			}
			for _, f := range fs {
				checkFinding(t, f)
			}
		})
	}
}

// checkFinding checks what every finding must carry, and that it converts to valid ASFF.
func checkFinding(t *testing.T, f ocsf.DetectionFinding) {
	t.Helper()
	fi := f.FindingInfo
	rule := flowRules[fi.Analytic.UID]
	problems := []struct {
		bad  bool
		what string
	}{
		{f.ClassUID != 2004 || f.CategoryUID != 2 || f.TypeUID != 200401 || f.ActivityID != 1, "classification"},
		{!strings.HasPrefix(fi.UID, rule.ID+":"), "uid prefix"},
		{fi.Title == "" || fi.Desc == "", "title/desc"},
		{!slices.Equal(fi.Types, rule.Types), "types"},
		{fi.Analytic.Type != "Rule" || fi.Analytic.TypeID != 1 || fi.Analytic.Version == "" || fi.Analytic.Name == "", "analytic"},
		{len(fi.Attacks) == 0 || !slices.Equal(fi.Attacks, f.Attacks) || fi.Attacks[0].Version == "" || fi.Attacks[0].Technique.UID == "", "attacks"},
		{!slices.Equal(fi.DataSources, []string{"VPC_FLOW"}), "data sources"},
		{fi.FirstSeenTime == 0 || fi.LastSeenTime < fi.FirstSeenTime || f.StartTime != fi.FirstSeenTime || f.EndTime != fi.LastSeenTime || f.Time != fi.LastSeenTime, "times"},
		{fi.CreatedTime != now.UnixMilli() || fi.ModifiedTime != now.UnixMilli() || f.Metadata.ModifiedTime != now.UnixMilli(), "processing times"},
		{len(f.Evidences) == 0 || len(f.Evidences) > DefaultMaxEvidences, "evidences"},
		{len(f.Observables) == 0, "observables"},
		{len(f.Resources) == 0, "resources"},
		{f.Count <= 0 || f.StatusID != 1 || f.Status != "New" || f.ConfidenceID == 0 || f.Confidence == "", "count/status/confidence"},
		{f.ActionID != 1 || f.DispositionID != 15, "security control"},
		{f.Cloud.Provider != "AWS" || f.Cloud.Account.UID == "" || f.Cloud.Region != "us-east-1", "cloud"},
		{f.Metadata.Product.Name != "mcpwatch" || f.Metadata.Product.VendorName != "mcpwatch" || f.Metadata.Version != "1.1.0" ||
			!slices.Equal(f.Metadata.Profiles, []string{"cloud", "datetime", "security_control"}), "metadata"},
		{f.Remediation.Desc == "", "remediation"},
	}
	for _, p := range problems {
		if p.bad {
			t.Errorf("finding %s: bad %s", fi.UID, p.what)
		}
	}
	for i, e := range f.Evidences {
		var data struct {
			Ref           Ref
			Time          int64
			Bytes, Packet int64
		}
		if err := json.Unmarshal([]byte(e.Data), &data); err != nil || data.Ref.Table != "VPC_FLOW" || data.Ref.Pos == 0 ||
			data.Time == 0 || data.Bytes == 0 || !strings.HasPrefix(data.Ref.Partition, "region=us-east-1/accountId=") {
			t.Errorf("evidence %d data %s: %v", i, e.Data, err)
		}
		if e.SrcEndpoint.IP == "" || e.DstEndpoint.IP == "" || e.ConnectionInfo.ProtocolNum == 0 {
			t.Errorf("evidence %d lacks endpoints or connection info", i)
		}
		if i > 0 && finding.EvidenceTime(e) > finding.EvidenceTime(f.Evidences[i-1]) {
			t.Errorf("evidences not most recent first")
		}
	}
	if _, err := finding.ToASFF(f, finding.ASFFOptions{}); err != nil {
		t.Errorf("ToASFF: %v", err)
	}
}

func TestFindingDetails(t *testing.T) {
	set := mustIntel(t, intelText)
	big := int64(40 << 20)
	flows := slices.Concat(
		conn("10.0.0.5", "192.0.2.200", 8080, big, 3000, 60, "i-app"),
		conn("10.0.0.5", "192.0.2.200", 8080, big, 3000, 90, "i-app"),
	)
	fs, _ := run(t, Config{Intel: set, ProductVersion: "1.2.3"}, flows)
	var ex ocsf.DetectionFinding
	for _, f := range fs {
		if f.FindingInfo.Analytic.UID == RuleExfiltration {
			ex = f
		}
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"uid", ex.FindingInfo.UID, finding.Key(RuleExfiltration, acct, "10.0.0.5", "192.0.2.200")},
		{"severity", ex.Severity, "Critical"},
		{"confidence", ex.Confidence, "High"},
		{"first seen", ex.FindingInfo.FirstSeenTime, day0.Add(60 * time.Minute).UnixMilli()},
		{"last seen", ex.FindingInfo.LastSeenTime, day0.Add(90*time.Minute + 50*time.Second).UnixMilli()},
		{"count", ex.Count, int32(2)},
		{"title", ex.FindingInfo.Title, "Large outbound transfer (80.0 MiB) from 10.0.0.5 to flagged endpoint 192.0.2.200"},
		{"bytes", ex.Unmapped["bytes_out"], fmt.Sprint(2 * big)},
		{"flagged by port", ex.Unmapped["flagged_by_port"], "8080"},
		{"intel source", ex.Unmapped["intel_source"], "intel.txt:3"},
		{"intel indicator", ex.Unmapped["intel_indicator"], "192.0.2.0/24"},
		{"product version", ex.Metadata.Product.Version, "1.2.3"},
		{"resource", ex.Resources, []ocsf.ResourceDetails{{UID: "arn:aws:ec2:us-east-1:111111111111:instance/i-app", Name: "i-app",
			Type: "AwsEc2Instance", Region: "us-east-1", CloudPartition: "aws", Owner: ocsf.User{Account: ocsf.Account{UID: acct}},
			Labels: []string{"interface:eni-app"}}}},
		{"evidence", ex.Evidences[0].Data, `{"ref":{"table":"VPC_FLOW","partition":"region=us-east-1/accountId=111111111111/eventDay=20261121","input":"flows.log","pos":3},` +
			`"time":1795224600000,"start_time":1795224600000,"end_time":1795224650000,"bytes":41943040,"packets":29959,"action":"Allowed"}`},
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if !strings.Contains(ex.FindingInfo.Desc, "listed in threat intel by 192.0.2.0/24 (intel.txt line 3)") ||
		!strings.Contains(ex.FindingInfo.Desc, "serving candidate MCP port 8080") {
		t.Errorf("desc = %s", ex.FindingInfo.Desc)
	}
	a, err := finding.ToASFF(ex, finding.ASFFOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Severity.Label != "CRITICAL" || a.Types[0] != "Effects/Data Exfiltration/LargeOutboundTransfer" ||
		a.Network.Direction != "IN" && a.Network.Direction != "OUT" || a.Resources[0].Type != "AwsEc2Instance" {
		t.Errorf("ASFF = %+v", a)
	}
}

func TestDedupStableAcrossShuffledRuns(t *testing.T) {
	set := mustIntel(t, intelText)
	var flows []fl
	r := rand.New(rand.NewPCG(9, 9))
	for i := 0; i < 300; i++ {
		client := fmt.Sprintf("10.0.%d.%d", r.IntN(3), 1+r.IntN(20))
		switch r.IntN(5) {
		case 0:
			flows = append(flows, conn(client, "198.51.100.77", 443, int64(r.IntN(100000)), 500, r.IntN(1440), "i-"+client)...)
		case 1:
			flows = append(flows, conn(client, "10.0.9.9", 8000, 2000, 9000, r.IntN(1440), "i-"+client)...)
		case 2:
			client = fmt.Sprintf("10.0.0.%d", 1+r.IntN(2)) // two heavy uploaders
			flows = append(flows, conn(client, "203.0.113.45", 8000, int64(r.IntN(8<<20)), 900, r.IntN(1440), "")...)
		case 3:
			flows = append(flows, conn(client, "192.0.2.200", 8080, int64(r.IntN(4<<20)), 900, r.IntN(1440), "")...)
		default:
			flows = append(flows, conn(client, "93.184.216.34", 443, 1000, 1000, r.IntN(1440), "")...)
		}
	}
	encode := func(fs []ocsf.DetectionFinding) string {
		b, err := json.Marshal(fs)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// The same records, in another order and at other positions, are the same events: give
	// each flow a fixed position so that only the order changes.
	observe := func(order []int) []ocsf.DetectionFinding {
		d, err := NewFlowDetector(Config{Intel: set, ExfilThreshold: 20 << 20})
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range order {
			d.Observe(flows[i].event(), Ref{Table: "VPC_FLOW", Input: "flows.log", Pos: int64(i + 1)})
		}
		return d.Flush(now)
	}
	order := make([]int, len(flows))
	for i := range order {
		order[i] = i
	}
	first := observe(order)
	if len(first) < 10 {
		t.Fatalf("only %d findings", len(first))
	}
	rules := map[string]int{}
	for _, f := range first {
		rules[f.FindingInfo.Analytic.UID]++
	}
	if len(rules) != 3 {
		t.Errorf("findings per rule %v, want all three rules", rules)
	}
	for round := 0; round < 3; round++ {
		r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		if again := observe(order); encode(again) != encode(first) {
			t.Fatalf("round %d: findings differ with shuffled input", round)
		}
	}
}

func TestStateCap(t *testing.T) {
	var flows []fl
	for i := 0; i < 5; i++ {
		server := fmt.Sprintf("10.0.1.%d", i+1)
		flows = append(flows, fl{src: "10.0.0.5", sp: 40000, dst: server, dp: 8080}, fl{src: "10.0.0.6", sp: 40000, dst: server, dp: 8080})
	}
	d, err := NewFlowDetector(Config{MaxKeys: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range flows {
		d.Observe(f.event(), Ref{Pos: int64(i)})
	}
	st := d.Stats()
	if st.Keys != 2 || st.Dropped != 6 || st.Matched != 4 || st.Flows != 10 || st.Events != 10 {
		t.Errorf("stats = %+v", st)
	}
	fs := d.Flush(now)
	if len(fs) != 2 || fs[0].Count != 2 || fs[1].Count != 2 {
		t.Errorf("findings %v", summary(fs))
	}
	// Flush forgets: the next window starts empty, counters go on.
	if st := d.Stats(); st.Keys != 0 || st.Dropped != 6 {
		t.Errorf("after flush %+v", st)
	}
	d.Observe(flows[9].event(), Ref{})
	if fs := d.Flush(now); len(fs) != 1 || fs[0].Count != 1 {
		t.Errorf("second window %v", summary(fs))
	}
}

func TestEvidenceCapKeepsMostRecent(t *testing.T) {
	var flows []fl
	for m := 0; m < 20; m++ {
		flows = append(flows, fl{src: "10.0.0.5", sp: 40000, dst: "10.0.1.9", dp: 8080, minute: m})
	}
	for _, n := range []int{1, 5} {
		fs, _ := run(t, Config{MaxEvidences: n}, flows)
		if len(fs) != 1 || len(fs[0].Evidences) != n {
			t.Fatalf("MaxEvidences %d: %v", n, summary(fs))
		}
		for i, e := range fs[0].Evidences {
			if want := day0.Add(time.Duration(19-i) * time.Minute).UnixMilli(); finding.EvidenceTime(e) != want {
				t.Errorf("MaxEvidences %d: evidence %d time %d, want %d", n, i, finding.EvidenceTime(e), want)
			}
		}
	}
}

func TestResourcesBounded(t *testing.T) {
	var flows []fl
	for i := 9; i >= 0; i-- {
		flows = append(flows, fl{src: fmt.Sprintf("10.0.0.%d", i+1), sp: 40000, dst: "203.0.113.45", dp: 8000, inst: fmt.Sprintf("i-%02d", i)})
	}
	fs, _ := run(t, Config{}, flows)
	var names []string
	for _, r := range fs[0].Resources {
		names = append(names, r.Name)
	}
	if strings.Join(names, ",") != "i-00,i-01,i-02,i-03" || fs[0].Unmapped["resources_truncated"] != "true" {
		t.Errorf("resources %v, unmapped %v", names, fs[0].Unmapped)
	}
}

func TestNewFlowDetectorErrors(t *testing.T) {
	for _, cfg := range []Config{
		{CandidatePorts: []uint16{0}},
		{ExfilThreshold: -1},
		{MaxKeys: -1},
		{MaxEvidences: -2},
		{InternalPrefixes: []netip.Prefix{{}}},
	} {
		if _, err := NewFlowDetector(cfg); err == nil {
			t.Errorf("NewFlowDetector(%+v) accepted", cfg)
		}
	}
}

func TestIgnoresOtherEvents(t *testing.T) {
	d, _ := NewFlowDetector(Config{Intel: mustIntel(t, intelText)})
	d.Observe(&ocsf.DNSActivity{}, Ref{})
	d.Observe((*ocsf.NetworkActivity)(nil), Ref{})
	if st := d.Stats(); st.Events != 2 || st.Flows != 0 {
		t.Errorf("stats %+v", st)
	}
	if fs := d.Flush(now); len(fs) != 0 {
		t.Errorf("findings from nothing: %v", summary(fs))
	}
}

func TestInternal(t *testing.T) {
	c := classifier{extra: intel.New([]intel.Entry{{Prefix: netip.MustParsePrefix("44.0.0.0/8")}, {Prefix: netip.MustParsePrefix("2600:1f18::/32")}})}
	for addr, want := range map[string]bool{
		"10.0.0.1": true, "10.255.255.255": true, "11.0.0.1": false,
		"172.16.0.1": true, "172.31.255.255": true, "172.32.0.1": false, "172.15.255.255": false,
		"192.168.1.1": true, "192.169.0.1": false,
		"100.64.0.1": true, "100.127.255.255": true, "100.128.0.1": false, "100.63.255.255": false,
		"127.0.0.1": true, "169.254.169.254": true, "169.253.0.1": false,
		"44.1.2.3": true, "8.8.8.8": false,
		"::1": true, "fc00::1": true, "fdff::1": true, "fe80::1": true, "febf::1": true, "fec0::1": false,
		"2001:db8::1": false, "2600:1f18::5": true, "::": false,
	} {
		if got := c.internal(netip.MustParseAddr(addr)); got != want {
			t.Errorf("internal(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestMulti(t *testing.T) {
	a, _ := NewFlowDetector(Config{})
	b, _ := NewFlowDetector(Config{Intel: mustIntel(t, intelText), CandidatePorts: []uint16{}})
	m := Multi{a, b}
	for _, f := range conn("10.0.0.5", "198.51.100.77", 8080, 1, 1, 1, "") {
		m.Observe(f.event(), Ref{Pos: 1})
	}
	if got := summary(m.Flush(now)); strings.Join(got, ";") != "flow.threat_intel High 2;flow.mcp_port Low 2" {
		t.Errorf("Multi findings %v", got)
	}
}

func TestRules(t *testing.T) {
	rs := Rules()
	if len(rs) != 3 || rs[0].ID != RuleExfiltration || rs[1].ID != RuleMCPPort || rs[2].ID != RuleThreatIntel {
		t.Fatalf("rules %v", rs)
	}
	for _, r := range rs {
		for _, ty := range r.Types {
			if err := finding.ValidateASFFType(ty); err != nil {
				t.Errorf("rule %s: %v", r.ID, err)
			}
		}
		if r.Name == "" || r.Title == "" || r.Description == "" || r.Version == "" || len(r.Attacks) == 0 || r.Remediation.Desc == "" {
			t.Errorf("rule %s incomplete", r.ID)
		}
		for _, at := range r.Attacks {
			if !strings.HasPrefix(at.Tactic.UID, "TA") || !strings.HasPrefix(at.Technique.UID, "T") || at.Version != ATTACKVersion {
				t.Errorf("rule %s attack %+v", r.ID, at)
			}
		}
	}
	rs[0].Types[0] = "changed"
	if Rules()[0].Types[0] == "changed" {
		t.Error("Rules shares its slices")
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 50 << 20: "50.0 MiB", 1288490189: "1.2 GiB", 1 << 62: "4.0 EiB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// FuzzObserve feeds records with arbitrary addresses, ports, protocol, action and volume:
// Observe never panics, and every finding Flush returns converts to valid ASFF.
func FuzzObserve(f *testing.F) {
	f.Add("10.0.0.5", int32(51514), "198.51.100.77", int32(8080), int32(6), int32(1), int64(60<<20))
	f.Add("::ffff:10.0.0.5", int32(8080), "fe80::1%eth0", int32(3000), int32(6), int32(2), int64(0))
	f.Add("-", int32(-1), "2001:db8:dead::1", int32(70000), int32(17), int32(0), int64(-5))
	set := mustIntel(f, intelText)
	f.Fuzz(func(t *testing.T, src string, sp int32, dst string, dp int32, proto, action int32, bytes int64) {
		d, err := NewFlowDetector(Config{Intel: set, ExfilThreshold: 1, MaxKeys: 4})
		if err != nil {
			t.Fatal(err)
		}
		ev := fl{src: src, sp: sp, dst: dst, dp: dp, proto: proto, bytes: bytes}.event()
		ev.ActionID, ev.Traffic.Bytes = action, bytes
		for i := 0; i < 3; i++ {
			d.Observe(ev, Ref{Pos: int64(i)})
			ev.SrcEndpoint, ev.DstEndpoint = ev.DstEndpoint, ev.SrcEndpoint
		}
		for _, fnd := range d.Flush(now) {
			if _, err := finding.ToASFF(fnd, finding.ASFFOptions{}); err != nil {
				t.Fatalf("ToASFF: %v", err)
			}
		}
	})
}

// TestFindingsValidateOCSF validates the findings of every rule, and a merged version of
// them, against the OCSF 1.1.0 schema.
func TestFindingsValidateOCSF(t *testing.T) {
	big := int64(30 << 20)
	flows := slices.Concat(
		conn("10.0.0.5", "192.0.2.200", 8080, big, 3000, 1, "i-app"),
		conn("10.0.0.5", "192.0.2.200", 8080, big, 3000, 5, "i-app"),
		[]fl{{src: "192.0.2.44", sp: 55000, dst: "10.0.0.7", dp: 22, rejected: true, ingress: true}},
		conn("fd00:10::5", "2001:db8:dead::10", 443, 30000, 8000, 13, "i-v6"),
		conn("10.0.0.8", "203.0.113.45", 8000, big, 1, 20, ""),
		conn("10.0.0.8", "203.0.113.45", 8000, big, 1, 21, ""),
	)
	fs, _ := run(t, Config{Intel: mustIntel(t, intelText), ProductVersion: "1.0.0"}, flows)
	rules := map[string]bool{}
	for _, f := range fs {
		rules[f.FindingInfo.Analytic.UID] = true
		if err := schema.Validate(&f); err != nil {
			t.Errorf("%s: %v", f.FindingInfo.Title, err)
		}
		merged := finding.MergeAt(f, f, now.Add(time.Hour))
		if err := schema.Validate(&merged); err != nil {
			t.Errorf("merged %s: %v", f.FindingInfo.Title, err)
		}
	}
	if len(rules) != 3 || len(fs) < 6 {
		t.Errorf("%d findings of rules %v", len(fs), rules)
	}
}

// FuzzParseAddr checks the IPv4 fast path against netip.ParseAddr.
func FuzzParseAddr(f *testing.F) {
	for _, s := range []string{"10.0.0.1", "255.255.255.255", "0.0.0.0", "01.2.3.4", "1.2.3", "1.2.3.4.", "256.1.1.1",
		"1..2.3", "::ffff:1.2.3.4", "2001:db8::1", "", "-", "1.2.3.4%eth0", "00.0.0.0", "0.0.0.00", "999999999999.1.1.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, werr := netip.ParseAddr(s)
		got, gerr := parseAddr(s)
		if (werr == nil) != (gerr == nil) || got != want {
			t.Fatalf("parseAddr(%q) = %v, %v; netip.ParseAddr = %v, %v", s, got, gerr, want, werr)
		}
		if a, ok := parseIPv4(s); ok && (werr != nil || a != want) {
			t.Fatalf("parseIPv4(%q) = %v, netip says %v %v", s, a, want, werr)
		}
	})
}
