package ocsf

import "time"

// NetworkActivity is OCSF class 4001 (Network Activity), the class of VPC Flow Logs records.
type NetworkActivity struct {
	Base
	StartTime      int64                 `json:"start_time,omitzero" parquet:"start_time,optional"`
	StartTimeDT    time.Time             `json:"start_time_dt,omitzero" parquet:"start_time_dt,optional,timestamp(millisecond)"`
	EndTime        int64                 `json:"end_time,omitzero" parquet:"end_time,optional"`
	EndTimeDT      time.Time             `json:"end_time_dt,omitzero" parquet:"end_time_dt,optional,timestamp(millisecond)"`
	SrcEndpoint    NetworkEndpoint       `json:"src_endpoint,omitzero" parquet:"src_endpoint,optional"`
	DstEndpoint    NetworkEndpoint       `json:"dst_endpoint,omitzero" parquet:"dst_endpoint,optional"`
	ConnectionInfo NetworkConnectionInfo `json:"connection_info,omitzero" parquet:"connection_info,optional"`
	Traffic        NetworkTraffic        `json:"traffic,omitzero" parquet:"traffic,optional"`
	Action         string                `json:"action,omitzero" parquet:"action,optional"`
	ActionID       int32                 `json:"action_id" parquet:"action_id"`
	Disposition    string                `json:"disposition,omitzero" parquet:"disposition,optional"`
	DispositionID  int32                 `json:"disposition_id,omitzero" parquet:"disposition_id,optional"`
}

// DNSQuery is the OCSF dns_query object.
type DNSQuery struct {
	Hostname string `json:"hostname" parquet:"hostname"`
	Type     string `json:"type,omitzero" parquet:"type,optional"`
	Class    string `json:"class,omitzero" parquet:"class,optional"`
	PacketID int32  `json:"packet_uid,omitzero" parquet:"packet_uid,optional"`
}

// DNSAnswer is the OCSF dns_answer object.
type DNSAnswer struct {
	Rdata   string   `json:"rdata" parquet:"rdata"`
	Type    string   `json:"type,omitzero" parquet:"type,optional"`
	Class   string   `json:"class,omitzero" parquet:"class,optional"`
	TTL     int32    `json:"ttl,omitzero" parquet:"ttl,optional"`
	FlagIDs []int32  `json:"flag_ids,omitempty" parquet:"flag_ids,optional,list"`
	Flags   []string `json:"flags,omitempty" parquet:"flags,optional,list"`
}

// DNSActivity is OCSF class 4003 (DNS Activity), the class of Route 53 Resolver query logs.
type DNSActivity struct {
	Base
	SrcEndpoint    NetworkEndpoint       `json:"src_endpoint,omitzero" parquet:"src_endpoint,optional"`
	DstEndpoint    NetworkEndpoint       `json:"dst_endpoint,omitzero" parquet:"dst_endpoint,optional"`
	ConnectionInfo NetworkConnectionInfo `json:"connection_info,omitzero" parquet:"connection_info,optional"`
	Query          DNSQuery              `json:"query,omitzero" parquet:"query,optional"`
	Answers        []DNSAnswer           `json:"answers,omitempty" parquet:"answers,optional,list"`
	Rcode          string                `json:"rcode,omitzero" parquet:"rcode,optional"`
	RcodeID        *int32                `json:"rcode_id,omitzero" parquet:"rcode_id,optional"` // 0 is NoError
	QueryTime      int64                 `json:"query_time,omitzero" parquet:"query_time,optional"`
	ResponseTime   int64                 `json:"response_time,omitzero" parquet:"response_time,optional"`
	Action         string                `json:"action,omitzero" parquet:"action,optional"`
	ActionID       int32                 `json:"action_id" parquet:"action_id"`
	Disposition    string                `json:"disposition,omitzero" parquet:"disposition,optional"`
	DispositionID  int32                 `json:"disposition_id,omitzero" parquet:"disposition_id,optional"`
	FirewallRule   FirewallRule          `json:"firewall_rule,omitzero" parquet:"firewall_rule,optional"`
}

// APIActivity is OCSF class 6003 (API Activity), the class of most CloudTrail management events.
type APIActivity struct {
	Base
	API         API               `json:"api,omitzero" parquet:"api,optional"`
	Actor       Actor             `json:"actor,omitzero" parquet:"actor,optional"`
	SrcEndpoint NetworkEndpoint   `json:"src_endpoint,omitzero" parquet:"src_endpoint,optional"`
	DstEndpoint NetworkEndpoint   `json:"dst_endpoint,omitzero" parquet:"dst_endpoint,optional"`
	HTTPRequest HTTPRequest       `json:"http_request,omitzero" parquet:"http_request,optional"`
	Resources   []ResourceDetails `json:"resources,omitempty" parquet:"resources,optional,list"`
	StatusID    int32             `json:"status_id,omitzero" parquet:"status_id,optional"`
	Status      string            `json:"status,omitzero" parquet:"status,optional"`
}

// Authentication is OCSF class 3002 (Authentication).
type Authentication struct {
	Base
	User         User            `json:"user,omitzero" parquet:"user,optional"`
	Actor        Actor           `json:"actor,omitzero" parquet:"actor,optional"`
	SrcEndpoint  NetworkEndpoint `json:"src_endpoint,omitzero" parquet:"src_endpoint,optional"`
	DstEndpoint  NetworkEndpoint `json:"dst_endpoint,omitzero" parquet:"dst_endpoint,optional"`
	HTTPRequest  HTTPRequest     `json:"http_request,omitzero" parquet:"http_request,optional"`
	API          API             `json:"api,omitzero" parquet:"api,optional"`
	Service      Service         `json:"service,omitzero" parquet:"service,optional"`
	Session      Session         `json:"session,omitzero" parquet:"session,optional"`
	IsMFA        *bool           `json:"is_mfa,omitzero" parquet:"is_mfa,optional"`
	IsRemote     *bool           `json:"is_remote,omitzero" parquet:"is_remote,optional"`
	AuthProtocol string          `json:"auth_protocol,omitzero" parquet:"auth_protocol,optional"`
	AuthProtoID  int32           `json:"auth_protocol_id,omitzero" parquet:"auth_protocol_id,optional"`
	LogonTypeID  int32           `json:"logon_type_id,omitzero" parquet:"logon_type_id,optional"`
	StatusID     int32           `json:"status_id,omitzero" parquet:"status_id,optional"`
	Status       string          `json:"status,omitzero" parquet:"status,optional"`
}

// AccountChange is OCSF class 3001 (Account Change).
type AccountChange struct {
	Base
	User        User            `json:"user,omitzero" parquet:"user,optional"`
	Actor       Actor           `json:"actor,omitzero" parquet:"actor,optional"`
	SrcEndpoint NetworkEndpoint `json:"src_endpoint,omitzero" parquet:"src_endpoint,optional"`
	HTTPRequest HTTPRequest     `json:"http_request,omitzero" parquet:"http_request,optional"`
	Policy      Policy          `json:"policy,omitzero" parquet:"policy,optional"`
	API         API             `json:"api,omitzero" parquet:"api,optional"`
	StatusID    int32           `json:"status_id,omitzero" parquet:"status_id,optional"`
	Status      string          `json:"status,omitzero" parquet:"status,optional"`
}

// InventoryInfo is OCSF class 5001 (Device Inventory Info): what a host scan reports about a
// device and, in unmapped and observables, the MCP servers configured or running on it.
type InventoryInfo struct {
	Base
	Device Device `json:"device,omitzero" parquet:"device,optional"`
	Actor  Actor  `json:"actor,omitzero" parquet:"actor,optional"`
}
