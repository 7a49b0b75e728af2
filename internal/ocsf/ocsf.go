// Package ocsf holds the Open Cybersecurity Schema Framework (OCSF) 1.1.0 event classes and
// objects that mcpwatch emits, with the uid arithmetic and enum captions that keep their
// classification attributes consistent.
//
// The types carry two sets of tags: json for OCSF JSON (what `mcpwatch validate` and the
// NDJSON outputs speak) and parquet for the lake, whose column names and nesting mirror the
// tables Amazon Security Lake writes (source version 2, OCSF 1.1.0).
//
// Nested objects are values, not pointers, and optional scalars are plain values: a zero
// object or scalar is absent (omitted from JSON by omitzero, null in Parquet). This keeps
// events allocation-free to build and lets the Parquet writer encode whole batches column by
// column, which is several times faster than following pointers row by row. The few
// attributes whose zero is a real value distinct from absent (ports and TCP flags, 0 for
// ICMP and UDP flows; booleans) are pointers. Objects carry only the attributes the lake's
// tables hold: every extra leaf column costs write time on every row.
package ocsf

import "time"

// Version is the OCSF version mcpwatch emits (Security Lake source version 2).
const Version = "1.1.0"

// Category uids used by the classes in this package.
const (
	CategoryFindings  = 2
	CategoryIAM       = 3
	CategoryNetwork   = 4
	CategoryDiscovery = 5
	CategoryApp       = 6
)

// Class uids used by the classes in this package.
const (
	ClassVulnerabilityFinding = 2002
	ClassComplianceFinding    = 2003
	ClassDetectionFinding     = 2004
	ClassAccountChange        = 3001
	ClassAuthentication       = 3002
	ClassNetworkActivity      = 4001
	ClassDNSActivity          = 4003
	ClassInventoryInfo        = 5001
	ClassAPIActivity          = 6003
)

// classInfo is the static classification of one class.
type classInfo struct {
	name       string
	category   int32
	catName    string
	activities map[int32]string
}

// classes holds the captions of each class's activity_id enum, read from the 1.1.0 schema.
// It is never modified after initialization.
var classes = map[int32]classInfo{
	ClassVulnerabilityFinding: {"Vulnerability Finding", CategoryFindings, "Findings",
		map[int32]string{0: "Unknown", 1: "Create", 2: "Update", 3: "Close", 99: "Other"}},
	ClassComplianceFinding: {"Compliance Finding", CategoryFindings, "Findings",
		map[int32]string{0: "Unknown", 1: "Create", 2: "Update", 3: "Close", 99: "Other"}},
	ClassDetectionFinding: {"Detection Finding", CategoryFindings, "Findings",
		map[int32]string{0: "Unknown", 1: "Create", 2: "Update", 3: "Close", 99: "Other"}},
	ClassAccountChange: {"Account Change", CategoryIAM, "Identity & Access Management",
		map[int32]string{0: "Unknown", 1: "Create", 2: "Enable", 3: "Password Change", 4: "Password Reset",
			5: "Disable", 6: "Delete", 7: "Attach Policy", 8: "Detach Policy", 9: "Lock", 10: "MFA Factor Enable",
			11: "MFA Factor Disable", 99: "Other"}},
	ClassAuthentication: {"Authentication", CategoryIAM, "Identity & Access Management",
		map[int32]string{0: "Unknown", 1: "Logon", 2: "Logoff", 3: "Authentication Ticket",
			4: "Service Ticket Request", 5: "Service Ticket Renew", 99: "Other"}},
	ClassNetworkActivity: {"Network Activity", CategoryNetwork, "Network Activity",
		map[int32]string{0: "Unknown", 1: "Open", 2: "Close", 3: "Reset", 4: "Fail", 5: "Refuse", 6: "Traffic", 99: "Other"}},
	ClassDNSActivity: {"DNS Activity", CategoryNetwork, "Network Activity",
		map[int32]string{0: "Unknown", 1: "Query", 2: "Response", 6: "Traffic", 99: "Other"}},
	ClassInventoryInfo: {"Device Inventory Info", CategoryDiscovery, "Discovery",
		map[int32]string{0: "Unknown", 1: "Log", 2: "Collect", 99: "Other"}},
	ClassAPIActivity: {"API Activity", CategoryApp, "Application Activity",
		map[int32]string{0: "Unknown", 1: "Create", 2: "Read", 3: "Update", 4: "Delete", 99: "Other"}},
}

// TypeUID is the OCSF type_uid of an activity of a class: class_uid * 100 + activity_id.
func TypeUID(classUID, activityID int32) int64 { return int64(classUID)*100 + int64(activityID) }

// ActivityName is the caption of activity_id in the class, or "" when the class or activity
// is unknown to this package.
func ActivityName(classUID, activityID int32) string {
	return classes[classUID].activities[activityID]
}

// ClassName is the caption of a class uid, or "" when unknown to this package.
func ClassName(classUID int32) string { return classes[classUID].name }

// Classify sets every classification attribute of b (class, category, activity, type) from
// classUID and activityID, so that they can never disagree.
func (b *Base) Classify(classUID, activityID int32) {
	ci := classes[classUID]
	b.ClassUID = classUID
	b.ClassName = ci.name
	b.CategoryUID = ci.category
	b.CategoryName = ci.catName
	b.ActivityID = activityID
	b.ActivityName = ci.activities[activityID]
	b.TypeUID = TypeUID(classUID, activityID)
	b.TypeName = ci.name + ": " + b.ActivityName
}

// Severity ids (base_event.severity_id).
const (
	SeverityUnknown       = 0
	SeverityInformational = 1
	SeverityLow           = 2
	SeverityMedium        = 3
	SeverityHigh          = 4
	SeverityCritical      = 5
	SeverityFatal         = 6
	SeverityOther         = 99
)

var severityNames = map[int32]string{0: "Unknown", 1: "Informational", 2: "Low", 3: "Medium",
	4: "High", 5: "Critical", 6: "Fatal", 99: "Other"}

// SeverityName is the caption of a severity_id.
func SeverityName(id int32) string { return severityNames[id] }

// SeverityID is the severity_id of a caption (case-sensitive, as OCSF writes it); ok is false
// for an unknown caption.
func SeverityID(name string) (id int32, ok bool) {
	for k, v := range severityNames {
		if v == name {
			return k, true
		}
	}
	return 0, false
}

// SetSeverity sets severity_id and its caption together.
func (b *Base) SetSeverity(id int32) {
	b.SeverityID = id
	b.Severity = severityNames[id]
}

// Event is any OCSF event class of this package. Every class embeds Base, which implements it.
type Event interface {
	// Header is the base_event part of the event, shared by every class.
	Header() *Base
}

// Base holds the base_event attributes and the cloud and datetime profiles, which every
// event mcpwatch emits carries. Classes embed it; its fields appear at the top level of the
// event in both JSON and Parquet.
type Base struct {
	Metadata     Metadata          `json:"metadata" parquet:"metadata"`
	Time         int64             `json:"time" parquet:"time"`
	TimeDT       time.Time         `json:"time_dt,omitzero" parquet:"time_dt,optional,timestamp(millisecond)"`
	Cloud        Cloud             `json:"cloud,omitzero" parquet:"cloud,optional"`
	ClassUID     int32             `json:"class_uid" parquet:"class_uid"`
	ClassName    string            `json:"class_name,omitzero" parquet:"class_name,optional"`
	CategoryUID  int32             `json:"category_uid" parquet:"category_uid"`
	CategoryName string            `json:"category_name,omitzero" parquet:"category_name,optional"`
	ActivityID   int32             `json:"activity_id" parquet:"activity_id"`
	ActivityName string            `json:"activity_name,omitzero" parquet:"activity_name,optional"`
	TypeUID      int64             `json:"type_uid" parquet:"type_uid"`
	TypeName     string            `json:"type_name,omitzero" parquet:"type_name,optional"`
	SeverityID   int32             `json:"severity_id" parquet:"severity_id"`
	Severity     string            `json:"severity,omitzero" parquet:"severity,optional"`
	StatusCode   string            `json:"status_code,omitzero" parquet:"status_code,optional"`
	Message      string            `json:"message,omitzero" parquet:"message,optional"`
	Observables  []Observable      `json:"observables,omitempty" parquet:"observables,optional,list"`
	Unmapped     map[string]string `json:"unmapped,omitzero" parquet:"unmapped,optional"`
}

// Header returns b itself; it makes every class that embeds Base an Event.
func (b *Base) Header() *Base { return b }

// SetTime sets time and time_dt from t, truncated to the millisecond OCSF keeps.
func (b *Base) SetTime(t time.Time) {
	b.Time = t.UnixMilli()
	b.TimeDT = time.UnixMilli(b.Time).UTC()
}

// Account returns the cloud account uid of the event, or "".
func (b *Base) Account() string { return b.Cloud.Account.UID }

// Region returns the cloud region of the event, or "".
func (b *Base) Region() string { return b.Cloud.Region }
