package cloudtrail

import (
	"errors"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ipaddr"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/source/jsonscan"
)

// The constants of every CloudTrail event, as Security Lake writes them.
const (
	ProductName   = "CloudTrail"
	ProductVendor = "AWS"
	CloudProvider = "AWS"
	// DefaultFeature is metadata.product.feature.name of a record without eventCategory
	// (CloudTrail writes it from record version 1.07 on).
	DefaultFeature = "Management, Data, and Insights"
	// MissingRequestID is api.request.uid of a record without requestID: the request
	// object requires a uid, and Security Lake writes this.
	MissingRequestID = "''"
)

// profiles is the metadata.profiles of every event. Events share it: it is never modified,
// and its capacity equals its length so that an append by a consumer copies it.
var profiles = []string{"cloud", "datetime"}[:2:2]

var (
	ipType       = ocsf.NewObservable("", ocsf.ObservableIP, "").Type
	userType     = ocsf.NewObservable("", ocsf.ObservableUserName, "").Type
	hostnameType = ocsf.NewObservable("", ocsf.ObservableHostname, "").Type
	resourceType = ocsf.NewObservable("", ocsf.ObservableResourceUID, "").Type
)

// Status ids (status_id) CloudTrail events get.
const (
	statusUnknown = 0
	statusSuccess = 1
	statusFailure = 2
)

var statusNames = [...]string{statusUnknown: "Unknown", statusSuccess: "Success", statusFailure: "Failure"}

// slabLen is how many entries a fresh slab of observables, resources or booleans has.
const slabLen = 1024

// skipError is why a record is deliberately not stored.
type skipError struct{ reason string }

func (e *skipError) Error() string { return e.reason }

// Reasons for skipping records.
var (
	errInsight = &skipError{"CloudTrail Insights event: Security Lake's CLOUD_TRAIL_MGMT table holds management events only"}
	errData    = &skipError{"CloudTrail data event: Security Lake keeps data events out of CLOUD_TRAIL_MGMT (in S3_DATA, LAMBDA_EXECUTION)"}
	errNetwork = &skipError{"CloudTrail network activity event (VPC endpoint): not a management event"}
	errDigest  = &skipError{"CloudTrail digest file (log file integrity validation): no events"}
)

// hints are where a record's account and region come from when it does not say: the
// EventBridge event around it, else the input's location.
type hints struct {
	account, region string
}

// normalizer maps the fields of CloudTrail records to OCSF events. It reuses its events: an
// event it returns is valid until the next call.
type normalizer struct {
	d     jsonscan.Decoder
	names names
	api   ocsf.APIActivity
	auth  ocsf.Authentication
	acct  ocsf.AccountChange
	obs   []ocsf.Observable
	res   []ocsf.ResourceDetails
	bools []bool
}

// normalize maps the record text, whose fields f says where they are, to an event; a
// *skipError when it is deliberately not stored; another error when it cannot be mapped.
func (n *normalizer) normalize(text string, f *fields, h hints) (ocsf.Event, error) {
	get := func(sp jsonscan.Span) string { return sp.In(text) }
	switch get(f.eventCategory) {
	case "Insight":
		return nil, errInsight
	case "Data":
		return nil, errData
	case "NetworkActivity":
		return nil, errNetwork
	}
	if get(f.eventType) == "AwsCloudTrailInsight" {
		return nil, errInsight
	}
	name := get(f.eventName)
	if name == "" {
		return nil, errors.New("no eventName")
	}
	if f.eventTime.IsZero() {
		return nil, errors.New("no eventTime")
	}
	t, ok := jsonscan.ParseTime(get(f.eventTime))
	if !ok {
		return nil, errors.New("eventTime " + quote(get(f.eventTime)) + " is not an RFC 3339 time")
	}
	source := get(f.eventSource)
	class, activity := classify(source, name)

	var (
		base  *ocsf.Base
		actor *ocsf.Actor
		api   *ocsf.API
		src   *ocsf.NetworkEndpoint
		http  *ocsf.HTTPRequest
	)
	switch class {
	case ocsf.ClassAuthentication:
		n.auth = ocsf.Authentication{}
		base, actor, api, src, http = &n.auth.Base, &n.auth.Actor, &n.auth.API, &n.auth.SrcEndpoint, &n.auth.HTTPRequest
	case ocsf.ClassAccountChange:
		n.acct = ocsf.AccountChange{}
		base, actor, api, src, http = &n.acct.Base, &n.acct.Actor, &n.acct.API, &n.acct.SrcEndpoint, &n.acct.HTTPRequest
	default:
		n.api = ocsf.APIActivity{}
		base, actor, api, src, http = &n.api.Base, &n.api.Actor, &n.api.API, &n.api.SrcEndpoint, &n.api.HTTPRequest
	}
	classifications[classKey{class, activity}].apply(base)
	base.SeverityID, base.Severity = ocsf.SeverityInformational, "Informational"
	feature := get(f.eventCategory)
	if feature == "" {
		feature = DefaultFeature
	}
	base.Metadata = ocsf.Metadata{Version: ocsf.Version, Profiles: profiles, UID: get(f.eventID),
		EventCode: get(f.eventType),
		Product: ocsf.Product{Name: ProductName, VendorName: ProductVendor, Version: get(f.eventVersion),
			Feature: ocsf.Feature{Name: feature}}}
	base.SetTime(t)
	account, region := get(f.recipientAccountID), get(f.awsRegion)
	if account == "" {
		account = h.account
	}
	if region == "" {
		region = h.region
	}
	base.Cloud = ocsf.Cloud{Provider: CloudProvider, Region: region, Account: ocsf.Account{UID: account}}

	um := make(map[string]string, len(f.unmapped)+2)
	if !f.recipientAccountID.IsZero() {
		um["recipientAccountId"] = account
	}

	// api
	api.Operation = name
	api.Service.Name = source
	api.Version = get(f.apiVersion)
	api.Request.UID = get(f.requestID)
	if f.requestID.IsZero() {
		api.Request.UID = MissingRequestID
	}
	api.Request.Data = data(text, f.requestParameters, f.requestCompact)
	api.Response.Error = get(f.errorCode)
	api.Response.Message = get(f.errorMessage)
	api.Response.Data = data(text, f.responseElements, f.responseCompact)
	http.UserAgent = get(f.userAgent)

	// src_endpoint: sourceIPAddress is an address, or the name of the AWS service that made
	// the call ("cloudformation.amazonaws.com", "AWS Internal"), which Security Lake puts in
	// domain and we also in svc_name (network_endpoint needs one of ip, svc_name, uid, ...).
	if s := get(f.sourceIPAddress); s != "" {
		if ipaddr.IsIP(s) {
			src.IP = s
		} else {
			src.Domain, src.SvcName = s, s
		}
	}
	src.UID = get(f.vpcEndpointID)

	// actor
	id := identityOf(text, &f.id)
	for _, m := range f.unmapped {
		name := m.name
		switch {
		case name != "":
		case !m.parent.IsZero():
			name = n.names.join(m.parent.In(text), ".", m.key.In(text))
		case m.prefix != "":
			name = n.names.join(m.prefix, "", m.key.In(text))
		default:
			name = m.key.In(text)
		}
		if m.container {
			if err := n.flattenMember(text, name, m.val, um); err != nil {
				return nil, err
			}
		} else {
			addUnmapped(um, name, m.val.In(text))
		}
	}
	if class != ocsf.ClassAuthentication {
		if !f.id.loginTo.IsZero() {
			addUnmapped(um, "additionalEventData.LoginTo", id.loginTo)
		}
		if !f.id.mfaUsed.IsZero() {
			addUnmapped(um, "additionalEventData.MFAUsed", id.mfaUsed)
		}
	} else if id.mfaUsed != "Yes" && id.mfaUsed != "No" && id.mfaUsed != "" {
		addUnmapped(um, "additionalEventData.MFAUsed", id.mfaUsed)
	}
	n.actor(actor, &id, id.extraUserName, um)

	// The class's own attributes.
	status := int32(statusSuccess)
	if !f.errorCode.IsZero() {
		status = statusFailure
	}
	var ev ocsf.Event
	var user *ocsf.User
	switch class {
	case ocsf.ClassAuthentication:
		a := &n.auth
		req, err := n.members(text, f.requestParameters, "roleArn", "roleSessionName")
		if err != nil {
			return nil, err
		}
		resp, err := n.members(text, f.responseElements, "ConsoleLogin")
		if err != nil {
			return nil, err
		}
		if req[0] != "" {
			a.User.UID, a.User.Name = req[0], req[1]
		} else {
			a.User = ocsf.User{UID: id.arn, UIDAlt: id.principalID}
			if !hasUser(&a.User) {
				a.User.Name, a.User.Account.UID = id.userName, id.accountID
			}
			promote(&a.User)
		}
		switch resp[0] {
		case "Success":
			status = statusSuccess
		case "Failure":
			status = statusFailure
		default:
			if f.errorCode.IsZero() {
				status = statusUnknown
			}
		}
		if status != statusUnknown {
			a.StatusID, a.Status = status, statusNames[status]
		}
		switch id.mfaUsed {
		case "Yes":
			a.IsMFA = n.boolean(true)
		case "No":
			a.IsMFA = n.boolean(false)
		}
		a.DstEndpoint.SvcName = id.loginTo
		if a.DstEndpoint.SvcName == "" {
			// Authentication needs a service or a dst_endpoint: the service authenticating.
			if a.Service.Name = source; source == "" {
				return nil, errors.New("no eventSource nor additionalEventData.LoginTo: an Authentication needs its service")
			}
		}
		if !hasUser(&a.User) {
			return nil, errors.New("no user: neither the request (roleArn) nor userIdentity names the user authenticated")
		}
		user = &a.User
		if err := n.flattenMember(text, "resources", f.resources, um); err != nil {
			return nil, err
		}
		ev = a
	case ocsf.ClassAccountChange:
		a := &n.acct
		if err := n.changedUser(text, f, &a.User); err != nil {
			return nil, err
		}
		if a.User.UID == "" && a.User.Name == "" {
			// No user changed by name (ChangePassword, account settings): the actor's own.
			a.User = ocsf.User{UID: id.arn, Name: id.userName, UIDAlt: id.principalID,
				Account: ocsf.Account{UID: id.accountID}}
			promote(&a.User)
		}
		if activity == activityOther && name == "UpdateAccessKey" {
			if v, err := n.members(text, f.requestParameters, "status"); err == nil {
				switch v[0] {
				case "Active":
					classifications[classKey{class, acctEnable}].apply(base)
				case "Inactive":
					classifications[classKey{class, acctDisable}].apply(base)
				}
			}
		}
		if !hasUser(&a.User) {
			return nil, errors.New("no user: neither the request, the response nor userIdentity names the user changed")
		}
		a.StatusID, a.Status = status, statusNames[status]
		user = &a.User
		if err := n.flattenMember(text, "resources", f.resources, um); err != nil {
			return nil, err
		}
		ev = a
	default:
		a := &n.api
		a.StatusID, a.Status = status, statusNames[status]
		if err := n.resources(text, f.resources, a); err != nil {
			return nil, err
		}
		if a.SrcEndpoint.IP == "" && a.SrcEndpoint.SvcName == "" && a.SrcEndpoint.UID == "" {
			return nil, errors.New("no sourceIPAddress nor vpcEndpointId: an API Activity needs its src_endpoint")
		}
		ev = a
	}
	if actor.User == (ocsf.User{}) && actor.InvokedBy == "" && actor.Session == (ocsf.Session{}) {
		if !f.userIdentity {
			return nil, errors.New("no userIdentity: an event needs its actor")
		}
		return nil, errors.New("userIdentity names no actor (no user, session or invoking service)")
	}

	if len(um) > 0 {
		base.Unmapped = um
	}
	base.Observables = n.observables(src, actor, user, resourcesOf(ev))
	return ev, nil
}

// promote makes the principal id (uid_alt) of a user that nothing else identifies its uid.
func promote(u *ocsf.User) {
	if !hasUser(u) && u.UIDAlt != "" {
		u.UID, u.UIDAlt = u.UIDAlt, ""
	}
}

// hasUser reports whether u is a valid OCSF user: one of uid, name and account at least.
func hasUser(u *ocsf.User) bool {
	return u.UID != "" || u.Name != "" || u.Account.UID != ""
}

func resourcesOf(ev ocsf.Event) []ocsf.ResourceDetails {
	if a, ok := ev.(*ocsf.APIActivity); ok {
		return a.Resources
	}
	return nil
}

// names interns the names of unmapped attributes ("tlsDetails.cipherSuite"), so that the names
// records share cost no allocation. It holds at most maxNames names.
type names struct {
	m map[[3]string]string
}

const maxNames = 4096

// join returns a+sep+b, interned.
func (ns *names) join(a, sep, b string) string {
	k := [3]string{a, sep, b}
	if s, ok := ns.m[k]; ok {
		return s
	}
	s := a + sep + b
	if ns.m == nil {
		ns.m = map[[3]string]string{}
	}
	if len(ns.m) < maxNames {
		ns.m[k] = s
	}
	return s
}

// memberErr is the error of a member, at sp in its record, whose value err rejects: a syntax
// error's offset is made the record's.
func memberErr(name string, sp jsonscan.Span, err error) error {
	var se *jsonscan.SyntaxError
	if errors.As(err, &se) {
		err = &jsonscan.SyntaxError{Offset: sp.Start + se.Offset, Msg: se.Msg}
	}
	return errors.New(name + ": " + err.Error())
}

// data returns the JSON text of a member for api.request.data or api.response.data, without
// whitespace between its tokens as Security Lake writes it.
func data(text string, sp jsonscan.Span, compact bool) string {
	if sp.IsZero() {
		return ""
	}
	if compact {
		return text[sp.Start:sp.End]
	}
	return jsonscan.Compact(text[sp.Start:sp.End])
}

// identity is what a record's userIdentity and additionalEventData say.
type identity struct {
	typ, principalID, arn, accountID, accessKeyID, userName, invokedBy string
	identityProvider, federatedProvider, credentialID                  string
	onBehalfOfUserID, identityStoreArn                                 string
	creationDate, mfaAuthenticated, issuerArn                          string
	loginTo, mfaUsed, extraUserName                                    string
}

// identityOf returns the identity whose members sp says where they are in text.
func identityOf(text string, sp *identitySpans) identity {
	return identity{typ: sp.typ.In(text), principalID: sp.principalID.In(text), arn: sp.arn.In(text),
		accountID: sp.accountID.In(text), accessKeyID: sp.accessKeyID.In(text), userName: sp.userName.In(text),
		invokedBy: sp.invokedBy.In(text), identityProvider: sp.identityProvider.In(text),
		federatedProvider: sp.federatedProvider.In(text), credentialID: sp.credentialID.In(text),
		onBehalfOfUserID: sp.onBehalfOfUserID.In(text), identityStoreArn: sp.identityStoreArn.In(text),
		creationDate: sp.creationDate.In(text), mfaAuthenticated: sp.mfaAuthenticated.In(text),
		issuerArn: sp.issuerArn.In(text), loginTo: sp.loginTo.In(text), mfaUsed: sp.mfaUsed.In(text),
		extraUserName: sp.extraUserName.In(text)}
}

// addUnmapped adds value to um under name, after a value already there and a comma.
func addUnmapped(um map[string]string, name, value string) {
	if old, ok := um[name]; ok {
		value = old + "," + value
	}
	um[name] = value
}

// flatten adds the value the decoder is at to um under name, as Security Lake flattens
// unmapped values: scalars as their text, object members under name.member, array elements
// under name[], the values of one name joined by ","; null and empty containers add nothing.
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
			n.flatten(n.names.join(name, ".", key), um)
		}
	case jsonscan.Array:
		d.Array()
		elem := n.names.join(name, "[]", "")
		for d.Elem() {
			n.flatten(elem, um)
		}
	case jsonscan.Null:
		d.Null()
	case jsonscan.Invalid:
	default:
		v, _ := d.Scalar()
		addUnmapped(um, name, v)
	}
}

// flattenMember flattens the value of a top-level member, at sp in text, into um, validating
// it.
func (n *normalizer) flattenMember(text, name string, sp jsonscan.Span, um map[string]string) error {
	if sp.IsZero() {
		return nil
	}
	n.d.Reset(text[sp.Start:sp.End])
	n.flatten(name, um)
	if err := n.d.End(); err != nil {
		return memberErr(name, sp, err)
	}
	return nil
}

// members returns the text of the scalar members named keys (at most two) of the object at sp
// (the requestParameters or responseElements of a record), "" for those absent.
func (n *normalizer) members(text string, sp jsonscan.Span, keys ...string) ([2]string, error) {
	var out [2]string
	if sp.IsZero() || text[sp.Start] != '{' {
		return out, nil
	}
	d := &n.d
	d.Reset(text[sp.Start:sp.End])
	d.Object()
	for {
		key, ok := d.Key()
		if !ok {
			break
		}
		i := 0
		for i < len(keys) && keys[i] != key {
			i++
		}
		if i < len(keys) {
			out[i] = n.text()
		} else {
			d.Skip()
		}
	}
	return out, d.Err()
}

// text reads a value and returns its text if it is a string, number or boolean, else "".
func (n *normalizer) text() string {
	s, ok := n.d.Scalar()
	if !ok {
		n.d.Skip()
	}
	return s
}

// actor fills the actor from the identity. A user with none of uid, name and account (an AWS
// service's identity has only a type) is left out, its type kept in unmapped.
func (n *normalizer) actor(a *ocsf.Actor, id *identity, extraUserName string, um map[string]string) {
	u := &a.User
	u.Type, u.UID, u.UIDAlt, u.Name = id.typ, id.arn, id.principalID, id.userName
	u.CredentialID, u.Account.UID = id.accessKeyID, id.accountID
	if u.Name == "" {
		u.Name = extraUserName
	} else if extraUserName != "" {
		um["additionalEventData.UserName"] = extraUserName
	}
	if u.UIDAlt == "" {
		u.UIDAlt = id.onBehalfOfUserID
	} else if id.onBehalfOfUserID != "" {
		um["userIdentity.onBehalfOf.userId"] = id.onBehalfOfUserID
	}
	if u.CredentialID == "" {
		u.CredentialID = id.credentialID
	} else if id.credentialID != "" {
		um["userIdentity.credentialId"] = id.credentialID
	}
	promote(u)
	if !hasUser(u) {
		if u.Type != "" {
			um["userIdentity.type"] = u.Type
		}
		if u.UIDAlt != "" {
			um["userIdentity.principalId"] = u.UIDAlt
		}
		if u.CredentialID != "" {
			um["userIdentity.accessKeyId"] = u.CredentialID
		}
		*u = ocsf.User{}
	}
	a.InvokedBy = id.invokedBy
	a.IdP.Name = id.federatedProvider
	if a.IdP.Name == "" {
		a.IdP.Name = id.identityProvider
	} else if id.identityProvider != "" {
		um["userIdentity.identityProvider"] = id.identityProvider
	}
	a.IdP.UID = id.identityStoreArn
	s := &a.Session
	s.Issuer = id.issuerArn
	if id.creationDate != "" {
		if t, ok := jsonscan.ParseTime(id.creationDate); ok {
			s.CreatedTime = t.UnixMilli()
			s.CreatedTimeDT = time.UnixMilli(s.CreatedTime).UTC()
		} else {
			um["userIdentity.sessionContext.attributes.creationDate"] = id.creationDate
		}
	}
	switch id.mfaAuthenticated {
	case "":
	case "true":
		s.IsMFA = n.boolean(true)
	case "false":
		s.IsMFA = n.boolean(false)
	default:
		um["userIdentity.sessionContext.attributes.mfaAuthenticated"] = id.mfaAuthenticated
	}
}

// changedUser fills the user an Account Change event changes: its name from the request
// (userName, roleName) or the response, its uid (ARN) and uid_alt (id) from the response.
func (n *normalizer) changedUser(text string, f *fields, u *ocsf.User) error {
	req, err := n.members(text, f.requestParameters, "userName", "roleName")
	if err != nil {
		return memberErr("requestParameters", f.requestParameters, err)
	}
	u.Name = req[0]
	if u.Name == "" {
		u.Name = req[1]
	}
	sp := f.responseElements
	if sp.IsZero() || text[sp.Start] != '{' {
		return nil
	}
	d := &n.d
	d.Reset(text[sp.Start:sp.End])
	d.Object()
	for {
		key, ok := d.Key()
		if !ok {
			break
		}
		if (key != "user" && key != "role") || d.Peek() != jsonscan.Object || u.UID != "" {
			d.Skip()
			continue
		}
		d.Object()
		var name, id, arn string
		for {
			k, ok := d.Key()
			if !ok {
				break
			}
			switch {
			case k == "arn":
				arn = n.text()
			case key == "user" && k == "userName", key == "role" && k == "roleName":
				name = n.text()
			case key == "user" && k == "userId", key == "role" && k == "roleId":
				id = n.text()
			default:
				d.Skip()
			}
		}
		u.UID, u.UIDAlt = arn, id
		if u.Name == "" {
			u.Name = name
		}
	}
	if err := d.Err(); err != nil {
		return memberErr("responseElements", sp, err)
	}
	return nil
}

// resources fills the resources of an API Activity event from the record's resources array.
func (n *normalizer) resources(text string, sp jsonscan.Span, a *ocsf.APIActivity) error {
	if sp.IsZero() {
		return nil
	}
	d := &n.d
	d.Reset(text[sp.Start:sp.End])
	d.Array()
	var out []ocsf.ResourceDetails
	for d.Elem() {
		if d.Peek() != jsonscan.Object {
			d.Skip()
			continue
		}
		var r ocsf.ResourceDetails
		d.Object()
		for {
			k, ok := d.Key()
			if !ok {
				break
			}
			switch k {
			case "ARN":
				r.UID = n.text()
			case "accountId":
				r.Owner.Account.UID = n.text()
			case "type":
				r.Type = n.text()
			default:
				d.Skip()
			}
		}
		if r.UID != "" || r.Type != "" || r.Owner.Account.UID != "" {
			if out == nil {
				out = n.resourceSlab(4)
			}
			out = append(out, r)
		}
	}
	if err := d.End(); err != nil {
		return memberErr("resources", sp, err)
	}
	a.Resources = out
	return nil
}

// resourceSlab returns an empty slice of capacity k from the slab of resources.
func (n *normalizer) resourceSlab(k int) []ocsf.ResourceDetails {
	if len(n.res) < k {
		n.res = make([]ocsf.ResourceDetails, slabLen)
	}
	s := n.res[:0:k]
	n.res = n.res[k:]
	return s
}

// boolean returns a pointer to a fresh b from the slab of booleans.
func (n *normalizer) boolean(b bool) *bool {
	if len(n.bools) == 0 {
		n.bools = make([]bool, slabLen)
	}
	p := &n.bools[0]
	*p = b
	n.bools = n.bools[1:]
	return p
}

// observables lists the event's IP addresses, host names, user names and resource ARNs.
func (n *normalizer) observables(src *ocsf.NetworkEndpoint, actor *ocsf.Actor, user *ocsf.User, res []ocsf.ResourceDetails) []ocsf.Observable {
	k := len(res)
	if src.IP != "" || src.Domain != "" {
		k++
	}
	if actor.User.Name != "" {
		k++
	}
	if user != nil && user.Name != "" {
		k++
	}
	if k == 0 {
		return nil
	}
	if len(n.obs) < k {
		n.obs = make([]ocsf.Observable, max(slabLen, k))
	}
	out := n.obs[:0:k]
	n.obs = n.obs[k:]
	if src.IP != "" {
		out = append(out, ocsf.Observable{Name: "src_endpoint.ip", Type: ipType, TypeID: ocsf.ObservableIP, Value: src.IP})
	} else if src.Domain != "" && isHostname(src.Domain) {
		out = append(out, ocsf.Observable{Name: "src_endpoint.domain", Type: hostnameType, TypeID: ocsf.ObservableHostname, Value: src.Domain})
	}
	if actor.User.Name != "" {
		out = append(out, ocsf.Observable{Name: "actor.user.name", Type: userType, TypeID: ocsf.ObservableUserName, Value: actor.User.Name})
	}
	if user != nil && user.Name != "" {
		out = append(out, ocsf.Observable{Name: "user.name", Type: userType, TypeID: ocsf.ObservableUserName, Value: user.Name})
	}
	for _, r := range res {
		if r.UID != "" {
			out = append(out, ocsf.Observable{Name: "resources[].uid", Type: resourceType, TypeID: ocsf.ObservableResourceUID, Value: r.UID})
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// isHostname reports whether s is a DNS name of two labels or more (a service's endpoint
// such as "cloudformation.amazonaws.com"): letters, digits, '-' and '_' between dots.
func isHostname(s string) bool {
	dots, label := 0, 0
	for i := range len(s) {
		switch c := s[i]; {
		case c == '.':
			if label == 0 {
				return false
			}
			dots, label = dots+1, 0
		case c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			label++
			if label > 63 {
				return false
			}
		default:
			return false
		}
	}
	return dots > 0 && label > 0 && len(s) <= 253
}

func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return `"` + s + `"`
}
