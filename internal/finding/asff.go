package finding

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// ASFFSchemaVersion is the only published ASFF schema version.
const ASFFSchemaVersion = "2018-10-08"

// ProductName is the ASFF ProductName and the OCSF metadata.product.name of mcpwatch findings.
const ProductName = "mcpwatch"

// ASFF is one finding in the AWS Security Finding Format (AwsSecurityFinding), with the
// attributes mcpwatch writes and those found in real findings it reads. Attributes it does
// not interpret (Compliance, Vulnerabilities, resource Details) are kept as raw JSON.
type ASFF struct {
	SchemaVersion         string               `json:"SchemaVersion"`
	Id                    string               `json:"Id"`
	ProductArn            string               `json:"ProductArn"`
	ProductName           string               `json:"ProductName,omitempty"`
	CompanyName           string               `json:"CompanyName,omitempty"`
	Region                string               `json:"Region,omitempty"`
	GeneratorId           string               `json:"GeneratorId"`
	AwsAccountId          string               `json:"AwsAccountId"`
	Types                 []string             `json:"Types"`
	FirstObservedAt       string               `json:"FirstObservedAt,omitempty"`
	LastObservedAt        string               `json:"LastObservedAt,omitempty"`
	CreatedAt             string               `json:"CreatedAt"`
	UpdatedAt             string               `json:"UpdatedAt"`
	ProcessedAt           string               `json:"ProcessedAt,omitempty"`
	Severity              ASFFSeverity         `json:"Severity"`
	Confidence            *int                 `json:"Confidence,omitempty"`
	Criticality           *int                 `json:"Criticality,omitempty"`
	Title                 string               `json:"Title"`
	Description           string               `json:"Description"`
	Remediation           *ASFFRemediation     `json:"Remediation,omitempty"`
	SourceUrl             string               `json:"SourceUrl,omitempty"`
	ProductFields         map[string]string    `json:"ProductFields,omitempty"`
	UserDefinedFields     map[string]string    `json:"UserDefinedFields,omitempty"`
	Network               *ASFFNetwork         `json:"Network,omitempty"`
	Resources             []ASFFResource       `json:"Resources"`
	Compliance            json.RawMessage      `json:"Compliance,omitempty"`
	Vulnerabilities       json.RawMessage      `json:"Vulnerabilities,omitempty"`
	Workflow              *ASFFWorkflow        `json:"Workflow,omitempty"`
	WorkflowState         string               `json:"WorkflowState,omitempty"`
	RecordState           string               `json:"RecordState,omitempty"`
	FindingProviderFields *ASFFProviderFields  `json:"FindingProviderFields,omitempty"`
	Sample                *bool                `json:"Sample,omitempty"`
	RelatedFindings       []ASFFRelatedFinding `json:"RelatedFindings,omitempty"`
	Note                  json.RawMessage      `json:"Note,omitempty"`
}

// ASFFSeverity is the ASFF Severity object.
type ASFFSeverity struct {
	Label      string   `json:"Label,omitempty"`
	Normalized *int     `json:"Normalized,omitempty"`
	Original   string   `json:"Original,omitempty"`
	Product    *float64 `json:"Product,omitempty"`
}

// ASFFRemediation is the ASFF Remediation object.
type ASFFRemediation struct {
	Recommendation ASFFRecommendation `json:"Recommendation"`
}

// ASFFRecommendation is the ASFF Remediation.Recommendation object.
type ASFFRecommendation struct {
	Text string `json:"Text,omitempty"`
	Url  string `json:"Url,omitempty"`
}

// ASFFNetwork is the ASFF Network object (deprecated by AWS in favour of Action, still
// accepted and shown by Security Hub).
type ASFFNetwork struct {
	Direction         string `json:"Direction,omitempty"`
	Protocol          string `json:"Protocol,omitempty"`
	SourceIpV4        string `json:"SourceIpV4,omitempty"`
	SourceIpV6        string `json:"SourceIpV6,omitempty"`
	SourcePort        *int   `json:"SourcePort,omitempty"`
	SourceDomain      string `json:"SourceDomain,omitempty"`
	DestinationIpV4   string `json:"DestinationIpV4,omitempty"`
	DestinationIpV6   string `json:"DestinationIpV6,omitempty"`
	DestinationPort   *int   `json:"DestinationPort,omitempty"`
	DestinationDomain string `json:"DestinationDomain,omitempty"`
}

// ASFFResource is one element of the ASFF Resources array.
type ASFFResource struct {
	Type         string            `json:"Type"`
	Id           string            `json:"Id"`
	Partition    string            `json:"Partition,omitempty"`
	Region       string            `json:"Region,omitempty"`
	ResourceRole string            `json:"ResourceRole,omitempty"`
	Tags         map[string]string `json:"Tags,omitempty"`
	Details      json.RawMessage   `json:"Details,omitempty"`
}

// ASFFWorkflow is the ASFF Workflow object.
type ASFFWorkflow struct {
	Status string `json:"Status"`
}

// ASFFProviderFields is the ASFF FindingProviderFields object, through which a provider sets
// the severity, confidence and types of its findings.
type ASFFProviderFields struct {
	Confidence      *int                 `json:"Confidence,omitempty"`
	Criticality     *int                 `json:"Criticality,omitempty"`
	RelatedFindings []ASFFRelatedFinding `json:"RelatedFindings,omitempty"`
	Severity        *ASFFProviderSev     `json:"Severity,omitempty"`
	Types           []string             `json:"Types,omitempty"`
}

// ASFFProviderSev is FindingProviderFields.Severity.
type ASFFProviderSev struct {
	Label    string `json:"Label,omitempty"`
	Original string `json:"Original,omitempty"`
}

// ASFFRelatedFinding is one element of RelatedFindings.
type ASFFRelatedFinding struct {
	ProductArn string `json:"ProductArn"`
	Id         string `json:"Id"`
}

// ASFFOptions complete what a finding does not say for its ASFF form.
type ASFFOptions struct {
	// Account and Region are used when the finding's cloud object lacks them.
	Account, Region string
	// CompanyName is the ASFF CompanyName; ProductName when empty.
	CompanyName string
}

// asffTime is the timestamp layout mcpwatch writes: RFC 3339, UTC, milliseconds.
const asffTime = "2006-01-02T15:04:05.000Z07:00"

// ToASFF converts an mcpwatch Detection Finding to an ASFF finding for Security Hub's
// BatchImportFindings, as the private product of the finding's account:
//
//	ProductArn  arn:<partition>:securityhub:<region>:<account>:product/<account>/default
//	Id          finding_info.uid (the dedup key: a new version updates the same finding)
//	GeneratorId finding_info.analytic.uid (the rule id)
//	Types       finding_info.types that follow the ASFF taxonomy (at least one is required)
//
// and the rest mapped as Amazon Security Lake maps ASFF to OCSF, in reverse (resources[].type,
// uid, cloud_partition and region to Resources[]; status to Workflow.Status; confidence_score
// to Confidence; unmapped to ProductFields "mcpwatch/<key>"). Network is taken from the most
// recent evidence. The result is checked with ValidateASFF; an error says why the finding
// cannot be expressed in ASFF.
func ToASFF(f ocsf.DetectionFinding, opts ASFFOptions) (ASFF, error) {
	fi := &f.FindingInfo
	account := or(f.Cloud.Account.UID, opts.Account)
	region := or(f.Cloud.Region, opts.Region)
	var errs []error
	if fi.UID == "" {
		errs = append(errs, errors.New("finding has no finding_info.uid"))
	}
	if !accountRe.MatchString(account) {
		errs = append(errs, fmt.Errorf("account %q is not a 12-digit AWS account id", account))
	}
	if region == "" {
		errs = append(errs, errors.New("finding has no cloud.region (needed for ProductArn)"))
	}
	var types []string
	for _, t := range fi.Types {
		if ValidateASFFType(t) == nil && !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	if len(types) == 0 {
		errs = append(errs, fmt.Errorf("none of finding_info.types %q follows the ASFF types taxonomy", fi.Types))
	}
	if len(errs) > 0 {
		return ASFF{}, fmt.Errorf("finding %q to ASFF: %w", fi.UID, errors.Join(errs...))
	}
	partition := Partition(region)

	created := orInt(fi.CreatedTime, f.Time)
	updated := max(fi.ModifiedTime, f.Metadata.ModifiedTime, created)
	label, normalized := SeverityLabel(f.SeverityID)
	company := or(opts.CompanyName, ProductName)
	a := ASFF{
		SchemaVersion: ASFFSchemaVersion,
		Id:            fi.UID,
		ProductArn:    fmt.Sprintf("arn:%s:securityhub:%s:%s:product/%s/default", partition, region, account, account),
		ProductName:   ProductName,
		CompanyName:   company,
		Region:        region,
		GeneratorId:   or(fi.Analytic.UID, or(f.Metadata.Product.Feature.UID, ProductName)),
		AwsAccountId:  account,
		Types:         types,
		CreatedAt:     formatMillis(created),
		UpdatedAt:     formatMillis(updated),
		Severity:      ASFFSeverity{Label: label, Normalized: &normalized, Original: f.Severity},
		Title:         truncate(or(fi.Title, "mcpwatch finding"), 256),
		Description:   truncate(or(fi.Desc, fi.Title), 1024),
		SourceUrl:     fi.SrcURL,
		RecordState:   "ACTIVE",
	}
	if strings.TrimSpace(a.Description) == "" {
		a.Description = a.Title
	}
	if fi.FirstSeenTime != 0 {
		a.FirstObservedAt = formatMillis(fi.FirstSeenTime)
	}
	if fi.LastSeenTime != 0 {
		a.LastObservedAt = formatMillis(max(fi.LastSeenTime, fi.FirstSeenTime))
	}
	if c, ok := confidence(f); ok {
		a.Confidence = &c
	}
	if f.Remediation.Desc != "" {
		a.Remediation = &ASFFRemediation{Recommendation: ASFFRecommendation{Text: f.Remediation.Desc}}
		if len(f.Remediation.References) > 0 {
			a.Remediation.Recommendation.Url = f.Remediation.References[0]
		}
	}
	if ws, ok := workflowStatus[f.StatusID]; ok {
		a.Workflow = &ASFFWorkflow{Status: ws}
	}
	if f.ActivityID == ActivityClose {
		a.RecordState = "ARCHIVED"
	}
	a.FindingProviderFields = &ASFFProviderFields{
		Confidence: a.Confidence,
		Severity:   &ASFFProviderSev{Label: label, Original: f.Severity},
		Types:      types,
	}
	a.ProductFields = productFields(f)
	a.Network = network(f.Evidences)
	a.Resources = resources(f.Resources, account, region, partition)
	if err := ValidateASFF(a); err != nil {
		return ASFF{}, fmt.Errorf("finding %q to ASFF: %w", fi.UID, err)
	}
	return a, nil
}

// SeverityLabel maps an OCSF severity_id to the ASFF Severity.Label and a Normalized score in
// the label's range (INFORMATIONAL 0, LOW 1-39, MEDIUM 40-69, HIGH 70-89, CRITICAL 90-100).
// Unknown and Other map to INFORMATIONAL.
func SeverityLabel(id int32) (label string, normalized int) {
	switch id {
	case ocsf.SeverityLow:
		return "LOW", 30
	case ocsf.SeverityMedium:
		return "MEDIUM", 50
	case ocsf.SeverityHigh:
		return "HIGH", 70
	case ocsf.SeverityCritical:
		return "CRITICAL", 90
	case ocsf.SeverityFatal:
		return "CRITICAL", 100
	}
	return "INFORMATIONAL", 0
}

// Partition is the AWS partition of a region: aws-cn for cn-*, aws-us-gov for us-gov-*, aws
// otherwise.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// workflowStatus maps OCSF finding status_id to ASFF Workflow.Status.
var workflowStatus = map[int32]string{
	ocsf.StatusNew:        "NEW",
	ocsf.StatusInProgress: "NOTIFIED",
	ocsf.StatusSuppressed: "SUPPRESSED",
	ocsf.StatusResolved:   "RESOLVED",
}

// confidence is the ASFF Confidence (0-100) of a finding: confidence_score when set, else a
// value for confidence_id (Low 30, Medium 60, High 90).
func confidence(f ocsf.DetectionFinding) (int, bool) {
	if f.ConfidenceScore > 0 && f.ConfidenceScore <= 100 {
		return int(f.ConfidenceScore), true
	}
	switch f.ConfidenceID {
	case ocsf.ConfidenceLow:
		return 30, true
	case ocsf.ConfidenceMedium:
		return 60, true
	case ocsf.ConfidenceHigh:
		return 90, true
	}
	return 0, false
}

// productFields carries what ASFF has no attribute for, under the "mcpwatch/" prefix, within
// ASFF's limits (50 pairs, keys up to 128 and values up to 2048 characters).
func productFields(f ocsf.DetectionFinding) map[string]string {
	pf := map[string]string{}
	put := func(k, v string) {
		if v == "" || len(pf) >= 50 {
			return
		}
		pf[truncate("mcpwatch/"+k, 128)] = truncate(v, 2048)
	}
	put("RuleId", f.FindingInfo.Analytic.UID)
	put("RuleName", f.FindingInfo.Analytic.Name)
	put("RuleVersion", f.FindingInfo.Analytic.Version)
	put("ProductVersion", f.Metadata.Product.Version)
	if f.Count > 0 {
		put("Count", strconv.Itoa(int(f.Count)))
	}
	put("Status", f.Status)
	put("Message", f.Message)
	if len(f.FindingInfo.DataSources) > 0 {
		put("DataSources", strings.Join(f.FindingInfo.DataSources, ","))
	}
	for i, at := range f.FindingInfo.Attacks {
		put(fmt.Sprintf("Attacks:%d", i), strings.Trim(at.Tactic.UID+" "+at.Technique.UID+" "+at.Technique.Name, " "))
	}
	keys := make([]string, 0, len(f.Unmapped))
	for k := range f.Unmapped {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		put(k, f.Unmapped[k])
	}
	if len(pf) == 0 {
		return nil
	}
	return pf
}

// network is the ASFF Network of the most recent evidence that has endpoints.
func network(evs []ocsf.Evidence) *ASFFNetwork {
	var best *ocsf.Evidence
	var bestT int64
	for i := range evs {
		e := &evs[i]
		if e.SrcEndpoint.IP == "" && e.DstEndpoint.IP == "" {
			continue
		}
		if t := EvidenceTime(*e); best == nil || t > bestT {
			best, bestT = e, t
		}
	}
	if best == nil {
		return nil
	}
	n := &ASFFNetwork{}
	switch best.ConnectionInfo.DirectionID {
	case 1:
		n.Direction = "IN"
	case 2:
		n.Direction = "OUT"
	}
	n.Protocol = ProtocolName(best.ConnectionInfo.ProtocolNum)
	setIP := func(s string, v4, v6 *string) {
		a, err := netip.ParseAddr(s)
		switch {
		case err != nil:
		case a.Is4() || a.Is4In6():
			*v4 = a.Unmap().String()
		default:
			*v6 = a.WithZone("").String()
		}
	}
	setIP(best.SrcEndpoint.IP, &n.SourceIpV4, &n.SourceIpV6)
	setIP(best.DstEndpoint.IP, &n.DestinationIpV4, &n.DestinationIpV6)
	port := func(p *int32) *int {
		if p == nil || *p < 0 || *p > 65535 {
			return nil
		}
		v := int(*p)
		return &v
	}
	n.SourcePort, n.DestinationPort = port(best.SrcEndpoint.Port), port(best.DstEndpoint.Port)
	n.SourceDomain = truncate(best.SrcEndpoint.Hostname, 128)
	n.DestinationDomain = truncate(best.DstEndpoint.Hostname, 128)
	return n
}

// ProtocolName is the IANA keyword of an IP protocol number as ASFF wants it ("TCP", "UDP",
// "ICMP", "IPv6-ICMP"), or "" when mcpwatch does not name it.
func ProtocolName(num int32) string {
	switch num {
	case 1:
		return "ICMP"
	case 6:
		return "TCP"
	case 17:
		return "UDP"
	case 47:
		return "GRE"
	case 50:
		return "ESP"
	case 58:
		return "IPv6-ICMP"
	case 132:
		return "SCTP"
	}
	return ""
}

// resources maps OCSF resources to ASFF Resources; without any, the account is the resource.
func resources(rs []ocsf.ResourceDetails, account, region, partition string) []ASFFResource {
	var out []ASFFResource
	for _, r := range rs {
		if r.UID == "" || len(out) == MaxResources {
			continue
		}
		ar := ASFFResource{
			Type:      or(r.Type, "Other"),
			Id:        r.UID,
			Partition: or(r.CloudPartition, partition),
			Region:    or(r.Region, region),
		}
		if r.Data != "" && json.Valid([]byte(r.Data)) && strings.HasPrefix(strings.TrimSpace(r.Data), "{") {
			ar.Details = json.RawMessage(r.Data)
		}
		out = append(out, ar)
	}
	if len(out) == 0 {
		out = append(out, ASFFResource{Type: "AwsAccount", Id: "AWS::::Account:" + account, Partition: partition, Region: region})
	}
	return out
}

// formatMillis formats epoch milliseconds as an ASFF timestamp.
func formatMillis(ms int64) string { return time.UnixMilli(ms).UTC().Format(asffTime) }

// truncate shortens s to at most n characters (runes), ending it with "…" when cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// or returns a unless it is empty, else b.
func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// orInt returns a unless it is zero, else b.
func orInt(a, b int64) int64 {
	if a != 0 {
		return a
	}
	return b
}
