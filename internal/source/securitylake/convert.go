package securitylake

import (
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/source/securityhub"
)

// activityOther is the activity_id Other, whose caption is the source's.
const activityOther = 99

// OCSF versions of Security Lake's source versions.
const (
	versionRC2 = "1.0.0-rc.2" // source version 1
	version110 = "1.1.0"      // source version 2
)

// Location is where a file sits in Security Lake's S3 layout:
// .../aws/<SOURCE>/<version>/region=<region>/accountId=<account>/eventDay=<day>/<file>.
type Location struct {
	Source, Version, Region, Account string
}

var layoutRe = regexp.MustCompile(`(?:^|/)([A-Z][A-Z0-9_]*)/(\d+\.\d+)/region=([^/]+)/accountId=([^/]+)/`)

// ParseLocation returns the Security Lake location of a file name (a path or an s3:// URL);
// ok is false when the name is not in Security Lake's layout.
func ParseLocation(name string) (loc Location, ok bool) {
	m := layoutRe.FindStringSubmatch(filepath.ToSlash(name))
	if m == nil {
		return Location{}, false
	}
	return Location{Source: m[1], Version: m[2], Region: m[3], Account: m[4]}, true
}

// NoTypeError is why a row is not stored: mcpwatch has no Go type (and so no lake table) for
// its class.
type NoTypeError struct {
	ClassUID int64
	Class    string
	Version  string
	// Why, when set, says more than "no type".
	Why string
}

func (e *NoTypeError) Error() string {
	if e.Why != "" {
		return fmt.Sprintf("class %d (%s, OCSF %s): %s", e.ClassUID, e.Class, e.Version, e.Why)
	}
	return fmt.Sprintf("class %d (%s, OCSF %s): mcpwatch has no type for this class", e.ClassUID, e.Class, e.Version)
}

// converter converts assembled rows to mcpwatch's OCSF 1.1.0 events.
type converter struct {
	b   *binder
	loc Location
	// region and account are the input's location hints, after the Security Lake layout's.
	region, account string
}

// errEKS is why EKS audit log rows are not stored.
var errEKS = errors.New("EKS audit logs (EKS_AUDIT) have no lake table yet: their API Activity events would " +
	"mix with CloudTrail's in CLOUD_TRAIL_MGMT")

// isEKS reports whether a row is an EKS audit log event (by its product, or the file's
// Security Lake source).
func (c *converter) isEKS(row map[string]any) bool {
	product, _ := get(row, "metadata", "product", "name").(string)
	return product == "Amazon EKS" || c.loc.Source == "EKS_AUDIT"
}

// supported reports whether mcpwatch has a Go type for the 1.1.0 class.
func supported(class int64) bool {
	switch class {
	case ocsf.ClassNetworkActivity, ocsf.ClassDNSActivity, ocsf.ClassAPIActivity, ocsf.ClassAuthentication,
		ocsf.ClassAccountChange, ocsf.ClassDetectionFinding, ocsf.ClassComplianceFinding, ocsf.ClassVulnerabilityFinding:
		return true
	}
	return false
}

// check returns the OCSF version of a row and whether its class can be converted, without
// modifying the row; its error says why the row cannot be stored.
func (c *converter) check(row map[string]any) (version string, err error) {
	version, _ = get(row, "metadata", "version").(string)
	if version == "" {
		switch {
		case c.loc.Version == "1.0":
			version = versionRC2
		case c.loc.Version == "2.0":
			version = version110
		case get(row, "cloud", "account_uid") != nil:
			version = versionRC2
		default:
			version = version110
		}
	}
	class, ok := row["class_uid"].(int64)
	if !ok {
		return version, errors.New("row has no class_uid")
	}
	target := class
	if strings.HasPrefix(version, "1.0.0") {
		switch class {
		case 3005: // API Activity of the Audit Activity category in rc.2
			target = ocsf.ClassAPIActivity
		case 2001: // Security Finding: a 1.1.0 finding class by product
			target = ocsf.ClassDetectionFinding
		}
	}
	if !supported(target) {
		name, _ := row["class_name"].(string)
		return version, &NoTypeError{ClassUID: class, Class: name, Version: version}
	}
	return version, nil
}

// convert converts one row, modifying it. The error says why the row cannot be stored; a row
// that check accepts always converts.
func (c *converter) convert(row map[string]any) (ocsf.Event, error) {
	version, err := c.check(row)
	if err != nil {
		return nil, err
	}
	rc2 := strings.HasPrefix(version, "1.0.0")
	class := row["class_uid"].(int64)
	var rest []leftover
	if rc2 {
		upgradeRC2(row)
		switch class {
		case 3005:
			class = ocsf.ClassAPIActivity
		case 2001:
			class = upgradeSecurityFinding(row)
		}
	}
	var ev ocsf.Event
	switch class {
	case ocsf.ClassNetworkActivity:
		ev = new(ocsf.NetworkActivity)
	case ocsf.ClassDNSActivity:
		ev = new(ocsf.DNSActivity)
	case ocsf.ClassAPIActivity:
		ev = new(ocsf.APIActivity)
	case ocsf.ClassAuthentication:
		ev = new(ocsf.Authentication)
	case ocsf.ClassAccountChange:
		ev = new(ocsf.AccountChange)
	case ocsf.ClassDetectionFinding, ocsf.ClassComplianceFinding, ocsf.ClassVulnerabilityFinding:
		f := new(ocsf.ImportedFinding)
		rest = append(rest, keepClassAttributes(row, class)...)
		ev = f
	default:
		return nil, &NoTypeError{ClassUID: class, Version: version}
	}
	c.b.bind(reflect.ValueOf(ev).Elem(), row, "", &rest)
	h := ev.Header()
	if len(rest) > 0 {
		if h.Unmapped == nil {
			h.Unmapped = map[string]string{}
		}
		for k, v := range flattenLeftovers(rest) {
			if _, taken := h.Unmapped[k]; !taken {
				h.Unmapped[k] = v
			}
		}
	}
	c.fix(ev, class, rc2)
	return ev, nil
}

// fix makes the bound event a consistent OCSF 1.1.0 event.
func (c *converter) fix(ev ocsf.Event, class int64, rc2 bool) {
	h := ev.Header()
	activityName, severity := h.ActivityName, h.Severity
	if ocsf.ActivityName(int32(class), h.ActivityID) == "" {
		// An activity the 1.1.0 class does not have (rc.2 DNS rows with Network Activity's
		// Fail and Refuse): Other, with the source's caption.
		h.ActivityID = activityOther
	}
	h.Classify(int32(class), h.ActivityID)
	if h.ActivityID == activityOther && activityName != "" {
		h.ActivityName = activityName // the source's own caption of Other
		h.TypeName = ocsf.ClassName(int32(class)) + ": " + activityName
	}
	if name := ocsf.SeverityName(h.SeverityID); name != "" && h.SeverityID != ocsf.SeverityOther {
		h.Severity = name
	} else {
		h.Severity = severity
	}
	h.Metadata.Version = ocsf.Version
	if !slices.Contains(h.Metadata.Profiles, "datetime") {
		h.Metadata.Profiles = append(h.Metadata.Profiles, "datetime")
	}
	if h.Metadata.Product.VendorName == "" {
		h.Metadata.Product.VendorName = "AWS"
	}
	if h.Cloud.Provider == "" {
		h.Cloud.Provider = "AWS"
	}
	if h.Cloud.Region == "" {
		h.Cloud.Region = or(c.loc.Region, c.region)
	}
	if h.Cloud.Account.UID == "" {
		h.Cloud.Account.UID = or(c.loc.Account, or(c.account, h.Unmapped["recipientAccountId"]))
	}
	if h.Cloud.Account.UID == "" {
		// rc.2 CloudTrail rows without recipientAccountId: the actor's account.
		if a := reflect.ValueOf(ev).Elem().FieldByName("Actor"); a.IsValid() {
			if actor, ok := a.Interface().(ocsf.Actor); ok {
				h.Cloud.Account.UID = actor.User.Account.UID
			}
		}
	}
	c.b.fillDT(reflect.ValueOf(ev).Elem())
	fixEndpoints(reflect.ValueOf(ev).Elem(), h)
	switch e := ev.(type) {
	case *ocsf.NetworkActivity:
		if rc2 {
			e.Action, e.ActionID = actionOf(e.DispositionID)
			if len(e.Observables) == 0 {
				e.Observables = endpointObservables(&e.DstEndpoint, &e.SrcEndpoint)
			}
		}
	case *ocsf.DNSActivity:
		if rc2 {
			e.Action, e.ActionID = actionOf(e.DispositionID)
			if len(e.Observables) == 0 {
				e.Observables = endpointObservables(&e.DstEndpoint, &e.SrcEndpoint)
				if e.Query.Hostname != "" {
					e.Observables = append(e.Observables, ocsf.NewObservable("query.hostname", ocsf.ObservableHostname, e.Query.Hostname))
				}
			}
		}
	case *ocsf.ImportedFinding:
		if rc2 && len(e.Observables) == 0 {
			e.Observables = securityhub.Observables(e)
		}
	case *ocsf.Authentication:
		// 1.1.0 requires service or dst_endpoint; Security Lake's CloudTrail mapping gives
		// neither for AssumeRole and the like, whose service is the API's.
		if e.Service == (ocsf.Service{}) && reflect.ValueOf(e.DstEndpoint).IsZero() {
			name := h.Unmapped["api.service.name"]
			if api := reflect.ValueOf(e).Elem().FieldByName("API"); api.IsValid() {
				if n, ok := api.Interface().(ocsf.API); ok && n.Service.Name != "" {
					name = n.Service.Name
				}
			}
			e.Service.Name = name
		}
	}
}

var endpointType = reflect.TypeFor[ocsf.NetworkEndpoint]()

// fixEndpoints makes the event's endpoints valid 1.1.0 network_endpoints: an ip that is no IP
// address ("-" in NODATA flow records) is omitted ("-") or kept in unmapped (anything else);
// an endpoint that has only a domain (CloudTrail's sourceIPAddress of an AWS service, such as
// cloudformation.amazonaws.com) gets it as svc_name too, since network_endpoint needs one of
// ip, uid, name, hostname, svc_name, instance_uid, interface_uid or interface_name.
func fixEndpoints(v reflect.Value, h *ocsf.Base) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type != endpointType {
			continue
		}
		ep := v.Field(i).Addr().Interface().(*ocsf.NetworkEndpoint)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if ep.IP != "" {
			if _, err := netip.ParseAddr(ep.IP); err != nil {
				if ep.IP != "-" {
					if h.Unmapped == nil {
						h.Unmapped = map[string]string{}
					}
					h.Unmapped[name+".ip"] = ep.IP
				}
				ep.IP = ""
			}
		}
		if ep.Domain != "" && ep.IP == "" && ep.UID == "" && ep.Hostname == "" && ep.SvcName == "" &&
			ep.InstanceUID == "" && ep.InterfaceUID == "" {
			ep.SvcName = ep.Domain
		}
	}
}

// actionOf is the security_control action of an OCSF 1.0.0-rc.2 disposition, which 1.1.0
// requires (action_id) and rc.2 did not have: Allowed (1) for a disposition that let the
// traffic or query through, Denied (2) for Blocked (2) and Dropped (6), Unknown (0) for an
// unknown disposition. It matches what the vpcflow format makes of ACCEPT and REJECT.
func actionOf(disposition int32) (string, int32) {
	switch disposition {
	case 0, 99:
		return "Unknown", 0
	case 2, 6:
		return "Denied", 2
	}
	return "Allowed", 1
}

// endpointObservables lists the addresses and instances of the endpoints, as the vpcflow
// format does (destination first).
func endpointObservables(eps ...*ocsf.NetworkEndpoint) []ocsf.Observable {
	var out []ocsf.Observable
	for i, ep := range eps {
		name := []string{"dst_endpoint", "src_endpoint"}[i]
		if _, err := netip.ParseAddr(ep.IP); err == nil {
			out = append(out, ocsf.NewObservable(name+".ip", ocsf.ObservableIP, ep.IP))
		}
		for _, ip := range ep.IntermediateIPs {
			if _, err := netip.ParseAddr(ip); err == nil {
				out = append(out, ocsf.NewObservable(name+".intermediate_ips", ocsf.ObservableIP, ip))
			}
		}
		if ep.InstanceUID != "" && ep.InstanceUID != "-" {
			out = append(out, ocsf.NewObservable(name+".instance_uid", ocsf.ObservableResourceUID, ep.InstanceUID))
		}
	}
	return out
}

// dtPlan is how fillDT walks one struct type: the timestamp/_dt field pairs and the fields
// that may hold more.
type dtPlan struct {
	pairs  [][2]int // field indexes of <name> (int64) and <name>_dt (time.Time)
	nested []int    // struct, slice and pointer fields
}

// dtPlanOf returns the dtPlan of struct type t, computing it once per binder.
func (b *binder) dtPlanOf(t reflect.Type) *dtPlan {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dt == nil {
		b.dt = map[reflect.Type]*dtPlan{}
	}
	if p, ok := b.dt[t]; ok {
		return p
	}
	p := &dtPlan{}
	ms := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Type.Kind() == reflect.Int64 && (name == "time" || strings.HasSuffix(name, "_time")) {
			ms[name] = i
		}
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case f.Type == timeType:
			if base, ok := strings.CutSuffix(name, "_dt"); ok {
				if j, ok := ms[base]; ok {
					p.pairs = append(p.pairs, [2]int{j, i})
				}
			}
		case f.Type.Kind() == reflect.Struct || f.Type.Kind() == reflect.Slice || f.Type.Kind() == reflect.Pointer:
			p.nested = append(p.nested, i)
		}
	}
	b.dt[t] = p
	return p
}

// fillDT sets every zero <name>_dt datetime of v (recursively) from its <name> timestamp, as
// the datetime profile gives them (1.0.0-rc.2 had no _dt attributes).
func (b *binder) fillDT(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == timeType {
			return
		}
		p := b.dtPlanOf(v.Type())
		for _, pair := range p.pairs {
			ms, dt := v.Field(pair[0]), v.Field(pair[1])
			if x := ms.Int(); x != 0 && dt.Interface().(time.Time).IsZero() {
				dt.Set(reflect.ValueOf(time.UnixMilli(x).UTC()))
			}
		}
		for _, i := range p.nested {
			b.fillDT(v.Field(i))
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.Struct {
			return
		}
		for i := range v.Len() {
			b.fillDT(v.Index(i))
		}
	case reflect.Pointer:
		if !v.IsNil() {
			b.fillDT(v.Elem())
		}
	}
}

// upgradeRC2 renames, in place, the OCSF 1.0.0-rc.2 attributes of a row that OCSF 1.1.0
// renamed or restructured: cloud.account_uid and every user's account_uid become
// account.uid; a user's uuid (the ARN in Security Lake's CloudTrail mapping) becomes its uid
// and its uid (the principal id) uid_alt, as Security Lake's 1.1.0 mapping has them;
// session mfa and Authentication mfa become is_mfa; resources[].account_uid becomes
// resources[].owner.account.uid.
func upgradeRC2(row map[string]any) {
	if m, _ := row["metadata"].(map[string]any); m != nil {
		m["version"] = version110
	}
	if cl, _ := row["cloud"].(map[string]any); cl != nil {
		moveAccount(cl)
	}
	upgradeUser := func(u map[string]any) {
		if u == nil {
			return
		}
		moveAccount(u)
		if uuid, ok := u["uuid"]; ok {
			delete(u, "uuid")
			if uuid != nil {
				if uid, ok := u["uid"]; ok && uid != nil {
					u["uid_alt"] = uid
				}
				u["uid"] = uuid
			}
		}
	}
	if a, _ := row["actor"].(map[string]any); a != nil {
		u, _ := a["user"].(map[string]any)
		upgradeUser(u)
		if s, _ := a["session"].(map[string]any); s != nil {
			rename(s, "mfa", "is_mfa")
		}
	}
	u, _ := row["user"].(map[string]any)
	upgradeUser(u)
	rename(row, "mfa", "is_mfa")
	if res, _ := row["resources"].([]any); res != nil {
		for _, r := range res {
			if rm, _ := r.(map[string]any); rm != nil {
				if acct, ok := rm["account_uid"]; ok {
					delete(rm, "account_uid")
					if acct != nil {
						rm["owner"] = map[string]any{"account": map[string]any{"uid": acct}}
					}
				}
			}
		}
	}
}

// moveAccount turns m.account_uid into m.account.uid.
func moveAccount(m map[string]any) {
	acct, ok := m["account_uid"]
	if !ok {
		return
	}
	delete(m, "account_uid")
	if acct == nil {
		return
	}
	a, _ := m["account"].(map[string]any)
	if a == nil {
		a = map[string]any{}
		m["account"] = a
	}
	if _, ok := a["uid"]; !ok {
		a["uid"] = acct
	}
}

// rename renames the key from to to in m, unless to is taken.
func rename(m map[string]any, from, to string) {
	v, ok := m[from]
	if !ok {
		return
	}
	delete(m, from)
	if _, taken := m[to]; !taken && v != nil {
		m[to] = v
	}
}

// get returns the value at the object path keys of m, or nil.
func get(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = o[k]
	}
	return v
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
