package route53

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/jsonscan"
)

// Records as Resolver writes them to S3: a query of an instance, resolved; a query that DNS
// Firewall blocked; a query through an inbound Resolver endpoint, NXDOMAIN, over IPv6.
const (
	recInstance = `{"version":"1.100000","account_id":"123456789012","region":"eu-west-1","vpc_id":"vpc-0a1b2c3d4e5f67890","query_timestamp":"2025-03-04T09:15:27Z","query_name":"mcp.atlassian.com.","query_type":"A","query_class":"IN","rcode":"NOERROR","answers":[{"Rdata":"mcp.atlassian.com.cdn.cloudflare.net.","Type":"CNAME","Class":"IN"},{"Rdata":"104.18.32.47","Type":"A","Class":"IN"},{"Rdata":"172.64.155.209","Type":"A","Class":"IN"}],"srcaddr":"10.0.1.23","srcport":"41523","transport":"UDP","srcids":{"instance":"i-0123456789abcdef0"}}`
	recBlocked  = `{"version":"1.100000","account_id":"123456789012","region":"eu-west-1","vpc_id":"vpc-0a1b2c3d4e5f67890","query_timestamp":"2025-03-04T09:15:28Z","query_name":"server.smithery.ai.","query_type":"AAAA","query_class":"IN","rcode":"NOERROR","answers":[],"srcaddr":"10.0.1.23","srcport":"52011","transport":"UDP","srcids":{"instance":"i-0123456789abcdef0"},"firewall_rule_action":"BLOCK","firewall_rule_group_id":"rslvr-frg-0123456789abcdef","firewall_domain_list_id":"rslvr-fdl-0123456789abcdef"}`
	recInbound  = `{"version":"1.100000","account_id":"123456789012","region":"eu-west-1","vpc_id":"vpc-0a1b2c3d4e5f67890","query_timestamp":"2025-03-04T09:15:29.123Z","query_name":"nope.internal.example.","query_type":"TXT","query_class":"IN","rcode":"NXDOMAIN","answers":[],"srcaddr":"2001:db8:1::7","srcport":"53","transport":"TCP","srcids":{"resolver_endpoint":"rslvr-in-0123456789abcdef","resolver_network_interface":"rni-0123456789abcdef"}}`
)

func TestReadShapes(t *testing.T) {
	pretty := "{\n  \"version\": \"1.100000\",\n  \"account_id\": \"123456789012\",\n  \"region\": \"us-east-1\",\n  \"query_timestamp\": \"2025-03-04T09:15:27Z\",\n  \"query_name\": \"example.com.\",\n  \"rcode\": \"NOERROR\",\n  \"srcaddr\": \"10.0.0.1\",\n  \"srcport\": \"1\"\n}\n"
	tests := []struct {
		name, in string
		want     string
		reasons  []string
		err      string
	}{
		{name: "s3 delivery", in: recInstance + "\n" + recBlocked + "\n" + recInbound + "\n", want: "E E E"},
		{name: "no final newline, crlf", in: recInstance + "\r\n" + recBlocked, want: "E E"},
		{name: "concatenated and pretty", in: recInstance + recBlocked + pretty + pretty, want: "E E E E"},
		{name: "array", in: "[" + recInstance + ",\n" + recInbound + "]", want: "E E"},
		{name: "cloudwatch export", in: "2025-03-04T09:15:27.000Z " + recInstance + "\n2025-03-04T09:15:28.000Z " + recBlocked + "\n", want: "E E"},
		{name: "malformed", in: recInstance + "\n{\"query_name\":\"x\",}\nhello\n" + strings.Replace(recBlocked, `"srcport":"52011"`, `"srcport":"52011`, 1) + "\n" + recInbound,
			want: "E D D D E", reasons: []string{"", "invalid JSON at byte 19: expected a member name, found '}'", "not a JSON object or array",
				"invalid JSON at byte 291: expected ',' or '}' after an object member, found 't'", ""}},
		{name: "wrong types", in: `{"query_name":5}` + "\n" + `{"answers":{}}` + "\n" + `{"srcids":[1]}` + "\n" + `{"answers":[1]}`, want: "D D D D",
			reasons: []string{"invalid JSON at byte 15: query_name: expected a string, found number",
				"invalid JSON at byte 12: answers: expected an array, found object",
				"invalid JSON at byte 11: srcids: expected an object, found array",
				"invalid JSON at byte 13: answers[]: expected an object, found number"}},
		{name: "content", in: strings.Replace(recInstance, `"10.0.1.23"`, `"10.0.1"`, 1) + "\n" +
			strings.Replace(recInstance, `"41523"`, `"70000"`, 1) + "\n" +
			strings.Replace(recInstance, `"query_timestamp":"2025-03-04T09:15:27Z",`, "", 1) + "\n" +
			strings.Replace(recInstance, `"2025-03-04T09:15:27Z"`, `"2025-02-30T09:15:27Z"`, 1) + "\n" +
			strings.Replace(recInstance, `"query_name":"mcp.atlassian.com.",`, "", 1) + "\n" +
			strings.Replace(strings.Replace(recInstance, `"srcaddr":"10.0.1.23",`, "", 1), `"instance":"i-0123456789abcdef0"`, `"x":"y"`, 1),
			want: "D D D D D D", reasons: []string{`srcaddr "10.0.1" is not an IP address`, `srcport "70000" is not a port number`,
				"no query_timestamp", `query_timestamp "2025-02-30T09:15:27Z" is not an RFC 3339 time`, "no query_name",
				"no srcaddr nor srcids.instance: a DNS Activity needs its src_endpoint"}},
		{name: "truncated", in: recInstance + "\n" + recBlocked[:200], want: "E D", reasons: []string{"", jsonscan.ErrTruncated.Error()}},
		{name: "truncated array", in: "[" + recInstance + ",", want: "E", err: "input ends inside its top-level array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, slow := range []bool{false, true} {
				s := &recordingSink{t: t}
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

func TestMapping(t *testing.T) {
	s, err := read(t, Format{}, recInstance+"\n"+recBlocked+"\n"+recInbound)
	if err != nil || len(s.events()) != 3 {
		t.Fatalf("%v %+v", err, s.out)
	}
	evs := s.events()
	a := evs[0]
	if a.Query != (ocsf.DNSQuery{Hostname: "mcp.atlassian.com.", Type: "A", Class: "IN"}) || len(a.Answers) != 3 ||
		a.Answers[0].Rdata != "mcp.atlassian.com.cdn.cloudflare.net." || a.Answers[0].Type != "CNAME" || a.Answers[0].Class != "IN" ||
		a.Rcode != "NoError" || a.RcodeID == nil || *a.RcodeID != 0 || a.SrcEndpoint.IP != "10.0.1.23" || *a.SrcEndpoint.Port != 41523 ||
		a.SrcEndpoint.InstanceUID != "i-0123456789abcdef0" || a.SrcEndpoint.VPCUID != "vpc-0a1b2c3d4e5f67890" ||
		a.ConnectionInfo.ProtocolName != "UDP" || a.ActionID != 1 || a.Disposition != "" || a.DispositionID != 0 ||
		a.Unmapped != nil || a.Cloud.Account.UID != "123456789012" || a.Metadata.Product.Version != "1.100000" {
		t.Errorf("instance query: %+v", a)
	}
	var obs []string
	for _, o := range a.Observables {
		obs = append(obs, o.Name+"="+o.Value+"/"+o.Type)
	}
	if got := strings.Join(obs, " "); got != "query.hostname=mcp.atlassian.com./Hostname src_endpoint.ip=10.0.1.23/IP Address "+
		"src_endpoint.instance_uid=i-0123456789abcdef0/Resource UID answers[].rdata=mcp.atlassian.com.cdn.cloudflare.net./Hostname "+
		"answers[].rdata=104.18.32.47/IP Address answers[].rdata=172.64.155.209/IP Address" {
		t.Errorf("observables %s", got)
	}
	b := evs[1]
	if b.Action != "Denied" || b.Disposition != "Blocked" || b.DispositionID != 2 || b.FirewallRule.UID != "rslvr-frg-0123456789abcdef" ||
		b.Unmapped["firewall_domain_list_id"] != "rslvr-fdl-0123456789abcdef" || b.Answers != nil {
		t.Errorf("blocked query: %+v", b)
	}
	c := evs[2]
	if c.Rcode != "NXDomain" || *c.RcodeID != 3 || c.SrcEndpoint.IP != "2001:db8:1::7" || c.DstEndpoint.InstanceUID != "rslvr-in-0123456789abcdef" ||
		c.DstEndpoint.InterfaceUID != "rni-0123456789abcdef" || c.Time != 1741079729123 || c.ConnectionInfo.ProtocolName != "TCP" {
		t.Errorf("inbound query: %+v", c)
	}
}

func TestUnusualRecords(t *testing.T) {
	tests := []struct {
		name, rec string
		check     func(*ocsf.DNSActivity) bool
	}{
		{"unknown rcode", strings.Replace(recInstance, `"NOERROR"`, `"BADCOOKIE2"`, 1),
			func(e *ocsf.DNSActivity) bool { return *e.RcodeID == 99 && e.Rcode == "BADCOOKIE2" }},
		{"alert", strings.Replace(recBlocked, `"BLOCK"`, `"ALERT"`, 1),
			func(e *ocsf.DNSActivity) bool {
				return e.ActionID == 1 && e.DispositionID == 19 && e.Disposition == "Alert"
			}},
		{"allow", strings.Replace(recBlocked, `"BLOCK"`, `"ALLOW"`, 1),
			func(e *ocsf.DNSActivity) bool {
				return e.ActionID == 1 && e.DispositionID == 1 && e.Disposition == "Allowed"
			}},
		{"unknown firewall action", strings.Replace(recBlocked, `"BLOCK"`, `"REDIRECT"`, 1),
			func(e *ocsf.DNSActivity) bool {
				return e.ActionID == 0 && e.Action == "Unknown" && e.DispositionID == 99 && e.Disposition == "REDIRECT"
			}},
		{"numeric srcport", strings.Replace(recInstance, `"41523"`, `41523`, 1),
			func(e *ocsf.DNSActivity) bool { return *e.SrcEndpoint.Port == 41523 }},
		{"unknown members", strings.Replace(recInstance, `"transport":"UDP",`,
			`"transport":"UDP","firewall_protection":"DGA","additional_properties":{"is_compressed":false,"tags":["a","b"]},"nothing":null,`, 1),
			func(e *ocsf.DNSActivity) bool {
				return e.Unmapped["firewall_protection"] == "DGA" && e.Unmapped["additional_properties.is_compressed"] == "false" &&
					e.Unmapped["additional_properties.tags[]"] == "a,b" && len(e.Unmapped) == 3
			}},
		{"unknown srcids and answer members, answer without rdata", strings.Replace(strings.Replace(recInstance,
			`{"instance":"i-0123456789abcdef0"}`, `{"instance":"i-0123456789abcdef0","outpost":"op-1"}`, 1),
			`{"Rdata":"104.18.32.47","Type":"A","Class":"IN"}`, `{"Rdata":"104.18.32.47","Type":"A","Class":"IN","TTL":"60"},{"Type":"A"}`, 1),
			func(e *ocsf.DNSActivity) bool {
				return e.Unmapped["srcids.outpost"] == "op-1" && e.Unmapped["answers[].TTL"] == "60" &&
					e.Unmapped["answers[].Type"] == "A" && len(e.Answers) == 3
			}},
		{"no account or region", strings.Replace(strings.Replace(recInstance, `"account_id":"123456789012",`, "", 1), `"region":"eu-west-1",`, "", 1),
			func(e *ocsf.DNSActivity) bool {
				return e.Cloud.Account.UID == "999999999999" && e.Cloud.Region == "eu-west-1"
			}},
		{"escapes", strings.Replace(recInstance, `"mcp.atlassian.com."`, `"mcp.atlassian.com\u002e"`, 1),
			func(e *ocsf.DNSActivity) bool { return e.Query.Hostname == "mcp.atlassian.com." }},
		// The root and names hostname_t refuses are kept as asked (the validator's one tolerated error).
		{"root query", strings.Replace(strings.Replace(recInstance, `"mcp.atlassian.com."`, `"."`, 1), `"A"`, `"NS"`, 1),
			func(e *ocsf.DNSActivity) bool { return e.Query.Hostname == "." && e.Observables[0].Value == "." }},
		{"odd name", strings.Replace(recInstance, `"mcp.atlassian.com."`, `"a b\\c*.example."`, 1),
			func(e *ocsf.DNSActivity) bool { return e.Query.Hostname == `a b\c*.example.` }},
	}
	for _, tt := range tests {
		s, err := read(t, Format{}, tt.rec)
		if err != nil || len(s.events()) != 1 {
			t.Errorf("%s: %v %+v", tt.name, err, s.out)
			continue
		}
		if e := s.events()[0]; !tt.check(e) {
			t.Errorf("%s: %+v", tt.name, e)
		}
	}
}

func TestTooLong(t *testing.T) {
	s, err := read(t, Format{MaxRecordBytes: 500}, recBlocked+"\n"+recInstance+"\n"+recInbound)
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(s); got != "E D E" {
		t.Fatalf("%s %+v", got, s.out)
	}
	if d := s.out[1]; len(d.dead) != 500 || d.reason != "record longer than 500 bytes" {
		t.Errorf("dead letter of %d bytes: %s", len(d.dead), d.reason)
	}
}

func TestSinkErrorAndCancel(t *testing.T) {
	in := strings.Repeat(recInstance+"\n", 10)
	s := &recordingSink{t: t, failAt: 3}
	err := Format{}.Read(context.Background(), source.Input{Name: "t", R: strings.NewReader(in)}, s)
	if !errors.Is(err, errSinkFull) || len(s.out) != 3 {
		t.Errorf("error %v after %d records", err, len(s.out))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s = &recordingSink{t: t}
	if err := (Format{}).Read(ctx, source.Input{Name: "t", R: strings.NewReader(in)}, s); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
	if err := (Format{}).Read(context.Background(), source.Input{Name: "t"}, s); err == nil {
		t.Error("no reader: no error")
	}
	r := strings.NewReader(in)
	s = &recordingSink{t: t}
	if err := (Format{}).Read(context.Background(), source.Input{Name: "t", ReaderAt: r, Size: r.Size()}, s); err != nil || len(s.out) != 10 {
		t.Errorf("ReaderAt: %v, %d records", err, len(s.out))
	}
}

// TestReuse checks that an event owes nothing to the records read before it: each record reads
// the same after others as alone (Read reuses its event and clears it field by field).
func TestReuse(t *testing.T) {
	recs := []string{recInstance, recBlocked, recInbound,
		`{"query_timestamp":"2025-03-04T09:15:27Z","query_name":"x.example.","srcids":{"instance":"i-1"}}`,
		strings.Replace(recBlocked, `"BLOCK"`, `"ALERT"`, 1),
		`{"query_timestamp":"2025-03-04T09:15:27Z","query_name":"y.example.","srcaddr":"10.0.0.1","srcport":"5","x":1}`}
	alone := make([]string, len(recs))
	for i, r := range recs {
		s, err := read(t, Format{}, r)
		if err != nil || len(s.events()) != 1 {
			t.Fatalf("%v %+v", err, s.out)
		}
		b, _ := json.Marshal(s.events()[0])
		alone[i] = string(b)
	}
	s, err := read(t, Format{}, strings.Join(recs, "\n")+"\n"+strings.Join(recs, "\n"))
	if err != nil || len(s.events()) != 2*len(recs) {
		t.Fatalf("%v %+v", err, s.out)
	}
	for i, ev := range s.events() {
		if b, _ := json.Marshal(ev); string(b) != alone[i%len(recs)] {
			t.Errorf("record %d after others:\n%s\nalone:\n%s", i+1, b, alone[i%len(recs)])
		}
	}
}

func TestSniff(t *testing.T) {
	tests := []struct {
		head string
		want bool
	}{
		{recInstance + "\n" + recBlocked[:100], true},
		{recInstance[:120], false}, // no query_name yet
		{"[" + recInbound, true},
		{"2025-03-04T09:15:27.000Z " + recBlocked, true},
		{"{\n  \"version\": \"1.100000\",\n  \"query_timestamp\": \"2021-02-04T17:51:55Z\",\n  \"query_name\": \"a.\",\n  \"srcaddr\": \"1.2.3.4\"", true},
		{`{"query_timestamp":"x","query_name":"y"}`, false},
		{`{"Records":[{"query_timestamp":"x","query_name":"y","srcaddr":"z"}]}`, false},
		{`{"eventVersion":"1.08","eventName":"x"}`, false},
		{"PAR1\x00", false},
		{"version account-id", false},
	}
	for _, tt := range tests {
		if got := (Format{}).Sniff([]byte(tt.head)); got != tt.want {
			t.Errorf("Sniff(%.80q) = %v, want %v", tt.head, got, tt.want)
		}
	}
}

// TestEventsOwnTheirStrings reads megabytes of records, so that the Reader's buffer is
// reused many times, including records whose values are escaped, unusual or unmapped: every
// event kept by the sink stays what it was when the sink got it.
func TestEventsOwnTheirStrings(t *testing.T) {
	odd := []string{
		`{"version":"1.1\u0030","account_id":"123456789012","region":"eu-west-1","vpc_id":"vpc-0a1b","query_timestamp":"2025-03-04T09:15:27+02:00","query_name":"a\u002eexample.com.","query_type":"A","query_class":"IN","rcode":"WEIRD","answers":[{"Type":"A","Class":"IN"},{"Rdata":"x\u0079z.example.","Type":"CNAME","Class":"CH","TTL":60}],"srcaddr":"10.0.0.9","srcport":53,"transport":"UDP","srcids":{"instance":"i-0\u0031","zone":"az\u0031"},"firewall_rule_action":"QUARANTINE","firewall_rule_group_id":"rslvr-frg-1","firewall_domain_list_id":"rslvr-fdl-\u0031","extra":{"a":[1,"two",true,{"b\u0063":"d"}]},"note\u0031":"n","note2":"plain"}`,
		`{"query_timestamp":"2025-03-04T09:15:28.5Z","query_name":"b.example.","rcode":"NOERROR","srcids":{"instance":"i-09","resolver_endpoint":"rslvr-in-1"},"x":"y"}`,
	}
	var b strings.Builder
	for i, line := range strings.SplitAfter(string(queryLog(6000)), "\n") {
		b.WriteString(line)
		if i%97 == 0 {
			b.WriteString(odd[i%2] + "\n")
		}
	}
	s := &keepingSink{t: t}
	if err := (Format{}).Read(context.Background(), source.Input{Name: "big", R: strings.NewReader(b.String())}, s); err != nil {
		t.Fatal(err)
	}
	if len(s.events) < 6000 || s.dead != 0 {
		t.Fatalf("%d events, %d dead letters", len(s.events), s.dead)
	}
	for i, ev := range s.events {
		if got, _ := json.Marshal(ev); string(got) != s.texts[i] {
			t.Fatalf("event %d changed after the sink got it:\n%s\nnow\n%s", i+1, s.texts[i], got)
		}
	}
	if !strings.Contains(strings.Join(s.texts, "\n"), `"unmapped":{"answers[].Class":"IN","answers[].TTL":"60","answers[].Type":"A","extra.a[]":"1,two,true","extra.a[].bc":"d","firewall_domain_list_id":"rslvr-fdl-1","note1":"n","note2":"plain","srcids.zone":"az1"}`) {
		t.Error("unusual record not mapped as expected")
	}
}

// keepingSink keeps a shallow copy of every event and its JSON when it got it.
type keepingSink struct {
	t      *testing.T
	events []*ocsf.DNSActivity
	texts  []string
	dead   int
}

func (s *keepingSink) Event(ev ocsf.Event, _ int64) error {
	c := *ev.(*ocsf.DNSActivity)
	b, err := json.Marshal(&c)
	if err != nil {
		return err
	}
	s.events, s.texts = append(s.events, &c), append(s.texts, string(b))
	return nil
}

func (s *keepingSink) DeadLetter(raw []byte, pos int64, reason string) error {
	s.t.Errorf("record %d dead-lettered: %s: %s", pos, reason, raw)
	s.dead++
	return nil
}

func (s *keepingSink) Skip(int64, string) error { return nil }
