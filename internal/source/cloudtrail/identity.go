package cloudtrail

import (
	"github.com/mcpwatch/mcpwatch/internal/source/jsonscan"
)

// identitySpans is where the members of a record's userIdentity and additionalEventData that
// attributes take are: the content of strings, the text of numbers and booleans.
type identitySpans struct {
	typ, principalID, arn, accountID, accessKeyID, userName, invokedBy, identityProvider,
	credentialID, onBehalfOfUserID, identityStoreArn, creationDate, mfaAuthenticated, issuerArn,
	federatedProvider jsonscan.Span

	// Of additionalEventData.
	loginTo, mfaUsed, extraUserName jsonscan.Span
}

// unmappedMember is a member that goes to unmapped: under name; or prefix and its name at key
// when name is ""; or, for a member of a top-level object, the object's name at parent, a dot
// and its name at key.
type unmappedMember struct {
	name, prefix     string
	parent, key, val jsonscan.Span
	container        bool // val is an object or array, to flatten
}

// Prefixes of the unmapped names of nested members.
const (
	pIdentity    = "userIdentity."
	pSession     = "userIdentity.sessionContext."
	pAttributes  = "userIdentity.sessionContext.attributes."
	pIssuer      = "userIdentity.sessionContext.sessionIssuer."
	pWebID       = "userIdentity.sessionContext.webIdFederationData."
	pOnBehalfOf  = "userIdentity.onBehalfOf."
	pAdditional  = "additionalEventData."
	pIdentityRaw = "userIdentity"
)

// identity reads the userIdentity object (pass 1), validating it.
func (p *parser) identity() {
	p.members(pIdentityRaw, pIdentity, func(key string, ks jsonscan.Span) bool {
		f := &p.f.id
		switch key {
		case "type":
			f.typ = p.scalar(pIdentity+"type", ks)
		case "principalId":
			f.principalID = p.scalar(pIdentity+"principalId", ks)
		case "arn":
			f.arn = p.scalar(pIdentity+"arn", ks)
		case "accountId":
			f.accountID = p.scalar(pIdentity+"accountId", ks)
		case "accessKeyId":
			f.accessKeyID = p.scalar(pIdentity+"accessKeyId", ks)
		case "userName":
			f.userName = p.scalar(pIdentity+"userName", ks)
		case "invokedBy":
			f.invokedBy = p.scalar(pIdentity+"invokedBy", ks)
		case "identityProvider":
			f.identityProvider = p.scalar(pIdentity+"identityProvider", ks)
		case "credentialId":
			f.credentialID = p.scalar(pIdentity+"credentialId", ks)
		case "onBehalfOf":
			p.members(pIdentity+"onBehalfOf", pOnBehalfOf, func(key string, ks jsonscan.Span) bool {
				switch key {
				case "userId":
					f.onBehalfOfUserID = p.scalar(pOnBehalfOf+"userId", ks)
				case "identityStoreArn":
					f.identityStoreArn = p.scalar(pOnBehalfOf+"identityStoreArn", ks)
				default:
					return false
				}
				return true
			})
		case "sessionContext":
			p.members(pIdentity+"sessionContext", pSession, func(key string, ks jsonscan.Span) bool {
				switch key {
				case "attributes":
					p.members(pSession+"attributes", pAttributes, func(key string, ks jsonscan.Span) bool {
						switch key {
						case "creationDate":
							f.creationDate = p.scalar(pAttributes+"creationDate", ks)
						case "mfaAuthenticated":
							f.mfaAuthenticated = p.scalar(pAttributes+"mfaAuthenticated", ks)
						default:
							return false
						}
						return true
					})
				case "sessionIssuer":
					p.members(pSession+"sessionIssuer", pIssuer, func(key string, ks jsonscan.Span) bool {
						switch key {
						case "arn":
							f.issuerArn = p.scalar(pIssuer+"arn", ks)
						case "type":
							p.unmapped(pIssuer+"type", "", ks)
						case "principalId":
							p.unmapped(pIssuer+"principalId", "", ks)
						case "accountId":
							p.unmapped(pIssuer+"accountId", "", ks)
						case "userName":
							p.unmapped(pIssuer+"userName", "", ks)
						default:
							return false
						}
						return true
					})
				case "webIdFederationData":
					p.members(pSession+"webIdFederationData", pWebID, func(key string, ks jsonscan.Span) bool {
						if key != "federatedProvider" {
							return false
						}
						f.federatedProvider = p.scalar(pWebID+"federatedProvider", ks)
						return true
					})
				default:
					return false
				}
				return true
			})
		default:
			return false
		}
		return true
	})
}

// additional reads the additionalEventData object (pass 1), validating it.
func (p *parser) additional() {
	p.members("additionalEventData", pAdditional, func(key string, ks jsonscan.Span) bool {
		f := &p.f.id
		switch key {
		case "LoginTo":
			f.loginTo = p.scalar(pAdditional+"LoginTo", ks)
		case "MFAUsed":
			f.mfaUsed = p.scalar(pAdditional+"MFAUsed", ks)
		case "UserName":
			f.extraUserName = p.scalar(pAdditional+"UserName", ks)
		default:
			return false
		}
		return true
	})
}

// members reads the object the decoder is at, calling take with the name of each member: take
// reads the member and returns true, or returns false to leave it to unmapped under prefix
// and its name. Null is absent; a value that is not an object goes to unmapped under name.
func (p *parser) members(name, prefix string, take func(key string, ks jsonscan.Span) bool) {
	d := &p.d
	switch d.Peek() {
	case jsonscan.Object:
	case jsonscan.Null:
		d.Null()
		return
	case jsonscan.Invalid:
		return
	default:
		p.unmapped(name, "", jsonscan.Span{})
		return
	}
	d.Object()
	text := d.Text()
	for {
		ks, ok := d.KeySpan()
		if !ok {
			return
		}
		key := text[ks.Start:ks.End]
		if ks.Escaped {
			key = ks.In(text)
		}
		if !take(key, ks) {
			p.unmapped("", prefix, ks)
		}
	}
}

// scalar reads a string, number or boolean and returns where its text is (a string's content);
// null is absent, and an object or array goes to unmapped under name.
func (p *parser) scalar(name string, ks jsonscan.Span) jsonscan.Span {
	d := &p.d
	sp, k := d.NextString()
	switch k {
	case jsonscan.String:
		return sp
	case jsonscan.Number, jsonscan.True, jsonscan.False:
		sp, _ := d.RawSpan()
		return sp
	case jsonscan.Null:
		d.Null()
	case jsonscan.Object, jsonscan.Array:
		p.unmapped(name, "", ks)
	}
	return jsonscan.Span{}
}

// unmapped keeps the value the decoder is at for unmapped, under name, or prefix and the
// member's name at key; null is absent.
func (p *parser) unmapped(name, prefix string, key jsonscan.Span) {
	d := &p.d
	m := unmappedMember{name: name, prefix: prefix, key: key}
	sp, k := d.NextString()
	switch k {
	case jsonscan.String:
		m.val = sp
	case jsonscan.Number, jsonscan.True, jsonscan.False:
		m.val, _ = d.RawSpan()
	case jsonscan.Object, jsonscan.Array:
		m.val, _ = d.RawSpan()
		m.container = true
	case jsonscan.Null:
		d.Null()
		return
	default:
		return
	}
	p.f.unmapped = append(p.f.unmapped, m)
}

// other reads a top-level member no attribute takes, named at key, for unmapped: a scalar as
// it is, an object member by member (its scalars as they are, what they hold to flatten
// later), an array to flatten later. Null is absent.
func (p *parser) other(key jsonscan.Span) {
	d := &p.d
	if d.Peek() != jsonscan.Object {
		p.unmapped("", "", key)
		return
	}
	d.Object()
	for {
		ks, ok := d.KeySpan()
		if !ok {
			return
		}
		n := len(p.f.unmapped)
		p.unmapped("", "", ks)
		if len(p.f.unmapped) > n {
			p.f.unmapped[n].parent = key
		}
	}
}
