package detect

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/intel"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// Defaults of Config.
const (
	// DefaultExfilThreshold is 50 MiB sent from one internal endpoint to one flagged external
	// endpoint. MCP traffic is JSON-RPC: tool calls and results are kilobytes, a large file or
	// code listing a few megabytes, so a whole working day of heavy legitimate use of one
	// server stays well under it, while staging a repository, a database dump or a document
	// store through a server (hundreds of megabytes and up) crosses it. The endpoint is
	// already flagged, so the threshold only has to separate use from bulk transfer.
	DefaultExfilThreshold = 50 << 20
	// DefaultMaxKeys bounds the aggregation keys a FlowDetector tracks (about 1-2 KiB each).
	DefaultMaxKeys = 1_000_000
	// DefaultMaxEvidences is how many example flows a finding carries.
	DefaultMaxEvidences = 5
)

// Config configures a FlowDetector. The zero Config is usable: no threat intel, default ports
// and limits.
type Config struct {
	// Intel is the threat-intel set (--intel); nil or empty disables the threat-intel rule and
	// the intel half of the exfiltration rule.
	Intel *intel.Set
	// CandidatePorts are the TCP ports of the MCP-port rule; nil means DefaultCandidatePorts,
	// an empty non-nil slice disables the rule (and the port half of exfiltration).
	CandidatePorts []uint16
	// InternalPrefixes are address blocks to treat as internal besides RFC 1918, RFC 6598,
	// loopback, link-local and IPv6 ULA (for example a VPC's public IPv6 block).
	InternalPrefixes []netip.Prefix
	// ExfilThreshold is the number of bytes above which outbound traffic to a flagged
	// endpoint is reported; 0 means DefaultExfilThreshold.
	ExfilThreshold int64
	// MaxKeys bounds the aggregation keys tracked between flushes; 0 means DefaultMaxKeys.
	MaxKeys int
	// MaxEvidences is how many example flows a finding carries; 0 means DefaultMaxEvidences.
	MaxEvidences int
	// ProductVersion is mcpwatch's version, for metadata.product.version.
	ProductVersion string
}

// Stats counts what a FlowDetector saw. Counters are cumulative over flushes; Keys is the
// number of aggregation keys tracked now.
type Stats struct {
	Events   uint64 // events observed
	Flows    uint64 // Network Activity events among them
	Unusable uint64 // flows a rule had to look at whose addresses do not parse (NODATA records)
	Matched  uint64 // rule matches tracked (a flow may match several rules)
	Dropped  uint64 // rule matches lost because MaxKeys keys were already tracked
	Keys     int    // aggregation keys tracked now
}

// FlowDetector applies the flow rules (RuleThreatIntel, RuleMCPPort, RuleExfiltration) to
// OCSF Network Activity events (VPC Flow Logs); other events are ignored. It keeps one
// aggregate per rule and entity (no per-flow state) and at most MaxKeys of them. It is not
// safe for concurrent use.
type FlowDetector struct {
	intel          *intel.Set // nil when empty
	ports          portSet
	class          classifier
	threshold      int64
	maxKeys        int
	maxEvidences   int
	productVersion string
	aggs           map[aggKey]*agg
	stats          Stats
}

// NewFlowDetector returns a FlowDetector configured by cfg.
func NewFlowDetector(cfg Config) (*FlowDetector, error) {
	d := &FlowDetector{
		threshold:      cfg.ExfilThreshold,
		maxKeys:        cfg.MaxKeys,
		maxEvidences:   cfg.MaxEvidences,
		productVersion: cfg.ProductVersion,
		aggs:           make(map[aggKey]*agg),
	}
	if cfg.Intel.Len() > 0 {
		d.intel = cfg.Intel
	}
	ports := cfg.CandidatePorts
	if ports == nil {
		ports = DefaultCandidatePorts()
	}
	for _, p := range ports {
		if p == 0 {
			return nil, fmt.Errorf("candidate MCP port 0 is not a port")
		}
		d.ports.add(p)
	}
	if len(cfg.InternalPrefixes) > 0 {
		entries := make([]intel.Entry, 0, len(cfg.InternalPrefixes))
		for i, p := range cfg.InternalPrefixes {
			if !p.IsValid() {
				return nil, fmt.Errorf("internal prefix %d is not valid", i)
			}
			entries = append(entries, intel.Entry{Prefix: unmapPrefix(p), Source: "internal", Line: i + 1})
		}
		d.class.extra = intel.New(entries)
	}
	switch {
	case d.threshold < 0:
		return nil, fmt.Errorf("exfiltration threshold %d is negative", d.threshold)
	case d.threshold == 0:
		d.threshold = DefaultExfilThreshold
	}
	switch {
	case d.maxKeys < 0:
		return nil, fmt.Errorf("max keys %d is negative", d.maxKeys)
	case d.maxKeys == 0:
		d.maxKeys = DefaultMaxKeys
	}
	switch {
	case d.maxEvidences < 0:
		return nil, fmt.Errorf("max evidences %d is negative", d.maxEvidences)
	case d.maxEvidences == 0:
		d.maxEvidences = DefaultMaxEvidences
	}
	return d, nil
}

// unmapPrefix turns an IPv4-mapped IPv6 prefix into the IPv4 prefix it covers.
func unmapPrefix(p netip.Prefix) netip.Prefix {
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96).Masked()
	}
	return p.Masked()
}

// Stats returns the detector's counters.
func (d *FlowDetector) Stats() Stats {
	s := d.stats
	s.Keys = len(d.aggs)
	return s
}

// Protocol and action values of OCSF Network Activity used by the rules.
const (
	protoTCP     = 6
	actionDenied = 2
)

// rule indexes in aggregation keys.
const (
	ruleIntel uint8 = iota + 1
	rulePort
	ruleExfil
)

// aggKey identifies an aggregate: a rule and the entity it groups by.
//   - threat intel: a = the other (internal) endpoint, b = the listed address
//   - MCP port: a = the server address, port = the server port
//   - exfiltration: a = the internal source, b = the external destination
type aggKey struct {
	rule    uint8
	port    uint16
	account string
	a, b    netip.Addr
}

// side is an endpoint of a flow record.
type side uint8

const (
	sideNone side = iota
	sideSrc
	sideDst
)

// Observe implements Detector. For a flow no rule matches it does not allocate; it parses the
// addresses only when threat intel is loaded or a port is a candidate port.
func (d *FlowDetector) Observe(ev ocsf.Event, ref Ref) {
	d.stats.Events++
	na, ok := ev.(*ocsf.NetworkActivity)
	if !ok || na == nil {
		return
	}
	d.stats.Flows++
	sp, dp := portOf(na.SrcEndpoint.Port), portOf(na.DstEndpoint.Port)
	portHit := na.ConnectionInfo.ProtocolNum == protoTCP && (d.ports.hasInt(sp) || d.ports.hasInt(dp))
	if !portHit && d.intel == nil {
		return
	}
	src, err := parseAddr(na.SrcEndpoint.IP)
	if err != nil {
		d.stats.Unusable++
		return
	}
	dst, err := parseAddr(na.DstEndpoint.IP)
	if err != nil {
		d.stats.Unusable++
		return
	}
	src, dst = src.Unmap().WithZone(""), dst.Unmap().WithZone("")
	srcIn, dstIn := d.class.internal(src), d.class.internal(dst)
	accepted := na.ActionID != actionDenied

	var sEntry, dEntry intel.Entry
	var sHit, dHit bool
	if d.intel != nil {
		if !srcIn {
			sEntry, sHit = d.intel.Lookup(src)
		}
		if !dstIn {
			dEntry, dHit = d.intel.Lookup(dst)
		}
	}
	server := sideNone
	if portHit && accepted {
		server = d.serverSide(sp, dp, src, dst)
	}
	exfil := accepted && srcIn && !dstIn && (dHit || server == sideDst)
	if !sHit && !dHit && server == sideNone { // exfil implies dHit or a server

		return
	}

	fe := makeEvidence(na, ref)
	acct := na.Cloud.Account.UID
	if sHit {
		if g := d.track(aggKey{rule: ruleIntel, account: acct, a: dst, b: src}, &fe, accepted); g != nil {
			g.noteIntel(sEntry)
			g.addResource(&fe.dst)
		}
	}
	if dHit {
		if g := d.track(aggKey{rule: ruleIntel, account: acct, a: src, b: dst}, &fe, accepted); g != nil {
			g.noteIntel(dEntry)
			g.addResource(&fe.src)
		}
	}
	if server != sideNone {
		srvAddr, srvPort, srvEP, cliEP, srvIn := dst, dp, &fe.dst, &fe.src, dstIn
		if server == sideSrc {
			srvAddr, srvPort, srvEP, cliEP, srvIn = src, sp, &fe.src, &fe.dst, srcIn
		}
		if g := d.track(aggKey{rule: rulePort, account: acct, a: srvAddr, port: uint16(srvPort)}, &fe, accepted); g != nil {
			if srvIn {
				g.addResource(srvEP)
			} else {
				g.addResource(cliEP)
			}
		}
	}
	if exfil {
		if g := d.track(aggKey{rule: ruleExfil, account: acct, a: src, b: dst}, &fe, accepted); g != nil {
			if dHit {
				g.noteIntel(dEntry)
			}
			if server == sideDst {
				g.notePort(uint16(dp))
			}
			g.addResource(&fe.src)
		}
	}
}

// serverSide picks the server of a TCP flow record with a candidate port: the side on a
// candidate port whose peer uses an ephemeral port (>= 1024). When both ports are candidates
// the lower port is the server, and on equal ports the lower address, so that the request and
// the response record of a connection agree. A candidate port facing a well-known port (< 1024)
// is a client's port: no server.
func (d *FlowDetector) serverSide(sp, dp int32, src, dst netip.Addr) side {
	candS, candD := d.ports.hasInt(sp), d.ports.hasInt(dp)
	switch {
	case candS && candD:
		switch {
		case dp < sp:
			return sideDst
		case sp < dp:
			return sideSrc
		case dst.Less(src):
			return sideDst
		}
		return sideSrc
	case candD && sp >= ephemeralMin:
		return sideDst
	case candS && dp >= ephemeralMin:
		return sideSrc
	}
	return sideNone
}

// track adds a flow to the aggregate of key, creating it unless MaxKeys are tracked already;
// it returns nil when the match is dropped.
func (d *FlowDetector) track(key aggKey, fe *flowEvidence, accepted bool) *agg {
	g, ok := d.aggs[key]
	if !ok {
		if len(d.aggs) >= d.maxKeys {
			d.stats.Dropped++
			return nil
		}
		g = &agg{}
		d.aggs[key] = g
	}
	d.stats.Matched++
	g.add(fe, accepted, d.maxEvidences)
	return g
}

// Flush implements Detector: it returns the findings of every aggregate (exfiltration ones
// only above the threshold) sorted by Sort, and forgets them.
func (d *FlowDetector) Flush(now time.Time) []ocsf.DetectionFinding {
	out := make([]ocsf.DetectionFinding, 0, len(d.aggs))
	for k, g := range d.aggs {
		if k.rule == ruleExfil && g.bytes < d.threshold {
			continue
		}
		out = append(out, d.build(k, g, now))
	}
	d.aggs = make(map[aggKey]*agg)
	Sort(out)
	return out
}
