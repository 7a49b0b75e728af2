// Package cloudtrail reads AWS CloudTrail management events and normalizes them to OCSF 1.1.0
// as Amazon Security Lake does, for its CLOUD_TRAIL_MGMT table: API Activity (6003),
// Authentication (3002) and Account Change (3001) events.
//
// # Input
//
// Read takes CloudTrail as AWS writes it: S3 log files ({"Records":[...]}, whose array is
// streamed element by element, so that memory stays bounded whatever the file's size),
// single events and NDJSON or concatenated events (CloudTrail Lake exports, CloudWatch Logs
// exports, whose lines may start with a timestamp), a JSON array of events, EventBridge events
// ("AWS API Call via CloudTrail" and the other "... via CloudTrail" detail types: the event is
// in detail), and the output of `aws cloudtrail lookup-events` ({"Events":[...]}, each with
// the event as a JSON string in CloudTrailEvent). Compression is the caller's business.
//
// Every record — an event, or an element of an envelope array — yields exactly one call of
// the sink, with its 1-based number in the input: Event; Skip for digest files (log file
// integrity validation) and for the events Security Lake keeps out of CLOUD_TRAIL_MGMT
// (Insights, data and network activity events); DeadLetter with a precise reason for a record
// that is not valid JSON (RFC 8259, UTF-8), is longer than Format.MaxRecordBytes, lacks
// eventName or eventTime, has a member of the wrong type, or cannot make a valid OCSF event (no
// actor; an API call without source; an authentication without user or service; an account
// change without user).
//
// # Mapping
//
// The class comes from the event name and source as Security Lake selects it: the sign-ins
// and role assumptions (ConsoleLogin, AssumeRole*, ...) are Authentication, Logon (CheckMfa and
// credential challenges Other); the IAM user, role, group, policy, credential and account
// changes of iam, signin and account are Account Change, with their activity from the name
// (Create, Delete, Attach Policy for Attach*, Put*, Add*, Detach Policy for Detach*, Remove*,
// Password Change, Password Reset for UpdateLoginProfile, MFA Factor Enable/Disable, Enable or
// Disable for UpdateAccessKey by its status, else Other); everything else is API Activity,
// with the activity of the name's verb (Create, Run, ... Create; Get, List, Describe, ...
// Read; Update, Put, Modify, Start, Stop, Attach, Tag, ... Update; Delete, Terminate, ...
// Delete; else Other).
//
// Common to the three classes (1.1.0 names):
//   - metadata: product CloudTrail by AWS, version eventVersion, feature.name eventCategory
//     (DefaultFeature without one); uid eventID; event_code eventType; profiles cloud and
//     datetime. Severity Informational.
//   - time and time_dt from eventTime; cloud.region from awsRegion and cloud.account.uid from
//     recipientAccountId (else the EventBridge event's, else the input's location).
//   - api: operation eventName, service.name eventSource, version apiVersion, request.uid
//     requestID (MissingRequestID without one), request.data requestParameters and
//     response.data responseElements as compact JSON text, response.error errorCode,
//     response.message errorMessage.
//   - src_endpoint: ip from sourceIPAddress when it is an address, else domain and svc_name
//     (an AWS service's name, "AWS Internal"); uid from vpcEndpointId.
//   - http_request.user_agent from userAgent.
//   - actor: user.type, uid (arn), uid_alt (principalId, else onBehalfOf.userId), name
//     (userName, else additionalEventData.UserName), credential_uid (accessKeyId, else
//     credentialId), account.uid (accountId); session.created_time and created_time_dt
//     (sessionContext.attributes.creationDate), is_mfa (mfaAuthenticated), issuer
//     (sessionIssuer.arn); invoked_by; idp.name (webIdFederationData.federatedProvider or
//     identityProvider), idp.uid (onBehalfOf.identityStoreArn). A user that only a principal
//     id identifies has it as uid; a user with no uid, name or account (an AWS service's
//     identity) is left out, its type kept in unmapped.
//   - status and status_id: Failure (2) with an errorCode, else Success (1).
//   - unmapped: every other member, flattened as Security Lake does ("a.b" for members of
//     objects, "a[]" for elements of arrays, values of one name joined by ","), and
//     recipientAccountId.
//   - observables: src_endpoint.ip (IP Address) or src_endpoint.domain (Hostname, when it is a
//     DNS name), actor.user.name and user.name (User Name), resources[].uid (Resource UID).
//
// API Activity also has resources (uid from ARN, type, owner.account.uid from accountId).
// Authentication has user (uid roleArn and name roleSessionName of the request when it has
// them, else uid arn and uid_alt principalId of the identity, else its userName and account,
// else its principal id as uid),
// status from responseElements.ConsoleLogin (Unknown without it nor an errorCode), is_mfa from
// additionalEventData.MFAUsed, dst_endpoint.svc_name from additionalEventData.LoginTo.
// Account Change has user, the user or role changed (name from the request's userName or
// roleName, else the response's; uid and uid_alt from the response's arn and userId or
// roleId; else the actor's own identity). Their resources go to unmapped, as OCSF 1.1.0 gives
// these classes none.
package cloudtrail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/jsonscan"
)

// checkEvery is how many records Read handles between two checks of its context.
const checkEvery = 4096

// maxNesting bounds envelopes within envelopes (an EventBridge event in an array, ...).
const maxNesting = 3

// Format is the CloudTrail source format. The zero value is ready to use.
type Format struct {
	// MaxRecordBytes bounds a record; a longer one is dead-lettered (its first
	// MaxRecordBytes bytes). 0 means jsonscan.DefaultMaxRecordBytes.
	MaxRecordBytes int
}

var _ source.Format = Format{}

// Name returns "cloudtrail".
func (Format) Name() string { return "cloudtrail" }

// Table returns "CLOUD_TRAIL_MGMT", Security Lake's table of CloudTrail management events.
func (Format) Table() string { return "CLOUD_TRAIL_MGMT" }

// envelopes are the members whose array a Reader streams: S3 log files' and lookup-events'.
var envelopes = []string{"Records", "Events"}

// Sniff reports whether head starts like CloudTrail: a log file, a digest file, an event (with
// three of its usual members at least), an EventBridge event of a "... via CloudTrail" type,
// or lookup-events output.
func (Format) Sniff(head []byte) bool {
	if bytes.HasPrefix(head, []byte("PAR1")) {
		return false
	}
	fr, ok := jsonscan.FirstRecord(head, envelopes...)
	if !ok {
		return false
	}
	switch {
	case fr.Envelope == "Events":
		return fr.Has("CloudTrailEvent")
	case fr.Has("digestStartTime") && fr.Has("awsAccountId"):
		return true
	case fr.Has("detail-type"):
		return strings.HasSuffix(fr.Strings["detail-type"], "via CloudTrail")
	}
	known := 0
	for _, k := range fr.Keys {
		switch k {
		case "eventVersion", "eventTime", "eventSource", "eventName", "awsRegion", "userIdentity",
			"recipientAccountId", "eventID", "eventType", "sourceIPAddress", "requestParameters":
			known++
		}
	}
	return known >= 3 || fr.Envelope == "Records" && known >= 1
}

// Read streams every record of in to sink (see the package documentation). The event passed
// to sink.Event is reused for a later record once the call returns, so a sink that keeps it
// must copy it; a shallow copy is enough, because the strings, slices, pointers and maps it
// references are never modified afterwards. The event and what it references are read-only.
//
// Read returns an error when in cannot be read (after accounting for the records read before),
// when it ends inside an envelope array, when sink fails and when ctx is done.
func (f Format) Read(ctx context.Context, in source.Input, sink source.Sink) error {
	r := in.R
	if r == nil {
		if in.ReaderAt == nil {
			return fmt.Errorf("cloudtrail: %s: input has no content reader", in.Name)
		}
		r = io.NewSectionReader(in.ReaderAt, 0, in.Size)
	}
	rd := jsonscan.NewReader(r, f.MaxRecordBytes, envelopes...)
	rs := &reader{sink: sink}
	h := hints{account: in.Account, region: in.Region}
	for {
		if rs.pos%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("cloudtrail: %s: %w", in.Name, err)
			}
		}
		rec, err := rd.Next(rs.p.parse)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("cloudtrail: %s: after record %d: %w", in.Name, rs.pos, err)
		}
		if rec.Err != nil {
			err = rs.dead(rec.Raw, rec.Err.Error())
		} else {
			err = rs.record(string(rec.Raw), rec.Envelope, h, 0)
		}
		if err != nil {
			return fmt.Errorf("cloudtrail: %s: record %d: %w", in.Name, rs.pos, err)
		}
	}
}

// reader holds the state of one input being read.
type reader struct {
	sink source.Sink
	p    parser
	n    normalizer
	pos  int64 // records accounted for
}

func (rs *reader) dead(raw []byte, reason string) error {
	rs.pos++
	return rs.sink.DeadLetter(raw, rs.pos, reason)
}

func (rs *reader) skip(reason string) error {
	rs.pos++
	return rs.sink.Skip(rs.pos, reason)
}

// record handles the record text, whose fields rs.p.f holds, found in envelope env ("" at the
// top level): an event, or an envelope holding events.
func (rs *reader) record(text, env string, h hints, nesting int) error {
	f := &rs.p.f
	switch {
	case f.digest:
		return rs.skip(errDigest.reason)
	case !f.records.IsZero() && env == "" && nesting == 0:
		// A log file whose Records member is not its first: read whole, bounded by the
		// record limit.
		return rs.elements(text[f.records.Start:f.records.End], h, nesting)
	case env == "Events" || !f.cloudTrailEvent.IsZero():
		if f.cloudTrailEvent.IsZero() {
			return rs.dead([]byte(text), "lookup-events event without CloudTrailEvent")
		}
		return rs.nested(text, f.cloudTrailEvent.In(text), h, nesting)
	case !f.detailType.IsZero() || !f.detail.IsZero():
		dt := f.detailType.In(text)
		if !strings.HasSuffix(dt, "via CloudTrail") || f.detail.IsZero() {
			return rs.dead([]byte(text), "EventBridge event of detail-type "+strconv.Quote(dt)+" holds no CloudTrail event")
		}
		if a := f.ebAccount.In(text); a != "" {
			h.account = a
		}
		if r := f.ebRegion.In(text); r != "" {
			h.region = r
		}
		return rs.nested(text, text[f.detail.Start:f.detail.End], h, nesting)
	}
	ev, err := rs.n.normalize(text, f, h)
	if err != nil {
		var skip *skipError
		if errors.As(err, &skip) {
			return rs.skip(skip.reason)
		}
		return rs.dead([]byte(text), err.Error())
	}
	rs.pos++
	return rs.sink.Event(ev, rs.pos)
}

// nested handles inner, the event that outer (a record) holds.
func (rs *reader) nested(outer, inner string, h hints, nesting int) error {
	if nesting >= maxNesting {
		return rs.dead([]byte(outer), "envelopes nested deeper than "+strconv.Itoa(maxNesting))
	}
	if _, err := rs.p.parse(inner); err != nil {
		return rs.dead([]byte(outer), err.Error())
	}
	return rs.record(inner, "", h, nesting+1)
}

// elements handles the elements of the JSON array text, each a record. What follows an element
// that breaks the array is one dead letter.
func (rs *reader) elements(text string, h hints, nesting int) error {
	var d jsonscan.Decoder
	d.Reset(text)
	d.Array()
	end := 1 // where the last element read ends
	for d.Elem() {
		sp := d.Frame()
		if d.Err() != nil {
			break
		}
		end = sp.End
		elem := text[sp.Start:sp.End]
		if _, err := rs.p.parse(elem); err != nil {
			if err := rs.dead([]byte(elem), err.Error()); err != nil {
				return err
			}
			continue
		}
		if err := rs.record(elem, "Records", h, nesting+1); err != nil {
			return err
		}
	}
	if err := d.End(); err != nil {
		return rs.dead([]byte(strings.TrimLeft(text[end:], ", \t\r\n")), "Records: "+err.Error())
	}
	return nil
}
