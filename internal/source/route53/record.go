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
	version, accountID, region, vpcID, queryTimestamp, queryName, queryType, queryClass,
	rcode, srcaddr, srcport, transport, fwAction, fwRuleGroupID, fwDomainListID jsonscan.Span
	srcportNumber bool // srcport is a JSON number, not a string

	instance, resolverEndpoint, resolverInterface jsonscan.Span // of srcids

	answers []answer
	other   []member
}

// parser finds the fields of records; its methods are used by one goroutine.
type parser struct {
	d jsonscan.Decoder
	f fields
}

// parse is the jsonscan.ParseFunc of Resolver query log records: it reads one object from the
// start of text, validating it, and records where its members are in p.f.
func (p *parser) parse(text string) (int, error) {
	f := &p.f
	answers, other := f.answers[:0], f.other[:0]
	*f = fields{answers: answers, other: other}
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
		case "version":
			f.version = p.str(key)
		case "account_id":
			f.accountID = p.str(key)
		case "region":
			f.region = p.str(key)
		case "vpc_id":
			f.vpcID = p.str(key)
		case "query_timestamp":
			f.queryTimestamp = p.str(key)
		case "query_name":
			f.queryName = p.str(key)
		case "query_type":
			f.queryType = p.str(key)
		case "query_class":
			f.queryClass = p.str(key)
		case "rcode":
			f.rcode = p.str(key)
		case "srcaddr":
			f.srcaddr = p.str(key)
		case "srcport":
			if d.Peek() == jsonscan.Number {
				f.srcport, _ = d.RawSpan()
				f.srcportNumber = true
			} else {
				f.srcport = p.str(key)
			}
		case "transport":
			f.transport = p.str(key)
		case "firewall_rule_action":
			f.fwAction = p.str(key)
		case "firewall_rule_group_id":
			f.fwRuleGroupID = p.str(key)
		case "firewall_domain_list_id":
			f.fwDomainListID = p.str(key)
		case "srcids":
			p.srcids()
		case "answers":
			p.answers()
		default:
			p.other("", ks)
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
			p.f.instance = p.str("srcids.instance")
		case "resolver_endpoint":
			p.f.resolverEndpoint = p.str("srcids.resolver_endpoint")
		case "resolver_network_interface":
			p.f.resolverInterface = p.str("srcids.resolver_network_interface")
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
				a.rdata = p.str("answers[].Rdata")
			case "Type":
				a.typ = p.str("answers[].Type")
			case "Class":
				a.class = p.str("answers[].Class")
			default:
				p.other("answers[].", ks)
			}
		}
		p.f.answers = append(p.f.answers, a)
	}
}
