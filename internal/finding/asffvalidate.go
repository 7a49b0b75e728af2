package finding

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// asffTaxonomy lists the namespaces of the ASFF Types taxonomy and the categories defined for
// each (AWS Security Hub User Guide, "Types taxonomy for ASFF"). Classifiers, the third level,
// are free text except in Software and Configuration Checks, where AWS suggests some; they are
// not checked.
var asffTaxonomy = map[string][]string{
	"Software and Configuration Checks": {
		"Vulnerabilities", "AWS Security Best Practices", "Industry and Regulatory Standards",
	},
	"TTPs": {
		"Initial Access", "Execution", "Persistence", "Privilege Escalation", "Defense Evasion",
		"Credential Access", "Discovery", "Lateral Movement", "Collection", "Command and Control",
	},
	"Effects": {
		"Data Exposure", "Data Exfiltration", "Data Destruction", "Denial of Service", "Resource Consumption",
	},
	"Unusual Behaviors": {
		"Application", "Network Flow", "IP address", "User", "VM", "Container", "Serverless",
		"Process", "Database", "Data",
	},
	"Sensitive Data Identifications": {
		"PII", "Passwords", "Legal", "Financial", "Security", "Business",
	},
}

// asffNamespaces is the namespaces in the order the taxonomy lists them, for messages.
var asffNamespaces = []string{"Software and Configuration Checks", "TTPs", "Effects", "Unusual Behaviors", "Sensitive Data Identifications"}

var (
	accountRe    = regexp.MustCompile(`^[0-9]{12}$`)
	regionRe     = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	productArnRe = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):securityhub:([a-z0-9-]+):([0-9]{12})?:product/([^/\s]+)/([^/\s]+)$`)
)

// asffLabels are the valid Severity.Label values.
var asffLabels = []string{"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"}

// ValidateASFFType checks one Types entry: "namespace[/category[/classifier]]" with a
// namespace of the taxonomy and, when present, a category defined for that namespace.
// Partial paths ("TTPs", "TTPs/Discovery") are valid, as the taxonomy says. The namespaces and
// their categories:
//
//   - Software and Configuration Checks: Vulnerabilities, AWS Security Best Practices,
//     Industry and Regulatory Standards
//   - TTPs: Initial Access, Execution, Persistence, Privilege Escalation, Defense Evasion,
//     Credential Access, Discovery, Lateral Movement, Collection, Command and Control
//   - Effects: Data Exposure, Data Exfiltration, Data Destruction, Denial of Service,
//     Resource Consumption
//   - Unusual Behaviors: Application, Network Flow, IP address, User, VM, Container,
//     Serverless, Process, Database, Data
//   - Sensitive Data Identifications: PII, Passwords, Legal, Financial, Security, Business
func ValidateASFFType(t string) error {
	parts := strings.SplitN(t, "/", 3)
	for i, p := range parts {
		if strings.TrimSpace(p) == "" {
			return fmt.Errorf("type %q: level %d is empty", t, i+1)
		}
	}
	cats, ok := asffTaxonomy[parts[0]]
	if !ok {
		return fmt.Errorf("type %q: namespace %q is not one of %q", t, parts[0], asffNamespaces)
	}
	if len(parts) > 1 && !slices.Contains(cats, parts[1]) {
		return fmt.Errorf("type %q: category %q is not defined for namespace %q (one of %q)", t, parts[1], parts[0], cats)
	}
	return nil
}

// ValidateASFF checks that a is an ASFF finding Security Hub accepts: every required
// attribute present (SchemaVersion, Id, ProductArn, GeneratorId, AwsAccountId, Types,
// CreatedAt, UpdatedAt, Severity, Title, Description, Resources), lengths and counts within
// the API's limits, timestamps in RFC 3339, enumerations among their values, Types following
// the taxonomy (see ValidateASFFType), and IP addresses of the right family. The error lists
// every problem, each naming the attribute.
func ValidateASFF(a ASFF) error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("ASFF %s: %s", field, fmt.Sprintf(format, args...)))
	}
	str := func(field, v string, maxLen int, required bool) {
		switch n := utf8.RuneCountInString(v); {
		case strings.TrimSpace(v) == "":
			if required {
				bad(field, "required, missing or blank")
			}
		case maxLen > 0 && n > maxLen:
			bad(field, "%d characters, more than %d", n, maxLen)
		}
	}
	percent := func(field string, v *int) {
		if v != nil && (*v < 0 || *v > 100) {
			bad(field, "%d not in 0-100", *v)
		}
	}
	stamp := func(field, v string, required bool) (time.Time, bool) {
		if v == "" {
			if required {
				bad(field, "required, missing")
			}
			return time.Time{}, false
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			bad(field, "%q is not an RFC 3339 timestamp", v)
			return time.Time{}, false
		}
		return t, true
	}
	types := func(field string, ts []string, required bool) {
		if len(ts) == 0 && required {
			bad(field, "required, at least one type")
		}
		if len(ts) > 50 {
			bad(field, "%d types, more than 50", len(ts))
		}
		for i, t := range ts {
			if err := ValidateASFFType(t); err != nil {
				bad(fmt.Sprintf("%s[%d]", field, i), "%v", err)
			}
		}
	}
	label := func(field, v string) {
		if v != "" && !slices.Contains(asffLabels, v) {
			bad(field, "%q is not one of %q", v, asffLabels)
		}
	}

	if a.SchemaVersion != ASFFSchemaVersion {
		bad("SchemaVersion", "%q, want %q", a.SchemaVersion, ASFFSchemaVersion)
	}
	str("Id", a.Id, 512, true)
	str("GeneratorId", a.GeneratorId, 512, true)
	if a.ProductArn == "" {
		bad("ProductArn", "required, missing")
	} else if !productArnRe.MatchString(a.ProductArn) {
		bad("ProductArn", "%q does not match arn:<partition>:securityhub:<region>:[<account>]:product/<company>/<product>", a.ProductArn)
	}
	if !accountRe.MatchString(a.AwsAccountId) {
		bad("AwsAccountId", "%q is not a 12-digit account id", a.AwsAccountId)
	}
	types("Types", a.Types, true)
	created, okC := stamp("CreatedAt", a.CreatedAt, true)
	updated, okU := stamp("UpdatedAt", a.UpdatedAt, true)
	if okC && okU && updated.Before(created) {
		bad("UpdatedAt", "%s is before CreatedAt %s", a.UpdatedAt, a.CreatedAt)
	}
	first, okF := stamp("FirstObservedAt", a.FirstObservedAt, false)
	last, okL := stamp("LastObservedAt", a.LastObservedAt, false)
	if okF && okL && last.Before(first) {
		bad("LastObservedAt", "%s is before FirstObservedAt %s", a.LastObservedAt, a.FirstObservedAt)
	}
	stamp("ProcessedAt", a.ProcessedAt, false)

	if a.Severity.Label == "" && a.Severity.Normalized == nil {
		bad("Severity", "required, needs Label or Normalized")
	}
	label("Severity.Label", a.Severity.Label)
	percent("Severity.Normalized", a.Severity.Normalized)
	percent("Confidence", a.Confidence)
	percent("Criticality", a.Criticality)
	str("Title", a.Title, 256, true)
	str("Description", a.Description, 1024, true)
	str("ProductName", a.ProductName, 128, false)
	str("CompanyName", a.CompanyName, 128, false)
	if a.Region != "" && !regionRe.MatchString(a.Region) {
		bad("Region", "%q is not an AWS region code", a.Region)
	}

	if len(a.Resources) == 0 {
		bad("Resources", "required, at least one resource")
	}
	if len(a.Resources) > 32 {
		bad("Resources", "%d resources, more than 32", len(a.Resources))
	}
	for i, r := range a.Resources {
		f := fmt.Sprintf("Resources[%d]", i)
		str(f+".Type", r.Type, 256, true)
		str(f+".Id", r.Id, 512, true)
		if r.Partition != "" && !slices.Contains([]string{"aws", "aws-cn", "aws-us-gov"}, r.Partition) {
			bad(f+".Partition", "%q is not one of aws, aws-cn, aws-us-gov", r.Partition)
		}
		if r.Region != "" && !regionRe.MatchString(r.Region) {
			bad(f+".Region", "%q is not an AWS region code", r.Region)
		}
	}

	if n := a.Network; n != nil {
		if n.Direction != "" && n.Direction != "IN" && n.Direction != "OUT" {
			bad("Network.Direction", "%q is not IN or OUT", n.Direction)
		}
		str("Network.Protocol", n.Protocol, 16, false)
		str("Network.SourceDomain", n.SourceDomain, 128, false)
		str("Network.DestinationDomain", n.DestinationDomain, 128, false)
		ip := func(field, v string, want4 bool) {
			if v == "" {
				return
			}
			addr, err := netip.ParseAddr(v)
			switch {
			case err != nil:
				bad(field, "%q is not an IP address", v)
			case want4 && !addr.Is4():
				bad(field, "%q is not an IPv4 address", v)
			case !want4 && !addr.Is6():
				bad(field, "%q is not an IPv6 address", v)
			}
		}
		ip("Network.SourceIpV4", n.SourceIpV4, true)
		ip("Network.SourceIpV6", n.SourceIpV6, false)
		ip("Network.DestinationIpV4", n.DestinationIpV4, true)
		ip("Network.DestinationIpV6", n.DestinationIpV6, false)
		for _, p := range []struct {
			f string
			v *int
		}{{"Network.SourcePort", n.SourcePort}, {"Network.DestinationPort", n.DestinationPort}} {
			if p.v != nil && (*p.v < 0 || *p.v > 65535) {
				bad(p.f, "%d not in 0-65535", *p.v)
			}
		}
	}
	if w := a.Workflow; w != nil && !slices.Contains([]string{"NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"}, w.Status) {
		bad("Workflow.Status", "%q is not one of NEW, NOTIFIED, RESOLVED, SUPPRESSED", w.Status)
	}
	if a.WorkflowState != "" && !slices.Contains([]string{"NEW", "ASSIGNED", "IN_PROGRESS", "DEFERRED", "RESOLVED"}, a.WorkflowState) {
		bad("WorkflowState", "%q is not one of NEW, ASSIGNED, IN_PROGRESS, DEFERRED, RESOLVED", a.WorkflowState)
	}
	if a.RecordState != "" && a.RecordState != "ACTIVE" && a.RecordState != "ARCHIVED" {
		bad("RecordState", "%q is not ACTIVE or ARCHIVED", a.RecordState)
	}
	for _, m := range []struct {
		f  string
		kv map[string]string
	}{{"ProductFields", a.ProductFields}, {"UserDefinedFields", a.UserDefinedFields}} {
		if len(m.kv) > 50 {
			bad(m.f, "%d pairs, more than 50", len(m.kv))
		}
		keys := make([]string, 0, len(m.kv))
		for k := range m.kv {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if n := utf8.RuneCountInString(k); n == 0 || n > 128 {
				bad(m.f, "key %.40q has %d characters, want 1-128", k, n)
			}
			if n := utf8.RuneCountInString(m.kv[k]); n > 2048 {
				bad(m.f+"["+k+"]", "value has %d characters, more than 2048", n)
			}
		}
	}
	if p := a.FindingProviderFields; p != nil {
		types("FindingProviderFields.Types", p.Types, false)
		percent("FindingProviderFields.Confidence", p.Confidence)
		percent("FindingProviderFields.Criticality", p.Criticality)
		if p.Severity != nil {
			label("FindingProviderFields.Severity.Label", p.Severity.Label)
		}
	}
	return errors.Join(errs...)
}
