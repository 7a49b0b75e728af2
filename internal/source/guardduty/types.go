package guardduty

import "strings"

// asffTypes are the ASFF types Security Hub gives GuardDuty finding types, from the table of
// the GuardDuty User Guide ("Interpreting GuardDuty finding names in AWS Security Hub"). It
// is never modified.
var asffTypes = map[string]string{
	"Backdoor:EC2/C&CActivity.B":                                "TTPs/Command and Control/Backdoor:EC2-C&CActivity.B",
	"Backdoor:EC2/C&CActivity.B!DNS":                            "TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS",
	"Backdoor:EC2/DenialOfService.Dns":                          "TTPs/Command and Control/Backdoor:EC2-DenialOfService.Dns",
	"Backdoor:EC2/DenialOfService.Tcp":                          "TTPs/Command and Control/Backdoor:EC2-DenialOfService.Tcp",
	"Backdoor:EC2/DenialOfService.Udp":                          "TTPs/Command and Control/Backdoor:EC2-DenialOfService.Udp",
	"Backdoor:EC2/DenialOfService.UdpOnTcpPorts":                "TTPs/Command and Control/Backdoor:EC2-DenialOfService.UdpOnTcpPorts",
	"Backdoor:EC2/DenialOfService.UnusualProtocol":              "TTPs/Command and Control/Backdoor:EC2-DenialOfService.UnusualProtocol",
	"Backdoor:EC2/Spambot":                                      "TTPs/Command and Control/Backdoor:EC2-Spambot",
	"Behavior:EC2/NetworkPortUnusual":                           "Unusual Behaviors/VM/Behavior:EC2-NetworkPortUnusual",
	"Behavior:EC2/TrafficVolumeUnusual":                         "Unusual Behaviors/VM/Behavior:EC2-TrafficVolumeUnusual",
	"CryptoCurrency:EC2/BitcoinTool.B":                          "TTPs/Command and Control/CryptoCurrency:EC2-BitcoinTool.B",
	"CryptoCurrency:EC2/BitcoinTool.B!DNS":                      "TTPs/Command and Control/CryptoCurrency:EC2-BitcoinTool.B!DNS",
	"Discovery:S3/BucketEnumeration.Unusual":                    "TTPs/Discovery:S3-BucketEnumeration.Unusual",
	"Discovery:S3/MaliciousIPCaller.Custom":                     "TTPs/Discovery:S3-MaliciousIPCaller.Custom",
	"Discovery:S3/TorIPCaller":                                  "TTPs/Discovery:S3-TorIPCaller",
	"Discovery:S3/MaliciousIPCaller":                            "TTPs/Discovery:S3-MaliciousIPCaller",
	"Exfiltration:S3/ObjectRead.Unusual":                        "TTPs/Exfiltration:S3-ObjectRead.Unusual",
	"Exfiltration:S3/MaliciousIPCaller":                         "TTPs/Exfiltration:S3-MaliciousIPCaller",
	"Impact:EC2/PortSweep":                                      "TTPs/Impact/Impact:EC2-PortSweep",
	"Impact:EC2/WinRMBruteForce":                                "TTPs/Impact/Impact:EC2-WinRMBruteForce",
	"Impact:S3/ObjectDelete.Unusual":                            "TTPs/Impact:S3-ObjectDelete.Unusual",
	"Impact:S3/PermissionsModification.Unusual":                 "TTPs/Impact:S3-PermissionsModification.Unusual",
	"Impact:S3/MaliciousIPCaller":                               "TTPs/Impact:S3-MaliciousIPCaller",
	"PenTest:IAMUser/KaliLinux":                                 "TTPs/PenTest:IAMUser/KaliLinux",
	"PenTest:IAMUser/ParrotLinux":                               "TTPs/PenTest:IAMUser/ParrotLinux",
	"PenTest:IAMUser/PentooLinux":                               "TTPs/PenTest:IAMUser/PentooLinux",
	"PenTest:S3/KaliLinux":                                      "TTPs/PenTest:S3-KaliLinux",
	"PenTest:S3/ParrotLinux":                                    "TTPs/PenTest:S3-ParrotLinux",
	"PenTest:S3/PentooLinux":                                    "TTPs/PenTest:S3-PentooLinux",
	"Persistence:IAMUser/NetworkPermissions":                    "TTPs/Persistence/Persistence:IAMUser-NetworkPermissions",
	"Persistence:IAMUser/ResourcePermissions":                   "TTPs/Persistence/Persistence:IAMUser-ResourcePermissions",
	"Persistence:IAMUser/UserPermissions":                       "TTPs/Persistence/Persistence:IAMUser-UserPermissions",
	"Policy:IAMUser/RootCredentialUsage":                        "TTPs/Policy:IAMUser-RootCredentialUsage",
	"Policy:S3/AccountBlockPublicAccessDisabled":                "TTPs/Policy:S3-AccountBlockPublicAccessDisabled",
	"Policy:S3/BucketAnonymousAccessGranted":                    "TTPs/Policy:S3-BucketAnonymousAccessGranted",
	"Policy:S3/BucketBlockPublicAccessDisabled":                 "Effects/Data Exposure/Policy:S3-BucketBlockPublicAccessDisabled",
	"Policy:S3/BucketPublicAccessGranted":                       "TTPs/Policy:S3-BucketPublicAccessGranted",
	"PrivilegeEscalation:IAMUser/AdministrativePermissions":     "TTPs/Privilege Escalation/PrivilegeEscalation:IAMUser-AdministrativePermissions",
	"Recon:EC2/PortProbeEMRUnprotectedPort":                     "TTPs/Discovery/Recon:EC2-PortProbeEMRUnprotectedPort",
	"Recon:EC2/PortProbeUnprotectedPort":                        "TTPs/Discovery/Recon:EC2-PortProbeUnprotectedPort",
	"Recon:EC2/Portscan":                                        "TTPs/Discovery/Recon:EC2-Portscan",
	"Recon:IAMUser/MaliciousIPCaller":                           "TTPs/Discovery/Recon:IAMUser-MaliciousIPCaller",
	"Recon:IAMUser/MaliciousIPCaller.Custom":                    "TTPs/Discovery/Recon:IAMUser-MaliciousIPCaller.Custom",
	"Recon:IAMUser/NetworkPermissions":                          "TTPs/Discovery/Recon:IAMUser-NetworkPermissions",
	"Recon:IAMUser/ResourcePermissions":                         "TTPs/Discovery/Recon:IAMUser-ResourcePermissions",
	"Recon:IAMUser/TorIPCaller":                                 "TTPs/Discovery/Recon:IAMUser-TorIPCaller",
	"Recon:IAMUser/UserPermissions":                             "TTPs/Discovery/Recon:IAMUser-UserPermissions",
	"ResourceConsumption:IAMUser/ComputeResources":              "Unusual Behaviors/User/ResourceConsumption:IAMUser-ComputeResources",
	"Stealth:IAMUser/CloudTrailLoggingDisabled":                 "TTPs/Defense Evasion/Stealth:IAMUser-CloudTrailLoggingDisabled",
	"Stealth:IAMUser/LoggingConfigurationModified":              "TTPs/Defense Evasion/Stealth:IAMUser-LoggingConfigurationModified",
	"Stealth:IAMUser/PasswordPolicyChange":                      "TTPs/Defense Evasion/Stealth:IAMUser-PasswordPolicyChange",
	"Stealth:S3/ServerAccessLoggingDisabled":                    "TTPs/Defense Evasion/Stealth:S3-ServerAccessLoggingDisabled",
	"Trojan:EC2/BlackholeTraffic":                               "TTPs/Command and Control/Trojan:EC2-BlackholeTraffic",
	"Trojan:EC2/BlackholeTraffic!DNS":                           "TTPs/Command and Control/Trojan:EC2-BlackholeTraffic!DNS",
	"Trojan:EC2/DGADomainRequest.B":                             "TTPs/Command and Control/Trojan:EC2-DGADomainRequest.B",
	"Trojan:EC2/DGADomainRequest.C!DNS":                         "TTPs/Command and Control/Trojan:EC2-DGADomainRequest.C!DNS",
	"Trojan:EC2/DNSDataExfiltration":                            "TTPs/Command and Control/Trojan:EC2-DNSDataExfiltration!DNS",
	"Trojan:EC2/DriveBySourceTraffic!DNS":                       "TTPs/Initial Access/Trojan:EC2-DriveBySourceTraffic!DNS",
	"Trojan:EC2/DropPoint":                                      "Effects/Data Exfiltration/Trojan:EC2-DropPoint",
	"Trojan:EC2/DropPoint!DNS":                                  "Effects/Data Exfiltration/Trojan:EC2-DropPoint!DNS",
	"Trojan:EC2/PhishingDomainRequest!DNS":                      "TTPs/Command and Control/Trojan:EC2-PhishingDomainRequest!DNS",
	"UnauthorizedAccess:EC2/MaliciousIPCaller.Custom":           "TTPs/Command and Control/UnauthorizedAccess:EC2-MaliciousIPCaller.Custom",
	"UnauthorizedAccess:EC2/MetadataDNSRebind":                  "TTPs/UnauthorizedAccess:EC2-MetadataDNSRebind",
	"UnauthorizedAccess:EC2/RDPBruteForce":                      "TTPs/Initial Access/UnauthorizedAccess:EC2-RDPBruteForce",
	"UnauthorizedAccess:EC2/SSHBruteForce":                      "TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce",
	"UnauthorizedAccess:EC2/TorClient":                          "Effects/Resource Consumption/UnauthorizedAccess:EC2-TorClient",
	"UnauthorizedAccess:EC2/TorRelay":                           "Effects/Resource Consumption/UnauthorizedAccess:EC2-TorRelay",
	"UnauthorizedAccess:IAMUser/ConsoleLogin":                   "Unusual Behaviors/User/UnauthorizedAccess:IAMUser-ConsoleLogin",
	"UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B":          "TTPs/UnauthorizedAccess:IAMUser-ConsoleLoginSuccess.B",
	"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration": "Effects/Data Exfiltration/UnauthorizedAccess:IAMUser-InstanceCredentialExfiltration",
	"UnauthorizedAccess:IAMUser/MaliciousIPCaller":              "TTPs/UnauthorizedAccess:IAMUser-MaliciousIPCaller",
	"UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom":       "TTPs/UnauthorizedAccess:IAMUser-MaliciousIPCaller.Custom",
	"UnauthorizedAccess:IAMUser/TorIPCaller":                    "TTPs/Command and Control/UnauthorizedAccess:IAMUser-TorIPCaller",
	"UnauthorizedAccess:S3/MaliciousIPCaller.Custom":            "TTPs/UnauthorizedAccess:S3-MaliciousIPCaller.Custom",
	"UnauthorizedAccess:S3/TorIPCaller":                         "TTPs/UnauthorizedAccess:S3-TorIPCaller",
}

// purposeNamespaces give, by threat purpose, the ASFF namespace and category of GuardDuty
// types the table does not list (types added since). It is never modified.
var purposeNamespaces = map[string]string{
	"Backdoor":            "TTPs/Command and Control/",
	"CryptoCurrency":      "TTPs/Command and Control/",
	"Trojan":              "TTPs/Command and Control/",
	"Discovery":           "TTPs/Discovery/",
	"Recon":               "TTPs/Discovery/",
	"Exfiltration":        "TTPs/Exfiltration/",
	"Impact":              "TTPs/Impact/",
	"InitialAccess":       "TTPs/Initial Access/",
	"Execution":           "TTPs/Execution/",
	"Persistence":         "TTPs/Persistence/",
	"PrivilegeEscalation": "TTPs/Privilege Escalation/",
	"DefenseEvasion":      "TTPs/Defense Evasion/",
	"Stealth":             "TTPs/Defense Evasion/",
	"CredentialAccess":    "TTPs/Credential Access/",
	"ResourceConsumption": "Unusual Behaviors/User/",
}

// ASFFType returns the ASFF type Security Hub gives the GuardDuty finding type gdType
// (ThreatPurpose:ResourceTypeAffected/ThreatFamilyName.DetectionMechanism!Artifact): the
// GuardDuty User Guide's table, else the threat purpose's namespace followed by the type with
// its "/" made "-" (Behavior is Unusual Behaviors/VM for EC2, Unusual Behaviors/User
// otherwise; other purposes are TTPs).
func ASFFType(gdType string) string {
	if t, ok := asffTypes[gdType]; ok {
		return t
	}
	name := strings.Replace(gdType, "/", "-", 1)
	purpose, rest, _ := strings.Cut(gdType, ":")
	if purpose == "Behavior" {
		if strings.HasPrefix(rest, "EC2") {
			return "Unusual Behaviors/VM/" + name
		}
		return "Unusual Behaviors/User/" + name
	}
	if ns, ok := purposeNamespaces[purpose]; ok {
		return ns + name
	}
	return "TTPs/" + name
}
