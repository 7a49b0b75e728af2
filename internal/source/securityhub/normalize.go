package securityhub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// Normalizer converts ASFF findings to OCSF. The zero value is ready to use.
type Normalizer struct {
	// Region and Account are used for findings that lack Region or AwsAccountId.
	Region, Account string
}

// errNotFinding is why a JSON value is not an ASFF finding.
var errNotFinding = errors.New("not an ASFF finding")

// Normalize converts the ASFF finding raw (one JSON object) into ev, overwriting it. The
// error says why the finding cannot be stored.
func (n Normalizer) Normalize(raw []byte, ev *ocsf.ImportedFinding) error {
	m, err := decodeObject(raw)
	if err != nil {
		return err
	}
	// Resource details keep their attributes in the order the finding has them, as Security
	// Lake writes them, which a decoded map loses.
	var res struct {
		Resources []struct {
			Details json.RawMessage
		}
	}
	var details []json.RawMessage
	if json.Unmarshal(raw, &res) == nil {
		for _, r := range res.Resources {
			var b bytes.Buffer
			if len(r.Details) > 0 && json.Compact(&b, r.Details) == nil {
				details = append(details, b.Bytes())
			} else {
				details = append(details, nil)
			}
		}
	}
	return n.normalize(m, details, ev)
}

// decodeObject decodes one JSON object with numbers kept as written.
func decodeObject(raw []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if d.More() {
		return nil, errors.New("invalid JSON: data after the finding")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: a JSON %s, not an object", errNotFinding, jsonKind(v))
	}
	return m, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return "value"
}

// NormalizeMap converts an ASFF finding decoded as a generic JSON object (objects as
// map[string]any, numbers as json.Number) into ev, overwriting it. It does not modify m.
func (n Normalizer) NormalizeMap(m map[string]any, ev *ocsf.ImportedFinding) error {
	return n.normalize(m, nil, ev)
}

// normalize is NormalizeMap with the resource details as the finding wrote them (details[i]
// is the JSON of Resources[i].Details, nil when unknown).
func (n Normalizer) normalize(m map[string]any, details []json.RawMessage, ev *ocsf.ImportedFinding) error {
	*ev = ocsf.ImportedFinding{}
	t := newTree(m)
	t.details = details
	t.extra = map[string]string{}
	pf := t.productFields()
	usePF := func(k string) string {
		v, ok := pf[k]
		if ok {
			t.use("ProductFields." + k)
		}
		return v
	}

	id := t.str(m, "", "Id")
	if id == "" {
		if _, ok := m["Id"]; !ok && m["SchemaVersion"] == nil && m["ProductArn"] == nil {
			return fmt.Errorf("%w: no Id, SchemaVersion or ProductArn", errNotFinding)
		}
		return errors.New("finding has no Id (a string)")
	}
	title := t.str(m, "", "Title")
	if title == "" {
		return fmt.Errorf("finding %s has no Title", id)
	}
	created, createdOK := t.time(m, "CreatedAt")
	updated, updatedOK := t.time(m, "UpdatedAt")
	if !updatedOK {
		updated, updatedOK = created, createdOK
	}
	if !updatedOK {
		return fmt.Errorf("finding %s has neither a valid UpdatedAt nor a valid CreatedAt", id)
	}

	productArn := t.str(m, "", "ProductArn")
	if productArn == "" {
		return fmt.Errorf("finding %s has no ProductArn", id)
	}
	class := classOf(productArn, m)
	activity := int32(2) // Update
	if createdOK && created.Equal(updated) {
		activity = 1 // Create
	}
	ev.Classify(class, activity)
	ev.SetTime(updated)

	// metadata
	md := &ev.Metadata
	md.Version = ocsf.Version
	md.Profiles = []string{"cloud", "datetime"}
	md.LogVersion = t.str(m, "", "SchemaVersion")
	md.Product.Name = t.str(m, "", "ProductName")
	md.Product.UID = productArn
	md.Product.VendorName = t.str(m, "", "CompanyName")
	if md.Product.VendorName == "" {
		md.Product.VendorName = pf["aws/securityhub/CompanyName"]
	}
	if md.Product.VendorName == "" {
		md.Product.VendorName = "Unknown"
	}
	md.Product.Feature.UID = t.str(m, "", "GeneratorId")
	md.Product.Feature.Name = usePF("aws/guardduty/service/featureName")
	md.Product.Version = usePF("aws/inspector/ProductVersion")

	// cloud
	ev.Cloud.Provider = "AWS"
	ev.Cloud.Region = t.str(m, "", "Region")
	if ev.Cloud.Region == "" {
		ev.Cloud.Region = n.Region
	}
	ev.Cloud.Account.UID = t.str(m, "", "AwsAccountId")
	if ev.Cloud.Account.UID == "" {
		ev.Cloud.Account.UID = n.Account
	}

	if c, ok := t.num(m, "", "Confidence"); ok {
		if v, err := c.Int64(); err == nil && v >= 0 && v <= math.MaxInt32 {
			ev.ConfidenceScore = int32(v)
		}
	}
	t.severity(ev, m)
	ev.Status, ev.StatusID = status(t.str(m, "", "Workflow", "Status"), m)
	ev.Message = t.str(m, "", "Note", "Text")

	// finding_info
	fi := &ev.FindingInfo
	fi.UID = id
	fi.Title = title
	fi.Desc = t.str(m, "", "Description")
	if u, _ := m["SourceUrl"].(string); validURL(u) {
		fi.SrcURL = t.str(m, "", "SourceUrl")
	}
	fi.Types = t.strs(m, "", "Types")
	if createdOK {
		fi.CreatedTime, fi.CreatedTimeDT = ms(created)
	}
	fi.ModifiedTime, fi.ModifiedTimeDT = ms(updated)
	if ts, ok := t.time(m, "FirstObservedAt"); ok {
		fi.FirstSeenTime, fi.FirstSeenTimeDT = ms(ts)
	}
	if ts, ok := t.time(m, "LastObservedAt"); ok {
		fi.LastSeenTime, fi.LastSeenTimeDT = ms(ts)
	}
	for _, r := range objects(m, "RelatedFindings") {
		re := ocsf.RelatedEvent{UID: t.str(r, "RelatedFindings[].", "Id"), ProductID: t.str(r, "RelatedFindings[].", "ProductArn")}
		if re.UID != "" {
			fi.RelatedEvents = append(fi.RelatedEvents, re)
		}
	}

	remediation := ocsf.Remediation{Desc: t.str(m, "", "Remediation", "Recommendation", "Text")}
	if u := t.str(m, "", "Remediation", "Recommendation", "Url"); u != "" {
		remediation.References = []string{u}
	}

	resources := t.resources(m, usePF)
	extra := t.extra
	switch class {
	case ocsf.ClassDetectionFinding:
		ev.Resources = resources
		if remediation.Desc != "" {
			ev.Remediation = remediation
		}
		ev.Vulnerabilities = t.vulnerabilities(m, ocsf.Remediation{})
		ev.Evidences = t.evidences(m, pf)
	case ocsf.ClassComplianceFinding:
		if len(resources) > 0 {
			ev.Resource = resources[0]
			moreResources(m, extra)
		}
		if remediation.Desc != "" {
			ev.Remediation = remediation
		}
		ev.Compliance = t.compliance(m, pf)
		if len(ev.Compliance.Standards) == 0 {
			return fmt.Errorf("compliance finding %s names no standard (Compliance.AssociatedStandards, ProductFields StandardsArn or GeneratorId)", id)
		}
	case ocsf.ClassVulnerabilityFinding:
		if len(resources) > 0 {
			ev.Resource = resources[0]
			moreResources(m, extra)
		}
		ev.Vulnerabilities = t.vulnerabilities(m, remediation)
		if len(ev.Vulnerabilities) == 0 {
			// vulnerabilities is required: the finding still describes one, by its title.
			ev.Vulnerabilities = []ocsf.Vulnerability{{Title: title, Remediation: remediation}}
		}
	}
	ev.Observables = Observables(ev)

	un := t.unmapped()
	for k, v := range extra {
		if un == nil {
			un = map[string]string{}
		}
		un[k] = v
	}
	ev.Unmapped = un
	return nil
}

// classOf returns the OCSF class of the ASFF finding m (see ClassOf).
func classOf(productArn string, m map[string]any) int32 {
	_, compliance := m["Compliance"].(map[string]any)
	v, _ := m["Vulnerabilities"].([]any)
	return ClassOf(productArn, compliance, len(v) > 0)
}

// ClassOf returns the OCSF class Security Lake maps a finding to, by its product (the
// ProductArn) and, for products it does not know, by what the finding holds: Amazon
// Inspector findings are Vulnerability Findings, Security Hub's and AWS Config's controls
// Compliance Findings, GuardDuty, Macie and other threat detections Detection Findings; a
// partner's finding with compliance details is a Compliance Finding, else one with
// vulnerabilities a Vulnerability Finding, else a Detection Finding.
func ClassOf(productArn string, hasCompliance, hasVulnerabilities bool) int32 {
	product := productArn[strings.LastIndexByte(productArn, ':')+1:] // product/<company>/<product>
	switch product {
	case "product/aws/inspector":
		return ocsf.ClassVulnerabilityFinding
	case "product/aws/securityhub", "product/aws/config":
		return ocsf.ClassComplianceFinding
	case "product/aws/guardduty", "product/aws/macie", "product/aws/access-analyzer", "product/aws/detective",
		"product/aws/firewall-manager", "product/aws/health", "product/aws/iot-device-defender", "product/aws/ssm-patch-manager":
		return ocsf.ClassDetectionFinding
	}
	if hasCompliance {
		return ocsf.ClassComplianceFinding
	}
	if hasVulnerabilities {
		return ocsf.ClassVulnerabilityFinding
	}
	return ocsf.ClassDetectionFinding
}

// timeLayouts are the ISO 8601 forms ASFF timestamps take.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05.999999999"}

// parseTime parses an ASFF timestamp; a time without zone is UTC.
func parseTime(s string) (time.Time, bool) {
	for _, l := range timeLayouts {
		if ts, err := time.Parse(l, s); err == nil {
			return ts.UTC(), true
		}
	}
	return time.Time{}, false
}

// time returns the timestamp at key of m and marks it used when it parses.
func (t *tree) time(m map[string]any, key string) (time.Time, bool) {
	s, ok := m[key].(string)
	if !ok {
		return time.Time{}, false
	}
	ts, ok := parseTime(s)
	if ok {
		t.use(key)
	}
	return ts, ok
}

// ms returns t as OCSF's timestamp_t (milliseconds) and its _dt twin.
func ms(t time.Time) (int64, time.Time) {
	v := t.UnixMilli()
	return v, time.UnixMilli(v).UTC()
}

// severity sets severity_id from Severity.Label (else Severity.Normalized, else
// FindingProviderFields.Severity.Label, else Unknown).
func (t *tree) severity(ev *ocsf.ImportedFinding, m map[string]any) {
	labels := map[string]int32{"INFORMATIONAL": ocsf.SeverityInformational, "LOW": ocsf.SeverityLow,
		"MEDIUM": ocsf.SeverityMedium, "HIGH": ocsf.SeverityHigh, "CRITICAL": ocsf.SeverityCritical}
	if l := t.str(m, "", "Severity", "Label"); l != "" {
		if id, ok := labels[strings.ToUpper(l)]; ok {
			ev.SetSeverity(id)
		} else {
			ev.SeverityID, ev.Severity = ocsf.SeverityOther, l
		}
		return
	}
	if nv, ok := t.num(m, "", "Severity", "Normalized"); ok {
		if v, err := nv.Float64(); err == nil {
			switch {
			case v < 1:
				ev.SetSeverity(ocsf.SeverityInformational)
			case v < 40:
				ev.SetSeverity(ocsf.SeverityLow)
			case v < 70:
				ev.SetSeverity(ocsf.SeverityMedium)
			case v < 90:
				ev.SetSeverity(ocsf.SeverityHigh)
			default:
				ev.SetSeverity(ocsf.SeverityCritical)
			}
			return
		}
	}
	if l, _ := lookup(m, "FindingProviderFields", "Severity", "Label").(string); l != "" {
		if id, ok := labels[strings.ToUpper(l)]; ok {
			ev.SetSeverity(id)
			return
		}
	}
	ev.SetSeverity(ocsf.SeverityUnknown)
}

// status maps the workflow status to finding status, as Security Lake does: an archived
// finding (RecordState ARCHIVED) is Suppressed whatever its workflow; NEW is New, NOTIFIED
// In Progress, SUPPRESSED Suppressed and RESOLVED Resolved. Without Workflow.Status the
// deprecated WorkflowState is used (ASSIGNED, IN_PROGRESS and DEFERRED are In Progress).
func status(workflow string, m map[string]any) (string, int32) {
	if rs, _ := m["RecordState"].(string); strings.EqualFold(rs, "ARCHIVED") {
		return ocsf.FindingStatusName(ocsf.StatusSuppressed), ocsf.StatusSuppressed
	}
	if workflow == "" {
		workflow, _ = m["WorkflowState"].(string)
	}
	var id int32
	switch strings.ToUpper(workflow) {
	case "":
		return "", 0
	case "NEW":
		id = ocsf.StatusNew
	case "NOTIFIED", "ASSIGNED", "IN_PROGRESS", "DEFERRED":
		id = ocsf.StatusInProgress
	case "SUPPRESSED":
		id = ocsf.StatusSuppressed
	case "RESOLVED":
		id = ocsf.StatusResolved
	default:
		return workflow, ocsf.StatusOther
	}
	return ocsf.FindingStatusName(id), id
}

// resources maps Resources[]: Type, Id, Partition, Region, Tags (as "key=value" labels,
// sorted) and Details (as JSON text); ProductFields.ResourceOwnerAccount is the owner's
// account.
func (t *tree) resources(m map[string]any, usePF func(string) string) []ocsf.ResourceDetails {
	const p = "Resources[]."
	objs := objects(m, "Resources")
	if len(objs) == 0 {
		return nil
	}
	all, _ := m["Resources"].([]any)
	details := t.details
	if len(details) != len(all) || len(objs) != len(all) {
		details = nil
	}
	owner := usePF("ResourceOwnerAccount")
	out := make([]ocsf.ResourceDetails, 0, len(objs))
	for i, r := range objs {
		if id, _ := r["Id"].(string); id == "" {
			// A resource without its (required) Id has nothing to name it by in OCSF: it stays
			// in unmapped as it is.
			if b, err := marshalJSON(r); err == nil {
				t.extra[fmt.Sprintf("Resources[%d]", i)] = string(b)
			}
			continue
		}
		rd := ocsf.ResourceDetails{
			Type:           t.str(r, p, "Type"),
			UID:            t.str(r, p, "Id"),
			CloudPartition: t.str(r, p, "Partition"),
			Region:         t.str(r, p, "Region"),
		}
		if owner != "" {
			rd.Owner.Account.UID = owner
		}
		if tags := object(r, "Tags"); len(tags) > 0 {
			for k, v := range tags {
				if s, ok := v.(string); ok {
					rd.Labels = append(rd.Labels, k+"="+s)
				}
			}
			sort.Strings(rd.Labels)
			t.use(p + "Tags")
		}
		if d, ok := r["Details"]; ok && d != nil {
			if details != nil && details[i] != nil {
				rd.Data = string(details[i])
				t.use(p + "Details")
			} else if b, err := marshalJSON(d); err == nil {
				rd.Data = string(b)
				t.use(p + "Details")
			}
		}
		out = append(out, rd)
	}
	return out
}

// moreResources keeps the resources after the first, which a Compliance or Vulnerability
// Finding has no attribute for, in unmapped as JSON.
func moreResources(m map[string]any, extra map[string]string) {
	a, _ := m["Resources"].([]any)
	if len(a) < 2 {
		return
	}
	if b, err := json.Marshal(a[1:]); err == nil {
		extra["Resources[1:]"] = string(b)
	}
}

// compliance maps the Compliance object. standards is required in OCSF 1.1.0: without
// Compliance.AssociatedStandards it is the standard of ProductFields.StandardsArn (Security
// Hub's controls have it), else the GeneratorId.
func (t *tree) compliance(m map[string]any, pf map[string]string) ocsf.Compliance {
	const p = "Compliance."
	c := ocsf.Compliance{
		Control:      t.str(m, "", "Compliance", "SecurityControlId"),
		Status:       t.str(m, "", "Compliance", "Status"),
		Requirements: t.strs(m, "", "Compliance", "RelatedRequirements"),
	}
	if reasons := objects(m, "Compliance", "StatusReasons"); len(reasons) > 0 {
		c.StatusDetail = t.str(reasons[0], p+"StatusReasons[].", "Description")
		c.StatusCode = t.str(reasons[0], p+"StatusReasons[].", "ReasonCode")
		if len(reasons) > 1 {
			// Only the first reason has attributes to go to: the others stay unmapped.
			delete(t.used, p+"StatusReasons[].Description")
			delete(t.used, p+"StatusReasons[].ReasonCode")
		}
	}
	for _, s := range objects(m, "Compliance", "AssociatedStandards") {
		if id := t.str(s, p+"AssociatedStandards[].", "StandardsId"); id != "" {
			c.Standards = append(c.Standards, id)
		}
	}
	if len(c.Standards) == 0 {
		if arn := pf["StandardsArn"]; arn != "" {
			c.Standards = []string{arn[strings.LastIndexByte(arn, ':')+1:]}
		} else if g, _ := m["GeneratorId"].(string); g != "" {
			c.Standards = []string{g}
		}
	}
	return c
}

// vulnerabilities maps Vulnerabilities[]; remediation (the finding's) goes to each.
func (t *tree) vulnerabilities(m map[string]any, remediation ocsf.Remediation) []ocsf.Vulnerability {
	const p = "Vulnerabilities[]."
	var out []ocsf.Vulnerability
	for _, v := range objects(m, "Vulnerabilities") {
		var vu ocsf.Vulnerability
		vu.CVE.UID = t.str(v, p, "Id")
		for _, c := range objects(v, "Cvss") {
			var cv ocsf.CVSS
			if s, ok := t.num(c, p+"Cvss[].", "BaseScore"); ok {
				cv.BaseScore, _ = s.Float64()
			}
			cv.VectorString = t.str(c, p+"Cvss[].", "BaseVector")
			cv.Version = t.str(c, p+"Cvss[].", "Version")
			vu.CVE.CVSS = append(vu.CVE.CVSS, cv)
		}
		if ts, ok := parseTime(t.str(v, p, "Vendor", "VendorCreatedAt")); ok {
			vu.CVE.CreatedTime, vu.CVE.CreatedTimeDT = ms(ts)
		}
		if ts, ok := parseTime(t.str(v, p, "Vendor", "VendorUpdatedAt")); ok {
			vu.CVE.ModifiedTime, vu.CVE.ModifiedTimeDT = ms(ts)
		}
		if u := t.str(v, p, "Vendor", "Url"); u != "" {
			vu.CVE.References = []string{u}
		}
		if s, ok := t.num(v, p, "EpssScore"); ok {
			vu.CVE.EPSS.Score = s.String()
		}
		vu.VendorName = t.str(v, p, "Vendor", "Name")
		vu.References = t.strs(v, p, "ReferenceUrls")
		vu.RelatedVulnerabilities = t.strs(v, p, "RelatedVulnerabilities")
		vu.IsExploitAvailable = t.yesNo(v, p, "ExploitAvailable")
		vu.IsFixAvailable = t.yesNo(v, p, "FixAvailable")
		for _, pk := range objects(v, "VulnerablePackages") {
			const pp = p + "VulnerablePackages[]."
			ap := ocsf.AffectedPackage{
				Name:           t.str(pk, pp, "Name"),
				Version:        t.str(pk, pp, "Version"),
				Architecture:   t.str(pk, pp, "Architecture"),
				Release:        t.str(pk, pp, "Release"),
				FixedInVersion: t.str(pk, pp, "FixedInVersion"),
				PackageManager: t.str(pk, pp, "PackageManager"),
				Path:           t.str(pk, pp, "FilePath"),
			}
			if e, ok := pk["Epoch"].(string); ok {
				if n, err := strconv.ParseInt(e, 10, 32); err == nil {
					ep := int32(n)
					ap.Epoch = &ep
					t.use(pp + "Epoch")
				}
			}
			if r := t.str(pk, pp, "Remediation"); r != "" {
				ap.Remediation.Desc = r
			}
			vu.AffectedPackages = append(vu.AffectedPackages, ap)
		}
		if remediation.Desc != "" {
			vu.Remediation = remediation
		}
		if vu.CVE.UID == "" {
			vu.CVE = ocsf.CVE{} // the cve object needs its uid
		}
		out = append(out, vu)
	}
	return out
}

// yesNo maps the ASFF YES / NO at key of m to a boolean and marks it used; anything else
// (PARTIAL, absent) is unknown and stays unmapped.
func (t *tree) yesNo(m map[string]any, prefix, key string) *bool {
	s, _ := m[key].(string)
	var b bool
	switch strings.ToUpper(s) {
	case "YES":
		b = true
	case "NO":
	default:
		return nil
	}
	t.use(prefix + key)
	return &b
}

// marshalJSON encodes v as compact JSON without escaping HTML characters.
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// validURL reports whether s is a URL OCSF's url_t accepts (a URL that parses).
func validURL(s string) bool {
	_, err := url.Parse(s)
	return s != "" && err == nil
}

// validHostname reports whether s is a DNS name OCSF's hostname_t accepts: labels of
// letters, digits, "-" and "_", 1 to 63 characters, not starting or ending with "-", at most
// 253 characters, with an optional trailing dot.
func validHostname(s string) bool {
	name := strings.TrimSuffix(s, ".")
	if name == "" || len(name) > 253 {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return false
			}
		}
	}
	return true
}
