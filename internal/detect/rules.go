package detect

import (
	"cmp"
	"slices"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// Rule ids of the flow rules. They are the analytic uid and ASFF GeneratorId of findings and
// the prefix of their uids: never change one, or its findings are re-keyed.
const (
	RuleThreatIntel  = "flow.threat_intel"
	RuleMCPPort      = "flow.mcp_port"
	RuleExfiltration = "flow.exfiltration"
)

// ATTACKVersion is the MITRE ATT&CK (Enterprise) version the rules' mappings refer to.
const ATTACKVersion = "16.1"

// Rule describes a detection rule: what its findings say and how they are classified.
type Rule struct {
	ID      string // stable rule id (analytic uid)
	Name    string // analytic name
	Version string // analytic version: bumped when the logic changes
	// Title is the generic title of the rule's findings (each finding has a specific one).
	Title string
	// Severity names the severities its findings take ("medium-high").
	Severity string
	// Description explains what the rule detects and why it matters.
	Description string
	// Types are the finding types, in the ASFF types taxonomy (finding_info.types and ASFF Types).
	Types []string
	// Attacks map the rule to MITRE ATT&CK.
	Attacks []ocsf.Attack
	// Remediation tells what to do about a finding.
	Remediation ocsf.Remediation
}

func attack(tacticUID, tacticName, techUID, techName string) ocsf.Attack {
	return ocsf.Attack{
		Version: ATTACKVersion,
		Tactic:  ocsf.Technique{UID: tacticUID, Name: tacticName, SrcURL: "https://attack.mitre.org/tactics/" + tacticUID + "/"},
		Technique: ocsf.Technique{UID: techUID, Name: techName,
			SrcURL: "https://attack.mitre.org/techniques/" + techUID + "/"},
	}
}

// flowRules are the rules of FlowDetector. Never modified.
var flowRules = map[string]Rule{
	RuleThreatIntel: {
		ID: RuleThreatIntel, Name: "Flow with a threat-intel listed address", Version: "1", Severity: "medium-high",
		Title: "Traffic with a threat-intel listed address",
		Description: "A VPC flow went to or came from an address on a threat-intelligence list (--intel). " +
			"Accepted traffic means a workload exchanged data with infrastructure known to be malicious, " +
			"such as a command-and-control server or a shadow MCP relay; rejected traffic means it was attempted.",
		Types: []string{"TTPs/Command and Control/ThreatIntelMatch", "Unusual Behaviors/IP address"},
		Attacks: []ocsf.Attack{
			attack("TA0011", "Command and Control", "T1071", "Application Layer Protocol"),
		},
		Remediation: ocsf.Remediation{
			Desc: "Identify the process on the internal instance that talks to the listed address (for example with " +
				"mcpwatch's host scan), stop it, and block the address with a security group, network ACL or " +
				"AWS Network Firewall rule. If the instance may be compromised, isolate it and rotate its credentials.",
			References: []string{"https://attack.mitre.org/techniques/T1071/",
				"https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_upload-lists.html"},
		},
	},
	RuleMCPPort: {
		ID: RuleMCPPort, Name: "Server on a candidate MCP port", Version: "1", Severity: "low",
		Title: "Possible MCP server on a candidate port",
		Description: "An endpoint served TCP connections on a port commonly used by Model Context Protocol servers " +
			"and their tooling (8080, 3000, 5000, 8000, 9000, and 6274/6277 of the MCP Inspector). Many benign " +
			"services use these ports: this is a weak signal, to be confirmed with a host scan or an MCP probe.",
		Types: []string{"Unusual Behaviors/Network Flow/CandidateMCPPort"},
		Attacks: []ocsf.Attack{
			attack("TA0011", "Command and Control", "T1571", "Non-Standard Port"),
		},
		Remediation: ocsf.Remediation{
			Desc: "Check what listens on the port (mcpwatch's host scan, or its MCP network probe on the endpoint). " +
				"If it is an unsanctioned MCP server, stop it or add it to the sanctioned-server policy after review; " +
				"restrict the security group so the port is not reachable from where it should not be.",
			References: []string{"https://attack.mitre.org/techniques/T1571/",
				"https://modelcontextprotocol.io/specification/2025-06-18/basic/transports"},
		},
	},
	RuleExfiltration: {
		ID: RuleExfiltration, Name: "Large outbound transfer to a flagged endpoint", Version: "1", Severity: "medium-critical",
		Title: "Large outbound transfer to a flagged external endpoint",
		Description: "An internal endpoint sent a large volume of data to an external endpoint that is already " +
			"suspicious: listed in threat intelligence, or serving a candidate MCP port. Data leaving through an " +
			"unsanctioned MCP server or a known-bad host is how shadow MCP turns into data loss.",
		Types: []string{"Effects/Data Exfiltration/LargeOutboundTransfer"},
		Attacks: []ocsf.Attack{
			attack("TA0010", "Exfiltration", "T1041", "Exfiltration Over C2 Channel"),
			attack("TA0010", "Exfiltration", "T1567", "Exfiltration Over Web Service"),
		},
		Remediation: ocsf.Remediation{
			Desc: "Find out what was sent: identify the process on the source instance and the data it read. Block the " +
				"destination, revoke credentials the workload holds, and follow the data-loss response process.",
			References: []string{"https://attack.mitre.org/techniques/T1041/", "https://attack.mitre.org/techniques/T1567/"},
		},
	},
}

// Rules returns the rules FlowDetector applies, sorted by id. The result is a copy.
func Rules() []Rule {
	out := make([]Rule, 0, len(flowRules))
	for _, r := range flowRules {
		r.Types = slices.Clone(r.Types)
		r.Attacks = slices.Clone(r.Attacks)
		r.Remediation.References = slices.Clone(r.Remediation.References)
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Rule) int { return cmp.Compare(a.ID, b.ID) })
	return out
}
