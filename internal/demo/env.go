// Package demo generates a realistic AWS environment and a day of its VPC Flow Logs, in the
// files and layout AWS delivers to S3, with benign traffic (including benign services on the
// ports MCP servers favour) and injected shadow-MCP scenarios whose expected findings are
// known. The same seed and day always produce the same bytes.
package demo

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
)

// Role is what an instance does; it decides the traffic it sends and receives.
type Role string

// Instance roles of the generated environment.
const (
	RoleWeb     Role = "web"     // serves 443 to the internet
	RoleApp     Role = "app"     // serves 8080 to web
	RoleDB      Role = "db"      // serves 5432 to app
	RoleCache   Role = "cache"   // serves 6379 to app
	RoleGrafana Role = "grafana" // serves 3000 to admins
	RoleMinio   Role = "minio"   // serves 9000 (S3-compatible object store) to app and etl
	RoleFlask   Role = "flask"   // internal API on 5000
	RoleDev     Role = "dev"     // developer workstation instance
	RoleETL     Role = "etl"     // batch jobs moving data to S3
	RoleBastion Role = "bastion" // admin entry point
	RoleMCP     Role = "mcp"     // a shadow MCP server (scenario only)
)

// Instance is an EC2 instance with one network interface.
type Instance struct {
	ID     string
	ENI    string
	IP     netip.Addr
	IPv6   netip.Addr // zero when the subnet has no IPv6
	Role   Role
	Subnet *Subnet
}

// Subnet is a VPC subnet in one availability zone.
type Subnet struct {
	ID     string
	AZID   string
	Prefix netip.Prefix
	VPC    *VPC
}

// VPC is a VPC of one account in one region.
type VPC struct {
	ID      string
	Region  string
	Account *Account
	// FlowLogID is the flow log subscription that delivers this VPC's records.
	FlowLogID string
	// Format is the flow log record format of the subscription (its field names in order).
	Format    []string
	Subnets   []*Subnet
	Instances []*Instance
}

// Account is an AWS account.
type Account struct {
	ID   string
	Name string
	VPCs []*VPC
}

// Environment is the generated organization.
type Environment struct {
	Accounts []*Account
}

// Instances returns every instance of the environment with the given role.
func (e *Environment) Instances(role Role) []*Instance {
	var out []*Instance
	for _, a := range e.Accounts {
		for _, v := range a.VPCs {
			for _, in := range v.Instances {
				if in.Role == role {
					out = append(out, in)
				}
			}
		}
	}
	return out
}

// VPCs returns every VPC of the environment.
func (e *Environment) VPCs() []*VPC {
	var out []*VPC
	for _, a := range e.Accounts {
		out = append(out, a.VPCs...)
	}
	return out
}

// Flow-log record formats used by the environment's subscriptions: the default format, a
// version 5 custom format as security teams configure it, and a version 8 format with the
// ECS fields and reject-reason.
var (
	formatDefault = []string{"version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport",
		"dstport", "protocol", "packets", "bytes", "start", "end", "action", "log-status"}
	formatV5 = []string{"version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
		"protocol", "packets", "bytes", "start", "end", "action", "log-status", "vpc-id", "subnet-id",
		"instance-id", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr", "region", "az-id",
		"sublocation-type", "sublocation-id", "pkt-src-aws-service", "pkt-dst-aws-service",
		"flow-direction", "traffic-path"}
	formatV8 = []string{"version", "account-id", "region", "az-id", "vpc-id", "subnet-id", "instance-id",
		"interface-id", "flow-direction", "srcaddr", "dstaddr", "srcport", "dstport", "pkt-srcaddr",
		"pkt-dstaddr", "protocol", "packets", "bytes", "start", "end", "action", "tcp-flags", "type",
		"traffic-path", "log-status", "ecs-cluster-name", "ecs-task-id", "reject-reason"}
)

// accountSpec describes one account of the environment: its VPCs (region, CIDR, format) and
// how many instances of each role each VPC runs.
type accountSpec struct {
	name  string
	vpcs  []vpcSpec
	roles map[Role]int
}

type vpcSpec struct {
	region string
	cidr   string
	azs    []string
	format []string
	ipv6   string // the VPC's IPv6 /56, or ""
}

var accountSpecs = []accountSpec{
	{name: "prod", vpcs: []vpcSpec{
		{region: "us-east-1", cidr: "10.10.0.0/16", azs: []string{"use1-az1", "use1-az2", "use1-az4"}, format: formatV5},
		{region: "eu-west-1", cidr: "10.11.0.0/16", azs: []string{"euw1-az1", "euw1-az2"}, format: formatDefault},
	}, roles: map[Role]int{RoleWeb: 6, RoleApp: 8, RoleDB: 2, RoleCache: 2, RoleGrafana: 1, RoleMinio: 2, RoleFlask: 3, RoleBastion: 1}},
	{name: "dev", vpcs: []vpcSpec{
		{region: "us-east-1", cidr: "10.20.0.0/16", azs: []string{"use1-az1", "use1-az2"}, format: formatV5, ipv6: "2600:1f18:4a2:b800::/56"},
	}, roles: map[Role]int{RoleDev: 12, RoleApp: 3, RoleDB: 1, RoleGrafana: 1, RoleFlask: 2, RoleBastion: 1}},
	{name: "data", vpcs: []vpcSpec{
		{region: "us-west-2", cidr: "10.30.0.0/16", azs: []string{"usw2-az1", "usw2-az2"}, format: formatV8},
	}, roles: map[Role]int{RoleETL: 6, RoleMinio: 3, RoleDB: 2, RoleApp: 2, RoleBastion: 1}},
}

// roleOrder fixes the order instances are created in, so that the environment only depends
// on the seed (map iteration order is random).
var roleOrder = []Role{RoleWeb, RoleApp, RoleDB, RoleCache, RoleGrafana, RoleMinio, RoleFlask, RoleDev,
	RoleETL, RoleBastion}

// newEnvironment builds the organization from the seed's random source.
func newEnvironment(rng *rand.Rand) *Environment {
	env := &Environment{}
	for _, as := range accountSpecs {
		acct := &Account{ID: fmt.Sprintf("%012d", 100000000000+rng.Int64N(899999999999)), Name: as.name}
		for _, vs := range as.vpcs {
			vpc := &VPC{ID: "vpc-" + hexID(rng, 17), Region: vs.region, Account: acct,
				FlowLogID: "fl-" + hexID(rng, 17), Format: vs.format}
			base := netip.MustParsePrefix(vs.cidr).Addr().As4()
			var v6 netip.Prefix
			if vs.ipv6 != "" {
				v6 = netip.MustParsePrefix(vs.ipv6)
			}
			for i, az := range vs.azs {
				p := netip.PrefixFrom(netip.AddrFrom4([4]byte{base[0], base[1], byte(i + 1), 0}), 24)
				vpc.Subnets = append(vpc.Subnets, &Subnet{ID: "subnet-" + hexID(rng, 17), AZID: az, Prefix: p, VPC: vpc})
			}
			host := make([]int, len(vpc.Subnets))
			for _, role := range roleOrder {
				for n := 0; n < as.roles[role]; n++ {
					si := rng.IntN(len(vpc.Subnets))
					sn := vpc.Subnets[si]
					host[si]++
					a := sn.Prefix.Addr().As4()
					a[3] = byte(10 + host[si])
					in := &Instance{ID: "i-" + hexID(rng, 17), ENI: "eni-" + hexID(rng, 17),
						IP: netip.AddrFrom4(a), Role: role, Subnet: sn}
					if v6.IsValid() {
						b := v6.Addr().As16()
						b[7] = byte(si + 1)
						b[15] = a[3]
						in.IPv6 = netip.AddrFrom16(b)
					}
					vpc.Instances = append(vpc.Instances, in)
				}
			}
			acct.VPCs = append(acct.VPCs, vpc)
		}
		env.Accounts = append(env.Accounts, acct)
	}
	return env
}

const hexDigits = "0123456789abcdef"

// hexID returns n random lowercase hex digits, the shape of AWS resource ids.
func hexID(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = hexDigits[rng.IntN(16)]
	}
	return string(b)
}
