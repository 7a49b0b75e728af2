package vpcflow

import (
	"errors"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// base holds a realistic value of every field: an egress TCP flow from an ECS task to S3.
var base = [numFields]string{
	FieldVersion:                 "8",
	FieldAccountID:               "123456789012",
	FieldInterfaceID:             "eni-0a1b2c3d4e5f67890",
	FieldSrcAddr:                 "10.0.1.5",
	FieldDstAddr:                 "52.94.133.131",
	FieldSrcPort:                 "49761",
	FieldDstPort:                 "443",
	FieldProtocol:                "6",
	FieldPackets:                 "12",
	FieldBytes:                   "3456",
	FieldStart:                   "1714560000",
	FieldEnd:                     "1714560060",
	FieldAction:                  "ACCEPT",
	FieldLogStatus:               "OK",
	FieldVPCID:                   "vpc-0abc1234",
	FieldSubnetID:                "subnet-0def5678",
	FieldInstanceID:              "i-0123456789abcdef0",
	FieldTCPFlags:                "19",
	FieldType:                    "IPv4",
	FieldPktSrcAddr:              "10.0.1.5",
	FieldPktDstAddr:              "52.94.133.131",
	FieldRegion:                  "us-east-1",
	FieldAZID:                    "use1-az2",
	FieldSublocationType:         "-",
	FieldSublocationID:           "-",
	FieldPktSrcAWSService:        "-",
	FieldPktDstAWSService:        "S3",
	FieldFlowDirection:           "egress",
	FieldTrafficPath:             "8",
	FieldECSClusterARN:           "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
	FieldECSClusterName:          "prod",
	FieldECSContainerInstanceARN: "arn:aws:ecs:us-east-1:123456789012:container-instance/prod/0f1e2d3c4b5a",
	FieldECSContainerInstanceID:  "0f1e2d3c4b5a",
	FieldECSContainerID:          "3c2b1a09f8e7d6c5",
	FieldECSSecondContainerID:    "-",
	FieldECSServiceName:          "api",
	FieldECSTaskDefinitionARN:    "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7",
	FieldECSTaskARN:              "arn:aws:ecs:us-east-1:123456789012:task/prod/abcdef0123456789",
	FieldECSTaskID:               "abcdef0123456789",
	FieldRejectReason:            "-",
}

// header returns the header line of fields.
func header(fields ...Field) string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name()
	}
	return strings.Join(names, " ")
}

// line returns the record of fields with base values, overridden by set (field, value pairs).
func line(fields []Field, set ...any) string {
	vals := base
	for i := 0; i < len(set); i += 2 {
		vals[set[i].(Field)] = set[i+1].(string)
	}
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = vals[f]
	}
	return strings.Join(out, " ")
}

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name    string
		header  string
		want    []Field
		unknown string // the unknown field the error names
		wantErr bool
	}{
		{name: "default", header: header(DefaultFields()...), want: DefaultFields()},
		{name: "all fields", header: header(KnownFields()...), want: KnownFields()},
		{name: "underscored", header: "version account_id log_status pkt_src_aws_service",
			want: []Field{FieldVersion, FieldAccountID, FieldLogStatus, FieldPktSrcAWSService}},
		{name: "shuffled v5 with CR and extra spaces", header: "\t flow-direction  srcaddr version traffic-path \r",
			want: []Field{FieldFlowDirection, FieldSrcAddr, FieldVersion, FieldTrafficPath}},
		{name: "unknown field", header: "version account-id resource-id srcaddr", unknown: "resource-id", wantErr: true},
		{name: "wrong case", header: "version Account-Id", unknown: "Account-Id", wantErr: true},
		{name: "duplicate", header: "version srcaddr version", wantErr: true},
		{name: "duplicate spelled two ways", header: "log-status log_status", wantErr: true},
		{name: "empty", header: "   ", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := ParseHeader(tt.header)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseHeader(%q) = %v, want an error", tt.header, l)
				}
				var ue *UnknownFieldError
				if got := errors.As(err, &ue); got != (tt.unknown != "") || got && ue.Name != tt.unknown {
					t.Errorf("error %v, want unknown field %q", err, tt.unknown)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := l.Fields(); !equalFields(got, tt.want) {
				t.Errorf("fields %v, want %v", got, tt.want)
			}
			if l.Set() != FieldSetOf(tt.want...) {
				t.Errorf("set %b, want %b", l.Set(), FieldSetOf(tt.want...))
			}
		})
	}
}

func equalFields(a, b []Field) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFieldNames(t *testing.T) {
	if got := len(KnownFields()); got != 40 {
		t.Errorf("%d known fields, want the 40 of versions 2 to 8", got)
	}
	if got := header(DefaultFields()...); got != "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status" {
		t.Errorf("default format %q", got)
	}
	for _, f := range KnownFields() {
		g, ok := FieldByName(f.Name())
		if !ok || g != f {
			t.Errorf("FieldByName(%q) = %v, %v", f.Name(), g, ok)
		}
		if g, ok := FieldByName(f.Column()); !ok || g != f || strings.Contains(f.Column(), "-") {
			t.Errorf("FieldByName(%q) = %v, %v", f.Column(), g, ok)
		}
		if v := f.Version(); v < 2 || v > 8 || v == 6 {
			t.Errorf("%v: version %d", f, v)
		}
	}
	for f, v := range map[Field]int{FieldLogStatus: 2, FieldTCPFlags: 3, FieldRegion: 4, FieldTrafficPath: 5, FieldECSTaskID: 7, FieldRejectReason: 8} {
		if f.Version() != v {
			t.Errorf("%v: version %d, want %d", f, f.Version(), v)
		}
	}
}

func TestLayoutParse(t *testing.T) {
	def := DefaultLayout()
	v5, err := ParseHeader("flow-direction pkt-dstaddr srcport version dstaddr tcp-flags traffic-path start")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		layout Layout
		line   string
		check  func(t *testing.T, r *Record)
		reason string // the parse error's text must contain it; "" for success
	}{
		{name: "default", layout: def,
			line: "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
			check: func(t *testing.T, r *Record) {
				var want Record
				for _, kv := range []struct {
					f Field
					v any
				}{{FieldVersion, "2"}, {FieldAccountID, "123456789010"}, {FieldInterfaceID, "eni-1235b8ca123456789"},
					{FieldSrcAddr, "172.31.16.139"}, {FieldDstAddr, "172.31.16.21"}, {FieldSrcPort, 20641}, {FieldDstPort, 22},
					{FieldProtocol, 6}, {FieldPackets, 20}, {FieldBytes, 4249}, {FieldStart, 1418530010}, {FieldEnd, 1418530070},
					{FieldAction, "ACCEPT"}, {FieldLogStatus, "OK"}} {
					if v, ok := kv.v.(string); ok {
						want.SetString(kv.f, v)
					} else {
						want.SetInt(kv.f, int64(kv.v.(int)))
					}
				}
				if *r != want || want.Fields != def.Set() {
					t.Errorf("got %+v\nwant %+v", *r, want)
				}
			}},
		{name: "IPv6", layout: def,
			line: "2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK",
			check: func(t *testing.T, r *Record) {
				if port, _ := r.Int(FieldDstPort); r.String(FieldSrcAddr) != "2001:db8:1234:a100:8d6e:3477:df66:f105" || port != 22 {
					t.Errorf("got %+v", *r)
				}
			}},
		{name: "NODATA", layout: def,
			line: "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA",
			check: func(t *testing.T, r *Record) {
				dash := FieldSetOf(FieldSrcAddr, FieldDstAddr, FieldSrcPort, FieldDstPort, FieldProtocol, FieldPackets, FieldBytes, FieldAction)
				if r.Dash != dash || r.String(FieldSrcAddr) != "-" || r.String(FieldAction) != "-" || r.String(FieldLogStatus) != "NODATA" ||
					r.Has(FieldSrcPort) || !r.Has(FieldStart) {
					t.Errorf("got %+v, dash %b want %b", *r, r.Dash, dash)
				}
			}},
		{name: "tab", layout: v5, line: "ingress\t10.0.0.1 80 5 10.0.0.1 2 1 1700000000", reason: "control character 0x9 at byte 8"},
		{name: "carriage return inside", layout: v5, line: "ingress 10.0.0.1 80 5 10.0.0.1 2 1\r 1700000000", reason: "control character 0xd at byte 35"},
		{name: "DEL", layout: v5, line: "ingress 10.0.0.1 80 5 10.0.0.1 2 1 1700000000\x7f", reason: "control character 0x7f at byte 46"},
		{name: "non-ASCII UTF-8 is text", layout: def,
			line: "2 123456789010 eni-é 1.1.1.1 2.2.2.2 1 2 6 1 1 1 2 ACCEPT OK",
			check: func(t *testing.T, r *Record) {
				if r.String(FieldInterfaceID) != "eni-é" {
					t.Errorf("got %+v", *r)
				}
			}},
		{name: "runs of spaces", layout: v5, line: "  ingress 10.0.0.1  80 5    10.0.0.1 2 1 1700000000  ",
			check: func(t *testing.T, r *Record) {
				sp, _ := r.Int(FieldSrcPort)
				fl, _ := r.Int(FieldTCPFlags)
				tp, _ := r.Int(FieldTrafficPath)
				if r.String(FieldFlowDirection) != "ingress" || sp != 80 || r.String(FieldVersion) != "5" || fl != 2 || tp != 1 {
					t.Errorf("got %+v", *r)
				}
			}},
		{name: "ports at their limits", layout: v5, line: "egress - 65535 5 - 0 - 0",
			check: func(t *testing.T, r *Record) {
				if v, ok := r.Int(FieldSrcPort); !ok || v != 65535 {
					t.Errorf("srcport %d %v", v, ok)
				}
				if v, ok := r.Int(FieldTCPFlags); !ok || v != 0 {
					t.Errorf("tcp-flags %d %v", v, ok)
				}
				if _, ok := r.Int(FieldTrafficPath); ok {
					t.Error("traffic-path - has a value")
				}
			}},
		{name: "too few fields", layout: def, line: "2 123456789010 eni-1235b8ca123456789", reason: "too few fields: 3 of 14"},
		{name: "too many fields", layout: def,
			line: "2 123456789010 eni-1 1.1.1.1 2.2.2.2 1 2 6 1 1 1 2 ACCEPT OK extra", reason: "too many fields"},
		{name: "port out of range", layout: v5, line: "egress - 65536 5 - 0 - 0", reason: `srcport: out of range 0..65535: "65536"`},
		{name: "negative port", layout: v5, line: "egress - -5 5 - 0 - 0", reason: `srcport: not a non-negative integer: "-5"`},
		{name: "signed port", layout: v5, line: "egress - +5 5 - 0 - 0", reason: "srcport: not a non-negative integer"},
		{name: "protocol out of range", layout: def,
			line: "2 1 eni-1 1.1.1.1 2.2.2.2 1 2 256 1 1 1 2 ACCEPT OK", reason: `protocol: out of range 0..255: "256"`},
		{name: "bytes overflow", layout: def,
			line: "2 1 eni-1 1.1.1.1 2.2.2.2 1 2 6 1 99999999999999999999 1 2 ACCEPT OK", reason: "bytes: not a non-negative integer"},
		{name: "bytes over int64", layout: def,
			line: "2 1 eni-1 1.1.1.1 2.2.2.2 1 2 6 1 9999999999999999999 1 2 ACCEPT OK", reason: "bytes: out of range"},
		{name: "start beyond year 9999", layout: v5, line: "egress - 1 5 - 0 - 253402300800", reason: "start: out of range"},
		{name: "fractional number", layout: v5, line: "egress - 1.5 5 - 0 - 0", reason: "srcport: not a non-negative integer"},
		{name: "bad version", layout: v5, line: "egress - 1 v5 - 0 - 0", reason: `version: not a version number: "v5"`},
		{name: "invalid UTF-8", layout: v5, line: "egr\xffess - 1 5 - 0 - 0", reason: "invalid UTF-8 at byte 4"},
		{name: "invalid UTF-8 after 8 bytes", layout: v5, line: "egress - 1 5 - 0 - 0 \xc3\x28", reason: "invalid UTF-8 at byte 22"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Record
			err := tt.layout.Parse(tt.line, &r)
			if tt.reason != "" {
				if err == nil || !strings.Contains(err.Error(), tt.reason) {
					t.Fatalf("error %v, want one containing %q", err, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, &r)
		})
	}
}

// TestReadDashEverywhere puts "-" in each field of a full version 8 record in turn and
// checks what becomes of the attribute the field maps to.
func TestReadDashEverywhere(t *testing.T) {
	all := KnownFields()
	absent := map[Field]func(ev *ocsf.NetworkActivity) bool{
		FieldVersion:     func(ev *ocsf.NetworkActivity) bool { return ev.Metadata.Product.Version == "" },
		FieldAccountID:   func(ev *ocsf.NetworkActivity) bool { return ev.Cloud.Account.UID == "999999999999" }, // the input's
		FieldInterfaceID: func(ev *ocsf.NetworkActivity) bool { return ev.SrcEndpoint.InterfaceUID == "" },
		FieldSrcAddr: func(ev *ocsf.NetworkActivity) bool {
			return ev.SrcEndpoint.IP == base[FieldPktSrcAddr] && ev.SrcEndpoint.IntermediateIPs == nil
		},
		FieldDstAddr: func(ev *ocsf.NetworkActivity) bool {
			return ev.DstEndpoint.IP == base[FieldPktDstAddr] && ev.DstEndpoint.IntermediateIPs == nil
		},
		FieldSrcPort:  func(ev *ocsf.NetworkActivity) bool { return ev.SrcEndpoint.Port == nil },
		FieldDstPort:  func(ev *ocsf.NetworkActivity) bool { return ev.DstEndpoint.Port == nil },
		FieldProtocol: func(ev *ocsf.NetworkActivity) bool { return ev.ConnectionInfo.ProtocolNum == 0 },
		FieldPackets:  func(ev *ocsf.NetworkActivity) bool { return ev.Traffic.Packets == 0 },
		FieldBytes:    func(ev *ocsf.NetworkActivity) bool { return ev.Traffic.Bytes == 0 },
		FieldStart: func(ev *ocsf.NetworkActivity) bool {
			return ev.StartTime == 0 && ev.StartTimeDT.IsZero() && ev.Time == 1714560060000
		},
		FieldEnd: func(ev *ocsf.NetworkActivity) bool { return ev.EndTime == 0 && ev.EndTimeDT.IsZero() },
		FieldAction: func(ev *ocsf.NetworkActivity) bool {
			return ev.ActivityID == 0 && ev.TypeUID == 400100 && ev.ActionID == 0 && ev.Action == "Unknown" &&
				ev.DispositionID == 99 && ev.Disposition == "-"
		},
		FieldLogStatus: func(ev *ocsf.NetworkActivity) bool { return ev.StatusCode == "" },
		FieldVPCID:     func(ev *ocsf.NetworkActivity) bool { return ev.SrcEndpoint.VPCUID == "" },
		FieldSubnetID:  func(ev *ocsf.NetworkActivity) bool { return ev.SrcEndpoint.SubnetUID == "" },
		FieldInstanceID: func(ev *ocsf.NetworkActivity) bool {
			return ev.SrcEndpoint.InstanceUID == "" && len(ev.Observables) == 2
		},
		FieldTCPFlags:   func(ev *ocsf.NetworkActivity) bool { return ev.ConnectionInfo.TCPFlags == nil },
		FieldType:       func(ev *ocsf.NetworkActivity) bool { return ev.ConnectionInfo.ProtocolVer == "-" },
		FieldPktSrcAddr: func(ev *ocsf.NetworkActivity) bool { return ev.SrcEndpoint.IP == base[FieldSrcAddr] },
		FieldPktDstAddr: func(ev *ocsf.NetworkActivity) bool { return ev.DstEndpoint.IP == base[FieldDstAddr] },
		FieldRegion:     func(ev *ocsf.NetworkActivity) bool { return ev.Cloud.Region == "eu-west-1" }, // the input's
		FieldAZID:       func(ev *ocsf.NetworkActivity) bool { return ev.Cloud.Zone == "" },
		FieldPktSrcAWSService: func(ev *ocsf.NetworkActivity) bool {
			return ev.SrcEndpoint.SvcName == "-"
		},
		FieldPktDstAWSService: func(ev *ocsf.NetworkActivity) bool { return ev.DstEndpoint.SvcName == "-" },
		FieldFlowDirection: func(ev *ocsf.NetworkActivity) bool {
			return ev.ConnectionInfo.DirectionID == 99 && ev.ConnectionInfo.Direction == "-" &&
				ev.SrcEndpoint.InterfaceUID == base[FieldInterfaceID]
		},
		FieldTrafficPath: func(ev *ocsf.NetworkActivity) bool {
			return ev.ConnectionInfo.BoundaryID == 99 && ev.ConnectionInfo.Boundary == "-"
		},
	}
	for _, f := range unmappedFields {
		col := f.Column()
		absent[f] = func(ev *ocsf.NetworkActivity) bool { _, ok := ev.Unmapped[col]; return !ok }
	}
	for _, f := range all {
		t.Run(f.Name(), func(t *testing.T) {
			s, err := read(t, Format{}, header(all...)+"\n"+line(all, f, "-")+"\n")
			if err != nil {
				t.Fatal(err)
			}
			if len(s.events) != 1 {
				t.Fatalf("%d events, dead letters %v", len(s.events), s.dead)
			}
			check, ok := absent[f]
			if !ok {
				t.Fatalf("no check for %v", f)
			}
			if !check(&s.events[0]) {
				t.Errorf("with %s -: %+v", f, s.events[0])
			}
			validate(t, &s.events[0])
		})
	}
	t.Run("all", func(t *testing.T) {
		dashes := strings.TrimSpace(strings.Repeat("- ", len(all)))
		s, err := read(t, Format{}, header(all...)+"\n"+dashes+"\n")
		if err != nil {
			t.Fatal(err)
		}
		if len(s.dead) != 1 || s.dead[0].reason != "record has neither start nor end time" || s.dead[0].raw != dashes {
			t.Errorf("dead letters %+v, events %d", s.dead, len(s.events))
		}
	})
}

func TestRead(t *testing.T) {
	all := KnownFields()
	v3 := []Field{FieldInstanceID, FieldVersion, FieldSrcAddr, FieldDstAddr, FieldPktSrcAddr, FieldPktDstAddr,
		FieldTCPFlags, FieldType, FieldStart, FieldVPCID, FieldSubnetID, FieldAction, FieldInterfaceID}
	v4 := []Field{FieldRegion, FieldAZID, FieldSublocationType, FieldSublocationID, FieldVersion, FieldStart,
		FieldEnd, FieldAccountID, FieldLogStatus}
	v5 := []Field{FieldTrafficPath, FieldFlowDirection, FieldPktDstAWSService, FieldPktSrcAWSService, FieldSrcAddr,
		FieldPktSrcAddr, FieldDstAddr, FieldPktDstAddr, FieldInterfaceID, FieldInstanceID, FieldStart, FieldEnd,
		FieldAction, FieldVersion, FieldSrcPort, FieldDstPort, FieldProtocol}
	v7 := []Field{FieldVersion, FieldStart, FieldSrcAddr, FieldDstAddr, FieldECSClusterARN, FieldECSClusterName,
		FieldECSContainerInstanceARN, FieldECSContainerInstanceID, FieldECSContainerID, FieldECSSecondContainerID,
		FieldECSServiceName, FieldECSTaskDefinitionARN, FieldECSTaskARN, FieldECSTaskID}
	v8 := []Field{FieldRejectReason, FieldVersion, FieldAction, FieldStart, FieldSrcAddr, FieldDstAddr}

	type check func(t *testing.T, s *recordingSink)
	events := func(n int) check {
		return func(t *testing.T, s *recordingSink) {
			if len(s.events) != n {
				t.Fatalf("%d events, want %d; dead letters %v", len(s.events), n, s.dead)
			}
		}
	}
	dead := func(pos int64, reason string) check {
		return func(t *testing.T, s *recordingSink) {
			for _, d := range s.dead {
				if d.pos == pos {
					if !strings.Contains(d.reason, reason) {
						t.Errorf("line %d dead-lettered for %q, want %q", pos, d.reason, reason)
					}
					return
				}
			}
			t.Errorf("line %d not dead-lettered (want %q); dead letters %v", pos, reason, s.dead)
		}
	}
	event := func(i int, pos int64, f func(ev *ocsf.NetworkActivity) bool) check {
		return func(t *testing.T, s *recordingSink) {
			if i >= len(s.events) {
				t.Fatalf("no event %d; dead letters %v", i, s.dead)
			}
			if s.pos[i] != pos {
				t.Errorf("event %d at line %d, want %d", i, s.pos[i], pos)
			}
			if !f(&s.events[i]) {
				t.Errorf("event %d: %+v", i, s.events[i])
			}
		}
	}

	tests := []struct {
		name    string
		input   string
		checks  []check
		wantErr string
	}{
		{name: "default format without header",
			input: "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n" +
				"2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK\n",
			checks: []check{events(2),
				event(0, 1, func(ev *ocsf.NetworkActivity) bool {
					return ev.ActivityID == 6 && ev.ActionID == 1 && ev.DispositionID == 1 && ev.Cloud.Region == "eu-west-1" &&
						ev.Cloud.Account.UID == "123456789010" && ev.Metadata.Product.Version == "2" &&
						ev.SrcEndpoint.InterfaceUID == "eni-1235b8ca123456789" && ev.ConnectionInfo.DirectionID == 0 &&
						ev.ConnectionInfo.Direction == "Unknown" && ev.ConnectionInfo.BoundaryID == 99 &&
						*ev.DstEndpoint.Port == 22 && ev.Time == 1418530010000 && ev.EndTime == 1418530070000 &&
						ev.ConnectionInfo.ProtocolVer == "" && ev.SrcEndpoint.SvcName == "" && ev.Unmapped == nil
				}),
				event(1, 2, func(ev *ocsf.NetworkActivity) bool {
					return ev.ActivityID == 5 && ev.ActivityName == "Refuse" && ev.ActionID == 2 && ev.Action == "Denied" &&
						ev.DispositionID == 2 && ev.Disposition == "Blocked" && ev.TypeName == "Network Activity: Refuse"
				})}},
		{name: "CloudWatch Logs export with timestamps",
			input:  "2024-05-01T12:00:00.000Z 2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n",
			checks: []check{events(1), event(0, 1, func(ev *ocsf.NetworkActivity) bool { return ev.Time == 1418530010000 })}},
		{name: "v3 shuffled",
			input: header(v3...) + "\n" + line(v3, FieldPktSrcAddr, "192.168.7.7", FieldDstAddr, "10.0.9.9") + "\n",
			checks: []check{events(1), event(0, 2, func(ev *ocsf.NetworkActivity) bool {
				return ev.SrcEndpoint.IP == "192.168.7.7" && ev.SrcEndpoint.IntermediateIPs[0] == "10.0.1.5" &&
					ev.DstEndpoint.IP == "52.94.133.131" && ev.DstEndpoint.IntermediateIPs[0] == "10.0.9.9" &&
					*ev.ConnectionInfo.TCPFlags == 19 && ev.ConnectionInfo.ProtocolVer == "IPv4" &&
					ev.SrcEndpoint.VPCUID == "vpc-0abc1234" && ev.SrcEndpoint.SubnetUID == "subnet-0def5678" &&
					ev.SrcEndpoint.InstanceUID == "i-0123456789abcdef0" && ev.Metadata.Product.Version == "8" &&
					len(ev.Observables) == 5 && ev.Observables[0].Name == "dst_endpoint.ip" &&
					ev.Observables[1] == ocsf.NewObservable("dst_endpoint.intermediate_ips", ocsf.ObservableIP, "10.0.9.9") &&
					ev.Observables[2].Name == "src_endpoint.ip" && ev.Observables[3].Value == "10.0.1.5" &&
					ev.Observables[4] == ocsf.NewObservable("src_endpoint.instance_uid", ocsf.ObservableResourceUID, "i-0123456789abcdef0") &&
					ev.EndTime == 0
			})}},
		{name: "v4 shuffled",
			input: header(v4...) + "\n" + line(v4, FieldSublocationType, "outpost", FieldSublocationID, "op-0123456789abcdef0") + "\n",
			checks: []check{events(1), event(0, 2, func(ev *ocsf.NetworkActivity) bool {
				return ev.Cloud.Region == "us-east-1" && ev.Cloud.Zone == "use1-az2" && ev.StatusCode == "OK" &&
					len(ev.Unmapped) == 2 && ev.Unmapped["sublocation_type"] == "outpost" &&
					ev.Unmapped["sublocation_id"] == "op-0123456789abcdef0" && ev.ActionID == 0 && ev.DispositionID == 0 &&
					ev.SrcEndpoint.SvcName == "-" && ev.DstEndpoint.SvcName == "-"
			})}},
		{name: "v5 shuffled ingress",
			input: header(v5...) + "\n" + line(v5, FieldFlowDirection, "ingress", FieldTrafficPath, "1", FieldPktSrcAWSService, "EC2") + "\n",
			checks: []check{events(1), event(0, 2, func(ev *ocsf.NetworkActivity) bool {
				return ev.ConnectionInfo.DirectionID == 1 && ev.ConnectionInfo.Direction == "Inbound" &&
					ev.ConnectionInfo.BoundaryID == 4 && ev.ConnectionInfo.Boundary == "Same VPC" &&
					ev.DstEndpoint.InterfaceUID == "eni-0a1b2c3d4e5f67890" && ev.DstEndpoint.InstanceUID == "i-0123456789abcdef0" &&
					ev.SrcEndpoint.InterfaceUID == "" && ev.SrcEndpoint.SvcName == "EC2" && ev.DstEndpoint.SvcName == "S3" &&
					ev.Observables[1].Name == "dst_endpoint.instance_uid"
			})}},
		{name: "v5 traffic paths",
			input: header(v5...) + "\n" + line(v5, FieldTrafficPath, "2") + "\n" + line(v5, FieldTrafficPath, "7") + "\n" +
				line(v5, FieldTrafficPath, "8") + "\n" + line(v5, FieldTrafficPath, "9") + "\n",
			checks: []check{events(4),
				event(0, 2, func(ev *ocsf.NetworkActivity) bool {
					return ev.ConnectionInfo.BoundaryID == 5 && ev.ConnectionInfo.Boundary == "Internet/VPC Gateway"
				}),
				event(1, 3, func(ev *ocsf.NetworkActivity) bool {
					return ev.ConnectionInfo.BoundaryID == 10 && ev.ConnectionInfo.Boundary == "Gateway VPC"
				}),
				event(2, 4, func(ev *ocsf.NetworkActivity) bool {
					return ev.ConnectionInfo.BoundaryID == 11 && ev.ConnectionInfo.Boundary == "Internet Gateway"
				}),
				event(3, 5, func(ev *ocsf.NetworkActivity) bool {
					return ev.ConnectionInfo.BoundaryID == 99 && ev.ConnectionInfo.Boundary == "9"
				})}},
		{name: "v7 ECS fields",
			input: header(v7...) + "\n" + line(v7) + "\n",
			checks: []check{events(1), event(0, 2, func(ev *ocsf.NetworkActivity) bool {
				_, second := ev.Unmapped["ecs_second_container_id"] // "-": absent, left out
				return !second && len(ev.Unmapped) == 9 && ev.Unmapped["ecs_cluster_arn"] == base[FieldECSClusterARN] &&
					ev.Unmapped["ecs_cluster_name"] == "prod" && ev.Unmapped["ecs_container_instance_arn"] == base[FieldECSContainerInstanceARN] &&
					ev.Unmapped["ecs_container_instance_id"] == "0f1e2d3c4b5a" && ev.Unmapped["ecs_container_id"] == "3c2b1a09f8e7d6c5" &&
					ev.Unmapped["ecs_service_name"] == "api" &&
					ev.Unmapped["ecs_task_definition_arn"] == base[FieldECSTaskDefinitionARN] &&
					ev.Unmapped["ecs_task_arn"] == base[FieldECSTaskARN] && ev.Unmapped["ecs_task_id"] == "abcdef0123456789"
			})}},
		{name: "v8 reject-reason",
			input: header(v8...) + "\n" + line(v8, FieldRejectReason, "BPA", FieldAction, "REJECT") + "\n",
			checks: []check{events(1), event(0, 2, func(ev *ocsf.NetworkActivity) bool {
				return len(ev.Unmapped) == 1 && ev.Unmapped["reject_reason"] == "BPA" && ev.ActivityID == 5
			})}},
		{name: "IPv6 all fields",
			input: header(all...) + "\n" + line(all, FieldType, "IPv6", FieldSrcAddr, "2600:1f18:147a:e900::1", FieldPktSrcAddr,
				"2600:1f18:147a:e900::1", FieldDstAddr, "2a05:d018:1:2::3", FieldPktDstAddr, "2a05:d018:1:2::3") + "\n",
			checks: []check{events(1), event(0, 2, func(ev *ocsf.NetworkActivity) bool {
				return ev.SrcEndpoint.IP == "2600:1f18:147a:e900::1" && ev.DstEndpoint.IP == "2a05:d018:1:2::3" &&
					ev.ConnectionInfo.ProtocolVer == "IPv6" && ev.SrcEndpoint.IntermediateIPs == nil && len(ev.Unmapped) == 9
			})}},
		{name: "NODATA and SKIPDATA",
			input: "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA\n" +
				"2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA\n",
			checks: []check{events(2),
				event(0, 1, func(ev *ocsf.NetworkActivity) bool {
					return ev.StatusCode == "NODATA" && ev.ActivityID == 0 && ev.DispositionID == 99 && ev.Disposition == "-" &&
						ev.SrcEndpoint.InterfaceUID == "eni-1235b8ca123456789" && ev.SrcEndpoint.IP == "" &&
						ev.DstEndpoint.SvcName == "-" && ev.Observables == nil && ev.Traffic == (ocsf.NetworkTraffic{})
				}),
				event(1, 2, func(ev *ocsf.NetworkActivity) bool { return ev.StatusCode == "SKIPDATA" })}},
		{name: "unknown action",
			input: "2 123456789010 eni-1 1.1.1.1 2.2.2.2 1 2 6 1 1 1 2 DROP OK\n",
			checks: []check{events(1), event(0, 1, func(ev *ocsf.NetworkActivity) bool {
				return ev.ActivityID == 99 && ev.ActivityName == "Other" && ev.DispositionID == 99 &&
					ev.Disposition == "DROP" && ev.ActionID == 0
			})}},
		{name: "CRLF line endings and blank lines",
			input: "\r\n" + header(v8...) + "\r\n\r\n" + line(v8) + "\r\n   \r\n" + line(v8, FieldAction, "REJECT") + "\r\n",
			checks: []check{events(2),
				event(0, 4, func(ev *ocsf.NetworkActivity) bool {
					_, ok := ev.Unmapped["reject_reason"]
					return !ok && ev.ActivityID == 6
				}),
				event(1, 6, func(ev *ocsf.NetworkActivity) bool { return ev.ActivityID == 5 })}},
		{name: "last line without newline",
			input:  header(v8...) + "\n" + line(v8),
			checks: []check{events(1)}},
		{name: "header switch mid-stream",
			input: header(v8...) + "\n" + line(v8) + "\n" + header(DefaultFields()...) + "\n" +
				"2 123456789010 eni-1 1.1.1.1 2.2.2.2 1 2 6 1 1 1 2 ACCEPT OK\n",
			checks: []check{events(2), event(1, 4, func(ev *ocsf.NetworkActivity) bool { return ev.Metadata.Product.Version == "2" })}},
		{name: "header with unknown field",
			input: "version account-id encryption-status start\n2 123456789010 1 1418530010\n\n2 123456789010 0 1418530011\n",
			checks: []check{events(0),
				dead(2, `unusable format: header on line 1: unknown flow log field "encryption-status"`),
				dead(4, `unknown flow log field "encryption-status"`)},
			wantErr: `vpcflow: test: header on line 1: unknown flow log field "encryption-status"`},
		{name: "too few and too many fields",
			input:  "2 123456789010 eni-1 1.1.1.1\n2 123456789010 eni-1 1.1.1.1 2.2.2.2 1 2 6 1 1 1 2 ACCEPT OK more\n",
			checks: []check{events(0), dead(1, "too few fields: 4 of 14"), dead(2, "too many fields")}},
		{name: "bad numbers",
			input:  "2 123456789010 eni-1 1.1.1.1 2.2.2.2 http 2 6 1 1 1 2 ACCEPT OK\n2 123456789010 eni-1 1.1.1.1 2.2.2.2 1 2 6 1 1 1e9 2 ACCEPT OK\n",
			checks: []check{events(0), dead(1, `srcport: not a non-negative integer: "http"`), dead(2, `start: not a non-negative integer: "1e9"`)}},
		{name: "bad IP addresses",
			input: "2 123456789010 eni-1 1.1.1.256 2.2.2.2 1 2 6 1 1 1 2 ACCEPT OK\n" +
				"2 123456789010 eni-1 1.1.1.1 fe80::1%eth0 1 2 6 1 1 1 2 ACCEPT OK\n" +
				header(v3...) + "\n" + line(v3, FieldPktDstAddr, "example.com") + "\n",
			checks: []check{events(0), dead(1, `srcaddr: not an IP address: "1.1.1.256"`), dead(2, "dstaddr: not an IP address"),
				dead(4, `pkt-dstaddr: not an IP address: "example.com"`)}},
		{name: "non-UTF-8 bytes",
			input:  "2 123456789010 eni-\xc3\x28 1.1.1.1 2.2.2.2 1 2 6 1 1 1 2 ACCEPT OK\n",
			checks: []check{events(0), dead(1, "invalid UTF-8")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := read(t, Format{}, tt.input)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr && !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %v, want %q", err, tt.wantErr)
				}
				var ue *UnknownFieldError
				if !errors.As(err, &ue) {
					t.Errorf("error %v is no *UnknownFieldError", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			for _, c := range tt.checks {
				c(t, s)
			}
			// Every data line is accounted for exactly once.
			if got, want := len(s.events)+len(s.dead)+s.skipped, dataLines(tt.input); got != want {
				t.Errorf("%d events + %d dead + %d skipped = %d, want %d data lines", len(s.events), len(s.dead), s.skipped, got, want)
			}
			for i := range s.events {
				validate(t, &s.events[i])
			}
		})
	}
}

// dataLines counts the lines of text that are neither blank nor headers.
func dataLines(text string) int {
	n := 0
	for _, l := range strings.Split(text, "\n") {
		l = trimLine(l)
		if l != "" && !looksLikeHeader(l) {
			n++
		}
	}
	return n
}

func TestReadLongLine(t *testing.T) {
	f := Format{MaxLineBytes: 120}
	good := "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"
	if len(good) > 120 {
		t.Fatal("test line too long")
	}
	long := good + strings.Repeat(" x", 200)
	justOver := good + strings.Repeat("y", 121-len(good))
	input := good + "\n" + long + "\n" + good + "\r\n" + justOver + "\n" + good + "\n" + long // last line unterminated
	s, err := read(t, f, input)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.events) != 3 || len(s.dead) != 3 {
		t.Fatalf("%d events, %d dead letters, want 3 and 3", len(s.events), len(s.dead))
	}
	for i, want := range []int64{1, 3, 5} {
		if s.pos[i] != want {
			t.Errorf("event %d at line %d, want %d", i, s.pos[i], want)
		}
	}
	for i, want := range []int64{2, 4, 6} {
		d := s.dead[i]
		if d.pos != want || d.reason != "line longer than 120 bytes" || len(d.raw) > 120 {
			t.Errorf("dead letter %d: line %d, %q, %d bytes", i, d.pos, d.reason, len(d.raw))
		}
	}
}

func TestReadSinkError(t *testing.T) {
	input := strings.Repeat("2 123456789010 eni-1 1.1.1.1 2.2.2.2 1 2 6 1 1 1 2 ACCEPT OK\n", 5)
	s := &recordingSink{t: t, failAt: 3}
	err := Format{}.Read(t.Context(), sourceInput(input), s)
	if !errors.Is(err, errSinkFull) {
		t.Fatalf("error %v, want the sink's", err)
	}
	if s.calls != 3 {
		t.Errorf("%d sink calls after the failure, want 3", s.calls)
	}
}

func TestReadCancelled(t *testing.T) {
	input := strings.Repeat("2 123456789010 eni-1 1.1.1.1 2.2.2.2 1 2 6 1 1 1 2 ACCEPT OK\n", 3*checkEvery)
	ctx, cancel := contextWithCancel(t)
	cancel()
	s := &recordingSink{t: t}
	err := Format{}.Read(ctx, sourceInput(input), s)
	if err == nil || !errors.Is(err, ctx.Err()) {
		t.Fatalf("error %v, want context canceled", err)
	}
	if s.calls >= 3*checkEvery {
		t.Errorf("read all %d records despite cancellation", s.calls)
	}
}

func TestSniff(t *testing.T) {
	tests := []struct {
		name string
		head string
		want bool
	}{
		{"default record", "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n", true},
		{"NODATA record after blank lines", "\n\r\n2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA", true},
		{"CloudWatch export", "2024-05-01T12:00:00.000Z 2 123456789010 eni-1 1.1.1.1 2.2.2.2 1 2 6 1 1 1 2 ACCEPT OK\n", true},
		{"header", header(KnownFields()...) + "\n", true},
		{"header with an unknown field", "version account-id encryption-status\n", true},
		{"truncated header", "version srcaddr dstad", true},
		{"one known name", "version\n1\n", false},
		{"JSON", `{"eventVersion":"1.08","eventSource":"s3.amazonaws.com"}`, false},
		{"CSV", "account_id,action,az_id\n", false},
		{"prose", "hello world\n", false},
		{"default-like with bad action", "2 123456789010 eni-1 1.1.1.1 2.2.2.2 1 2 6 1 1 1 2 MAYBE OK\n", false},
		{"empty", "", false},
		{"Parquet without schema in head", "PAR1\x15\x04\x15", false},
		{"Parquet with flow log columns", "PAR1....\x07srcaddr....\x07dstaddr\x0alog_status", true},
		{"Parquet with OCSF columns", "PAR1....\x0csrc_endpoint\x02ip\x09class_uid", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Format{}).Sniff([]byte(tt.head)); got != tt.want {
				t.Errorf("Sniff(%q) = %v, want %v", tt.head, got, tt.want)
			}
		})
	}
}

func TestFormatNames(t *testing.T) {
	if (Format{}).Name() != "vpcflow" || (Format{}).Table() != "VPC_FLOW" {
		t.Errorf("name %q table %q", Format{}.Name(), Format{}.Table())
	}
}
