package cloudtrail

import (
	"github.com/mcpwatch/mcpwatch/internal/source/jsonscan"
)

// fields is where the members of a record are, found by one pass over it (parse). String
// members are spans of their content, validated; object and array members are spans of their
// text, validated for requestParameters and responseElements, which nothing reads again, and
// only framed for the others, which normalize decodes, validating them.
type fields struct {
	eventVersion, eventTime, eventSource, eventName, awsRegion, sourceIPAddress, userAgent,
	requestID, eventID, eventType, apiVersion, recipientAccountID, errorCode, errorMessage,
	eventCategory, vpcEndpointID jsonscan.Span

	userIdentity, additionalEventData   bool // present
	resources                           jsonscan.Span
	requestParameters, responseElements jsonscan.Span
	requestCompact, responseCompact     bool

	// Envelopes: the Records array of an object where it is not the first member; the
	// EventBridge event around a CloudTrail event; an event of `aws cloudtrail lookup-events`
	// (the CloudTrail event as a JSON string).
	records                                 jsonscan.Span
	detailType, detail, ebAccount, ebRegion jsonscan.Span
	cloudTrailEvent                         jsonscan.Span
	digest                                  bool // a CloudTrail digest file

	id       identitySpans    // of userIdentity and additionalEventData
	unmapped []unmappedMember // the members no attribute takes
	unmapBuf [24]unmappedMember
}

// parser finds the fields of records; its methods are used by one goroutine.
type parser struct {
	d jsonscan.Decoder
	f fields
}

// parse is the jsonscan.ParseFunc of CloudTrail records: it reads one object from the start
// of text and records where its members are in p.f.
func (p *parser) parse(text string) (int, error) {
	f := &p.f
	*f = fields{}
	f.unmapped = f.unmapBuf[:0]
	d := &p.d
	d.Reset(text)
	if !d.Object() {
		return 0, d.Err()
	}
	for {
		ks, ok := d.KeySpan()
		if !ok {
			break
		}
		key := text[ks.Start:ks.End]
		if ks.Escaped {
			key = ks.In(text)
		}
		switch key {
		case "eventVersion":
			f.eventVersion = p.str(key)
		case "eventTime":
			f.eventTime = p.str(key)
		case "eventSource":
			f.eventSource = p.str(key)
		case "eventName":
			f.eventName = p.str(key)
		case "awsRegion":
			f.awsRegion = p.str(key)
		case "sourceIPAddress":
			f.sourceIPAddress = p.str(key)
		case "userAgent":
			f.userAgent = p.str(key)
		case "requestID":
			f.requestID = p.str(key)
		case "eventID":
			f.eventID = p.str(key)
		case "eventType":
			f.eventType = p.str(key)
		case "apiVersion":
			f.apiVersion = p.str(key)
		case "recipientAccountId":
			f.recipientAccountID = p.str(key)
		case "errorCode":
			f.errorCode = p.str(key)
		case "errorMessage":
			f.errorMessage = p.str(key)
		case "eventCategory":
			f.eventCategory = p.str(key)
		case "vpcEndpointId":
			f.vpcEndpointID = p.str(key)
		case "userIdentity":
			if f.userIdentity = p.isObject(key); f.userIdentity {
				p.identity()
			}
		case "additionalEventData":
			if f.additionalEventData = p.isObject(key); f.additionalEventData {
				p.additional()
			}
		case "resources":
			f.resources = p.array(key)
		case "requestParameters":
			f.requestParameters, f.requestCompact = p.validated()
		case "responseElements":
			f.responseElements, f.responseCompact = p.validated()
		case "Records":
			f.records = p.array(key)
		case "detail-type":
			f.detailType = p.str(key)
		case "detail":
			f.detail = p.object(key)
		case "account", "region":
			// EventBridge's: strings. Anything else is no EventBridge member.
			if p.d.Peek() != jsonscan.String {
				p.other(ks)
			} else if key == "account" {
				f.ebAccount = p.d.StrSpan()
			} else {
				f.ebRegion = p.d.StrSpan()
			}
		case "CloudTrailEvent":
			f.cloudTrailEvent = p.str(key)
		case "digestStartTime", "digestEndTime", "digestS3Object", "digestPublicKeyFingerprint":
			f.digest = true
			d.Skip()
		default:
			p.other(ks)
		}
	}
	if err := d.Err(); err != nil {
		return 0, err
	}
	return d.Offset(), nil
}

// str reads a member that must be a string or null (absent).
func (p *parser) str(key string) jsonscan.Span {
	sp, k := p.d.NextString()
	switch k {
	case jsonscan.String:
		return sp
	case jsonscan.Null:
		p.d.Null()
	case jsonscan.Invalid:
	default:
		p.wrongType(key, "a string", k)
	}
	return jsonscan.Span{}
}

// wrongType fails the record for a member of kind k where want was expected, once the value
// is known to be valid JSON (else its syntax error is the reason).
func (p *parser) wrongType(key, want string, k jsonscan.Kind) {
	off := p.d.Offset()
	p.d.Skip()
	if p.d.Err() == nil {
		p.d.FailAt(off, key+": expected "+want+", found "+k.String())
	}
}

// isObject reports whether the next value is an object, to read; it reads null, and fails the
// record for another value.
func (p *parser) isObject(key string) bool {
	switch k := p.d.Peek(); k {
	case jsonscan.Object:
		return true
	case jsonscan.Null:
		p.d.Null()
	case jsonscan.Invalid:
	default:
		p.wrongType(key, "an object", k)
	}
	return false
}

// object reads a member that must be an object or null (absent).
func (p *parser) object(key string) jsonscan.Span {
	return p.container(key, jsonscan.Object)
}

// array reads a member that must be an array or null (absent).
func (p *parser) array(key string) jsonscan.Span {
	return p.container(key, jsonscan.Array)
}

func (p *parser) container(key string, want jsonscan.Kind) jsonscan.Span {
	switch k := p.d.Peek(); k {
	case want:
		return p.d.Frame()
	case jsonscan.Null:
		p.d.Null()
	case jsonscan.Invalid:
	default:
		p.wrongType(key, "an "+want.String(), k)
	}
	return jsonscan.Span{}
}

// validated reads any member, validating it, null as absent; it reports whether the member is
// compact (has no whitespace between its tokens).
func (p *parser) validated() (jsonscan.Span, bool) {
	if p.d.Null() {
		return jsonscan.Span{}, true
	}
	return p.d.RawSpan()
}
