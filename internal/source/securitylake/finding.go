package securitylake

import (
	"strings"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/source/securityhub"
)

// upgradeSecurityFinding turns, in place, an OCSF 1.0.0-rc.2 Security Finding (2001, how
// Security Lake's source version 1 stores Security Hub findings) into the 1.1.0 class
// Security Lake's source version 2 maps the same finding to, and returns that class:
// Vulnerability (2002), Compliance (2003) or Detection Finding (2004), chosen by the
// product as the securityhub format chooses it.
//
// finding becomes finding_info, state and state_id status and status_id, confidence
// confidence_score; finding.remediation becomes remediation (its kb_articles references), or
// each vulnerability's for a Vulnerability Finding; resources[].details becomes data; a
// vulnerability's cve.cvss becomes a list, its kb_articles (the vendor's URL) cve.references
// and its packages affected_packages; metadata.product.version (the ASFF SchemaVersion in
// rc.2) becomes metadata.log_version, and feature.name, which rc.2 filled with the product
// name, is dropped. A Compliance Finding's required standards come from the finding's
// ProductFields.StandardsArn, else its GeneratorId (metadata.product.feature.uid), as the
// securityhub format makes them.
func upgradeSecurityFinding(row map[string]any) int64 {
	md, _ := row["metadata"].(map[string]any)
	product, _ := md["product"].(map[string]any)
	productUID, _ := product["uid"].(string)
	_, hasCompliance := row["compliance"].(map[string]any)
	vulns, _ := row["vulnerabilities"].([]any)
	class := int64(securityhub.ClassOf(productUID, hasCompliance, len(vulns) > 0))

	if v, ok := product["version"]; ok {
		delete(product, "version")
		if _, taken := md["log_version"]; !taken && v != nil {
			md["log_version"] = v
		}
	}
	if feat, _ := product["feature"].(map[string]any); feat != nil {
		if feat["name"] == product["name"] {
			delete(feat, "name")
		}
	}
	rename(row, "state", "status")
	rename(row, "state_id", "status_id")
	rename(row, "confidence", "confidence_score")

	var remediation map[string]any
	if f, _ := row["finding"].(map[string]any); f != nil {
		if r, _ := f["remediation"].(map[string]any); r != nil {
			delete(f, "remediation")
			rename(r, "kb_articles", "references")
			remediation = r
		}
		delete(row, "finding")
		row["finding_info"] = f
	}
	if res, _ := row["resources"].([]any); res != nil {
		for _, r := range res {
			if rm, _ := r.(map[string]any); rm != nil {
				rename(rm, "details", "data")
			}
		}
	}
	for _, v := range vulns {
		vm, _ := v.(map[string]any)
		if vm == nil {
			continue
		}
		if cve, _ := vm["cve"].(map[string]any); cve != nil {
			if cvss, ok := cve["cvss"].(map[string]any); ok {
				cve["cvss"] = []any{cvss}
			}
		}
		if kb, ok := vm["kb_articles"]; ok {
			delete(vm, "kb_articles")
			cve, _ := vm["cve"].(map[string]any)
			if cve == nil {
				cve = map[string]any{}
				vm["cve"] = cve
			}
			if _, taken := cve["references"]; !taken {
				cve["references"] = kb
			}
		}
		rename(vm, "packages", "affected_packages")
		if class == ocsf.ClassVulnerabilityFinding && remediation != nil {
			vm["remediation"] = remediation
		}
	}
	if remediation != nil && class != ocsf.ClassVulnerabilityFinding {
		row["remediation"] = remediation
	}
	if class == ocsf.ClassComplianceFinding {
		c, _ := row["compliance"].(map[string]any)
		if c == nil {
			c = map[string]any{}
			row["compliance"] = c
		}
		un, _ := row["unmapped"].(map[string]any)
		if code, _ := un["Compliance.StatusReasons[].ReasonCode"].(string); code != "" && !strings.Contains(code, ",") {
			// Security Lake's 1.1.0 mapping has the reason code as status_code; rc.2 left it
			// in unmapped (where it stays).
			if _, taken := c["status_code"]; !taken {
				c["status_code"] = code
			}
		}
		if _, ok := c["standards"]; !ok {
			if arn, _ := un["ProductFields.StandardsArn"].(string); arn != "" {
				c["standards"] = []any{arn[strings.LastIndexByte(arn, ':')+1:]}
			} else if g, _ := get(row, "metadata", "product", "feature", "uid").(string); g != "" {
				c["standards"] = []any{g}
			}
		}
	}
	return class
}

// keepClassAttributes removes from a finding's row the attributes its class does not have,
// which ImportedFinding (the union of the three finding classes) would otherwise take, and
// returns them as leftovers for unmapped: resources (a list) is a Detection Finding's, where
// Compliance and Vulnerability Findings have one resource (the first; the others stay
// unmapped); compliance is a Compliance Finding's; vulnerabilities a Vulnerability or
// Detection Finding's; evidences a Detection Finding's.
func keepClassAttributes(row map[string]any, class int64) []leftover {
	var rest []leftover
	move := func(key string) {
		if v, ok := row[key]; ok {
			delete(row, key)
			if v = pruneEmpty(v); v != nil {
				rest = append(rest, leftover{key, v})
			}
		}
	}
	switch class {
	case ocsf.ClassDetectionFinding:
		move("compliance")
		if r, ok := row["resource"]; ok && row["resources"] == nil {
			delete(row, "resource")
			row["resources"] = []any{r}
		}
		move("resource")
	case ocsf.ClassComplianceFinding, ocsf.ClassVulnerabilityFinding:
		if res, _ := row["resources"].([]any); len(res) > 0 {
			delete(row, "resources")
			if _, ok := row["resource"]; !ok {
				row["resource"] = res[0]
				res = res[1:]
			}
			if len(res) > 0 {
				rest = append(rest, leftover{"resources", res})
			}
		}
		move("evidences")
		if class == ocsf.ClassComplianceFinding {
			move("vulnerabilities")
		} else {
			move("compliance")
		}
	}
	return rest
}

// pruneEmpty returns v without its empty strings, empty objects and empty lists, or nil when
// nothing is left. The attributes of the other finding classes in a union row carry only such
// values (and parquet-go v0.32.0 writes some absent ones as "").
func pruneEmpty(v any) any {
	switch v := v.(type) {
	case string:
		if v == "" {
			return nil
		}
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			if e = pruneEmpty(e); e != nil {
				out[k] = e
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		var out []any
		for _, e := range v {
			if e = pruneEmpty(e); e != nil {
				out = append(out, e)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	return v
}
