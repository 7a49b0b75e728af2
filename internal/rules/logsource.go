package rules

import (
	"fmt"
	"strings"

	"github.com/bradleyjkemp/sigma-go"

	"github.com/mcpwatch/mcpwatch/internal/rules/fields"
)

// Services are the logsource services mcpwatch reads, in the order of docs/rules.md.
var services = []string{"vpcflow", "route53", "cloudtrail", "securityhub", "guardduty", "mcp_inventory"}

// EventType returns the event type a logsource's rules match: the service decides (for
// cloudtrail, with the category: api_activity or none, authentication, account_change).
// guardduty is ImportedFinding events whose metadata.product.name is GuardDuty (onlyGuardDuty).
func EventType(ls sigma.Logsource) (t fields.Type, onlyGuardDuty bool, err error) {
	service := trimLower(ls.Service)
	category := trimLower(ls.Category)
	switch service {
	case "vpcflow":
		return fields.NetworkActivity, false, nil
	case "route53":
		return fields.DNSActivity, false, nil
	case "cloudtrail":
		switch category {
		case "", "api_activity", "api":
			return fields.APIActivity, false, nil
		case "authentication":
			return fields.Authentication, false, nil
		case "account_change":
			return fields.AccountChange, false, nil
		}
		return 0, false, fmt.Errorf("logsource: cloudtrail category %q: want api_activity (or none), authentication or account_change", ls.Category)
	case "securityhub":
		return fields.ImportedFinding, false, nil
	case "guardduty":
		return fields.ImportedFinding, true, nil
	case "mcp_inventory":
		return fields.InventoryInfo, false, nil
	case "":
		return 0, false, fmt.Errorf("logsource has no service (want one of %s)", strings.Join(services, ", "))
	}
	return 0, false, fmt.Errorf("logsource: unknown service %q (want one of %s)", ls.Service, strings.Join(services, ", "))
}
