package route53

import (
	"github.com/mcpwatch/mcpwatch/internal/source/jsonscan"
)

// answer is where the members of an element of answers are.
type answer struct {
	rdata, typ, class jsonscan.Span
}

// member is a member no attribute takes: it goes to unmapped under prefix + its name.
type member struct {
	prefix   string // "", "srcids." or "answers[]."
	key, val jsonscan.Span
	str      bool // val is a string's content, else a JSON value
}

// fields is where the members of a record are, found by one validating pass over it (parse):
// string members are spans of their content.
type fields struct {
	spans
	answers []answer
	other   []member
}

// spans are the fields of a record that hold no pointer, so that clearing them for the next
// record costs the garbage collector nothing.
type spans struct {
	version, accountID, region, vpcID, queryTimestamp, queryName, queryType, queryClass,
	rcode, srcaddr, srcport, transport, fwAction, fwRuleGroupID, fwDomainListID jsonscan.Span
	srcportNumber bool // srcport is a JSON number, not a string

	instance, resolverEndpoint, resolverInterface jsonscan.Span // of srcids
}

// parser finds the fields of records; its methods are used by one goroutine.
type parser struct {
	d jsonscan.Decoder
	f fields
}

// The members of a record Resolver writes, in the order it writes them.
const (
	mVersion = iota
	mAccountID
	mRegion
	mVPCID
	mQueryTimestamp
	mQueryName
	mQueryType
	mQueryClass
	mRcode
	mAnswers
	mSrcaddr
	mSrcport
	mTransport
	mSrcids
	mFwAction
	mFwRuleGroupID
	mFwDomainListID
	mOther
)

var memberNames = [...]string{"version", "account_id", "region", "vpc_id", "query_timestamp", "query_name",
	"query_type", "query_class", "rcode", "answers", "srcaddr", "srcport", "transport", "srcids",
	"firewall_rule_action", "firewall_rule_group_id", "firewall_domain_list_id"}

// memberID returns the member constant of a member name, mOther for a name not listed.
func memberID(key string) int {
	for i, n := range memberNames {
		if n == key {
			return i
		}
	}
	return mOther
}

// parse is the jsonscan.ParseFunc of Resolver query log records: it reads one object from the
// start of text, validating it, and records where its members are in p.f. Members in the
// order Resolver writes them are recognized at once; others by name.
func (p *parser) parse(text string) (int, error) {
	f := &p.f
	f.spans, f.answers, f.other = spans{}, f.answers[:0], f.other[:0]
	d := &p.d
	d.Reset(text)
	if !d.Object() {
		return 0, d.Err()
	}
	next := 0
	for {
		var ks jsonscan.Span
		id := mOther
		if next < len(memberNames) && d.KeyIs(memberNames[next]) {
			id = next
		} else {
			var ok bool
			if ks, ok = d.KeySpan(); !ok {
				break
			}
			if ks.Escaped {
				id = memberID(ks.In(text))
			} else {
				id = memberID(text[ks.Start:ks.End])
			}
		}
		if id != mOther {
			next = id + 1
		}
		p.member(id, ks)
	}
	if err := d.Err(); err != nil {
		return 0, err
	}
	return d.Offset(), nil
}

// member reads the value of member id (named at ks when it is mOther).
func (p *parser) member(id int, ks jsonscan.Span) {
	f, d := &p.f, &p.d
	switch id {
	case mVersion:
		f.version = p.str(id)
	case mAccountID:
		f.accountID = p.str(id)
	case mRegion:
		f.region = p.str(id)
	case mVPCID:
		f.vpcID = p.str(id)
	case mQueryTimestamp:
		f.queryTimestamp = p.str(id)
	case mQueryName:
		f.queryName = p.str(id)
	case mQueryType:
		f.queryType = p.str(id)
	case mQueryClass:
		f.queryClass = p.str(id)
	case mRcode:
		f.rcode = p.str(id)
	case mSrcaddr:
		f.srcaddr = p.str(id)
	case mSrcport:
		if d.Peek() == jsonscan.Number {
			f.srcport, _ = d.RawSpan()
			f.srcportNumber = true
		} else {
			f.srcport = p.str(id)
		}
	case mTransport:
		f.transport = p.str(id)
	case mFwAction:
		f.fwAction = p.str(id)
	case mFwRuleGroupID:
		f.fwRuleGroupID = p.str(id)
	case mFwDomainListID:
		f.fwDomainListID = p.str(id)
	case mSrcids:
		p.srcids()
	case mAnswers:
		p.answers()
	default:
		p.other("", ks)
	}
}

// str reads member id, which must be a string or null (absent).
func (p *parser) str(id int) jsonscan.Span {
	return p.strNamed(memberNames[id])
}

// strNamed reads a member named key that must be a string or null (absent).
func (p *parser) strNamed(key string) jsonscan.Span {
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

// other keeps a member no attribute takes, under prefix; null is absent.
func (p *parser) other(prefix string, key jsonscan.Span) {
	sp, k := p.d.NextString()
	switch k {
	case jsonscan.String:
		p.f.other = append(p.f.other, member{prefix: prefix, key: key, val: sp, str: true})
	case jsonscan.Null:
		p.d.Null()
	case jsonscan.Invalid:
	default:
		if v, _ := p.d.RawSpan(); !v.IsZero() {
			p.f.other = append(p.f.other, member{prefix: prefix, key: key, val: v})
		}
	}
}

// srcids reads the srcids object: the instance or the Resolver endpoint the query came from.
func (p *parser) srcids() {
	d := &p.d
	switch k := d.Peek(); k {
	case jsonscan.Null:
		d.Null()
		return
	case jsonscan.Object:
	case jsonscan.Invalid:
		return
	default:
		p.wrongType("srcids", "an object", k)
		return
	}
	d.Object()
	for {
		ks, ok := d.KeySpan()
		if !ok {
			return
		}
		switch key := ks.In(p.d.Text()); key {
		case "instance":
			p.f.instance = p.strNamed("srcids.instance")
		case "resolver_endpoint":
			p.f.resolverEndpoint = p.strNamed("srcids.resolver_endpoint")
		case "resolver_network_interface":
			p.f.resolverInterface = p.strNamed("srcids.resolver_network_interface")
		default:
			p.other("srcids.", ks)
		}
	}
}

// answers reads the answers array.
func (p *parser) answers() {
	d := &p.d
	switch k := d.Peek(); k {
	case jsonscan.Null:
		d.Null()
		return
	case jsonscan.Array:
	case jsonscan.Invalid:
		return
	default:
		p.wrongType("answers", "an array", k)
		return
	}
	d.Array()
	for d.Elem() {
		if k := d.Peek(); k != jsonscan.Object {
			if k != jsonscan.Invalid {
				p.wrongType("answers[]", "an object", k)
			}
			return
		}
		d.Object()
		var a answer
		for {
			ks, ok := d.KeySpan()
			if !ok {
				break
			}
			switch key := ks.In(p.d.Text()); key {
			case "Rdata":
				a.rdata = p.strNamed("answers[].Rdata")
			case "Type":
				a.typ = p.strNamed("answers[].Type")
			case "Class":
				a.class = p.strNamed("answers[].Class")
			default:
				p.other("answers[].", ks)
			}
		}
		p.f.answers = append(p.f.answers, a)
	}
}
