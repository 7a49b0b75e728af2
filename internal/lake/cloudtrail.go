package lake

import (
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// CloudTrailRow is a row of the CLOUD_TRAIL_MGMT table, which holds CloudTrail management
// events of three OCSF classes in one Parquet schema, as Security Lake's table does: API
// Activity (6003), Authentication (3002) and Account Change (3001). ClassUID tells them apart;
// the attributes of the other classes are null.
//
// Its objects are reduced to the attributes Security Lake fills for CloudTrail, so that the
// table has few leaf columns (each costs encoding time on every row): 92, 40 of them the base
// event's, against 173 for the union of the three classes' full objects. Converting an event to a row keeps those attributes and
// drops the others (an actor's process, a user's groups, a policy, ...); Event converts a row
// back.
type CloudTrailRow struct {
	ocsf.Base
	API         ocsf.API          `parquet:"api,optional"`
	Actor       CloudTrailActor   `parquet:"actor,optional"`
	SrcEndpoint CloudTrailNetwork `parquet:"src_endpoint,optional"`
	DstEndpoint CloudTrailNetwork `parquet:"dst_endpoint,optional"`
	HTTPRequest CloudTrailHTTP    `parquet:"http_request,optional"`
	// Resources are API Activity's.
	Resources []CloudTrailResource `parquet:"resources,optional,list"`
	// User is the user an Authentication authenticates or an Account Change changes.
	User CloudTrailUser `parquet:"user,optional"`
	// Service and IsMFA are Authentication's.
	Service  ocsf.Service `parquet:"service,optional"`
	IsMFA    *bool        `parquet:"is_mfa,optional"`
	StatusID int32        `parquet:"status_id,optional"`
	Status   string       `parquet:"status,optional"`
}

// CloudTrailUser is the user object of CLOUD_TRAIL_MGMT rows.
type CloudTrailUser struct {
	UID          string          `parquet:"uid,optional"`
	UIDAlt       string          `parquet:"uid_alt,optional"`
	Name         string          `parquet:"name,optional"`
	Type         string          `parquet:"type,optional"`
	CredentialID string          `parquet:"credential_uid,optional"`
	Account      CloudTrailOwner `parquet:"account,optional"`
}

// CloudTrailOwner is an account object reduced to its uid.
type CloudTrailOwner struct {
	UID string `parquet:"uid,optional"`
}

// CloudTrailSession is the session object of CLOUD_TRAIL_MGMT rows. CreatedTimeDT is
// created_time_dt in milliseconds (a TIMESTAMP column): parquet-go v0.32.0 writes an optional
// time.Time inside an optional group as null.
type CloudTrailSession struct {
	CreatedTime   int64  `parquet:"created_time,optional"`
	CreatedTimeDT int64  `parquet:"created_time_dt,optional,timestamp(millisecond)"`
	IsMFA         *bool  `parquet:"is_mfa,optional"`
	Issuer        string `parquet:"issuer,optional"`
}

// CloudTrailActor is the actor object of CLOUD_TRAIL_MGMT rows.
type CloudTrailActor struct {
	User      CloudTrailUser    `parquet:"user,optional"`
	Session   CloudTrailSession `parquet:"session,optional"`
	InvokedBy string            `parquet:"invoked_by,optional"`
	IdP       ocsf.IdP          `parquet:"idp,optional"`
}

// CloudTrailNetwork is the network_endpoint object of CLOUD_TRAIL_MGMT rows.
type CloudTrailNetwork struct {
	IP       string `parquet:"ip,optional"`
	Hostname string `parquet:"hostname,optional"`
	Domain   string `parquet:"domain,optional"`
	UID      string `parquet:"uid,optional"`
	SvcName  string `parquet:"svc_name,optional"`
}

// CloudTrailHTTP is the http_request object of CLOUD_TRAIL_MGMT rows.
type CloudTrailHTTP struct {
	UserAgent string `parquet:"user_agent,optional"`
}

// CloudTrailResource is the resource_details object of CLOUD_TRAIL_MGMT rows.
type CloudTrailResource struct {
	UID   string             `parquet:"uid,optional"`
	Name  string             `parquet:"name,optional"`
	Type  string             `parquet:"type,optional"`
	Owner CloudTrailResOwner `parquet:"owner,optional"`
}

// CloudTrailResOwner is a resource's owner, reduced to its account.
type CloudTrailResOwner struct {
	Account CloudTrailOwner `parquet:"account,optional"`
}

// CloudTrailMgmtTable returns the CLOUD_TRAIL_MGMT table at SourceVersion: the union of API
// Activity, Authentication and Account Change events, in CloudTrailRow rows.
func CloudTrailMgmtTable() Table {
	return UnionTable(CloudTrailMgmt, SourceVersion, cloudTrailRowOf,
		(*ocsf.APIActivity)(nil), (*ocsf.Authentication)(nil), (*ocsf.AccountChange)(nil))
}

// cloudTrailRowOf overwrites dst with ev.
func cloudTrailRowOf(dst *CloudTrailRow, ev ocsf.Event) bool {
	switch e := ev.(type) {
	case *ocsf.APIActivity:
		if e == nil {
			return false
		}
		*dst = CloudTrailRow{Base: e.Base, API: e.API, Actor: ctActor(&e.Actor), SrcEndpoint: ctNetwork(&e.SrcEndpoint),
			DstEndpoint: ctNetwork(&e.DstEndpoint), HTTPRequest: CloudTrailHTTP{e.HTTPRequest.UserAgent},
			StatusID: e.StatusID, Status: e.Status}
		if len(e.Resources) > 0 {
			dst.Resources = make([]CloudTrailResource, len(e.Resources))
			for i := range e.Resources {
				r := &e.Resources[i]
				dst.Resources[i] = CloudTrailResource{UID: r.UID, Name: r.Name, Type: r.Type,
					Owner: CloudTrailResOwner{CloudTrailOwner{r.Owner.Account.UID}}}
			}
		}
	case *ocsf.Authentication:
		if e == nil {
			return false
		}
		*dst = CloudTrailRow{Base: e.Base, API: e.API, Actor: ctActor(&e.Actor), SrcEndpoint: ctNetwork(&e.SrcEndpoint),
			DstEndpoint: ctNetwork(&e.DstEndpoint), HTTPRequest: CloudTrailHTTP{e.HTTPRequest.UserAgent},
			User: ctUser(&e.User), Service: e.Service, IsMFA: e.IsMFA, StatusID: e.StatusID, Status: e.Status}
	case *ocsf.AccountChange:
		if e == nil {
			return false
		}
		*dst = CloudTrailRow{Base: e.Base, API: e.API, Actor: ctActor(&e.Actor), SrcEndpoint: ctNetwork(&e.SrcEndpoint),
			HTTPRequest: CloudTrailHTTP{e.HTTPRequest.UserAgent}, User: ctUser(&e.User),
			StatusID: e.StatusID, Status: e.Status}
	default:
		return false
	}
	return true
}

func ctUser(u *ocsf.User) CloudTrailUser {
	return CloudTrailUser{UID: u.UID, UIDAlt: u.UIDAlt, Name: u.Name, Type: u.Type, CredentialID: u.CredentialID,
		Account: CloudTrailOwner{u.Account.UID}}
}

func ctActor(a *ocsf.Actor) CloudTrailActor {
	return CloudTrailActor{User: ctUser(&a.User), InvokedBy: a.InvokedBy, IdP: a.IdP,
		Session: CloudTrailSession{CreatedTime: a.Session.CreatedTime, CreatedTimeDT: millis(a.Session.CreatedTimeDT),
			IsMFA: a.Session.IsMFA, Issuer: a.Session.Issuer}}
}

// millis returns t in milliseconds since the epoch, 0 for the zero time.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMillis is the inverse of millis.
func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func ctNetwork(n *ocsf.NetworkEndpoint) CloudTrailNetwork {
	return CloudTrailNetwork{IP: n.IP, Hostname: n.Hostname, Domain: n.Domain, UID: n.UID, SvcName: n.SvcName}
}

func (u *CloudTrailUser) user() ocsf.User {
	return ocsf.User{UID: u.UID, UIDAlt: u.UIDAlt, Name: u.Name, Type: u.Type, CredentialID: u.CredentialID,
		Account: ocsf.Account{UID: u.Account.UID}}
}

func (a *CloudTrailActor) actor() ocsf.Actor {
	return ocsf.Actor{User: a.User.user(), InvokedBy: a.InvokedBy, IdP: a.IdP,
		Session: ocsf.Session{CreatedTime: a.Session.CreatedTime, CreatedTimeDT: fromMillis(a.Session.CreatedTimeDT),
			IsMFA: a.Session.IsMFA, Issuer: a.Session.Issuer}}
}

func (n *CloudTrailNetwork) endpoint() ocsf.NetworkEndpoint {
	return ocsf.NetworkEndpoint{IP: n.IP, Hostname: n.Hostname, Domain: n.Domain, UID: n.UID, SvcName: n.SvcName}
}

// Event returns the event the row holds, of its class: an *ocsf.APIActivity,
// *ocsf.Authentication or *ocsf.AccountChange (nil for another class).
func (r *CloudTrailRow) Event() ocsf.Event {
	http := ocsf.HTTPRequest{UserAgent: r.HTTPRequest.UserAgent}
	switch r.ClassUID {
	case ocsf.ClassAPIActivity:
		ev := &ocsf.APIActivity{Base: r.Base, API: r.API, Actor: r.Actor.actor(), SrcEndpoint: r.SrcEndpoint.endpoint(),
			DstEndpoint: r.DstEndpoint.endpoint(), HTTPRequest: http, StatusID: r.StatusID, Status: r.Status}
		if len(r.Resources) > 0 {
			ev.Resources = make([]ocsf.ResourceDetails, len(r.Resources))
			for i, res := range r.Resources {
				ev.Resources[i] = ocsf.ResourceDetails{UID: res.UID, Name: res.Name, Type: res.Type,
					Owner: ocsf.User{Account: ocsf.Account{UID: res.Owner.Account.UID}}}
			}
		}
		return ev
	case ocsf.ClassAuthentication:
		return &ocsf.Authentication{Base: r.Base, API: r.API, Actor: r.Actor.actor(), SrcEndpoint: r.SrcEndpoint.endpoint(),
			DstEndpoint: r.DstEndpoint.endpoint(), HTTPRequest: http, User: r.User.user(), Service: r.Service,
			IsMFA: r.IsMFA, StatusID: r.StatusID, Status: r.Status}
	case ocsf.ClassAccountChange:
		return &ocsf.AccountChange{Base: r.Base, API: r.API, Actor: r.Actor.actor(), SrcEndpoint: r.SrcEndpoint.endpoint(),
			HTTPRequest: http, User: r.User.user(), StatusID: r.StatusID, Status: r.Status}
	}
	return nil
}
