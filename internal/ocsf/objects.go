package ocsf

import "time"

// Metadata is the OCSF metadata object.
type Metadata struct {
	Version      string   `json:"version" parquet:"version"`
	Product      Product  `json:"product" parquet:"product"`
	Profiles     []string `json:"profiles,omitempty" parquet:"profiles,optional,list"`
	UID          string   `json:"uid,omitzero" parquet:"uid,optional"`
	LogVersion   string   `json:"log_version,omitzero" parquet:"log_version,optional"`
	EventCode    string   `json:"event_code,omitzero" parquet:"event_code,optional"`
	ModifiedTime int64    `json:"modified_time,omitzero" parquet:"modified_time,optional"`
}

// Product is the OCSF product object.
type Product struct {
	Name       string  `json:"name,omitzero" parquet:"name,optional"`
	VendorName string  `json:"vendor_name" parquet:"vendor_name"`
	Version    string  `json:"version,omitzero" parquet:"version,optional"`
	UID        string  `json:"uid,omitzero" parquet:"uid,optional"`
	Feature    Feature `json:"feature,omitzero" parquet:"feature,optional"`
}

// Feature is the OCSF feature object (product.feature).
type Feature struct {
	Name    string `json:"name,omitzero" parquet:"name,optional"`
	UID     string `json:"uid,omitzero" parquet:"uid,optional"`
	Version string `json:"version,omitzero" parquet:"version,optional"`
}

// Cloud is the OCSF cloud object.
type Cloud struct {
	Account  Account `json:"account,omitzero" parquet:"account,optional"`
	Provider string  `json:"provider" parquet:"provider"`
	Region   string  `json:"region,omitzero" parquet:"region,optional"`
	Zone     string  `json:"zone,omitzero" parquet:"zone,optional"`
}

// Account is the OCSF account object.
type Account struct {
	UID    string `json:"uid,omitzero" parquet:"uid,optional"`
	Name   string `json:"name,omitzero" parquet:"name,optional"`
	Type   string `json:"type,omitzero" parquet:"type,optional"`
	TypeID int32  `json:"type_id,omitzero" parquet:"type_id,optional"`
}

// NetworkEndpoint is the OCSF network_endpoint object (an endpoint with a port).
type NetworkEndpoint struct {
	IP              string   `json:"ip,omitzero" parquet:"ip,optional"`
	Port            *int32   `json:"port,omitzero" parquet:"port,optional"`
	Hostname        string   `json:"hostname,omitzero" parquet:"hostname,optional"`
	Domain          string   `json:"domain,omitzero" parquet:"domain,optional"`
	UID             string   `json:"uid,omitzero" parquet:"uid,optional"`
	SvcName         string   `json:"svc_name,omitzero" parquet:"svc_name,optional"`
	InstanceUID     string   `json:"instance_uid,omitzero" parquet:"instance_uid,optional"`
	InterfaceUID    string   `json:"interface_uid,omitzero" parquet:"interface_uid,optional"`
	VPCUID          string   `json:"vpc_uid,omitzero" parquet:"vpc_uid,optional"`
	SubnetUID       string   `json:"subnet_uid,omitzero" parquet:"subnet_uid,optional"`
	IntermediateIPs []string `json:"intermediate_ips,omitempty" parquet:"intermediate_ips,optional,list"`
}

// Location is the OCSF location object (geolocation of an endpoint).
type Location struct {
	City    string `json:"city,omitzero" parquet:"city,optional"`
	Country string `json:"country,omitzero" parquet:"country,optional"`
	Region  string `json:"region,omitzero" parquet:"region,optional"`
	ISP     string `json:"isp,omitzero" parquet:"isp,optional"`
	Desc    string `json:"desc,omitzero" parquet:"desc,optional"`
}

// NetworkConnectionInfo is the OCSF network_connection_info object.
type NetworkConnectionInfo struct {
	ProtocolNum  int32  `json:"protocol_num,omitzero" parquet:"protocol_num,optional"`
	ProtocolName string `json:"protocol_name,omitzero" parquet:"protocol_name,optional"`
	ProtocolVer  string `json:"protocol_ver,omitzero" parquet:"protocol_ver,optional"`
	TCPFlags     *int32 `json:"tcp_flags,omitzero" parquet:"tcp_flags,optional"`
	Boundary     string `json:"boundary,omitzero" parquet:"boundary,optional"`
	BoundaryID   int32  `json:"boundary_id,omitzero" parquet:"boundary_id,optional"`
	Direction    string `json:"direction,omitzero" parquet:"direction,optional"`
	DirectionID  int32  `json:"direction_id" parquet:"direction_id"`
}

// NetworkTraffic is the OCSF network_traffic object.
type NetworkTraffic struct {
	Bytes   int64 `json:"bytes,omitzero" parquet:"bytes,optional"`
	Packets int64 `json:"packets,omitzero" parquet:"packets,optional"`
}

// Observable type ids (observable.type_id) used by mcpwatch. OCSF 1.1.0 has no Port (11) or
// Command Line (13) type (later versions added them): such values are Other observables
// named by their attribute path.
const (
	ObservableHostname    = 1
	ObservableIP          = 2
	ObservableMAC         = 3
	ObservableUserName    = 4
	ObservableURL         = 6
	ObservableProcessName = 9
	ObservableResourceUID = 10
	ObservableOther       = 99
)

var observableNames = map[int32]string{1: "Hostname", 2: "IP Address", 3: "MAC Address",
	4: "User Name", 6: "URL String", 9: "Process Name", 10: "Resource UID", 99: "Other"}

// Observable is the OCSF observable object.
type Observable struct {
	Name   string `json:"name" parquet:"name"`
	Type   string `json:"type,omitzero" parquet:"type,optional"`
	TypeID int32  `json:"type_id" parquet:"type_id"`
	Value  string `json:"value,omitzero" parquet:"value,optional"`
}

// NewObservable builds an observable with its type caption set from typeID.
func NewObservable(name string, typeID int32, value string) Observable {
	return Observable{Name: name, Type: observableNames[typeID], TypeID: typeID, Value: value}
}

// User is the OCSF user object.
type User struct {
	UID          string  `json:"uid,omitzero" parquet:"uid,optional"`
	Name         string  `json:"name,omitzero" parquet:"name,optional"`
	Type         string  `json:"type,omitzero" parquet:"type,optional"`
	TypeID       int32   `json:"type_id,omitzero" parquet:"type_id,optional"`
	CredentialID string  `json:"credential_uid,omitzero" parquet:"credential_uid,optional"`
	Account      Account `json:"account,omitzero" parquet:"account,optional"`
	EmailAddr    string  `json:"email_addr,omitzero" parquet:"email_addr,optional"`
	Domain       string  `json:"domain,omitzero" parquet:"domain,optional"`
	UIDAlt       string  `json:"uid_alt,omitzero" parquet:"uid_alt,optional"`
}

// Session is the OCSF session object.
type Session struct {
	UID           string    `json:"uid,omitzero" parquet:"uid,optional"`
	CredentialID  string    `json:"credential_uid,omitzero" parquet:"credential_uid,optional"`
	Issuer        string    `json:"issuer,omitzero" parquet:"issuer,optional"`
	CreatedTime   int64     `json:"created_time,omitzero" parquet:"created_time,optional"`
	CreatedTimeDT time.Time `json:"created_time_dt,omitzero" parquet:"created_time_dt,optional,timestamp(millisecond)"`
	IsMFA         *bool     `json:"is_mfa,omitzero" parquet:"is_mfa,optional"`
}

// IdP is the OCSF idp object.
type IdP struct {
	Name string `json:"name,omitzero" parquet:"name,optional"`
	UID  string `json:"uid,omitzero" parquet:"uid,optional"`
}

// Actor is the OCSF actor object.
type Actor struct {
	User      User    `json:"user,omitzero" parquet:"user,optional"`
	Session   Session `json:"session,omitzero" parquet:"session,optional"`
	InvokedBy string  `json:"invoked_by,omitzero" parquet:"invoked_by,optional"`
	IdP       IdP     `json:"idp,omitzero" parquet:"idp,optional"`
	Process   Process `json:"process,omitzero" parquet:"process,optional"`
}

// Service is the OCSF service object.
type Service struct {
	Name    string `json:"name,omitzero" parquet:"name,optional"`
	UID     string `json:"uid,omitzero" parquet:"uid,optional"`
	Version string `json:"version,omitzero" parquet:"version,optional"`
}

// APIRequest is the OCSF request object of api.request. Data holds the request parameters as
// JSON text (OCSF json_t), so that detection can reach them.
type APIRequest struct {
	UID  string `json:"uid,omitzero" parquet:"uid,optional"`
	Data string `json:"data,omitzero" parquet:"data,optional"`
}

// APIResponse is the OCSF response object of api.response. Data holds the response elements
// as JSON text (OCSF json_t).
type APIResponse struct {
	Code         int32  `json:"code,omitzero" parquet:"code,optional"`
	Error        string `json:"error,omitzero" parquet:"error,optional"`
	ErrorMessage string `json:"error_message,omitzero" parquet:"error_message,optional"`
	Message      string `json:"message,omitzero" parquet:"message,optional"`
	Data         string `json:"data,omitzero" parquet:"data,optional"`
}

// API is the OCSF api object.
type API struct {
	Operation string      `json:"operation" parquet:"operation"`
	Version   string      `json:"version,omitzero" parquet:"version,optional"`
	Service   Service     `json:"service,omitzero" parquet:"service,optional"`
	Request   APIRequest  `json:"request,omitzero" parquet:"request,optional"`
	Response  APIResponse `json:"response,omitzero" parquet:"response,optional"`
}

// HTTPRequest is the OCSF http_request object.
type HTTPRequest struct {
	UserAgent  string `json:"user_agent,omitzero" parquet:"user_agent,optional"`
	HTTPMethod string `json:"http_method,omitzero" parquet:"http_method,optional"`
	URL        URL    `json:"url,omitzero" parquet:"url,optional"`
}

// URL is the OCSF url object.
type URL struct {
	URLString string `json:"url_string,omitzero" parquet:"url_string,optional"`
	Hostname  string `json:"hostname,omitzero" parquet:"hostname,optional"`
	Path      string `json:"path,omitzero" parquet:"path,optional"`
	Scheme    string `json:"scheme,omitzero" parquet:"scheme,optional"`
	Port      *int32 `json:"port,omitzero" parquet:"port,optional"`
}

// ResourceDetails is the OCSF resource_details object.
type ResourceDetails struct {
	UID            string   `json:"uid,omitzero" parquet:"uid,optional"`
	Name           string   `json:"name,omitzero" parquet:"name,optional"`
	Type           string   `json:"type,omitzero" parquet:"type,optional"`
	Region         string   `json:"region,omitzero" parquet:"region,optional"`
	CloudPartition string   `json:"cloud_partition,omitzero" parquet:"cloud_partition,optional"`
	Owner          User     `json:"owner,omitzero" parquet:"owner,optional"`
	Data           string   `json:"data,omitzero" parquet:"data,optional"`
	Labels         []string `json:"labels,omitempty" parquet:"labels,optional,list"`
}

// FirewallRule is the OCSF firewall_rule object, reduced to the rule's identity.
type FirewallRule struct {
	UID  string `json:"uid,omitzero" parquet:"uid,optional"`
	Name string `json:"name,omitzero" parquet:"name,optional"`
}

// Policy is the OCSF policy object.
type Policy struct {
	Name string `json:"name,omitzero" parquet:"name,optional"`
	UID  string `json:"uid,omitzero" parquet:"uid,optional"`
	Desc string `json:"desc,omitzero" parquet:"desc,optional"`
}

// File is the OCSF file object, reduced to what mcpwatch reports.
type File struct {
	Name   string `json:"name" parquet:"name"`
	Path   string `json:"path,omitzero" parquet:"path,optional"`
	Type   string `json:"type,omitzero" parquet:"type,optional"`
	TypeID int32  `json:"type_id" parquet:"type_id"`
	Size   int64  `json:"size,omitzero" parquet:"size,optional"`
}

// Process is the OCSF process object. It is not recursive (no parent_process) because the
// lake's Parquet schema cannot be; the parent's pid goes in ParentPID via unmapped data.
type Process struct {
	PID     int32  `json:"pid,omitzero" parquet:"pid,optional"`
	Name    string `json:"name,omitzero" parquet:"name,optional"`
	CmdLine string `json:"cmd_line,omitzero" parquet:"cmd_line,optional"`
	UID     string `json:"uid,omitzero" parquet:"uid,optional"`
	File    File   `json:"file,omitzero" parquet:"file,optional"`
	User    User   `json:"user,omitzero" parquet:"user,optional"`
}

// Device is the OCSF device object.
type Device struct {
	UID          string   `json:"uid,omitzero" parquet:"uid,optional"`
	Name         string   `json:"name,omitzero" parquet:"name,optional"`
	Hostname     string   `json:"hostname,omitzero" parquet:"hostname,optional"`
	IP           string   `json:"ip,omitzero" parquet:"ip,optional"`
	Type         string   `json:"type,omitzero" parquet:"type,optional"`
	TypeID       int32    `json:"type_id" parquet:"type_id"`
	InstanceUID  string   `json:"instance_uid,omitzero" parquet:"instance_uid,optional"`
	InterfaceUID string   `json:"interface_uid,omitzero" parquet:"interface_uid,optional"`
	VPCUID       string   `json:"vpc_uid,omitzero" parquet:"vpc_uid,optional"`
	SubnetUID    string   `json:"subnet_uid,omitzero" parquet:"subnet_uid,optional"`
	Region       string   `json:"region,omitzero" parquet:"region,optional"`
	OS           OS       `json:"os,omitzero" parquet:"os,optional"`
	Location     Location `json:"location,omitzero" parquet:"location,optional"`
}

// OS is the OCSF os object.
type OS struct {
	Name   string `json:"name" parquet:"name"`
	Type   string `json:"type,omitzero" parquet:"type,optional"`
	TypeID int32  `json:"type_id" parquet:"type_id"`
}
