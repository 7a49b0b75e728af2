package securityhub

import (
	"net/netip"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// gdService prefixes the ProductFields that GuardDuty flattens its finding's service object
// into ("aws/guardduty/service/action/awsApiCallAction/api"; array elements as ".<i>_/").
const gdService = "aws/guardduty/service/"

// evidences builds a Detection Finding's evidences.
//
// The first is Security Lake's mapping of GuardDuty's ProductFields: the API call
// (awsApiCallAction, kubernetesApiCallAction) and its remote IP, the DNS request
// (dnsRequestAction's domainWithSuffix), the runtime process and target process, and
// additionalInfo/value as data.
//
// mcpwatch adds what Security Lake's mapping leaves in unmapped but detection correlates on:
// the full domain of a DNS request (Security Lake keeps only domainWithSuffix), the network
// connection (networkConnectionAction: remote and local address and port,
// protocol, direction) and every port probe (portProbeAction), each an evidence with its
// endpoints. A finding without GuardDuty ProductFields for them gets the same from the
// ASFF Action object, else from the (deprecated) Network object.
func (t *tree) evidences(m map[string]any, pf map[string]string) []ocsf.Evidence {
	get := func(k string) string {
		v, ok := pf[gdService+k]
		if ok && v != "" {
			t.use("ProductFields." + gdService + k)
		}
		return v
	}
	var out []ocsf.Evidence

	// Security Lake's evidence.
	var e ocsf.Evidence
	e.Actor.Process = t.gdProcess(pf, "runtimeDetails/process/")
	e.Process = t.gdProcess(pf, "runtimeDetails/context/targetProcess/")
	e.API.Operation = get("action/awsApiCallAction/api")
	if e.API.Operation == "" {
		e.API.Operation = get("action/kubernetesApiCallAction/verb")
	}
	e.API.Response.Error = get("action/awsApiCallAction/errorCode")
	e.API.Service.Name = get("action/awsApiCallAction/serviceName")
	e.SrcEndpoint.IP = ipOf(get("action/awsApiCallAction/remoteIpDetails/ipAddressV4"))
	if e.SrcEndpoint.IP == "" {
		e.SrcEndpoint.IP = ipOf(get("action/kubernetesApiCallAction/remoteIpDetails/ipAddressV4"))
	}
	if e.SrcEndpoint.IP == "" {
		e.SrcEndpoint.IP = ipOf(get("action/awsApiCallAction/remoteIpDetails/ipAddressV6"))
	}
	if d := pf[gdService+"action/dnsRequestAction/domainWithSuffix"]; validHostname(d) {
		e.Query.Hostname = get("action/dnsRequestAction/domainWithSuffix")
	} else if d := pf[gdService+"action/dnsRequestAction/domain"]; validHostname(d) {
		e.Query.Hostname = get("action/dnsRequestAction/domain")
	}
	if v, ok := pf[gdService+"additionalInfo/value"]; ok {
		t.use("ProductFields." + gdService + "additionalInfo/value")
		e.Data = v
	}
	if !reflect.ValueOf(e).IsZero() {
		out = append(out, e)
	}
	// The full domain queried, when Security Lake's evidence has only its registrable part.
	if d := pf[gdService+"action/dnsRequestAction/domain"]; validHostname(d) && d != e.Query.Hostname {
		t.use("ProductFields." + gdService + "action/dnsRequestAction/domain")
		var q ocsf.Evidence
		q.Query.Hostname = d
		out = append(out, q)
	}

	// mcpwatch's network evidences from ProductFields.
	network := false
	if ev, ok := t.gdConnection(pf); ok {
		out = append(out, ev)
		network = true
	}
	for _, ev := range t.gdPortProbes(pf) {
		out = append(out, ev)
		network = true
	}
	if !network {
		if evs := t.actionEvidences(m); len(evs) > 0 {
			out = append(out, evs...)
		} else if ev, ok := t.networkEvidence(m); ok {
			out = append(out, ev)
		}
	}
	return dedupe(out)
}

// evidenceKey is what makes two evidences the same for dedupe.
type evidenceKey struct {
	src, dst, host, op, data string
	srcPort, dstPort         int32
}

func keyOf(e *ocsf.Evidence) evidenceKey {
	k := evidenceKey{src: e.SrcEndpoint.IP, dst: e.DstEndpoint.IP, host: e.Query.Hostname, op: e.API.Operation, data: e.Data}
	if e.SrcEndpoint.Port != nil {
		k.srcPort = *e.SrcEndpoint.Port
	}
	if e.DstEndpoint.Port != nil {
		k.dstPort = *e.DstEndpoint.Port
	}
	return k
}

// dedupe drops repeated evidences (a port probed twice by the same address), keeping order.
func dedupe(in []ocsf.Evidence) []ocsf.Evidence {
	if len(in) < 2 {
		return in
	}
	seen := map[evidenceKey]bool{}
	out := in[:0]
	for _, e := range in {
		k := keyOf(&e)
		if seen[k] && e.Process == (ocsf.Process{}) && e.Actor == (ocsf.Actor{}) {
			continue
		}
		seen[k] = true
		out = append(out, e)
	}
	return out
}

// gdProcess maps a GuardDuty runtime process (ProductFields under prefix) to a process.
func (t *tree) gdProcess(pf map[string]string, prefix string) ocsf.Process {
	get := func(k string) string {
		v := pf[gdService+prefix+k]
		if v != "" {
			t.use("ProductFields." + gdService + prefix + k)
		}
		return v
	}
	p := ocsf.Process{Name: get("name"), UID: get("uuid")}
	if path := get("executablePath"); path != "" {
		p.File = ocsf.File{Name: path[strings.LastIndexByte(path, '/')+1:], Path: path, TypeID: 1}
		p.File.Type = "Regular File"
	}
	if s := pf[gdService+prefix+"pid"]; s != "" {
		if n, err := strconv.ParseInt(s, 10, 32); err == nil {
			p.PID = int32(n)
			t.use("ProductFields." + gdService + prefix + "pid")
		}
	}
	p.User.Name = get("user")
	p.User.UID = get("userId")
	return p
}

// protocolNums are the IANA numbers of the protocols GuardDuty and ASFF name.
var protocolNums = map[string]int32{"TCP": 6, "UDP": 17, "ICMP": 1, "ICMPV6": 58}

// connection builds an evidence of a connection between a remote and a local endpoint.
func connection(direction, protocol, remoteIP, localIP string, remotePort, localPort *int32) (ocsf.Evidence, bool) {
	// An endpoint is its address (and port); a port without an address stays unmapped, since
	// a network_endpoint needs an address or a name.
	var remote, local ocsf.NetworkEndpoint
	if remote.IP = ipOf(remoteIP); remote.IP != "" {
		remote.Port = remotePort
	}
	if local.IP = ipOf(localIP); local.IP != "" {
		local.Port = localPort
	}
	if remote.IP == "" && local.IP == "" {
		return ocsf.Evidence{}, false
	}
	var e ocsf.Evidence
	switch strings.ToUpper(direction) {
	case "INBOUND", "IN":
		e.SrcEndpoint, e.DstEndpoint = remote, local
		e.ConnectionInfo.Direction, e.ConnectionInfo.DirectionID = "Inbound", 1
	case "OUTBOUND", "OUT":
		e.SrcEndpoint, e.DstEndpoint = local, remote
		e.ConnectionInfo.Direction, e.ConnectionInfo.DirectionID = "Outbound", 2
	default:
		e.SrcEndpoint, e.DstEndpoint = remote, local
		e.ConnectionInfo.Direction = "Unknown"
	}
	e.ConnectionInfo.ProtocolNum = protocolNums[strings.ToUpper(protocol)]
	return e, true
}

// sides returns the remote and local endpoints of a connection evidence.
func sides(e *ocsf.Evidence, direction string) (remote, local *ocsf.NetworkEndpoint) {
	if d := strings.ToUpper(direction); d == "OUTBOUND" || d == "OUT" {
		return &e.DstEndpoint, &e.SrcEndpoint
	}
	return &e.SrcEndpoint, &e.DstEndpoint
}

// gdConnection maps GuardDuty's networkConnectionAction ProductFields.
func (t *tree) gdConnection(pf map[string]string) (ocsf.Evidence, bool) {
	const a = "action/networkConnectionAction/"
	if !hasPrefix(pf, gdService+a) {
		return ocsf.Evidence{}, false
	}
	use := func(keys ...string) {
		for _, k := range keys {
			if _, ok := pf[gdService+a+k]; ok {
				t.use("ProductFields." + gdService + a + k)
			}
		}
	}
	remote := or(pf[gdService+a+"remoteIpDetails/ipAddressV4"], pf[gdService+a+"remoteIpDetails/ipAddressV6"])
	local := or(pf[gdService+a+"localIpDetails/ipAddressV4"], pf[gdService+a+"localIpDetails/ipAddressV6"])
	e, ok := connection(pf[gdService+a+"connectionDirection"], pf[gdService+a+"protocol"], remote, local,
		port(pf[gdService+a+"remotePortDetails/port"]), port(pf[gdService+a+"localPortDetails/port"]))
	if ok {
		use("connectionDirection", "protocol")
		r, l := sides(&e, pf[gdService+a+"connectionDirection"])
		if r.IP != "" {
			use("remoteIpDetails/ipAddressV4", "remoteIpDetails/ipAddressV6")
			if r.Port != nil {
				use("remotePortDetails/port")
			}
		}
		if l.IP != "" {
			use("localIpDetails/ipAddressV4", "localIpDetails/ipAddressV6")
			if l.Port != nil {
				use("localPortDetails/port")
			}
		}
	}
	return e, ok
}

// gdPortProbes maps GuardDuty's portProbeAction ProductFields, one evidence per probe
// (portProbeDetails.<i>_/...).
func (t *tree) gdPortProbes(pf map[string]string) []ocsf.Evidence {
	const a = gdService + "action/portProbeAction/portProbeDetails."
	idx := map[int]bool{}
	for k := range pf {
		if rest, ok := strings.CutPrefix(k, a); ok {
			if i := strings.Index(rest, "_/"); i > 0 {
				if n, err := strconv.Atoi(rest[:i]); err == nil {
					idx[n] = true
				}
			}
		}
	}
	order := make([]int, 0, len(idx))
	for i := range idx {
		order = append(order, i)
	}
	sort.Ints(order)
	var out []ocsf.Evidence
	for _, i := range order {
		p := a + strconv.Itoa(i) + "_/"
		remote := or(pf[p+"remoteIpDetails/ipAddressV4"], pf[p+"remoteIpDetails/ipAddressV6"])
		local := or(pf[p+"localIpDetails/ipAddressV4"], pf[p+"localIpDetails/ipAddressV6"])
		e, ok := connection("INBOUND", "", remote, local, nil, port(pf[p+"localPortDetails/port"]))
		if !ok {
			continue
		}
		keys := []string{}
		if e.SrcEndpoint.IP != "" {
			keys = append(keys, "remoteIpDetails/ipAddressV4", "remoteIpDetails/ipAddressV6")
		}
		if e.DstEndpoint.IP != "" {
			keys = append(keys, "localIpDetails/ipAddressV4", "localIpDetails/ipAddressV6")
			if e.DstEndpoint.Port != nil {
				keys = append(keys, "localPortDetails/port")
			}
		}
		for _, k := range keys {
			if _, ok := pf[p+k]; ok {
				t.use("ProductFields." + p + k)
			}
		}
		out = append(out, e)
	}
	return out
}

func hasPrefix(m map[string]string, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// actionEvidences maps the ASFF Action object (network connection, API call, DNS request,
// port probes).
func (t *tree) actionEvidences(m map[string]any) []ocsf.Evidence {
	act := object(m, "Action")
	if act == nil {
		return nil
	}
	var out []ocsf.Evidence
	if nc := object(act, "NetworkConnectionAction"); nc != nil {
		const p = "Action.NetworkConnectionAction."
		e, ok := connection(str(nc, "ConnectionDirection"), str(nc, "Protocol"),
			or(str(nc, "RemoteIpDetails", "IpAddressV4"), str(nc, "RemoteIpDetails", "IpAddressV6")),
			or(str(nc, "LocalIpDetails", "IpAddressV4"), str(nc, "LocalIpDetails", "IpAddressV6")),
			portNum(lookup(nc, "RemotePortDetails", "Port")), portNum(lookup(nc, "LocalPortDetails", "Port")))
		if ok {
			keys := []string{"ConnectionDirection", "Protocol"}
			r, l := sides(&e, str(nc, "ConnectionDirection"))
			if r.IP != "" {
				keys = append(keys, "RemoteIpDetails.IpAddressV4", "RemoteIpDetails.IpAddressV6")
				if r.Port != nil {
					keys = append(keys, "RemotePortDetails.Port")
				}
			}
			if l.IP != "" {
				keys = append(keys, "LocalIpDetails.IpAddressV4", "LocalIpDetails.IpAddressV6")
				if l.Port != nil {
					keys = append(keys, "LocalPortDetails.Port")
				}
			}
			for _, k := range keys {
				if lookup(nc, strings.Split(k, ".")...) != nil {
					t.use(p + k)
				}
			}
			out = append(out, e)
		}
	}
	if api := object(act, "AwsApiCallAction"); api != nil {
		const p = "Action.AwsApiCallAction."
		var e ocsf.Evidence
		e.API.Operation = t.str(api, p, "Api")
		e.API.Service.Name = t.str(api, p, "ServiceName")
		if ip := ipOf(str(api, "RemoteIpDetails", "IpAddressV4")); ip != "" {
			e.SrcEndpoint.IP = ip
			t.use(p + "RemoteIpDetails.IpAddressV4")
		}
		if !reflect.ValueOf(e).IsZero() {
			out = append(out, e)
		}
	}
	if dns := object(act, "DnsRequestAction"); dns != nil {
		if d := str(dns, "Domain"); validHostname(d) {
			t.use("Action.DnsRequestAction.Domain")
			var e ocsf.Evidence
			e.Query.Hostname = d
			out = append(out, e)
		}
	}
	if pp := object(act, "PortProbeAction"); pp != nil {
		const p = "Action.PortProbeAction.PortProbeDetails[]."
		for _, d := range objects(pp, "PortProbeDetails") {
			e, ok := connection("INBOUND", "", str(d, "RemoteIpDetails", "IpAddressV4"), str(d, "LocalIpDetails", "IpAddressV4"),
				nil, portNum(lookup(d, "LocalPortDetails", "Port")))
			if ok {
				out = append(out, e)
				if e.SrcEndpoint.IP != "" {
					t.use(p + "RemoteIpDetails.IpAddressV4")
				}
				if e.DstEndpoint.IP != "" {
					t.use(p + "LocalIpDetails.IpAddressV4")
					if e.DstEndpoint.Port != nil {
						t.use(p + "LocalPortDetails.Port")
					}
				}
			}
		}
	}
	return out
}

// networkEvidence maps the deprecated ASFF Network object.
func (t *tree) networkEvidence(m map[string]any) (ocsf.Evidence, bool) {
	n := object(m, "Network")
	if n == nil {
		return ocsf.Evidence{}, false
	}
	var e ocsf.Evidence
	endpoint := func(prefix string) ocsf.NetworkEndpoint {
		ep := ocsf.NetworkEndpoint{IP: ipOf(or(str(n, prefix+"IpV4"), str(n, prefix+"IpV6")))}
		if d := str(n, prefix+"Domain"); validHostname(d) {
			ep.Hostname, ep.Domain = d, d
		}
		if ep.IP != "" || ep.Hostname != "" {
			ep.Port = portNum(n[prefix+"Port"])
		}
		return ep
	}
	e.SrcEndpoint, e.DstEndpoint = endpoint("Source"), endpoint("Destination")
	if e.SrcEndpoint.IP == "" && e.DstEndpoint.IP == "" && e.SrcEndpoint.Hostname == "" && e.DstEndpoint.Hostname == "" {
		return ocsf.Evidence{}, false
	}
	switch strings.ToUpper(str(n, "Direction")) {
	case "IN":
		e.ConnectionInfo.Direction, e.ConnectionInfo.DirectionID = "Inbound", 1
	case "OUT":
		e.ConnectionInfo.Direction, e.ConnectionInfo.DirectionID = "Outbound", 2
	}
	e.ConnectionInfo.ProtocolNum = protocolNums[strings.ToUpper(str(n, "Protocol"))]
	keys := []string{"Direction", "Protocol"}
	for prefix, ep := range map[string]*ocsf.NetworkEndpoint{"Source": &e.SrcEndpoint, "Destination": &e.DstEndpoint} {
		if ep.IP != "" {
			keys = append(keys, prefix+"IpV4", prefix+"IpV6")
		}
		if ep.Hostname != "" {
			keys = append(keys, prefix+"Domain")
		}
		if ep.Port != nil {
			keys = append(keys, prefix+"Port")
		}
	}
	for _, k := range keys {
		if n[k] != nil {
			t.use("Network." + k)
		}
	}
	return e, true
}

// str returns the string at keys of m, without marking it used.
func str(m map[string]any, keys ...string) string {
	s, _ := lookup(m, keys...).(string)
	return s
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// ipOf returns s when it is an IP address, "" otherwise (GuardDuty writes "" and sample
// placeholders where it has none).
func ipOf(s string) string {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return ""
	}
	return s
}

// port parses a port number written as text.
func port(s string) *int32 {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n < 0 || n > 65535 {
		return nil
	}
	p := int32(n)
	return &p
}

// portNum parses a port number written as a JSON number.
func portNum(v any) *int32 {
	switch v := v.(type) {
	case interface{ String() string }:
		return port(v.String())
	case string:
		return port(v)
	}
	return nil
}

// Observables lists the IP addresses, hostnames, process and user names of the evidences
// of ev and the uids of its resources, once each, as Security Lake populates them.
func Observables(ev *ocsf.ImportedFinding) []ocsf.Observable {
	var out []ocsf.Observable
	add := func(name string, typeID int32, value string) {
		if value == "" {
			return
		}
		o := ocsf.NewObservable(name, typeID, value)
		if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	for _, e := range ev.Evidences {
		add("evidences[].src_endpoint.ip", ocsf.ObservableIP, e.SrcEndpoint.IP)
		add("evidences[].dst_endpoint.ip", ocsf.ObservableIP, e.DstEndpoint.IP)
		add("evidences[].src_endpoint.hostname", ocsf.ObservableHostname, e.SrcEndpoint.Hostname)
		add("evidences[].dst_endpoint.hostname", ocsf.ObservableHostname, e.DstEndpoint.Hostname)
		add("evidences[].query.hostname", ocsf.ObservableHostname, e.Query.Hostname)
		add("evidences[].actor.process.name", ocsf.ObservableProcessName, e.Actor.Process.Name)
		add("evidences[].actor.process.user.name", ocsf.ObservableUserName, e.Actor.Process.User.Name)
		add("evidences[].process.name", ocsf.ObservableProcessName, e.Process.Name)
		add("evidences[].process.user.name", ocsf.ObservableUserName, e.Process.User.Name)
	}
	for _, r := range ev.Resources {
		add("resources[].uid", ocsf.ObservableResourceUID, r.UID)
	}
	add("resource.uid", ocsf.ObservableResourceUID, ev.Resource.UID)
	return out
}
