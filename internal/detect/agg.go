package detect

import (
	"cmp"
	"math"

	"github.com/mcpwatch/mcpwatch/internal/intel"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// maxResources is how many distinct instances or interfaces an aggregate remembers.
const maxResources = 4

// agg is the state of one rule and entity: counters, the flagging facts, and a few example
// flows. Everything in it is bounded.
type agg struct {
	region              string
	first, last         int64 // epoch ms of the earliest start and latest end
	flows               int64
	accepted, rejected  int64
	bytes, packets      int64
	intel               intel.Entry
	hasIntel            bool
	port                uint16 // exfiltration: the candidate port the destination served (lowest seen)
	resources           []resource
	evidences           []flowEvidence
	resourcesOverflowed bool
}

// resource is an EC2 instance and/or network interface seen on the internal side.
type resource struct{ instance, iface string }

// endpoint is a copy of what a finding needs of a flow's network endpoint.
type endpoint struct {
	ip                        string
	port                      int32 // -1 when absent
	instance, iface, vpc, sub string
	svc                       string
}

// flowEvidence is a copy of what a finding needs of one flow record.
type flowEvidence struct {
	ref                 Ref
	account, region     string
	time, start, end    int64
	src, dst            endpoint
	protoNum            int32
	protoVer            string
	tcpFlags            int32 // -1 when absent
	direction, boundary string
	directionID         int32
	boundaryID          int32
	bytes, packets      int64
	actionID            int32
	action              string
}

// makeEvidence copies a flow record. Strings are shared with the event (they are immutable);
// pointers are dereferenced.
func makeEvidence(na *ocsf.NetworkActivity, ref Ref) flowEvidence {
	ep := func(e *ocsf.NetworkEndpoint) endpoint {
		return endpoint{ip: e.IP, port: derefOr(e.Port, -1), instance: e.InstanceUID, iface: e.InterfaceUID,
			vpc: e.VPCUID, sub: e.SubnetUID, svc: e.SvcName}
	}
	ci := &na.ConnectionInfo
	return flowEvidence{
		ref: ref, account: na.Cloud.Account.UID, region: na.Cloud.Region,
		time: na.Time, start: na.StartTime, end: na.EndTime,
		src: ep(&na.SrcEndpoint), dst: ep(&na.DstEndpoint),
		protoNum: ci.ProtocolNum, protoVer: ci.ProtocolVer, tcpFlags: derefOr(ci.TCPFlags, -1),
		direction: ci.Direction, directionID: ci.DirectionID, boundary: ci.Boundary, boundaryID: ci.BoundaryID,
		bytes: na.Traffic.Bytes, packets: na.Traffic.Packets,
		actionID: na.ActionID, action: na.Action,
	}
}

// span returns the earliest and latest instants (epoch ms) of a flow record.
func (f *flowEvidence) span() (first, last int64) {
	first, last = f.start, f.end
	if first == 0 {
		first = f.time
	}
	if last == 0 {
		last = max(f.time, first)
	}
	return first, last
}

// compareEvidence orders flows most recent first, then by input, position and endpoints, so
// that the example flows kept do not depend on the order flows arrive in.
func compareEvidence(a, b *flowEvidence) int {
	if c := cmp.Compare(b.time, a.time); c != 0 {
		return c
	}
	if c := cmp.Compare(a.ref.Input, b.ref.Input); c != 0 {
		return c
	}
	if c := cmp.Compare(a.ref.Pos, b.ref.Pos); c != 0 {
		return c
	}
	if c := cmp.Compare(a.src.ip, b.src.ip); c != 0 {
		return c
	}
	if c := cmp.Compare(a.dst.ip, b.dst.ip); c != 0 {
		return c
	}
	if c := cmp.Compare(a.src.port, b.src.port); c != 0 {
		return c
	}
	if c := cmp.Compare(a.dst.port, b.dst.port); c != 0 {
		return c
	}
	return cmp.Compare(b.bytes, a.bytes)
}

// add counts a flow and keeps it as an example if it is among the n most recent.
func (g *agg) add(f *flowEvidence, accepted bool, n int) {
	first, last := f.span()
	if g.flows == 0 || first < g.first {
		g.first = first
	}
	g.last = max(g.last, last)
	g.flows++
	if accepted {
		g.accepted++
	} else {
		g.rejected++
	}
	g.bytes = satAdd(g.bytes, f.bytes)
	g.packets = satAdd(g.packets, f.packets)
	if f.region != "" && (g.region == "" || f.region < g.region) {
		g.region = f.region
	}
	if len(g.evidences) < n {
		g.evidences = append(g.evidences, *f)
		return
	}
	// Replace the oldest kept example if f is more recent.
	oldest := 0
	for i := 1; i < len(g.evidences); i++ {
		if compareEvidence(&g.evidences[i], &g.evidences[oldest]) > 0 {
			oldest = i
		}
	}
	if compareEvidence(f, &g.evidences[oldest]) < 0 {
		g.evidences[oldest] = *f
	}
}

// noteIntel records the indicator that matched; the most specific (then first loaded) wins so
// that the choice does not depend on flow order.
func (g *agg) noteIntel(e intel.Entry) {
	if !g.hasIntel || e.Prefix.Bits() > g.intel.Prefix.Bits() ||
		e.Prefix.Bits() == g.intel.Prefix.Bits() && (e.Source < g.intel.Source || e.Source == g.intel.Source && e.Line < g.intel.Line) {
		g.intel, g.hasIntel = e, true
	}
}

// notePort records a candidate port the destination served (the lowest).
func (g *agg) notePort(p uint16) {
	if g.port == 0 || p < g.port {
		g.port = p
	}
}

// addResource remembers the instance or interface of an endpoint, keeping the maxResources
// smallest ids so that the choice does not depend on flow order.
func (g *agg) addResource(e *endpoint) {
	if e.instance == "" && e.iface == "" {
		return
	}
	r := resource{e.instance, e.iface}
	less := func(a, b resource) bool {
		return a.instance < b.instance || a.instance == b.instance && a.iface < b.iface
	}
	i := 0
	for i < len(g.resources) && less(g.resources[i], r) {
		i++
	}
	if i < len(g.resources) && g.resources[i] == r {
		return
	}
	if i == maxResources {
		g.resourcesOverflowed = true
		return
	}
	if len(g.resources) == maxResources {
		g.resources = g.resources[:maxResources-1]
		g.resourcesOverflowed = true
	}
	g.resources = append(g.resources, resource{})
	copy(g.resources[i+1:], g.resources[i:])
	g.resources[i] = r
}

// satAdd adds non-negative counters without overflowing.
func satAdd(a, b int64) int64 {
	if b <= 0 {
		return a
	}
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
