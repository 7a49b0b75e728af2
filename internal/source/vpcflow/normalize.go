package vpcflow

import (
	"math/bits"
	"net/netip"
	"strconv"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// The constants of every VPC Flow Logs event, as Security Lake writes them.
const (
	ProductName    = "Amazon VPC"
	ProductVendor  = "AWS"
	ProductFeature = "Flowlogs"
	CloudProvider  = "AWS"
)

// profiles is the metadata.profiles of every event. Events share it: it is never modified,
// and its capacity equals its length so that an append by a consumer copies it.
var profiles = []string{"cloud", "security_control", "datetime"}[:3:3]

// classification holds the classification attributes of one Network Activity activity,
// computed once with ocsf.Base.Classify so that they agree with the ocsf package.
type classification struct {
	activityID   int32
	activityName string
	typeUID      int64
	typeName     string
}

// Network Activity activity ids used by flow logs.
const (
	activityUnknown = 0
	activityRefuse  = 5
	activityTraffic = 6
	activityOther   = 99
)

// activities lists the activity ids flow logs map to; classifications holds their
// classification attributes in the same order. Neither is modified after initialization.
var (
	activities      = [...]int32{activityUnknown, activityRefuse, activityTraffic, activityOther}
	classifications = func() (cs [len(activities)]classification) {
		for i, id := range activities {
			var b ocsf.Base
			b.Classify(ocsf.ClassNetworkActivity, id)
			cs[i] = classification{b.ActivityID, b.ActivityName, b.TypeUID, b.TypeName}
		}
		return cs
	}()
)

var (
	// eventTemplate holds what every event has: classification (of activity Unknown),
	// severity, metadata but the product version, and the cloud provider. It is never
	// modified; NormalizeInto starts each event as a copy of it.
	eventTemplate = func() (ev ocsf.NetworkActivity) {
		ev.Classify(ocsf.ClassNetworkActivity, activityUnknown)
		ev.SetSeverity(ocsf.SeverityInformational)
		ev.Metadata = ocsf.Metadata{Version: ocsf.Version, Profiles: profiles,
			Product: ocsf.Product{Name: ProductName, VendorName: ProductVendor, Feature: ocsf.Feature{Name: ProductFeature}}}
		ev.Cloud.Provider = CloudProvider
		return ev
	}()
	ipType  = ocsf.NewObservable("", ocsf.ObservableIP, "").Type
	uidType = ocsf.NewObservable("", ocsf.ObservableResourceUID, "").Type
)

// Security control captions (action_id and disposition_id).
const (
	actionUnknown = 0
	actionAllowed = 1
	actionDenied  = 2

	dispositionAllowed = 1
	dispositionBlocked = 2
	dispositionOther   = 99
)

var actionNames = [...]string{actionUnknown: "Unknown", actionAllowed: "Allowed", actionDenied: "Denied"}

// boundaries maps traffic-path (1 to 8) to connection_info.boundary_id (traffic-path + 3)
// and its OCSF 1.1.0 caption; index 0 is unused.
var boundaries = [...]string{
	1: "Same VPC",
	2: "Internet/VPC Gateway",
	3: "Virtual Private Gateway",
	4: "Intra-region VPC",
	5: "Inter-region VPC",
	6: "Local Gateway",
	7: "Gateway VPC",
	8: "Internet Gateway",
}

// Direction ids (connection_info.direction_id).
const (
	directionUnknown  = 0
	directionInbound  = 1
	directionOutbound = 2
	directionOther    = 99
)

// unmappedFields are the fields with no OCSF attribute, which go to unmapped under their
// column names, in this order.
var unmappedFields = [...]Field{
	FieldSublocationType, FieldSublocationID,
	FieldECSClusterARN, FieldECSClusterName, FieldECSContainerInstanceARN,
	FieldECSContainerInstanceID, FieldECSContainerID, FieldECSSecondContainerID,
	FieldECSServiceName, FieldECSTaskDefinitionARN, FieldECSTaskARN, FieldECSTaskID,
	FieldRejectReason,
}

var unmappedSet = FieldSetOf(unmappedFields[:]...)

// defaultSlabLen is how many entries a fresh slab of ports, observables or addresses has.
const defaultSlabLen = 1024

// Normalizer maps flow log records to OCSF 1.1.0 Network Activity events exactly as Amazon
// Security Lake does (see the package documentation for the mapping).
//
// The pointers and slices of the events it produces (ports, TCP flags, intermediate IPs,
// observables) are carved from slabs that it allocates fresh and never reuses, so that
// events stay valid after the normalizer moves on; unmapped maps are shared between
// consecutive events with equal contents. Events must therefore be treated as read-only.
// Their strings are the record's: for a parsed record, substrings of its line. (Interning
// the low-cardinality ones would not free the line, which addresses and interface ids
// keep, and measured at a tenth of the normalization time.)
// The zero value is ready to use; a Normalizer is not safe for concurrent use.
type Normalizer struct {
	// Region and Account are used when a record lacks region or account-id (the default
	// format has no region). Either may be "".
	Region  string
	Account string

	slabLen int // 0 means defaultSlabLen

	ints  []int32
	obs   []ocsf.Observable
	addrs []string

	// The unmapped map of the last event that had one, its fields and their values.
	lastUnmapped    map[string]string
	lastUnmappedSet FieldSet
	lastUnmappedVal [numFields]string
}

// NormalizeError is why a record could not be normalized.
type NormalizeError struct {
	Field  Field
	Value  string
	Reason string
}

// Error implements error.
func (e *NormalizeError) Error() string {
	if e.Value == "" {
		return e.Reason
	}
	return e.Field.Name() + ": " + e.Reason + ": " + strconv.Quote(e.Value)
}

// errNoTime is the error for a record with neither start nor end.
var errNoTime = &NormalizeError{Reason: "record has neither start nor end time"}

// Normalize maps r to a new OCSF Network Activity event (see Normalizer). It fails when an
// address is not an IP address or the record has no time.
func Normalize(r *Record) (*ocsf.NetworkActivity, error) {
	n := Normalizer{slabLen: 8}
	ev := new(ocsf.NetworkActivity)
	if err := n.NormalizeInto(ev, r); err != nil {
		return nil, err
	}
	return ev, nil
}

// NormalizeInto overwrites ev with the OCSF Network Activity event of r. It fails, leaving
// ev unspecified, when an address of r is not an IP address or r has neither start nor
// end time.
func (n *Normalizer) NormalizeInto(ev *ocsf.NetworkActivity, r *Record) error {
	return n.normalize(ev, r, false)
}

// normalize is NormalizeInto. When reuse is true, ev must hold the event of the previous
// call, unmodified: then only the attributes that vary between records are reset, which
// spares rewriting (and, while the garbage collector marks, shading) every pointer of the
// event.
func (n *Normalizer) normalize(ev *ocsf.NetworkActivity, r *Record, reuse bool) error {
	if r.Has(FieldSrcAddr) {
		if err := checkIP(FieldSrcAddr, r.str[FieldSrcAddr]); err != nil {
			return err
		}
	}
	if r.Has(FieldDstAddr) {
		if err := checkIP(FieldDstAddr, r.str[FieldDstAddr]); err != nil {
			return err
		}
	}
	if r.Has(FieldPktSrcAddr) && (r.str[FieldPktSrcAddr] != r.str[FieldSrcAddr] || !r.Has(FieldSrcAddr)) {
		if err := checkIP(FieldPktSrcAddr, r.str[FieldPktSrcAddr]); err != nil {
			return err
		}
	}
	if r.Has(FieldPktDstAddr) && (r.str[FieldPktDstAddr] != r.str[FieldDstAddr] || !r.Has(FieldDstAddr)) {
		if err := checkIP(FieldPktDstAddr, r.str[FieldPktDstAddr]); err != nil {
			return err
		}
	}
	var t int64
	switch {
	case r.Has(FieldStart):
		t = r.num[FieldStart]
	case r.Has(FieldEnd):
		t = r.num[FieldEnd]
	default:
		return errNoTime
	}

	if reuse {
		// What is not reset here is either constant (from eventTemplate) or set below on
		// every path.
		ev.Disposition, ev.DispositionID = "", 0
		ev.Metadata.Product.Version = ""
		ev.StartTime, ev.StartTimeDT, ev.EndTime, ev.EndTimeDT = 0, time.Time{}, 0, time.Time{}
		ev.Cloud.Zone = ""
		ev.SrcEndpoint, ev.DstEndpoint = ocsf.NetworkEndpoint{}, ocsf.NetworkEndpoint{}
		ev.ConnectionInfo = ocsf.NetworkConnectionInfo{}
		ev.Traffic = ocsf.NetworkTraffic{}
		ev.StatusCode = ""
	} else {
		*ev = eventTemplate
	}

	// Activity, disposition and action from action.
	activity := 0 // index in activities
	actionID := int32(actionUnknown)
	switch {
	case !r.Fields.Has(FieldAction):
	case r.Dash.Has(FieldAction):
		ev.Disposition, ev.DispositionID = "-", dispositionOther
	case r.str[FieldAction] == "ACCEPT":
		activity, actionID = 2, actionAllowed
		ev.Disposition, ev.DispositionID = "Allowed", dispositionAllowed
	case r.str[FieldAction] == "REJECT":
		activity, actionID = 1, actionDenied
		ev.Disposition, ev.DispositionID = "Blocked", dispositionBlocked
	default:
		activity = 3
		ev.Disposition, ev.DispositionID = r.str[FieldAction], dispositionOther
	}
	c := classifications[activity]
	ev.ActivityID, ev.ActivityName, ev.TypeUID, ev.TypeName = c.activityID, c.activityName, c.typeUID, c.typeName
	ev.ActionID, ev.Action = actionID, actionNames[actionID]

	// Metadata: the constants are in eventTemplate.
	if r.Has(FieldVersion) {
		ev.Metadata.Product.Version = r.str[FieldVersion]
	}

	// Times: time is start, in milliseconds; end when start is "-".
	ev.Time = t * 1000
	ev.TimeDT = time.Unix(t, 0).UTC()
	if r.Has(FieldStart) {
		ev.StartTime, ev.StartTimeDT = ev.Time, ev.TimeDT
	}
	if r.Has(FieldEnd) {
		ev.EndTime = r.num[FieldEnd] * 1000
		ev.EndTimeDT = time.Unix(r.num[FieldEnd], 0).UTC()
	}

	// Cloud (provider is in eventTemplate).
	ev.Cloud.Account.UID = n.Account
	if r.Has(FieldAccountID) {
		ev.Cloud.Account.UID = r.str[FieldAccountID]
	}
	ev.Cloud.Region = n.Region
	if r.Has(FieldRegion) {
		ev.Cloud.Region = r.str[FieldRegion]
	}
	if r.Has(FieldAZID) {
		ev.Cloud.Zone = r.str[FieldAZID]
	}

	// Endpoints: the packet-level address when it differs, the interface's one kept aside.
	n.setIP(&ev.SrcEndpoint, r, FieldSrcAddr, FieldPktSrcAddr)
	n.setIP(&ev.DstEndpoint, r, FieldDstAddr, FieldPktDstAddr)
	if r.Has(FieldSrcPort) {
		ev.SrcEndpoint.Port = n.int32p(int32(r.num[FieldSrcPort]))
	}
	if r.Has(FieldDstPort) {
		ev.DstEndpoint.Port = n.int32p(int32(r.num[FieldDstPort]))
	}
	if r.Fields.Has(FieldPktSrcAWSService) {
		ev.SrcEndpoint.SvcName = r.str[FieldPktSrcAWSService]
	}
	if r.Fields.Has(FieldPktDstAWSService) {
		ev.DstEndpoint.SvcName = r.str[FieldPktDstAWSService]
	}
	// The interface is the destination of ingress traffic and the source otherwise.
	local := &ev.SrcEndpoint
	if r.Has(FieldFlowDirection) && r.str[FieldFlowDirection] == "ingress" {
		local = &ev.DstEndpoint
	}
	if r.Has(FieldInterfaceID) {
		local.InterfaceUID = r.str[FieldInterfaceID]
	}
	if r.Has(FieldVPCID) {
		local.VPCUID = r.str[FieldVPCID]
	}
	if r.Has(FieldInstanceID) {
		local.InstanceUID = r.str[FieldInstanceID]
	}
	if r.Has(FieldSubnetID) {
		local.SubnetUID = r.str[FieldSubnetID]
	}
	// src_endpoint and dst_endpoint are required and a network_endpoint needs one of ip,
	// svc_name, instance_uid, interface_uid...: an endpoint the record says nothing about
	// gets the svc_name "-" that AWS writes for it when pkt-*-aws-service is "-".
	for _, ep := range [...]*ocsf.NetworkEndpoint{&ev.SrcEndpoint, &ev.DstEndpoint} {
		if ep.IP == "" && ep.SvcName == "" && ep.InstanceUID == "" && ep.InterfaceUID == "" {
			ep.SvcName = "-"
		}
	}

	// Connection info.
	ci := &ev.ConnectionInfo
	if r.Has(FieldProtocol) {
		ci.ProtocolNum = int32(r.num[FieldProtocol])
	}
	if r.Fields.Has(FieldType) {
		ci.ProtocolVer = r.str[FieldType]
	}
	if r.Has(FieldTCPFlags) {
		ci.TCPFlags = n.int32p(int32(r.num[FieldTCPFlags]))
	}
	switch p := r.num[FieldTrafficPath]; {
	case !r.Has(FieldTrafficPath):
		ci.BoundaryID, ci.Boundary = 99, "-"
	case p >= 1 && p < int64(len(boundaries)):
		ci.BoundaryID, ci.Boundary = int32(p)+3, boundaries[p]
	default:
		ci.BoundaryID, ci.Boundary = 99, strconv.FormatInt(p, 10)
	}
	switch {
	case !r.Fields.Has(FieldFlowDirection):
		ci.DirectionID, ci.Direction = directionUnknown, "Unknown"
	case r.str[FieldFlowDirection] == "ingress":
		ci.DirectionID, ci.Direction = directionInbound, "Inbound"
	case r.str[FieldFlowDirection] == "egress":
		ci.DirectionID, ci.Direction = directionOutbound, "Outbound"
	case r.Dash.Has(FieldFlowDirection):
		ci.DirectionID, ci.Direction = directionOther, "-"
	default:
		ci.DirectionID, ci.Direction = directionOther, r.str[FieldFlowDirection]
	}

	if r.Has(FieldPackets) {
		ev.Traffic.Packets = r.num[FieldPackets]
	}
	if r.Has(FieldBytes) {
		ev.Traffic.Bytes = r.num[FieldBytes]
	}
	if r.Has(FieldLogStatus) {
		ev.StatusCode = r.str[FieldLogStatus]
	}

	ev.Observables = n.observables(ev)
	ev.Unmapped = n.unmapped(r)
	return nil
}

// checkIP fails unless s is an IPv4 or IPv6 address without zone.
func checkIP(f Field, s string) error {
	if isIPv4(s) {
		return nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return &NormalizeError{Field: f, Value: shorten(s), Reason: "not an IP address"}
	}
	return nil
}

// isIPv4 reports whether s is a dotted-quad IPv4 address as netip.ParseAddr accepts it
// (four decimal octets up to 255, no leading zeros). It is a fast path: a false result is
// confirmed by netip.ParseAddr.
func isIPv4(s string) bool {
	if len(s) < len("0.0.0.0") || len(s) > len("255.255.255.255") {
		return false
	}
	i := 0
	for octet := 0; octet < 4; octet++ {
		if octet > 0 {
			if i >= len(s) || s[i] != '.' {
				return false
			}
			i++
		}
		if i >= len(s) {
			return false
		}
		d0 := s[i] - '0'
		if d0 > 9 {
			return false
		}
		i++
		if i < len(s) && s[i]-'0' <= 9 {
			if d0 == 0 { // a leading zero
				return false
			}
			v := uint(d0)*10 + uint(s[i]-'0')
			i++
			if i < len(s) && s[i]-'0' <= 9 {
				if v = v*10 + uint(s[i]-'0'); v > 255 {
					return false
				}
				i++
			}
		}
	}
	return i == len(s)
}

func shorten(s string) string {
	if len(s) > maxQuotedValue {
		return s[:maxQuotedValue] + "..."
	}
	return s
}

// setIP sets ep.ip from the interface address (addr) and the packet address (pkt): the
// packet address when it is there and differs, with the interface address in
// intermediate_ips; the interface address otherwise.
func (n *Normalizer) setIP(ep *ocsf.NetworkEndpoint, r *Record, addr, pkt Field) {
	a, p := "", ""
	if r.Has(addr) {
		a = r.str[addr]
	}
	if r.Has(pkt) {
		p = r.str[pkt]
	}
	switch {
	case p == "" || p == a:
		ep.IP = a
	case a == "":
		ep.IP = p
	default:
		ep.IP = p
		ep.IntermediateIPs = n.addr(a)
	}
}

// observables lists the IP addresses and instance ids of ev's endpoints: destination first,
// then source, as Security Lake orders them.
func (n *Normalizer) observables(ev *ocsf.NetworkActivity) []ocsf.Observable {
	count := 0
	for _, ep := range [...]*ocsf.NetworkEndpoint{&ev.DstEndpoint, &ev.SrcEndpoint} {
		if ep.IP != "" {
			count++
		}
		count += len(ep.IntermediateIPs)
		if ep.InstanceUID != "" {
			count++
		}
	}
	if count == 0 {
		return nil
	}
	obs := n.observableSlice(count)
	i := 0
	add := func(name, typ string, typeID int32, value string) {
		obs[i] = ocsf.Observable{Name: name, Type: typ, TypeID: typeID, Value: value}
		i++
	}
	for _, side := range [...]struct {
		ep                     *ocsf.NetworkEndpoint
		ip, intermediate, inst string
	}{
		{&ev.DstEndpoint, "dst_endpoint.ip", "dst_endpoint.intermediate_ips", "dst_endpoint.instance_uid"},
		{&ev.SrcEndpoint, "src_endpoint.ip", "src_endpoint.intermediate_ips", "src_endpoint.instance_uid"},
	} {
		if side.ep.IP != "" {
			add(side.ip, ipType, ocsf.ObservableIP, side.ep.IP)
		}
		for _, ip := range side.ep.IntermediateIPs {
			add(side.intermediate, ipType, ocsf.ObservableIP, ip)
		}
		if side.ep.InstanceUID != "" {
			add(side.inst, uidType, ocsf.ObservableResourceUID, side.ep.InstanceUID)
		}
	}
	return obs
}

// unmapped returns the unmapped attributes of r: its fields without an OCSF attribute that
// its input carries with a value, under their column names. It returns the previous record's
// map when the contents are equal.
//
// Security Lake also copies absent values ("-") into unmapped. mcpwatch leaves them out: they
// say nothing, and writing a Parquet map for every row that has them costs about a sixth of
// the encoding time of a record (the default-format records, which have no unmapped field,
// ingest a third faster than version 5 records with their two "-" sublocation fields).
func (n *Normalizer) unmapped(r *Record) map[string]string {
	set := r.Fields & unmappedSet &^ r.Dash
	if set == 0 {
		return nil
	}
	if set == n.lastUnmappedSet {
		same := true
		for fs := set; fs != 0; fs &= fs - 1 {
			f := Field(bits.TrailingZeros64(uint64(fs)))
			if r.str[f] != n.lastUnmappedVal[f] {
				same = false
				break
			}
		}
		if same {
			return n.lastUnmapped
		}
	}
	m := make(map[string]string, bits.OnesCount64(uint64(set)))
	for fs := set; fs != 0; fs &= fs - 1 {
		f := Field(bits.TrailingZeros64(uint64(fs)))
		m[f.Column()] = r.str[f]
		n.lastUnmappedVal[f] = r.str[f]
	}
	n.lastUnmapped, n.lastUnmappedSet = m, set
	return m
}

func (n *Normalizer) slabSize() int {
	if n.slabLen > 0 {
		return n.slabLen
	}
	return defaultSlabLen
}

// int32p returns a pointer to a fresh int32 holding v.
func (n *Normalizer) int32p(v int32) *int32 {
	if len(n.ints) == 0 {
		n.ints = make([]int32, n.slabSize())
	}
	p := &n.ints[0]
	*p = v
	n.ints = n.ints[1:]
	return p
}

// addr returns a fresh one-element slice holding a.
func (n *Normalizer) addr(a string) []string {
	if len(n.addrs) == 0 {
		n.addrs = make([]string, n.slabSize())
	}
	s := n.addrs[:1:1]
	s[0] = a
	n.addrs = n.addrs[1:]
	return s
}

// observableSlice returns a fresh slice of k observables.
func (n *Normalizer) observableSlice(k int) []ocsf.Observable {
	if len(n.obs) < k {
		n.obs = make([]ocsf.Observable, max(n.slabSize(), k))
	}
	s := n.obs[:k:k]
	n.obs = n.obs[k:]
	return s
}
