package detect_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/detect"
	"github.com/mcpwatch/mcpwatch/internal/finding"
	"github.com/mcpwatch/mcpwatch/internal/intel"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

func ExampleFlowDetector() {
	set, warnings, err := intel.Load("intel.txt", strings.NewReader("198.51.100.77 # shadow MCP relay\nnot an address\n"))
	if err != nil {
		panic(err)
	}
	for _, w := range warnings {
		fmt.Println("warning:", w.Error())
	}
	d, err := detect.NewFlowDetector(detect.Config{Intel: set})
	if err != nil {
		panic(err)
	}
	// One record a VPC Flow Logs reader would produce: an upload to the relay's port 8080.
	sport, dport := int32(51514), int32(8080)
	ev := &ocsf.NetworkActivity{
		SrcEndpoint:    ocsf.NetworkEndpoint{IP: "10.0.0.5", Port: &sport, InstanceUID: "i-0abc"},
		DstEndpoint:    ocsf.NetworkEndpoint{IP: "198.51.100.77", Port: &dport},
		ConnectionInfo: ocsf.NetworkConnectionInfo{ProtocolNum: 6, Direction: "Outbound", DirectionID: 2},
		Traffic:        ocsf.NetworkTraffic{Bytes: 64 << 20, Packets: 47000},
		ActionID:       1,
	}
	ev.Cloud = ocsf.Cloud{Provider: "AWS", Region: "us-east-1", Account: ocsf.Account{UID: "111111111111"}}
	ev.SetTime(time.Date(2026, 11, 21, 2, 0, 0, 0, time.UTC))
	d.Observe(ev, detect.Ref{Table: "VPC_FLOW", Input: "flows.log.gz", Pos: 1})

	for _, f := range d.Flush(time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)) {
		a, err := finding.ToASFF(f, finding.ASFFOptions{})
		if err != nil {
			panic(err)
		}
		fmt.Printf("%-8s %s\n         %s\n", f.Severity, f.FindingInfo.Title, a.Types[0])
	}
	// Output:
	// warning: intel.txt:2: not an IP address or CIDR block: "not an address"
	// Critical Large outbound transfer (64.0 MiB) from 10.0.0.5 to flagged endpoint 198.51.100.77
	//          Effects/Data Exfiltration/LargeOutboundTransfer
	// High     Traffic between 10.0.0.5 and threat-intel listed 198.51.100.77 (shadow MCP relay)
	//          TTPs/Command and Control/ThreatIntelMatch
	// Low      Possible MCP server at 198.51.100.77 port 8080 (candidate MCP port)
	//          Unusual Behaviors/Network Flow/CandidateMCPPort
}
