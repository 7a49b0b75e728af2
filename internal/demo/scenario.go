package demo

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"

	"github.com/mcpwatch/mcpwatch/internal/detect"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// Scenario is one shadow-MCP situation injected into the generated traffic, with what
// detection must report about it.
type Scenario struct {
	ID          string
	Title       string
	Description string
	Expect      Expectation
	// Needs are the sources the scenario's story is generated in: it is listed only when
	// Generate writes all of them (0 means SourceFlows).
	Needs Sources
}

// Expectation describes the finding a scenario must produce: one finding of the rule, in the
// account, that carries every listed observable value (IPs, ports) with at least the given
// severity.
type Expectation struct {
	// Rule is the detection rule id (analytic uid).
	Rule        string
	Account     string
	Observables []string
	MinSeverity int32
}

// reservedForScenarios reports whether ip is in a range benign traffic must never use:
// the documentation ranges the scenarios and the intel list draw from.
func reservedForScenarios(ip netip.Addr) bool {
	for _, p := range reservedPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

var reservedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("198.18.0.0/15"),
}

// Addresses the scenarios use (documentation ranges, RFC 5737 and RFC 3849).
var (
	relayIP      = netip.MustParseAddr("198.51.100.77")     // a shadow MCP relay listed in threat intel
	mcpSaaSIP    = netip.MustParseAddr("203.0.113.45")      // an unsanctioned remote MCP server on :8000
	exfilIntelIP = netip.MustParseAddr("192.0.2.200")       // a threat-intel-listed MCP endpoint on :8080
	relayV6      = netip.MustParseAddr("2001:db8:dead::10") // an IPv6 relay inside a listed /48
	// Stand-ins for the addresses of catalogued remote MCP servers (the real ones are not
	// reserved, and benign traffic must never reach a scenario's address).
	atlassianIP     = netip.MustParseAddr("203.0.113.20")  // mcp.atlassian.com
	zapierIP        = netip.MustParseAddr("203.0.113.60")  // mcp.zapier.com
	internalToolsIP = netip.MustParseAddr("198.51.100.31") // mcp.internal-tools.example, in no catalogue
)

// scenarioPlan injects the scenarios into an environment; records are added hour by hour.
type scenarioPlan struct {
	list []Scenario
	// add appends the scenario records of one hour of one VPC.
	add func(e *emitter, vpc *VPC, hour int64, rng *rand.Rand)
	// intel is the content of the threat-intel file (GuardDuty plain-text ThreatIntelSet).
	intel string
	// relayBox is the instance that talks to the relay (GuardDuty reports it).
	relayBox *Instance
	// volumeBox uploads to volumeIP enough for GuardDuty's unusual-traffic-volume finding.
	volumeBox *Instance
	volumeIP  netip.Addr
	// cloudTrail appends the scenarios' management events of one hour of one VPC's account
	// and region: how the shadow MCP servers were launched and exposed.
	cloudTrail func(c *ctContext, hour int64) []ctEvent
}

// planScenarios chooses the instances the scenarios run on and describes them.
func planScenarios(env *Environment) scenarioPlan {
	byName := map[string]*Account{}
	for _, a := range env.Accounts {
		byName[a.Name] = a
	}
	dev, data, prod := byName["dev"], byName["data"], byName["prod"]
	devBox := pickRole(dev, RoleDev, 2)
	inspectorBox := pickRole(dev, RoleDev, 5)
	etl := pickRole(data, RoleETL, 1)
	app := pickRole(prod, RoleApp, 3)
	v6Box := pickRole(dev, RoleDev, 7)
	// A prod instance becomes a shadow MCP server on :8000 (its role changes so benign traffic
	// no longer targets it as what it was).
	mcpHost := pickRole(prod, RoleFlask, 0)
	mcpHost.Role = RoleMCP
	atlBox := pickRole(dev, RoleDev, 3) // uses Atlassian's remote MCP server and an uncatalogued one
	zapBox := pickRole(dev, RoleDev, 9) // uploads to Zapier's MCP hub
	const flowsDNS = SourceFlows | SourceDNS
	const flowsCT = SourceFlows | SourceCloudTrail

	list := []Scenario{
		{ID: "relay-intel", Title: "Developer instance talks to a threat-intel-listed MCP relay",
			Description: fmt.Sprintf("%s (%s) in account %s opens HTTPS connections all day to %s, listed in the threat-intel set as a shadow MCP relay.",
				devBox.ID, devBox.IP, dev.ID, relayIP),
			Expect: Expectation{Rule: detect.RuleThreatIntel, Account: dev.ID, Observables: []string{devBox.IP.String(), relayIP.String()}, MinSeverity: 4}},
		{ID: "exfil-mcp-port", Title: "ETL worker uploads 1.2 GB to an unsanctioned remote MCP server",
			Description: fmt.Sprintf("%s (%s) in account %s sends about 1.2 GB in an hour to %s:8000, a remote MCP server nobody sanctioned.",
				etl.ID, etl.IP, data.ID, mcpSaaSIP),
			Expect: Expectation{Rule: detect.RuleExfiltration, Account: data.ID, Observables: []string{etl.IP.String(), mcpSaaSIP.String()}, MinSeverity: 3}},
		{ID: "exfil-intel", Title: "Application server exfiltrates to a threat-intel-listed MCP endpoint",
			Description: fmt.Sprintf("%s (%s) in account %s sends about 300 MB to %s:8080, an MCP endpoint on the threat-intel list.",
				app.ID, app.IP, prod.ID, exfilIntelIP),
			Expect: Expectation{Rule: detect.RuleExfiltration, Account: prod.ID, Observables: []string{app.IP.String(), exfilIntelIP.String()}, MinSeverity: 5}},
		{ID: "exposed-inspector", Title: "MCP Inspector exposed to the internet",
			Description: fmt.Sprintf("%s (%s) in account %s accepts connections from the internet on 6274 and 6277, the MCP Inspector's ports.",
				inspectorBox.ID, inspectorBox.IP, dev.ID),
			Expect: Expectation{Rule: detect.RuleMCPPort, Account: dev.ID, Observables: []string{inspectorBox.IP.String(), "6277"}, MinSeverity: 2}},
		{ID: "internal-mcp-server", Title: "Internal shadow MCP server used by many hosts",
			Description: fmt.Sprintf("%s (%s) in account %s serves Streamable HTTP on :8000 to a dozen internal hosts.",
				mcpHost.ID, mcpHost.IP, prod.ID),
			Expect: Expectation{Rule: detect.RuleMCPPort, Account: prod.ID, Observables: []string{mcpHost.IP.String(), "8000"}, MinSeverity: 2}},
		{ID: "relay-intel-ipv6", Title: "Developer instance reaches a listed MCP relay over IPv6",
			Description: fmt.Sprintf("%s (%s) in account %s connects over IPv6 to %s, inside a /48 on the threat-intel list.",
				v6Box.ID, v6Box.IPv6, dev.ID, relayV6),
			Expect: Expectation{Rule: detect.RuleThreatIntel, Account: dev.ID, Observables: []string{v6Box.IPv6.String(), relayV6.String()}, MinSeverity: 4}},

		// The rule pack's scenarios: DNS, DNS joined with flows, CloudTrail, GuardDuty.
		{ID: "dns-atlassian", Title: "Developer instance resolves Atlassian's remote MCP server",
			Description: fmt.Sprintf("%s (%s) in account %s looks up mcp.atlassian.com every working hour; no policy sanctions it.",
				atlBox.ID, atlBox.IP, dev.ID),
			Needs:  flowsDNS,
			Expect: Expectation{Rule: "dns.mcp_catalogue_lookup", Account: dev.ID, Observables: []string{atlBox.IP.String(), "mcp.atlassian.com"}, MinSeverity: 3}},
		{ID: "dnsflow-atlassian", Title: "Developer instance talks to Atlassian's remote MCP server after resolving it",
			Description: fmt.Sprintf("%s (%s) in account %s connects to %s, the address mcp.atlassian.com resolved to, right after each lookup.",
				atlBox.ID, atlBox.IP, dev.ID, atlassianIP),
			Needs:  flowsDNS,
			Expect: Expectation{Rule: "dnsflow.mcp_connection", Account: dev.ID, Observables: []string{atlBox.IP.String(), atlassianIP.String()}, MinSeverity: 3}},
		{ID: "dnsflow-zapier-upload", Title: "Developer instance uploads 150 MiB to Zapier's MCP hub",
			Description: fmt.Sprintf("%s (%s) in account %s resolves mcp.zapier.com and sends it about 150 MiB in an hour.",
				zapBox.ID, zapBox.IP, dev.ID),
			Needs:  flowsDNS,
			Expect: Expectation{Rule: "dnsflow.mcp_connection", Account: dev.ID, Observables: []string{zapBox.IP.String(), zapierIP.String()}, MinSeverity: 4}},
		{ID: "dnsflow-smithery-exfil", Title: "ETL worker resolves Smithery's MCP gateway and sends it 1.2 GB",
			Description: fmt.Sprintf("%s (%s) in account %s resolves server.smithery.ai (%s) and uploads about 1.2 GB to it within the hour.",
				etl.ID, etl.IP, data.ID, mcpSaaSIP),
			Needs:  flowsDNS,
			Expect: Expectation{Rule: "dnsflow.mcp_connection", Account: data.ID, Observables: []string{etl.IP.String(), mcpSaaSIP.String()}, MinSeverity: 5}},
		{ID: "guardduty-escalation", Title: "GuardDuty's unusual-volume finding on the Zapier upload raises the MCP finding",
			Description: fmt.Sprintf("GuardDuty reports Behavior:EC2/TrafficVolumeUnusual for %s to %s: the MCP connection finding on the same address rises one level.",
				zapBox.ID, zapierIP),
			Needs:  flowsDNS | SourceGuardDuty,
			Expect: Expectation{Rule: "dnsflow.mcp_connection", Account: dev.ID, Observables: []string{zapBox.IP.String(), zapierIP.String()}, MinSeverity: 5}},
		{ID: "dns-uncatalogued-mcp", Title: "Developer instance resolves an MCP-looking name no catalogue knows",
			Description: fmt.Sprintf("%s (%s) in account %s looks up mcp.internal-tools.example, a self-hosted MCP server nobody registered.",
				atlBox.ID, atlBox.IP, dev.ID),
			Needs:  flowsDNS,
			Expect: Expectation{Rule: "dns.mcp_heuristic_lookup", Account: dev.ID, Observables: []string{atlBox.IP.String(), "mcp.internal-tools.example"}, MinSeverity: 2}},
		{ID: "internal-mcp-server-clients", Title: "Internal shadow MCP server on :8000 has many internal clients",
			Description: fmt.Sprintf("%s (%s) in account %s, started from an ECS task definition with an MCP image, serves :8000 to more than five internal hosts an hour.",
				mcpHost.ID, mcpHost.IP, prod.ID),
			Needs:  flowsCT,
			Expect: Expectation{Rule: "network.internal_mcp_default_port_server", Account: prod.ID, Observables: []string{mcpHost.IP.String()}, MinSeverity: 3}},
		{ID: "ct-user-data", Title: "Instance launched with user data that starts MCP servers",
			Description: fmt.Sprintf("alice@example.com launches %s in account %s with user data running npx @modelcontextprotocol/server-filesystem and mcp-remote.",
				devBox.ID, dev.ID),
			Needs:  SourceCloudTrail,
			Expect: Expectation{Rule: "cloudtrail.ec2_user_data_mcp", Account: dev.ID, MinSeverity: 3}},
		{ID: "ct-sg-inspector", Title: "Security group opens the MCP Inspector's ports to the internet",
			Description: fmt.Sprintf("bob@example.com authorizes 0.0.0.0/0 on 6274-6277 in account %s.", dev.ID),
			Needs:       SourceCloudTrail,
			Expect:      Expectation{Rule: "cloudtrail.sg_mcp_port_open_world", Account: dev.ID, MinSeverity: 3}},
		{ID: "ct-ssm-mcp", Title: "SSM Run Command starts an MCP server on the ETL worker",
			Description: fmt.Sprintf("carol@example.com runs uvx mcp-server-fetch on %s in account %s through SSM SendCommand.", etl.ID, data.ID),
			Needs:       SourceCloudTrail,
			Expect:      Expectation{Rule: "cloudtrail.ssm_send_command_mcp", Account: data.ID, MinSeverity: 3}},
		{ID: "ct-ecs-mcp-image", Title: "ECS task definition runs the mcp/github image",
			Description: fmt.Sprintf("alice@example.com registers the task definition github-tools with image mcp/github in account %s.", prod.ID),
			Needs:       SourceCloudTrail,
			Expect:      Expectation{Rule: "cloudtrail.ecs_task_mcp_image", Account: prod.ID, MinSeverity: 3}},
		{ID: "ct-apigw-mcp-route", Title: "API Gateway route POST /mcp published",
			Description: fmt.Sprintf("bob@example.com adds the route POST /mcp to an HTTP API in account %s.", prod.ID),
			Needs:       SourceCloudTrail,
			Expect:      Expectation{Rule: "cloudtrail.apigw_mcp_route", Account: prod.ID, MinSeverity: 2}},
		{ID: "ct-agentcore-gateway", Title: "Bedrock AgentCore MCP gateway created",
			Description: fmt.Sprintf("carol@example.com creates the AgentCore gateway etl-tools (protocol MCP) in account %s.", data.ID),
			Needs:       SourceCloudTrail,
			Expect:      Expectation{Rule: "cloudtrail.agentcore_mcp_deploy", Account: data.ID, MinSeverity: 3}},
	}

	add := func(e *emitter, vpc *VPC, hour int64, rng *rand.Rand) {
		h := (hour / 3600) % 24
		at := func() int64 { return hour + int64(rng.IntN(3540)) }
		switch vpc {
		case devBox.Subnet.VPC:
			if h >= 8 && h <= 19 { // the relay all working day, a few connections an hour
				for range 3 {
					e.emit(conn{client: inside(devBox), server: endpoint{ip: relayIP}, port: 443, proto: protoTCP, path: 8,
						start: at(), up: 20000 + int64(rng.IntN(200000)), down: 10000 + int64(rng.IntN(50000))})
				}
			}
			if h == 10 || h == 15 { // the MCP Inspector reached from a handful of internet hosts
				for i := range 4 {
					port := []int{6274, 6277}[i%2]
					e.emit(conn{client: endpoint{ip: netip.AddrFrom4([4]byte{198, 18, byte(h), byte(10 + i)})}, server: inside(inspectorBox),
						port: port, proto: protoTCP, path: 8, start: at(), up: 2000, down: 40000})
				}
			}
			if h == 13 { // the IPv6 relay
				v6 := inside(v6Box)
				v6.ip = v6Box.IPv6
				for range 3 {
					e.emit(conn{client: v6, server: endpoint{ip: relayV6}, port: 443, proto: protoTCP, path: 8,
						start: at(), up: 30000, down: 8000})
				}
			}
		case etl.Subnet.VPC:
			if h == 2 { // 1.2 GB in 40 connections, at night
				for range 40 {
					e.emit(conn{client: inside(etl), server: endpoint{ip: mcpSaaSIP}, port: 8000, proto: protoTCP, path: 8,
						start: at(), up: 30<<20 + int64(rng.IntN(1<<20)), down: 4000})
				}
			}
		case app.Subnet.VPC:
			if h == 22 { // 300 MB to the listed endpoint
				for range 10 {
					e.emit(conn{client: inside(app), server: endpoint{ip: exfilIntelIP}, port: 8080, proto: protoTCP, path: 8,
						start: at(), up: 30<<20 + int64(rng.IntN(1<<20)), down: 3000})
				}
			}
		}
		if vpc == mcpHost.Subnet.VPC && h >= 9 && h <= 18 { // many internal clients of the MCP server
			clients := vpc.Instances
			for i := range 6 {
				cl := clients[(int(h)*7+i*5)%len(clients)]
				if cl == mcpHost {
					continue
				}
				e.emit(conn{client: inside(cl), server: inside(mcpHost), port: 8000, proto: protoTCP, path: 1,
					start: at(), up: 3000 + int64(rng.IntN(9000)), down: 8000 + int64(rng.IntN(60000))})
			}
		}
		// Remote MCP servers reached by name (the DNS lookups are generated from these flows).
		if vpc == atlBox.Subnet.VPC && h >= 9 && h <= 17 { // Atlassian's server, small sessions
			for range 2 {
				e.emit(conn{client: inside(atlBox), server: endpoint{ip: atlassianIP}, port: 443, proto: protoTCP, path: 8,
					start: at(), up: 20000 + int64(rng.IntN(60000)), down: 50000 + int64(rng.IntN(250000))})
			}
			if h == 11 { // a self-hosted MCP server nobody catalogued
				e.emit(conn{client: inside(atlBox), server: endpoint{ip: internalToolsIP}, port: 443, proto: protoTCP, path: 8,
					start: at(), up: 9000, down: 42000})
			}
		}
		if vpc == zapBox.Subnet.VPC && h == 16 { // about 150 MiB to Zapier's hub
			for range 5 {
				e.emit(conn{client: inside(zapBox), server: endpoint{ip: zapierIP}, port: 443, proto: protoTCP, path: 8,
					start: at(), up: 30<<20 + int64(rng.IntN(1<<20)), down: 20000})
			}
		}
	}

	intel := strings.Join([]string{
		"# mcpwatch demo threat-intel set (GuardDuty plain-text ThreatIntelSet format)",
		"# one IP address or CIDR range per line",
		relayIP.String() + " # shadow MCP relay",
		exfilIntelIP.String(),
		"198.51.100.200",
		"203.0.113.128/25",
		"2001:db8:dead::/48",
		"198.51.100.0/30",
		"",
	}, "\n")
	cloudTrail := func(c *ctContext, hour int64) []ctEvent {
		h := (hour / 3600) % 24
		var out []ctEvent
		switch {
		case c.vpc == devBox.Subnet.VPC && h == 7:
			// The developer's instance is launched with user data that starts MCP servers.
			script := "#!/bin/bash\nset -e\ncurl -fsSL https://deb.nodesource.com/setup_20.x | bash -\napt-get install -y nodejs\n" +
				"sudo -u dev npx -y @modelcontextprotocol/server-filesystem /srv/projects &\n" +
				"sudo -u dev npx -y mcp-remote https://mcp.atlassian.com/v1/sse &\n"
			out = append(out, c.event(hour+50*60, c.userIdentity("alice@example.com"), "ec2.amazonaws.com", "RunInstances",
				"192.0.2.10", false,
				map[string]any{"instancesSet": map[string]any{"items": []any{map[string]any{"imageId": "ami-0c7217cdde317cfec",
					"minCount": 1, "maxCount": 1}}}, "instanceType": "m6i.large", "userData": userData(script),
					"subnetId": devBox.Subnet.ID},
				map[string]any{"instancesSet": map[string]any{"items": []any{map[string]any{"instanceId": devBox.ID,
					"privateIpAddress": devBox.IP.String(), "subnetId": devBox.Subnet.ID, "vpcId": devBox.Subnet.VPC.ID}}}}))
		case c.vpc == inspectorBox.Subnet.VPC && h == 9:
			// The MCP Inspector's ports opened to the whole internet.
			out = append(out, c.event(hour+55*60, c.userIdentity("bob@example.com"), "ec2.amazonaws.com",
				"AuthorizeSecurityGroupIngress", "192.0.2.11", false,
				map[string]any{"groupId": "sg-0" + shortHash(inspectorBox.ID) + "0abc1234", "ipPermissions": map[string]any{"items": []any{
					map[string]any{"ipProtocol": "tcp", "fromPort": 6274, "toPort": 6277,
						"ipRanges": map[string]any{"items": []any{map[string]any{"cidrIp": "0.0.0.0/0"}}}}}}},
				map[string]any{"_return": true}))
		case c.vpc == etl.Subnet.VPC && h == 1:
			// An SSM command installs and starts an MCP server on the ETL worker.
			out = append(out, c.event(hour+30*60, c.userIdentity("carol@example.com"), "ssm.amazonaws.com", "SendCommand",
				"192.0.2.12", false,
				map[string]any{"documentName": "AWS-RunShellScript", "instanceIds": []any{etl.ID},
					"parameters": map[string]any{"commands": []any{"pip install mcp-server-fetch", "nohup uvx mcp-server-fetch --port 8000 &"}}},
				map[string]any{"command": map[string]any{"commandId": c.uuid(), "documentName": "AWS-RunShellScript",
					"instanceIds": []any{etl.ID}, "status": "Pending"}}))
		case c.vpc == mcpHost.Subnet.VPC && h == 8:
			// A container image of an MCP server registered as an ECS task.
			out = append(out, c.event(hour+20*60, c.userIdentity("alice@example.com"), "ecs.amazonaws.com",
				"RegisterTaskDefinition", "192.0.2.10", false,
				map[string]any{"family": "github-tools", "containerDefinitions": []any{map[string]any{"name": "github",
					"image": "mcp/github:latest", "portMappings": []any{map[string]any{"containerPort": 8000}}}}},
				map[string]any{"taskDefinition": map[string]any{"taskDefinitionArn": "arn:aws:ecs:" + c.region + ":" + c.acct.ID +
					":task-definition/github-tools:1", "family": "github-tools", "revision": 1}}))
		case c.vpc == mcpHost.Subnet.VPC && h == 10:
			// The MCP server published on an HTTP API.
			apiID := shortHash(c.acct.ID+"api") + "ab"
			out = append(out, c.event(hour+12*60, c.userIdentity("bob@example.com"), "apigateway.amazonaws.com", "CreateRoute",
				"192.0.2.11", false,
				map[string]any{"apiId": apiID, "routeKey": "POST /mcp", "target": "integrations/" + shortHash(apiID)[:7],
					"authorizationType": "NONE"},
				map[string]any{"apiKeyRequired": false, "authorizationType": "NONE", "routeId": shortHash(apiID + "r")[:7],
					"routeKey": "POST /mcp", "target": "integrations/" + shortHash(apiID)[:7]}))
		case c.vpc == etl.Subnet.VPC && h == 14:
			// A Bedrock AgentCore gateway serving the ETL tools over MCP.
			gw := "etl-tools-" + shortHash(c.acct.ID+"gw") + "qz"
			out = append(out, c.event(hour+40*60, c.userIdentity("carol@example.com"), "bedrock-agentcore.amazonaws.com",
				"CreateGateway", "192.0.2.12", false,
				map[string]any{"name": "etl-tools", "roleArn": "arn:aws:iam::" + c.acct.ID + ":role/AgentCoreGatewayRole",
					"protocolType": "MCP", "protocolConfiguration": map[string]any{"mcp": map[string]any{"supportedVersions": []any{"2025-03-26"}}},
					"authorizerType": "CUSTOM_JWT"},
				map[string]any{"gatewayArn": "arn:aws:bedrock-agentcore:" + c.region + ":" + c.acct.ID + ":gateway/" + gw,
					"gatewayId": gw, "gatewayUrl": "https://" + gw + ".gateway.bedrock-agentcore." + c.region + ".amazonaws.com/mcp",
					"name": "etl-tools", "status": "CREATING", "protocolType": "MCP", "authorizerType": "CUSTOM_JWT"}))
		}
		return out
	}
	return scenarioPlan{list: list, add: add, intel: intel, relayBox: devBox, cloudTrail: cloudTrail,
		volumeBox: zapBox, volumeIP: zapierIP}
}

// pickRole returns the n-th instance (modulo their number) of a role in an account.
func pickRole(a *Account, role Role, n int) *Instance {
	var all []*Instance
	for _, v := range a.VPCs {
		for _, in := range v.Instances {
			if in.Role == role {
				all = append(all, in)
			}
		}
	}
	return all[n%len(all)]
}

// Match returns the finding among fs that satisfies the scenario's expectation, if any.
func (s Scenario) Match(fs []ocsf.DetectionFinding) (ocsf.DetectionFinding, bool) {
	for _, f := range fs {
		if f.FindingInfo.Analytic.UID != s.Expect.Rule || f.Account() != s.Expect.Account ||
			f.SeverityID < s.Expect.MinSeverity {
			continue
		}
		values := make([]string, len(f.Observables))
		for i, o := range f.Observables {
			values[i] = o.Value
		}
		all := true
		for _, want := range s.Expect.Observables {
			if !slices.Contains(values, want) {
				all = false
				break
			}
		}
		if all {
			return f, true
		}
	}
	return ocsf.DetectionFinding{}, false
}
