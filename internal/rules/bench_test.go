package rules

import (
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/intel"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

const benchFlowRules = `title: a
name: b.intel
level: low
logsource: {product: aws, service: vpcflow}
detection:
  s: {src_endpoint.ip|internal: true, dst_endpoint.ip|intel: true}
  condition: s
---
title: b
name: b.port
level: low
logsource: {product: aws, service: vpcflow}
detection:
  s: {src_endpoint.ip|internal: true, dst_endpoint.ip|internal: true, dst_endpoint.port|mcp_port: true, action_id: 1}
  condition: s
---
title: c
name: b.outbound
level: low
logsource: {product: aws, service: vpcflow}
detection:
  s: {src_endpoint.ip|internal: true, dst_endpoint.ip|internal: false, action_id: 1}
  filter_lab: {src_endpoint.ip|cidr: [10.99.0.0/16, 10.98.0.0/16]}
  condition: s and not 1 of filter_*
---
title: d
name: b.bytes
level: low
logsource: {product: aws, service: vpcflow}
detection:
  s: {traffic.bytes|gte: 104857600, dst_endpoint.ip|internal: false}
  condition: s
---
title: e
name: b.ports
level: low
logsource: {product: aws, service: vpcflow}
detection:
  s: {dst_endpoint.port: [8000, 6274, 6277], dst_endpoint.ip|cidr: 172.16.0.0/12}
  condition: s
`

func BenchmarkMatchFlow(b *testing.B) {
	rs, err := Parse([]byte(benchFlowRules), "bench.yml")
	if err != nil {
		b.Fatal(err)
	}
	ti, _, _ := intel.Load("t", strings.NewReader("203.0.113.0/24\n198.51.100.7\n"))
	set, err := Compile(rs, Env{Intel: ti})
	if err != nil {
		b.Fatal(err)
	}
	ev := flow("10.0.1.5", "93.184.216.34", 443, 5120)
	n := 0
	fn := func(*Rule) { n++ }
	set.Match(ev, fn)
	if n != 1 { // b.outbound
		b.Fatalf("%d matches, want 1", n)
	}
	b.ReportAllocs()
	for b.Loop() {
		set.Match(ev, fn)
	}
}

const benchCloudTrailRules = `title: a
name: c.userdata
level: low
logsource: {product: aws, service: cloudtrail}
detection:
  s: {api.operation: RunInstances, api.request.data.userData|contains: [npx, uvx, mcp]}
  condition: s
---
title: b
name: c.ssm
level: low
logsource: {product: aws, service: cloudtrail}
detection:
  s: {api.operation: SendCommand, api.request.data.parameters.commands|contains: mcp}
  condition: s
---
title: c
name: c.ecs
level: low
logsource: {product: aws, service: cloudtrail}
detection:
  s: {api.request.data.containerDefinitions.image|contains: mcp}
  condition: s
---
title: d
name: c.sg
level: low
logsource: {product: aws, service: cloudtrail}
detection:
  s:
    api.operation|startswith: AuthorizeSecurityGroup
    api.request.data.ipPermissions.items.ipRanges.items.cidrIp|cidr: 0.0.0.0/0
  condition: s
---
title: e
name: c.lambda_url
level: low
logsource: {product: aws, service: cloudtrail}
detection:
  s: {api.operation|startswith: CreateFunctionUrlConfig, api.request.data.authType: NONE}
  condition: s
---
title: f
name: c.agentcore
level: low
logsource: {product: aws, service: cloudtrail}
detection:
  s: {api.service.name: bedrock-agentcore.amazonaws.com, api.operation|contains: gateway}
  condition: s
---
title: g
name: c.tags
level: low
logsource: {product: aws, service: cloudtrail}
detection:
  s: {api.request.data.tagSpecificationSet.items.tags.key|contains: mcp}
  condition: s
---
title: h
name: c.env
level: low
logsource: {product: aws, service: cloudtrail}
detection:
  s: {api.request.data.environment.variables.MCP_SERVER_URL|exists: true}
  condition: s
`

func BenchmarkMatchCloudTrail(b *testing.B) {
	rs, err := Parse([]byte(benchCloudTrailRules), "bench.yml")
	if err != nil {
		b.Fatal(err)
	}
	set, err := Compile(rs, Env{})
	if err != nil {
		b.Fatal(err)
	}
	// A RunInstances request of about 2 KB: tags, network interfaces, block devices and a
	// user data script, none of it about MCP.
	var sb strings.Builder
	sb.WriteString(`{"instancesSet":{"items":[{"imageId":"ami-0abcdef1234567890","minCount":1,"maxCount":1}]},` +
		`"instanceType":"m5.large","blockDeviceMapping":{"items":[{"deviceName":"/dev/xvda","ebs":{"volumeSize":100,"volumeType":"gp3","deleteOnTermination":true,"encrypted":true}}]},` +
		`"networkInterfaceSet":{"items":[{"deviceIndex":0,"subnetId":"subnet-0123456789abcdef0","groupSet":{"items":[{"groupId":"sg-0123456789abcdef0"}]}}]},` +
		`"iamInstanceProfile":{"arn":"arn:aws:iam::111122223333:instance-profile/web"},"monitoring":{"enabled":true},` +
		`"tagSpecificationSet":{"items":[{"resourceType":"instance","tags":[`)
	for i := range 12 {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"key":"team-` + strings.Repeat("x", i) + `","value":"platform-engineering-web-frontend"}`)
	}
	sb.WriteString(`]}]},"userData":"IyEvYmluL2Jhc2gKc2V0IC1ldXhvIHBpcGVmYWlsCnl1bSAteSB1cGRhdGUKeXVtIC15IGluc3RhbGwgbmdpbngKc3lzdGVtY3RsIGVuYWJsZSAtLW5vdyBuZ2lueAplY2hvICJoZWxsbyIgPiAvdXNyL3NoYXJlL25naW54L2h0bWwvaW5kZXguaHRtbAo=",` +
		`"metadataOptions":{"httpTokens":"required","httpPutResponseHopLimit":2,"httpEndpoint":"enabled"},"clientToken":"` + strings.Repeat("0123456789abcdef", 20) + `"}`)
	ev := &ocsf.APIActivity{}
	ev.ClassUID = ocsf.ClassAPIActivity
	ev.API.Operation = "RunInstances"
	ev.API.Service.Name = "ec2.amazonaws.com"
	ev.API.Request.Data = sb.String()
	if n := len(ev.API.Request.Data); n < 1800 || n > 2600 {
		b.Fatalf("request data of %d bytes", n)
	}
	n := 0
	fn := func(*Rule) { n++ }
	set.Match(ev, fn)
	if n != 0 {
		b.Fatalf("%d matches, want 0", n)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(ev.API.Request.Data)))
	for b.Loop() {
		set.Match(ev, fn)
	}
}
