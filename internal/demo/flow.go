package demo

import (
	"net/netip"
	"strconv"
)

// record is one flow-log record: the traffic of one direction of one connection seen at one
// network interface during one aggregation interval.
type record struct {
	inst             *Instance // the interface that captured the record; nil for NODATA of unused ENIs
	src, dst         netip.Addr
	srcPort, dstPort int
	proto            int
	packets, bytes   int64
	start, end       int64 // unix seconds
	action           string
	status           string // OK, NODATA, SKIPDATA
	egress           bool
	tcpFlags         int
	trafficPath      int // 0 when not applicable
	srcSvc, dstSvc   string
	ecsCluster       string
	ecsTask          string
	rejectReason     string
}

// Protocol numbers used by the generator.
const (
	protoICMP = 1
	protoTCP  = 6
	protoUDP  = 17
)

// appendField appends the value of one flow-log field of r, as AWS writes it ("-" when
// absent), to b.
func (r *record) appendField(b []byte, field string, vpc *VPC) []byte {
	ok := r.status == "OK"
	switch field {
	case "version":
		return append(b, versionOf(vpc.Format)...)
	case "account-id":
		return append(b, vpc.Account.ID...)
	case "interface-id":
		if r.inst == nil {
			return append(b, '-')
		}
		return append(b, r.inst.ENI...)
	case "srcaddr", "pkt-srcaddr":
		if !ok {
			return append(b, '-')
		}
		return r.src.AppendTo(b)
	case "dstaddr", "pkt-dstaddr":
		if !ok {
			return append(b, '-')
		}
		return r.dst.AppendTo(b)
	case "srcport":
		return appendIntOK(b, ok, int64(r.srcPort))
	case "dstport":
		return appendIntOK(b, ok, int64(r.dstPort))
	case "protocol":
		return appendIntOK(b, ok, int64(r.proto))
	case "packets":
		return appendIntOK(b, ok, r.packets)
	case "bytes":
		return appendIntOK(b, ok, r.bytes)
	case "start":
		return strconv.AppendInt(b, r.start, 10)
	case "end":
		return strconv.AppendInt(b, r.end, 10)
	case "action":
		if !ok {
			return append(b, '-')
		}
		return append(b, r.action...)
	case "log-status":
		return append(b, r.status...)
	case "vpc-id":
		return append(b, vpc.ID...)
	case "subnet-id":
		if r.inst == nil {
			return append(b, vpc.Subnets[0].ID...)
		}
		return append(b, r.inst.Subnet.ID...)
	case "instance-id":
		if r.inst == nil {
			return append(b, '-')
		}
		return append(b, r.inst.ID...)
	case "tcp-flags":
		return appendIntOK(b, ok, int64(r.tcpFlags))
	case "type":
		if !ok {
			return append(b, '-')
		}
		if r.src.Is6() {
			return append(b, "IPv6"...)
		}
		return append(b, "IPv4"...)
	case "region":
		return append(b, vpc.Region...)
	case "az-id":
		if r.inst == nil {
			return append(b, vpc.Subnets[0].AZID...)
		}
		return append(b, r.inst.Subnet.AZID...)
	case "pkt-src-aws-service":
		return appendStr(b, r.srcSvc)
	case "pkt-dst-aws-service":
		return appendStr(b, r.dstSvc)
	case "flow-direction":
		if !ok {
			return append(b, '-')
		}
		if r.egress {
			return append(b, "egress"...)
		}
		return append(b, "ingress"...)
	case "traffic-path":
		if !ok || !r.egress || r.trafficPath == 0 {
			return append(b, '-')
		}
		return strconv.AppendInt(b, int64(r.trafficPath), 10)
	case "ecs-cluster-name":
		return appendStr(b, r.ecsCluster)
	case "ecs-task-id":
		return appendStr(b, r.ecsTask)
	case "reject-reason":
		return appendStr(b, r.rejectReason)
	default: // sublocation-type, sublocation-id and other fields the generator leaves absent
		return append(b, '-')
	}
}

func appendIntOK(b []byte, ok bool, v int64) []byte {
	if !ok {
		return append(b, '-')
	}
	return strconv.AppendInt(b, v, 10)
}

func appendStr(b []byte, s string) []byte {
	if s == "" {
		return append(b, '-')
	}
	return append(b, s...)
}

// versionOf is the flow-log version a format needs: the highest version among its fields.
func versionOf(format []string) string {
	v := 2
	for _, f := range format {
		switch f {
		case "vpc-id", "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr":
			v = max(v, 3)
		case "region", "az-id", "sublocation-type", "sublocation-id":
			v = max(v, 4)
		case "pkt-src-aws-service", "pkt-dst-aws-service", "flow-direction", "traffic-path":
			v = max(v, 5)
		case "ecs-cluster-name", "ecs-task-id", "ecs-cluster-arn", "ecs-container-instance-arn",
			"ecs-container-instance-id", "ecs-container-id", "ecs-second-container-id",
			"ecs-service-name", "ecs-task-definition-arn", "ecs-task-arn":
			v = max(v, 7)
		case "reject-reason":
			v = max(v, 8)
		}
	}
	return strconv.Itoa(v)
}
