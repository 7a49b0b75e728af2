package rules

import (
	"strings"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// ATTACKVersion is the MITRE ATT&CK version of the rules' tactics and techniques.
const ATTACKVersion = "16.1"

// tactic is an ATT&CK enterprise tactic.
type tactic struct{ uid, name, tag string }

// tactics are the ATT&CK enterprise tactics, with their Sigma tag names. Never modified.
var tactics = []tactic{
	{"TA0043", "Reconnaissance", "reconnaissance"},
	{"TA0042", "Resource Development", "resource_development"},
	{"TA0001", "Initial Access", "initial_access"},
	{"TA0002", "Execution", "execution"},
	{"TA0003", "Persistence", "persistence"},
	{"TA0004", "Privilege Escalation", "privilege_escalation"},
	{"TA0005", "Defense Evasion", "defense_evasion"},
	{"TA0006", "Credential Access", "credential_access"},
	{"TA0007", "Discovery", "discovery"},
	{"TA0008", "Lateral Movement", "lateral_movement"},
	{"TA0009", "Collection", "collection"},
	{"TA0011", "Command and Control", "command_and_control"},
	{"TA0010", "Exfiltration", "exfiltration"},
	{"TA0040", "Impact", "impact"},
}

// techniqueNames names the techniques mcpwatch's rules are likely to cite; others get no name.
// Never modified.
var techniqueNames = map[string]string{
	"T1071": "Application Layer Protocol", "T1071.001": "Web Protocols", "T1071.004": "DNS",
	"T1571": "Non-Standard Port", "T1041": "Exfiltration Over C2 Channel",
	"T1567": "Exfiltration Over Web Service", "T1059": "Command and Scripting Interpreter",
	"T1059.004": "Unix Shell", "T1190": "Exploit Public-Facing Application",
	"T1133": "External Remote Services", "T1078": "Valid Accounts", "T1078.004": "Cloud Accounts",
	"T1098": "Account Manipulation", "T1105": "Ingress Tool Transfer", "T1102": "Web Service",
	"T1195": "Supply Chain Compromise", "T1195.002": "Compromise Software Supply Chain",
	"T1204": "User Execution", "T1610": "Deploy Container", "T1651": "Cloud Administration Command",
	"T1552": "Unsecured Credentials", "T1530": "Data from Cloud Storage", "T1090": "Proxy",
	"T1572": "Protocol Tunneling", "T1568": "Dynamic Resolution", "T1583": "Acquire Infrastructure",
	"T1584": "Compromise Infrastructure", "T1199": "Trusted Relationship", "T1136": "Create Account",
	"T1562": "Impair Defenses", "T1562.007": "Disable or Modify Cloud Firewall",
	"T1578": "Modify Cloud Compute Infrastructure", "T1648": "Serverless Execution",
	"T1526": "Cloud Service Discovery", "T1580": "Cloud Infrastructure Discovery",
	"T1048": "Exfiltration Over Alternative Protocol", "T1537": "Transfer Data to Cloud Account",
	"T1213": "Data from Information Repositories", "T1119": "Automated Collection",
}

// Attacks maps the rule's tags to ATT&CK tactic and technique pairs: attack.taXXXX and
// tactic names (attack.command_and_control) give tactics, attack.tXXXX and attack.tXXXX.YYY
// techniques. Every technique is paired with every tactic; a rule with tactics and no
// technique (or the reverse) gets one entry per tag with the other half empty.
func (r *Rule) Attacks() []ocsf.Attack {
	var tas, tes []ocsf.Technique
	for _, tag := range r.Tags {
		t, ok := strings.CutPrefix(strings.ToLower(strings.TrimSpace(tag)), "attack.")
		if !ok {
			continue
		}
		if ta, ok := lookupTactic(t); ok {
			tas = append(tas, ocsf.Technique{UID: ta.uid, Name: ta.name, SrcURL: "https://attack.mitre.org/tactics/" + ta.uid + "/"})
			continue
		}
		if uid, ok := techniqueUID(t); ok {
			tes = append(tes, ocsf.Technique{UID: uid, Name: techniqueNames[uid],
				SrcURL: "https://attack.mitre.org/techniques/" + strings.ReplaceAll(uid, ".", "/") + "/"})
		}
	}
	var out []ocsf.Attack
	switch {
	case len(tes) == 0:
		for _, ta := range tas {
			out = append(out, ocsf.Attack{Version: ATTACKVersion, Tactic: ta})
		}
	case len(tas) == 0:
		for _, te := range tes {
			out = append(out, ocsf.Attack{Version: ATTACKVersion, Technique: te})
		}
	default:
		for _, te := range tes {
			for _, ta := range tas {
				out = append(out, ocsf.Attack{Version: ATTACKVersion, Tactic: ta, Technique: te})
			}
		}
	}
	return out
}

// lookupTactic finds a tactic by uid tag ("ta0011") or name tag ("command_and_control").
func lookupTactic(t string) (tactic, bool) {
	for _, ta := range tactics {
		if t == ta.tag || t == strings.ToLower(ta.uid) {
			return ta, true
		}
	}
	return tactic{}, false
}

// techniqueUID reads a technique tag ("t1071", "t1071.001") as its uid ("T1071.001").
func techniqueUID(t string) (string, bool) {
	if len(t) < 5 || t[0] != 't' || !digits(t[1:5]) {
		return "", false
	}
	switch {
	case len(t) == 5:
	case len(t) == 9 && t[5] == '.' && digits(t[6:9]):
	default:
		return "", false
	}
	return strings.ToUpper(t), true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
