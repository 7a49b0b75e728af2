package ocsf

import (
	"strings"
	"time"
)

// Finding status ids (finding.status_id).
const (
	StatusUnknown    = 0
	StatusNew        = 1
	StatusInProgress = 2
	StatusSuppressed = 3
	StatusResolved   = 4
	StatusOther      = 99
)

var findingStatusNames = map[int32]string{0: "Unknown", 1: "New", 2: "In Progress",
	3: "Suppressed", 4: "Resolved", 99: "Other"}

// FindingStatusName is the caption of a finding status_id.
func FindingStatusName(id int32) string { return findingStatusNames[id] }

// FindingStatusID is the status_id of a caption, compared case-insensitively; ok is false for
// an unknown caption.
func FindingStatusID(name string) (id int32, ok bool) {
	for k, v := range findingStatusNames {
		if strings.EqualFold(v, name) {
			return k, true
		}
	}
	return 0, false
}

// Confidence ids (finding.confidence_id).
const (
	ConfidenceUnknown = 0
	ConfidenceLow     = 1
	ConfidenceMedium  = 2
	ConfidenceHigh    = 3
)

var confidenceNames = map[int32]string{0: "Unknown", 1: "Low", 2: "Medium", 3: "High", 99: "Other"}

// ConfidenceName is the caption of a confidence_id.
func ConfidenceName(id int32) string { return confidenceNames[id] }

// Analytic type ids (analytic.type_id).
const (
	AnalyticRule        = 1
	AnalyticBehavioral  = 2
	AnalyticStatistical = 3
)

var analyticTypeNames = map[int32]string{0: "Unknown", 1: "Rule", 2: "Behavioral", 3: "Statistical",
	4: "Learning (ML/DL)", 99: "Other"}

// AnalyticTypeName is the caption of an analytic type_id.
func AnalyticTypeName(id int32) string { return analyticTypeNames[id] }

// Analytic is the OCSF analytic object: the rule that produced a finding.
type Analytic struct {
	UID      string `json:"uid,omitzero" parquet:"uid,optional"`
	Name     string `json:"name,omitzero" parquet:"name,optional"`
	Type     string `json:"type,omitzero" parquet:"type,optional"`
	TypeID   int32  `json:"type_id" parquet:"type_id"`
	Category string `json:"category,omitzero" parquet:"category,optional"`
	Desc     string `json:"desc,omitzero" parquet:"desc,optional"`
	Version  string `json:"version,omitzero" parquet:"version,optional"`
}

// Technique is the OCSF technique (and tactic) object of MITRE ATT&CK.
type Technique struct {
	UID    string `json:"uid,omitzero" parquet:"uid,optional"`
	Name   string `json:"name,omitzero" parquet:"name,optional"`
	SrcURL string `json:"src_url,omitzero" parquet:"src_url,optional"`
}

// Attack is the OCSF attack object: one MITRE ATT&CK tactic/technique pair.
type Attack struct {
	Version   string    `json:"version,omitzero" parquet:"version,optional"`
	Tactic    Technique `json:"tactic,omitzero" parquet:"tactic,optional"`
	Technique Technique `json:"technique,omitzero" parquet:"technique,optional"`
}

// RelatedEvent is the OCSF related_event object: an event that contributed to a finding.
type RelatedEvent struct {
	UID       string `json:"uid" parquet:"uid"`
	TypeUID   int64  `json:"type_uid,omitzero" parquet:"type_uid,optional"`
	Type      string `json:"type,omitzero" parquet:"type,optional"`
	ProductID string `json:"product_uid,omitzero" parquet:"product_uid,optional"`
}

// FindingInfo is the OCSF finding_info object.
type FindingInfo struct {
	UID             string         `json:"uid" parquet:"uid"`
	Title           string         `json:"title" parquet:"title"`
	Desc            string         `json:"desc,omitzero" parquet:"desc,optional"`
	Types           []string       `json:"types,omitempty" parquet:"types,optional,list"`
	CreatedTime     int64          `json:"created_time,omitzero" parquet:"created_time,optional"`
	CreatedTimeDT   time.Time      `json:"created_time_dt,omitzero" parquet:"created_time_dt,optional,timestamp(millisecond)"`
	FirstSeenTime   int64          `json:"first_seen_time,omitzero" parquet:"first_seen_time,optional"`
	FirstSeenTimeDT time.Time      `json:"first_seen_time_dt,omitzero" parquet:"first_seen_time_dt,optional,timestamp(millisecond)"`
	LastSeenTime    int64          `json:"last_seen_time,omitzero" parquet:"last_seen_time,optional"`
	LastSeenTimeDT  time.Time      `json:"last_seen_time_dt,omitzero" parquet:"last_seen_time_dt,optional,timestamp(millisecond)"`
	ModifiedTime    int64          `json:"modified_time,omitzero" parquet:"modified_time,optional"`
	ModifiedTimeDT  time.Time      `json:"modified_time_dt,omitzero" parquet:"modified_time_dt,optional,timestamp(millisecond)"`
	Analytic        Analytic       `json:"analytic,omitzero" parquet:"analytic,optional"`
	Attacks         []Attack       `json:"attacks,omitempty" parquet:"attacks,optional,list"`
	DataSources     []string       `json:"data_sources,omitempty" parquet:"data_sources,optional,list"`
	RelatedEvents   []RelatedEvent `json:"related_events,omitempty" parquet:"related_events,optional,list"`
	SrcURL          string         `json:"src_url,omitzero" parquet:"src_url,optional"`
	ProductUID      string         `json:"product_uid,omitzero" parquet:"product_uid,optional"`
}

// Evidence is the OCSF evidences object: the artifacts that triggered a finding. Data holds
// extra context as JSON text (OCSF json_t), such as the lake location of the evidence events.
type Evidence struct {
	SrcEndpoint    NetworkEndpoint       `json:"src_endpoint,omitzero" parquet:"src_endpoint,optional"`
	DstEndpoint    NetworkEndpoint       `json:"dst_endpoint,omitzero" parquet:"dst_endpoint,optional"`
	ConnectionInfo NetworkConnectionInfo `json:"connection_info,omitzero" parquet:"connection_info,optional"`
	API            API                   `json:"api,omitzero" parquet:"api,optional"`
	Actor          Actor                 `json:"actor,omitzero" parquet:"actor,optional"`
	Process        Process               `json:"process,omitzero" parquet:"process,optional"`
	Query          DNSQuery              `json:"query,omitzero" parquet:"query,optional"`
	Data           string                `json:"data,omitzero" parquet:"data,optional"`
}

// Remediation is the OCSF remediation object.
type Remediation struct {
	Desc       string   `json:"desc" parquet:"desc"`
	References []string `json:"references,omitempty" parquet:"references,optional,list"`
}

// DetectionFinding is OCSF class 2004 (Detection Finding): what mcpwatch reports.
type DetectionFinding struct {
	Base
	FindingInfo     FindingInfo       `json:"finding_info" parquet:"finding_info"`
	StartTime       int64             `json:"start_time,omitzero" parquet:"start_time,optional"`
	StartTimeDT     time.Time         `json:"start_time_dt,omitzero" parquet:"start_time_dt,optional,timestamp(millisecond)"`
	EndTime         int64             `json:"end_time,omitzero" parquet:"end_time,optional"`
	EndTimeDT       time.Time         `json:"end_time_dt,omitzero" parquet:"end_time_dt,optional,timestamp(millisecond)"`
	Count           int32             `json:"count,omitzero" parquet:"count,optional"`
	Status          string            `json:"status,omitzero" parquet:"status,optional"`
	StatusID        int32             `json:"status_id" parquet:"status_id"`
	Confidence      string            `json:"confidence,omitzero" parquet:"confidence,optional"`
	ConfidenceID    int32             `json:"confidence_id" parquet:"confidence_id"`
	ConfidenceScore int32             `json:"confidence_score,omitzero" parquet:"confidence_score,optional"`
	RiskScore       int32             `json:"risk_score,omitzero" parquet:"risk_score,optional"`
	Action          string            `json:"action,omitzero" parquet:"action,optional"`
	ActionID        int32             `json:"action_id" parquet:"action_id"`
	Disposition     string            `json:"disposition,omitzero" parquet:"disposition,optional"`
	DispositionID   int32             `json:"disposition_id,omitzero" parquet:"disposition_id,optional"`
	Attacks         []Attack          `json:"attacks,omitempty" parquet:"attacks,optional,list"`
	Evidences       []Evidence        `json:"evidences,omitempty" parquet:"evidences,optional,list"`
	Resources       []ResourceDetails `json:"resources,omitempty" parquet:"resources,optional,list"`
	Remediation     Remediation       `json:"remediation,omitzero" parquet:"remediation,optional"`
	Device          Device            `json:"device,omitzero" parquet:"device,optional"`
	Comment         string            `json:"comment,omitzero" parquet:"comment,optional"`
}
