package route53

import (
	"errors"
	"strconv"
	"unsafe"

	"github.com/mcpwatch/mcpwatch/internal/ipaddr"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/source/jsonscan"
)

// The constants of every Route 53 Resolver query log event, as Security Lake writes them.
const (
	ProductName    = "Route 53"
	ProductVendor  = "AWS"
	ProductFeature = "Resolver Query Logs"
	CloudProvider  = "AWS"
)

// profiles is the metadata.profiles of every event. Events share it: it is never modified,
// and its capacity equals its length so that an append by a consumer copies it.
var profiles = []string{"cloud", "security_control", "datetime"}[:3:3]

// activityTraffic is the activity of every event: Security Lake's 1.1.0 mapping makes each
// record, a query with its response, DNS Activity: Traffic.
const activityTraffic = 6

// Security control ids (action_id and disposition_id).
const (
	actionUnknown = 0
	actionAllowed = 1
	actionDenied  = 2

	dispositionAllowed = 1
	dispositionBlocked = 2
	dispositionAlert   = 19
	dispositionOther   = 99
)

var actionNames = [...]string{actionUnknown: "Unknown", actionAllowed: "Allowed", actionDenied: "Denied"}

// firewallActions maps firewall_rule_action to action_id, disposition_id and its caption.
var firewallActions = map[string]struct {
	action, disposition int32
	caption             string
}{
	"ALLOW": {actionAllowed, dispositionAllowed, "Allowed"},
	"BLOCK": {actionDenied, dispositionBlocked, "Blocked"},
	"ALERT": {actionAllowed, dispositionAlert, "Alert"},
}

// rcodes maps the DNS response codes Resolver writes (RFC 6895 mnemonics) to rcode_id and
// its OCSF caption.
var rcodes = map[string]struct {
	id      int32
	caption string
}{
	"NOERROR": {0, "NoError"}, "FORMERR": {1, "FormError"}, "SERVFAIL": {2, "ServError"}, "NXDOMAIN": {3, "NXDomain"},
	"NOTIMP": {4, "NotImp"}, "REFUSED": {5, "Refused"}, "YXDOMAIN": {6, "YXDomain"}, "YXRRSET": {7, "YXRRSet"},
	"NXRRSET": {8, "NXRRSet"}, "NOTAUTH": {9, "NotAuth"}, "NOTZONE": {10, "NotZone"}, "DSOTYPENI": {11, "DSOTYPENI"},
	"BADVERS": {16, "BADSIG_VERS"}, "BADSIG": {16, "BADSIG_VERS"}, "BADKEY": {17, "BADKEY"}, "BADTIME": {18, "BADTIME"},
	"BADMODE": {19, "BADMODE"}, "BADNAME": {20, "BADNAME"}, "BADALG": {21, "BADALG"}, "BADTRUNC": {22, "BADTRUNC"},
	"BADCOOKIE": {23, "BADCOOKIE"},
}

const rcodeOther = 99

var (
	ipType       = ocsf.NewObservable("", ocsf.ObservableIP, "").Type
	hostnameType = ocsf.NewObservable("", ocsf.ObservableHostname, "").Type
	resourceType = ocsf.NewObservable("", ocsf.ObservableResourceUID, "").Type

	// template holds what every event has. It is never modified; each event starts as a copy.
	template = func() (ev ocsf.DNSActivity) {
		ev.Classify(ocsf.ClassDNSActivity, activityTraffic)
		ev.SetSeverity(ocsf.SeverityInformational)
		ev.Metadata = ocsf.Metadata{Version: ocsf.Version, Profiles: profiles,
			Product: ocsf.Product{Name: ProductName, VendorName: ProductVendor, Feature: ocsf.Feature{Name: ProductFeature}}}
		ev.Cloud.Provider = CloudProvider
		ev.ConnectionInfo.Direction = "Unknown"
		return ev
	}()
)

// slabLen is how many entries a fresh slab of answers, observables or integers has.
const slabLen = 1024

// normalizer maps the fields of Resolver query log records to DNS Activity events. It reuses
// its event: an event it returns is valid until the next call.
type normalizer struct {
	ev   ocsf.DNSActivity
	d    jsonscan.Decoder
	ans  []ocsf.DNSAnswer
	obs  []ocsf.Observable
	ints []int32

	// The text of a record is only valid during the call: the strings of events are copied
	// from it to strs, an append-only slab whose bytes are never modified, or are the same as
	// the previous record's (last), which most of a VPC's records share.
	strs []byte
	last [nLast]string
}

// The fields whose value normalize keeps from one record to the next.
const (
	lastVersion = iota
	lastAccount
	lastRegion
	lastVPC
	lastType
	lastClass
	lastTransport
	lastAnswerType
	lastAnswerClass
	lastResolverEndpoint
	lastResolverInterface
	lastRuleGroup
	nLast
)

// strsLen is the size of a fresh slab of strings.
const strsLen = 32 << 10

// copy returns s, which the record's text holds, as a string of its own.
func (n *normalizer) copy(s string) string {
	if s == "" {
		return ""
	}
	if cap(n.strs)-len(n.strs) < len(s) {
		n.strs = make([]byte, 0, max(strsLen, len(s)))
	}
	start := len(n.strs)
	n.strs = append(n.strs, s...)
	return unsafe.String(&n.strs[start], len(s))
}

// str returns the string at sp in text as a string of its own.
func (n *normalizer) str(text string, sp jsonscan.Span) string {
	if sp.Escaped {
		return sp.In(text) // unescaped to a new string
	}
	return n.copy(text[sp.Start:sp.End])
}

// same returns the string at sp in text as a string of its own, the previous record's value
// of field i when it is the same.
func (n *normalizer) same(i int, text string, sp jsonscan.Span) string {
	if sp.Escaped {
		return sp.In(text)
	}
	s := text[sp.Start:sp.End]
	if s != n.last[i] {
		n.last[i] = n.copy(s)
	}
	return n.last[i]
}

// normalize maps the record text, whose fields f says where they are, to an event; region
// and account are the input's location, for records that do not say. text need only be valid
// during the call: the event holds none of it.
func (n *normalizer) normalize(text string, f *fields, region, account string) (*ocsf.DNSActivity, error) {
	get := func(sp jsonscan.Span) string { return n.str(text, sp) }
	same := func(i int, sp jsonscan.Span) string { return n.same(i, text, sp) }
	// view is what sp spans, valid during the call only.
	view := func(sp jsonscan.Span) string {
		if sp.Escaped {
			return sp.In(text)
		}
		return text[sp.Start:sp.End]
	}
	if f.queryTimestamp.IsZero() {
		return nil, errors.New("no query_timestamp")
	}
	ts := view(f.queryTimestamp)
	t, ok := jsonscan.ParseTime(ts)
	if !ok {
		return nil, errors.New("query_timestamp " + strconv.Quote(ts) + " is not an RFC 3339 time")
	}
	if view(f.queryName) == "" {
		return nil, errors.New("no query_name")
	}
	ev := n.reset()
	ev.SetTime(t)
	ev.Metadata.Product.Version = same(lastVersion, f.version)
	ev.Cloud.Account.UID, ev.Cloud.Region = same(lastAccount, f.accountID), same(lastRegion, f.region)
	if ev.Cloud.Account.UID == "" {
		ev.Cloud.Account.UID = account
	}
	if ev.Cloud.Region == "" {
		ev.Cloud.Region = region
	}
	ev.Query = ocsf.DNSQuery{Hostname: get(f.queryName), Type: same(lastType, f.queryType), Class: same(lastClass, f.queryClass)}
	if rc := view(f.rcode); rc != "" {
		if rc == "NOERROR" { // most records: no map look-up
			ev.RcodeID, ev.Rcode = n.int32p(0), "NoError"
		} else if c, ok := rcodes[rc]; ok {
			ev.RcodeID, ev.Rcode = n.int32p(c.id), c.caption
		} else {
			ev.RcodeID, ev.Rcode = n.int32p(rcodeOther), get(f.rcode)
		}
	}

	src := &ev.SrcEndpoint
	if !f.srcaddr.IsZero() {
		if ip := view(f.srcaddr); !ipaddr.IsIP(ip) {
			return nil, errors.New("srcaddr " + strconv.Quote(ip) + " is not an IP address")
		}
		src.IP = get(f.srcaddr)
	}
	if !f.srcport.IsZero() {
		s := view(f.srcport)
		p, err := strconv.ParseUint(s, 10, 16)
		if err != nil {
			return nil, errors.New("srcport " + strconv.Quote(s) + " is not a port number")
		}
		src.Port = n.int32p(int32(p))
	}
	src.VPCUID = same(lastVPC, f.vpcID)
	src.InstanceUID = get(f.instance)
	if src.IP == "" && src.InstanceUID == "" {
		return nil, errors.New("no srcaddr nor srcids.instance: a DNS Activity needs its src_endpoint")
	}
	ev.DstEndpoint.InstanceUID = same(lastResolverEndpoint, f.resolverEndpoint)
	ev.DstEndpoint.InterfaceUID = same(lastResolverInterface, f.resolverInterface)
	ev.ConnectionInfo.ProtocolName = same(lastTransport, f.transport)

	// The security control: DNS Firewall's action, if a rule matched; else the resolver
	// answered, which OCSF calls Allowed ("no action would equate to 1 'Allowed'").
	ev.ActionID = actionAllowed
	if a := view(f.fwAction); a != "" {
		if fa, ok := firewallActions[a]; ok {
			ev.ActionID, ev.DispositionID, ev.Disposition = fa.action, fa.disposition, fa.caption
		} else {
			ev.ActionID, ev.DispositionID, ev.Disposition = actionUnknown, dispositionOther, get(f.fwAction)
		}
	}
	ev.Action = actionNames[ev.ActionID]
	ev.FirewallRule.UID = same(lastRuleGroup, f.fwRuleGroupID)

	var um map[string]string
	unmapped := func(k, v string) {
		if um == nil {
			um = make(map[string]string, 2)
		}
		if old, ok := um[k]; ok {
			v = old + "," + v
		}
		um[k] = v
	}
	if !f.fwDomainListID.IsZero() {
		unmapped("firewall_domain_list_id", get(f.fwDomainListID))
	}

	if len(f.answers) > 0 {
		if len(n.ans) < len(f.answers) {
			n.ans = make([]ocsf.DNSAnswer, max(slabLen, len(f.answers)))
		}
		out := n.ans[:0:len(f.answers)]
		for _, a := range f.answers {
			if a.rdata.IsZero() {
				// dns_answer requires rdata: keep what the answer says in unmapped.
				if !a.typ.IsZero() {
					unmapped("answers[].Type", get(a.typ))
				}
				if !a.class.IsZero() {
					unmapped("answers[].Class", get(a.class))
				}
				continue
			}
			out = append(out, ocsf.DNSAnswer{Rdata: get(a.rdata), Type: same(lastAnswerType, a.typ), Class: same(lastAnswerClass, a.class)})
		}
		if len(out) > 0 {
			ev.Answers = out[:len(out):len(out)]
			n.ans = n.ans[len(out):]
		}
	}

	for _, m := range f.other {
		var key string
		if m.prefix == "" {
			key = get(m.key) // "" + name would be the record's text itself
		} else {
			key = m.prefix + view(m.key)
		}
		if m.str {
			unmapped(key, get(m.val))
			continue
		}
		if um == nil {
			um = make(map[string]string, 2)
		}
		n.d.Reset(text[m.val.Start:m.val.End])
		n.flatten(key, um)
	}
	ev.Unmapped = um
	ev.Observables = n.observables(ev)
	return ev, nil
}

// reset returns n's event with every attribute normalize sets zeroed, and the attributes of
// every event set. The first time, it copies the template; later it clears only what changes,
// field by field: copying a whole event makes the garbage collector look at all its pointers.
func (n *normalizer) reset() *ocsf.DNSActivity {
	ev := &n.ev
	if ev.ClassUID == 0 {
		*ev = template
		return ev
	}
	ev.Metadata.Product.Version = ""
	ev.Cloud.Account.UID, ev.Cloud.Region = "", ""
	ev.Query = ocsf.DNSQuery{}
	ev.Answers = nil
	ev.Rcode, ev.RcodeID = "", nil
	ev.SrcEndpoint.IP, ev.SrcEndpoint.Port, ev.SrcEndpoint.VPCUID, ev.SrcEndpoint.InstanceUID = "", nil, "", ""
	ev.DstEndpoint.InstanceUID, ev.DstEndpoint.InterfaceUID = "", ""
	ev.ConnectionInfo.ProtocolName = ""
	ev.Disposition, ev.DispositionID = "", 0
	ev.FirewallRule.UID = ""
	ev.Unmapped, ev.Observables = nil, nil
	return ev
}

// flatten adds the value d is at to um under name, as Security Lake flattens unmapped values:
// scalars as their text, object members under name.member, array elements under name[], the
// values of one name joined by ","; null and empty containers add nothing.
func (n *normalizer) flatten(name string, um map[string]string) {
	d := &n.d
	switch d.Peek() {
	case jsonscan.Object:
		d.Object()
		for {
			key, ok := d.Key()
			if !ok {
				return
			}
			n.flatten(name+"."+key, um)
		}
	case jsonscan.Array:
		d.Array()
		elem := name + "[]"
		for d.Elem() {
			n.flatten(elem, um)
		}
	case jsonscan.Null:
		d.Null()
	case jsonscan.Invalid:
	default:
		v, _ := d.Scalar()
		v = n.copy(v) // of the record's text, or unescaped
		if old, ok := um[name]; ok {
			um[name] = old + "," + v
		} else {
			um[name] = v
		}
	}
}

// int32p returns a pointer to a fresh v from the slab of integers (ports, rcode ids).
func (n *normalizer) int32p(v int32) *int32 {
	if len(n.ints) == 0 {
		n.ints = make([]int32, slabLen)
	}
	p := &n.ints[0]
	*p = v
	n.ints = n.ints[1:]
	return p
}

// observables lists the query's host name, the source's address and instance, the Resolver
// endpoint and the addresses and host names answered.
func (n *normalizer) observables(ev *ocsf.DNSActivity) []ocsf.Observable {
	k := 4 + len(ev.Answers)
	if len(n.obs) < k {
		n.obs = make([]ocsf.Observable, max(slabLen, k))
	}
	out := n.obs[:0:k]
	out = append(out, ocsf.Observable{Name: "query.hostname", Type: hostnameType, TypeID: ocsf.ObservableHostname, Value: ev.Query.Hostname})
	if ev.SrcEndpoint.IP != "" {
		out = append(out, ocsf.Observable{Name: "src_endpoint.ip", Type: ipType, TypeID: ocsf.ObservableIP, Value: ev.SrcEndpoint.IP})
	}
	if ev.SrcEndpoint.InstanceUID != "" {
		out = append(out, ocsf.Observable{Name: "src_endpoint.instance_uid", Type: resourceType, TypeID: ocsf.ObservableResourceUID, Value: ev.SrcEndpoint.InstanceUID})
	}
	if ev.DstEndpoint.InstanceUID != "" {
		out = append(out, ocsf.Observable{Name: "dst_endpoint.instance_uid", Type: resourceType, TypeID: ocsf.ObservableResourceUID, Value: ev.DstEndpoint.InstanceUID})
	}
	for _, a := range ev.Answers {
		switch {
		case ipaddr.IsIP(a.Rdata):
			out = append(out, ocsf.Observable{Name: "answers[].rdata", Type: ipType, TypeID: ocsf.ObservableIP, Value: a.Rdata})
		case isHostname(a.Rdata):
			out = append(out, ocsf.Observable{Name: "answers[].rdata", Type: hostnameType, TypeID: ocsf.ObservableHostname, Value: a.Rdata})
		}
	}
	n.obs = n.obs[len(out):]
	return out[:len(out):len(out)]
}

// isHostname reports whether s is a DNS name, with or without its final dot: labels of
// letters, digits, '-' and '_', of 1 to 63 bytes.
func isHostname(s string) bool {
	if len(s) > 1 && s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	label := 0
	for i := range len(s) {
		switch c := s[i]; {
		case c == '.':
			if label == 0 {
				return false
			}
			label = 0
		case c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			if label++; label > 63 {
				return false
			}
		default:
			return false
		}
	}
	return label > 0
}
