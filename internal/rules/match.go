package rules

import (
	"encoding/base64"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/mcpwatch/mcpwatch/internal/catalogue"
	"github.com/mcpwatch/mcpwatch/internal/intel"
	"github.com/mcpwatch/mcpwatch/internal/netclass"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/rules/fields"
)

// ctx is the state of matching one event: the event and a per-event cache of field values,
// so that rules reading the same field (or the same member of a JSON attribute) read it once.
// Sets pool them; in steady state matching does not allocate.
type ctx struct {
	ev    ocsf.Event
	epoch uint32
	cache []cacheEntry // by source slot
	addrs []addrEntry  // by source slot: the value parsed as an IP address
	strs  []string
	ints  []int64
	bytes []byte // scratch: decoded base64, formatted numbers
}

// cacheEntry locates the values of one source for the current event.
type cacheEntry struct {
	epoch  uint32
	lo, hi int32
}

// addrEntry is the value of a single-valued source parsed as an IP address.
type addrEntry struct {
	epoch uint32
	ok    bool
	addr  netip.Addr
}

// addrValue returns the value of a single-valued String source parsed as an IP address
// (unmapped, without zone), parsing it once per event.
func (c *ctx) addrValue(s *source) (netip.Addr, bool, bool) {
	e := &c.addrs[s.slot]
	vals := c.strValues(s)
	if len(vals) == 0 {
		return netip.Addr{}, false, false
	}
	if e.epoch != c.epoch {
		a, err := netip.ParseAddr(vals[0])
		*e = addrEntry{epoch: c.epoch, ok: err == nil, addr: a.Unmap().WithZone("")}
	}
	return e.addr, e.ok, true
}

// reset prepares c for ev.
func (c *ctx) reset(ev ocsf.Event) {
	c.ev = ev
	c.epoch++
	if c.epoch == 0 { // wrapped: forget every entry
		clear(c.cache)
		clear(c.addrs)
		c.epoch = 1
	}
	c.strs = c.strs[:0]
	c.ints = c.ints[:0]
}

// release drops the references to the event's data.
func (c *ctx) release() {
	c.ev = nil
	clear(c.strs[:cap(c.strs)])
}

// strValues returns the values of a String or Bool source.
func (c *ctx) strValues(s *source) []string {
	e := &c.cache[s.slot]
	if e.epoch != c.epoch {
		lo := len(c.strs)
		c.strs = s.appendStrs(c.ev, c.strs)
		*e = cacheEntry{epoch: c.epoch, lo: int32(lo), hi: int32(len(c.strs))}
	}
	return c.strs[e.lo:e.hi]
}

// intValues returns the values of an Int source.
func (c *ctx) intValues(s *source) []int64 {
	e := &c.cache[s.slot]
	if e.epoch != c.epoch {
		lo := len(c.ints)
		c.ints = s.appendInts(c.ev, c.ints)
		*e = cacheEntry{epoch: c.epoch, lo: int32(lo), hi: int32(len(c.ints))}
	}
	return c.ints[e.lo:e.hi]
}

// expr is a compiled condition.
type expr interface {
	eval(c *ctx) bool
}

type andExpr []expr

func (e andExpr) eval(c *ctx) bool {
	for _, x := range e {
		if !x.eval(c) {
			return false
		}
	}
	return true
}

type orExpr []expr

func (e orExpr) eval(c *ctx) bool {
	for _, x := range e {
		if x.eval(c) {
			return true
		}
	}
	return false
}

type notExpr struct{ x expr }

func (e notExpr) eval(c *ctx) bool { return !e.x.eval(c) }

type constExpr bool

func (e constExpr) eval(*ctx) bool { return bool(e) }

// fieldMatch is one "field|modifiers: values" of a search.
type fieldMatch struct {
	src    *source
	preds  []pred
	all    bool // every value (pattern) must be matched, by some field value
	null   bool // a null or empty value: holds when the field has no value
	exists int8 // |exists: 1 true, -1 false
	b64    bool // the field's values are base64: decoded before matching
	// addr: the source is single-valued text and every predicate an addrPred, which is
	// given the value parsed once per event.
	addr bool
}

func (m *fieldMatch) eval(c *ctx) bool {
	if m.src.kind == fields.Int {
		vals := c.intValues(m.src)
		if m.exists != 0 {
			return (len(vals) > 0) == (m.exists > 0)
		}
		if len(vals) == 0 {
			return m.null
		}
		if m.all {
			for _, p := range m.preds {
				if !slices.ContainsFunc(vals, func(v int64) bool { return p.num(c, v) }) {
					return false
				}
			}
			return len(m.preds) > 0
		}
		for _, v := range vals {
			for _, p := range m.preds {
				if p.num(c, v) {
					return true
				}
			}
		}
		return false
	}
	if m.addr && m.exists == 0 {
		a, ok, present := c.addrValue(m.src)
		if !present {
			return m.null
		}
		if ok {
			for _, p := range m.preds {
				if p.(addrPred).addr(a) {
					return true
				}
			}
			return false
		}
		// Not an address: the text predicates decide (a block for cidr).
	}
	vals := c.strValues(m.src)
	if m.exists != 0 {
		return (len(vals) > 0) == (m.exists > 0)
	}
	if len(vals) == 0 {
		return m.null
	}
	if m.all {
		for _, p := range m.preds {
			found := false
			for _, v := range vals {
				if m.b64 {
					var ok bool
					if v, ok = c.decodeBase64(v); !ok {
						continue
					}
				}
				if p.str(c, v) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		return len(m.preds) > 0
	}
	for _, v := range vals {
		if m.b64 {
			var ok bool
			if v, ok = c.decodeBase64(v); !ok {
				continue
			}
		}
		for _, p := range m.preds {
			if p.str(c, v) {
				return true
			}
		}
	}
	return false
}

// decodeBase64 decodes s (standard or URL alphabet, padded or not) into c's scratch buffer;
// the string returned is valid until the next use of the buffer.
func (c *ctx) decodeBase64(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		n := enc.DecodedLen(len(s))
		if cap(c.bytes) < n {
			c.bytes = make([]byte, n)
		}
		k, err := enc.Decode(c.bytes[:n], []byte(s))
		if err == nil {
			return unsafe.String(unsafe.SliceData(c.bytes), k), true
		}
	}
	return "", false
}

// pred is a compiled value of a field match, with its modifiers.
type pred interface {
	str(c *ctx, s string) bool
	num(c *ctx, v int64) bool
}

// addrPred is a predicate on IP addresses.
type addrPred interface {
	addr(a netip.Addr) bool
}

// numText formats v in c's scratch buffer for the text predicates.
func numText(c *ctx, v int64) string {
	c.bytes = strconv.AppendInt(c.bytes[:0], v, 10)
	return unsafe.String(unsafe.SliceData(c.bytes), len(c.bytes))
}

// globPred: equality, contains, startswith, endswith and wildcards.
type globPred struct{ g *glob }

func (p globPred) str(_ *ctx, s string) bool { return p.g.match(s) }
func (p globPred) num(c *ctx, v int64) bool  { return p.g.match(numText(c, v)) }

// intEqPred: an integer field equal to an integer value.
type intEqPred struct{ v int64 }

func (p intEqPred) str(_ *ctx, s string) bool {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return err == nil && v == p.v
}
func (p intEqPred) num(_ *ctx, v int64) bool { return v == p.v }

// rePred: |re.
type rePred struct{ re *regexp.Regexp }

func (p rePred) str(_ *ctx, s string) bool { return p.re.MatchString(s) }
func (p rePred) num(c *ctx, v int64) bool  { return p.re.MatchString(numText(c, v)) }

// cidrPred: |cidr, an address (or an address block) within the prefix.
type cidrPred struct{ prefix netip.Prefix }

func (p cidrPred) str(_ *ctx, s string) bool {
	a, err := netip.ParseAddr(s)
	if err == nil {
		return p.prefix.Contains(a.Unmap().WithZone(""))
	}
	// A block (a security group's cidrIp): it must lie within the prefix.
	b, err := netip.ParsePrefix(s)
	return err == nil && b.Bits() >= p.prefix.Bits() && p.prefix.Contains(b.Addr().Unmap())
}
func (cidrPred) num(*ctx, int64) bool { return false }

func (p cidrPred) addr(a netip.Addr) bool { return p.prefix.Contains(a) }

// cmpPred: |gt, |gte, |lt, |lte.
type cmpPred struct {
	op string
	v  float64
}

func (p cmpPred) holds(x float64) bool {
	switch p.op {
	case "gt":
		return x > p.v
	case "gte":
		return x >= p.v
	case "lt":
		return x < p.v
	}
	return x <= p.v
}

func (p cmpPred) str(_ *ctx, s string) bool {
	x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return err == nil && p.holds(x)
}
func (p cmpPred) num(_ *ctx, v int64) bool { return p.holds(float64(v)) }

// cataloguePred: |catalogue, a host name or URL the catalogue says is MCP.
type cataloguePred struct {
	cat *catalogue.Catalogue
	min catalogue.Confidence
}

func (p cataloguePred) str(_ *ctx, s string) bool {
	var m catalogue.Match
	if strings.Contains(s, "://") || strings.IndexByte(s, '/') > 0 {
		m = p.cat.LookupURL(s)
	} else {
		m = p.cat.LookupHost(strings.TrimSuffix(s, "."))
	}
	return m.OK() && m.Basis != catalogue.BasisNotMCP && m.Confidence >= p.min
}
func (cataloguePred) num(*ctx, int64) bool { return false }

// commandPred: |catalogue_command, text that starts an MCP server on any line.
type commandPred struct {
	cat *catalogue.Catalogue
	min catalogue.Confidence
}

func (p commandPred) str(c *ctx, s string) bool {
	if looksBase64(s) {
		if d, ok := c.decodeBase64(s); ok && utf8Text(d) {
			s = strings.Clone(d) // lines outlive the scratch buffer in catalogue calls
		}
	}
	for line := range strings.Lines(s) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		if m := p.cat.MatchCommand(line); m.OK() && m.Basis != catalogue.BasisNotMCP && m.Confidence >= p.min {
			return true
		}
	}
	return false
}
func (commandPred) num(*ctx, int64) bool { return false }

// looksBase64 reports whether s could be base64 text as a whole (CloudTrail's RunInstances
// userData): long enough, of the base64 alphabets only.
func looksBase64(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) < 8 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isLetter(c) || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// utf8Text reports whether decoded base64 is text rather than binary.
func utf8Text(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			return false
		}
	}
	return true
}

// imagePred: |catalogue_image.
type imagePred struct {
	cat *catalogue.Catalogue
	min catalogue.Confidence
}

func (p imagePred) str(_ *ctx, s string) bool {
	m := p.cat.MatchImage(s)
	return m.OK() && m.Basis != catalogue.BasisNotMCP && m.Confidence >= p.min
}
func (imagePred) num(*ctx, int64) bool { return false }

// intelPred: |intel, an address or domain on the threat-intel sets.
type intelPred struct {
	set  *intel.Set
	want bool
}

func (p intelPred) str(_ *ctx, s string) bool {
	if a, err := netip.ParseAddr(s); err == nil {
		return p.set.Contains(a) == p.want
	}
	return p.set.ContainsDomain(s) == p.want
}
func (intelPred) num(*ctx, int64) bool { return false }

func (p intelPred) addr(a netip.Addr) bool { return p.set.Contains(a) == p.want }

// internalPred: |internal, an address in the internal blocks.
type internalPred struct {
	extra []netip.Prefix
	want  bool
}

func (p internalPred) str(_ *ctx, s string) bool {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return false
	}
	return isInternal(a.Unmap().WithZone(""), p.extra) == p.want
}
func (internalPred) num(*ctx, int64) bool { return false }

func (p internalPred) addr(a netip.Addr) bool { return isInternal(a, p.extra) == p.want }

// isInternal reports whether a is internal: one of netclass's built-in blocks or of extra.
func isInternal(a netip.Addr, extra []netip.Prefix) bool {
	if netclass.Internal(a) {
		return true
	}
	for _, p := range extra {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// portPred: |mcp_port, a candidate MCP port.
type portPred struct {
	ports []uint16
	want  bool
}

func (p portPred) num(_ *ctx, v int64) bool {
	return (v >= 0 && v <= 65535 && slices.Contains(p.ports, uint16(v))) == p.want
}

func (p portPred) str(c *ctx, s string) bool {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return err == nil && p.num(c, v)
}
