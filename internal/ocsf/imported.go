package ocsf

import "time"

// ImportedFinding is a finding another product made — GuardDuty, Inspector, Macie, Security
// Hub's own controls, a partner — as Amazon Security Lake stores it in its SH_FINDINGS table:
// an OCSF 1.1.0 Vulnerability Finding (2002), Compliance Finding (2003) or Detection Finding
// (2004), the class set by Classify. Security Lake keeps the three classes in one table, so
// this type is their union: the attributes of the other classes stay zero and are absent
// from the event's JSON (Resources and Evidences belong to 2004; Resource to 2002 and 2003;
// Compliance to 2003; Vulnerabilities to 2002 and, optionally, 2004).
//
// It is a type of its own, not DetectionFinding, so that the lake can tell the findings it
// imports (table SH_FINDINGS) from mcpwatch's own findings (table FINDINGS) by Go type.
type ImportedFinding struct {
	Base
	FindingInfo     FindingInfo       `json:"finding_info" parquet:"finding_info"`
	Status          string            `json:"status,omitzero" parquet:"status,optional"`
	StatusID        int32             `json:"status_id,omitzero" parquet:"status_id,optional"`
	Confidence      string            `json:"confidence,omitzero" parquet:"confidence,optional"`
	ConfidenceID    int32             `json:"confidence_id,omitzero" parquet:"confidence_id,optional"`
	ConfidenceScore int32             `json:"confidence_score,omitzero" parquet:"confidence_score,optional"`
	Evidences       []Evidence        `json:"evidences,omitempty" parquet:"evidences,optional,list"`
	Resources       []ResourceDetails `json:"resources,omitempty" parquet:"resources,optional,list"`
	Resource        ResourceDetails   `json:"resource,omitzero" parquet:"resource,optional"`
	Compliance      Compliance        `json:"compliance,omitzero" parquet:"compliance,optional"`
	Vulnerabilities []Vulnerability   `json:"vulnerabilities,omitempty" parquet:"vulnerabilities,optional,list"`
	Remediation     Remediation       `json:"remediation,omitzero" parquet:"remediation,optional"`
	Comment         string            `json:"comment,omitzero" parquet:"comment,optional"`
}

// Compliance is the OCSF compliance object of a Compliance Finding: the control checked and
// its outcome.
type Compliance struct {
	Control      string   `json:"control,omitzero" parquet:"control,optional"`
	Requirements []string `json:"requirements,omitempty" parquet:"requirements,optional,list"`
	Standards    []string `json:"standards,omitempty" parquet:"standards,optional,list"`
	Status       string   `json:"status,omitzero" parquet:"status,optional"`
	StatusCode   string   `json:"status_code,omitzero" parquet:"status_code,optional"`
	StatusDetail string   `json:"status_detail,omitzero" parquet:"status_detail,optional"`
}

// Vulnerability is the OCSF vulnerability object.
type Vulnerability struct {
	CVE                    CVE               `json:"cve,omitzero" parquet:"cve,optional"`
	Title                  string            `json:"title,omitzero" parquet:"title,optional"`
	Desc                   string            `json:"desc,omitzero" parquet:"desc,optional"`
	Severity               string            `json:"severity,omitzero" parquet:"severity,optional"`
	VendorName             string            `json:"vendor_name,omitzero" parquet:"vendor_name,optional"`
	AffectedPackages       []AffectedPackage `json:"affected_packages,omitempty" parquet:"affected_packages,optional,list"`
	References             []string          `json:"references,omitempty" parquet:"references,optional,list"`
	RelatedVulnerabilities []string          `json:"related_vulnerabilities,omitempty" parquet:"related_vulnerabilities,optional,list"`
	KBArticles             []string          `json:"kb_articles,omitempty" parquet:"kb_articles,optional,list"`
	IsExploitAvailable     *bool             `json:"is_exploit_available,omitzero" parquet:"is_exploit_available,optional"`
	IsFixAvailable         *bool             `json:"is_fix_available,omitzero" parquet:"is_fix_available,optional"`
	Remediation            Remediation       `json:"remediation,omitzero" parquet:"remediation,optional"`
}

// CVE is the OCSF cve object.
type CVE struct {
	UID            string    `json:"uid" parquet:"uid"`
	Title          string    `json:"title,omitzero" parquet:"title,optional"`
	CreatedTime    int64     `json:"created_time,omitzero" parquet:"created_time,optional"`
	CreatedTimeDT  time.Time `json:"created_time_dt,omitzero" parquet:"created_time_dt,optional,timestamp(millisecond)"`
	ModifiedTime   int64     `json:"modified_time,omitzero" parquet:"modified_time,optional"`
	ModifiedTimeDT time.Time `json:"modified_time_dt,omitzero" parquet:"modified_time_dt,optional,timestamp(millisecond)"`
	CVSS           []CVSS    `json:"cvss,omitempty" parquet:"cvss,optional,list"`
	EPSS           EPSS      `json:"epss,omitzero" parquet:"epss,optional"`
	References     []string  `json:"references,omitempty" parquet:"references,optional,list"`
}

// CVSS is the OCSF cvss object: one CVSS score of a vulnerability.
type CVSS struct {
	BaseScore    float64 `json:"base_score" parquet:"base_score"`
	VectorString string  `json:"vector_string,omitzero" parquet:"vector_string,optional"`
	Version      string  `json:"version" parquet:"version"`
	Severity     string  `json:"severity,omitzero" parquet:"severity,optional"`
}

// EPSS is the OCSF epss object (Exploit Prediction Scoring System). Score is a string in
// OCSF 1.1.0, as the source wrote it.
type EPSS struct {
	Score string `json:"score" parquet:"score"`
}

// AffectedPackage is the OCSF affected_package object: a software package a vulnerability
// affects.
type AffectedPackage struct {
	Name           string      `json:"name" parquet:"name"`
	Version        string      `json:"version" parquet:"version"`
	Architecture   string      `json:"architecture,omitzero" parquet:"architecture,optional"`
	Epoch          *int32      `json:"epoch,omitzero" parquet:"epoch,optional"`
	Release        string      `json:"release,omitzero" parquet:"release,optional"`
	FixedInVersion string      `json:"fixed_in_version,omitzero" parquet:"fixed_in_version,optional"`
	PackageManager string      `json:"package_manager,omitzero" parquet:"package_manager,optional"`
	Path           string      `json:"path,omitzero" parquet:"path,optional"`
	Remediation    Remediation `json:"remediation,omitzero" parquet:"remediation,optional"`
}
