package demo

import (
	"math/rand/v2"
	"net/netip"
)

// hourWeights is the share of a day's traffic in each UTC hour: a business-day curve.
var hourWeights = [24]float64{2, 1.5, 1.2, 1, 1, 1.2, 2, 3.5, 5, 6, 6.5, 6.5, 6, 6.5, 6.5, 6, 5.5, 5, 4, 3.5, 3, 2.8, 2.5, 2.2}

// endpoint is one side of a connection: an instance of the environment or an outside address.
type endpoint struct {
	inst *Instance
	ip   netip.Addr
	svc  string // AWS service name of an outside address (pkt-*-aws-service), or ""
}

func inside(in *Instance) endpoint { return endpoint{inst: in, ip: in.IP} }

// conn describes one connection to emit as flow-log records.
type conn struct {
	client, server endpoint
	port           int
	proto          int
	up, down       int64 // bytes client→server and server→client
	start          int64 // unix seconds
	reject         bool  // refused by a security group: only the inbound record, REJECT
	path           int   // traffic-path of the egress side (2 IGW, 1 same VPC, 7 gateway endpoint, ...)
}

// emitter turns connections into records, counting them against a budget.
type emitter struct {
	rng  *rand.Rand
	recs []record
}

// emit appends the records of c as the interfaces involved would log them: for each side that
// is an instance of the environment, an egress record of what it sent and an ingress record of
// what it received (a refused connection logs one REJECT ingress record at the server).
func (e *emitter) emit(c conn) {
	clientPort := 32768 + e.rng.IntN(28232)
	dur := int64(1 + e.rng.IntN(59))
	end := c.start + dur
	pk := func(b int64) int64 { return max(1, b/1200+int64(e.rng.IntN(3))) }
	flags := func(first bool) int {
		if c.proto != protoTCP {
			return 0
		}
		if c.reject {
			return 2 // SYN
		}
		if first {
			return 19 // SYN+ACK+FIN as aggregated over the interval (0x13 in AWS docs' examples)
		}
		return 18 // SYN-ACK
	}
	if c.reject {
		if c.server.inst != nil {
			e.recs = append(e.recs, record{inst: c.server.inst, src: c.client.ip, dst: c.server.ip,
				srcPort: clientPort, dstPort: c.port, proto: c.proto, packets: 1 + int64(e.rng.IntN(2)),
				bytes: 40 + int64(e.rng.IntN(2))*20, start: c.start, end: end, action: "REJECT", status: "OK",
				tcpFlags: flags(true), srcSvc: c.client.svc})
		}
		return
	}
	req := record{src: c.client.ip, dst: c.server.ip, srcPort: clientPort, dstPort: c.port, proto: c.proto,
		packets: pk(c.up), bytes: max(c.up, 40), start: c.start, end: end, action: "ACCEPT", status: "OK",
		srcSvc: c.client.svc, dstSvc: c.server.svc}
	resp := record{src: c.server.ip, dst: c.client.ip, srcPort: c.port, dstPort: clientPort, proto: c.proto,
		packets: pk(c.down), bytes: max(c.down, 40), start: c.start, end: end, action: "ACCEPT", status: "OK",
		srcSvc: c.server.svc, dstSvc: c.client.svc}
	if c.proto == protoICMP {
		req.srcPort, req.dstPort, resp.srcPort, resp.dstPort = 0, 0, 0, 0
	}
	if in := c.client.inst; in != nil {
		out, back := req, resp
		out.inst, out.egress, out.tcpFlags, out.trafficPath = in, true, flags(true), c.path
		back.inst, back.egress, back.tcpFlags = in, false, flags(false)
		e.recs = append(e.recs, out, back)
	}
	if in := c.server.inst; in != nil {
		got, sent := req, resp
		got.inst, got.egress, got.tcpFlags = in, false, flags(true)
		sent.inst, sent.egress, sent.tcpFlags, sent.trafficPath = in, true, flags(false), c.path
		if c.client.inst != nil {
			sent.trafficPath = 1
		}
		e.recs = append(e.recs, got, sent)
	}
}

// benign is the generator of normal traffic of one VPC.
type benign struct {
	vpc   *VPC
	roles map[Role][]*Instance
	rng   *rand.Rand
}

func newBenign(vpc *VPC, rng *rand.Rand) *benign {
	b := &benign{vpc: vpc, roles: map[Role][]*Instance{}, rng: rng}
	for _, in := range vpc.Instances {
		b.roles[in.Role] = append(b.roles[in.Role], in)
	}
	return b
}

func (b *benign) pick(roles ...Role) *Instance {
	var n int
	for _, r := range roles {
		n += len(b.roles[r])
	}
	if n == 0 {
		return nil
	}
	i := b.rng.IntN(n)
	for _, r := range roles {
		if i < len(b.roles[r]) {
			return b.roles[r][i]
		}
		i -= len(b.roles[r])
	}
	return nil
}

// internetIP is a random public address outside the ranges the scenarios and intel use.
func (b *benign) internetIP() netip.Addr {
	for {
		a := [4]byte{byte(1 + b.rng.IntN(222)), byte(b.rng.IntN(256)), byte(b.rng.IntN(256)), byte(1 + b.rng.IntN(254))}
		ip := netip.AddrFrom4(a)
		if !ip.IsPrivate() && !reservedForScenarios(ip) && a[0] != 127 && a[0] != 100 && a[0] != 169 {
			return ip
		}
	}
}

// awsServiceIPs are public addresses of AWS services in the generated traffic, with the service
// name flow logs report for them.
var awsServiceIPs = []struct {
	ip, svc string
}{
	{"52.216.48.10", "S3"}, {"52.217.96.34", "S3"}, {"3.5.0.21", "S3"}, {"52.94.0.76", "DYNAMODB"},
	{"52.119.224.19", "DYNAMODB"}, {"54.239.29.5", "AMAZON"}, {"52.46.145.2", "AMAZON"}, {"13.248.118.1", "EC2"},
}

// addConn appends one benign connection starting at t and returns how many records it added.
func (b *benign) addConn(e *emitter, t int64) {
	r := b.rng.Float64() * 100
	c := conn{start: t, proto: protoTCP, path: 1}
	switch {
	case r < 24: // the internet browsing the web tier
		web := b.pick(RoleWeb)
		if web == nil {
			b.addInternal(e, t)
			return
		}
		c.client = endpoint{ip: b.internetIP()}
		c.server, c.port, c.path = inside(web), 443, 8
		c.up, c.down = 600+int64(b.rng.IntN(4000)), 2000+int64(b.rng.IntN(200000))
	case r < 58:
		b.addInternal(e, t)
		return
	case r < 68: // AWS services: S3, DynamoDB, APIs
		src := b.pick(RoleApp, RoleETL, RoleWeb, RoleDev, RoleFlask)
		s := awsServiceIPs[b.rng.IntN(len(awsServiceIPs))]
		c.client, c.server, c.port = inside(src), endpoint{ip: netip.MustParseAddr(s.ip), svc: s.svc}, 443
		c.path = 8
		if s.svc == "S3" || s.svc == "DYNAMODB" {
			c.path = 7 // gateway endpoint
		}
		c.up, c.down = 800+int64(b.rng.IntN(50000)), 1000+int64(b.rng.IntN(500000))
		if in := src; in.Role == RoleETL && b.rng.IntN(4) == 0 {
			c.up = 200<<20 + int64(b.rng.IntN(800<<20)) // nightly exports to S3: large, benign
		}
	case r < 78: // the internet over 443 through the internet gateway: packages, APIs, git
		src := b.pick(RoleDev, RoleApp, RoleETL, RoleWeb, RoleBastion)
		c.client, c.server, c.port, c.path = inside(src), endpoint{ip: b.internetIP()}, 443, 8
		c.up, c.down = 500+int64(b.rng.IntN(20000)), 2000+int64(b.rng.IntN(5<<20))
	case r < 84: // DNS to the VPC resolver (VPC base + 2)
		src := b.pick(RoleApp, RoleWeb, RoleDev, RoleETL, RoleFlask, RoleDB)
		a := src.Subnet.Prefix.Addr().As4()
		a[2], a[3] = 0, 2
		c.client, c.server, c.port, c.proto = inside(src), endpoint{ip: netip.AddrFrom4(a)}, 53, protoUDP
		c.up, c.down = 60+int64(b.rng.IntN(40)), 120+int64(b.rng.IntN(300))
	case r < 86: // NTP to the Amazon Time Sync Service
		src := b.pick(RoleApp, RoleWeb, RoleDB, RoleDev)
		c.client, c.server, c.port, c.proto = inside(src), endpoint{ip: netip.MustParseAddr("169.254.169.123")}, 123, protoUDP
		c.up, c.down = 76, 76
	case r < 92: // scans from the internet, refused by security groups, often on the dev ports
		dst := b.pick(RoleWeb, RoleBastion, RoleApp, RoleDev, RoleGrafana)
		ports := []int{22, 23, 3389, 445, 8080, 3000, 5000, 8000, 9000, 6379, 5432, 6443}
		c.client, c.server, c.port, c.reject = endpoint{ip: b.internetIP()}, inside(dst), ports[b.rng.IntN(len(ports))], true
	case r < 93: // ICMP between instances
		a, d := b.pick(RoleBastion, RoleApp), b.pick(RoleApp, RoleDB, RoleWeb)
		c.client, c.server, c.proto = inside(a), inside(d), protoICMP
		c.up, c.down = 84, 84
	default: // admins over SSH through the bastion
		bast, dst := b.pick(RoleBastion), b.pick(RoleApp, RoleDB, RoleWeb, RoleDev, RoleETL)
		if bast == nil || dst == nil || bast == dst {
			b.addInternal(e, t)
			return
		}
		c.client, c.server, c.port = inside(bast), inside(dst), 22
		c.up, c.down = 3000+int64(b.rng.IntN(30000)), 5000+int64(b.rng.IntN(200000))
	}
	if c.client.inst == nil && c.server.inst == nil {
		b.addInternal(e, t)
		return
	}
	e.emit(c)
}

// addInternal appends one east-west connection, many of them on the same ports MCP servers
// use (8080, 3000, 5000, 9000): the benign background a port-only rule must not escalate.
func (b *benign) addInternal(e *emitter, t int64) {
	type tier struct {
		client []Role
		server Role
		port   int
		up     int
		down   int
	}
	tiers := []tier{
		{[]Role{RoleWeb}, RoleApp, 8080, 4000, 60000},
		{[]Role{RoleApp, RoleFlask}, RoleDB, 5432, 3000, 40000},
		{[]Role{RoleApp}, RoleCache, 6379, 300, 2000},
		{[]Role{RoleApp, RoleETL}, RoleMinio, 9000, 200000, 300000},
		{[]Role{RoleBastion, RoleDev}, RoleGrafana, 3000, 3000, 150000},
		{[]Role{RoleApp, RoleDev, RoleWeb}, RoleFlask, 5000, 2000, 20000},
		{[]Role{RoleDev}, RoleApp, 8080, 3000, 50000},
	}
	for range 8 {
		tr := tiers[b.rng.IntN(len(tiers))]
		cl, sv := b.pick(tr.client...), b.pick(tr.server)
		if cl == nil || sv == nil || cl == sv {
			continue
		}
		e.emit(conn{client: inside(cl), server: inside(sv), port: tr.port, proto: protoTCP, path: 1, start: t,
			up: int64(tr.up/2 + b.rng.IntN(tr.up)), down: int64(tr.down/2 + b.rng.IntN(tr.down))})
		return
	}
}

// addIdle appends a NODATA record (an interface with no traffic in its interval) or, rarely, a
// SKIPDATA record (records skipped during the interval), as flow logs report them.
func (b *benign) addIdle(e *emitter, t int64) {
	in := b.vpc.Instances[b.rng.IntN(len(b.vpc.Instances))]
	st := "NODATA"
	if b.rng.IntN(20) == 0 {
		st = "SKIPDATA"
	}
	e.recs = append(e.recs, record{inst: in, start: t, end: t + 60 + int64(b.rng.IntN(540)), status: st})
}
