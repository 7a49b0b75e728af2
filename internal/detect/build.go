package detect

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/finding"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

// Confidence scores of the findings (confidence_score and ASFF Confidence).
const (
	confidenceLowScore    = 30
	confidenceMediumScore = 60
	confidenceHighScore   = 90
)

// dispositionDetected is the OCSF disposition_id "Detected": reported, no action taken.
const dispositionDetected = 15

// dataSourceVPCFlow is finding_info.data_sources of flow findings.
const dataSourceVPCFlow = "VPC_FLOW"

// build turns an aggregate into its finding.
func (d *FlowDetector) build(k aggKey, g *agg, now time.Time) ocsf.DetectionFinding {
	var (
		rule     Rule
		uid      string
		sev      int32
		conf     int32
		title    string
		desc     string
		unmapped = map[string]string{}
		internal netip.Addr // the endpoint the finding is about, for a resource without ids
		portObs  int32      = -1
	)
	a, b := k.a.String(), k.b.String()
	window := fmt.Sprintf("from %s to %s", fmtMillis(g.first), fmtMillis(g.last))
	if g.hasIntel {
		unmapped["intel_indicator"] = g.intel.Prefix.String()
		unmapped["intel_source"] = fmt.Sprintf("%s:%d", g.intel.Source, g.intel.Line)
		if g.intel.Label != "" {
			unmapped["intel_label"] = g.intel.Label
		}
	}
	switch k.rule {
	case ruleIntel:
		rule = flowRules[RuleThreatIntel]
		uid = finding.Key(rule.ID, k.account, a, b)
		internal = k.a
		sev, conf = ocsf.SeverityMedium, ocsf.ConfidenceHigh
		title = fmt.Sprintf("Rejected traffic between %s and threat-intel listed %s", a, b)
		if g.accepted > 0 {
			sev = ocsf.SeverityHigh
			title = fmt.Sprintf("Traffic between %s and threat-intel listed %s", a, b)
		}
		if g.intel.Label != "" {
			title += " (" + g.intel.Label + ")"
		}
		desc = fmt.Sprintf("%s: %d flows (%d accepted, %d rejected; %s, %d packets) between %s and %s %s. "+
			"%s is listed by indicator %s (%s line %d%s).",
			title, g.flows, g.accepted, g.rejected, humanBytes(g.bytes), g.packets, a, b, window,
			b, g.intel.Prefix, g.intel.Source, g.intel.Line, labelSuffix(g.intel.Label))
	case rulePort:
		rule = flowRules[RuleMCPPort]
		port := strconv.Itoa(int(k.port))
		uid = finding.Key(rule.ID, k.account, a, port)
		sev, conf = ocsf.SeverityLow, ocsf.ConfidenceLow
		portObs = int32(k.port)
		scope := "external"
		if d.class.internal(k.a) {
			scope, internal = "internal", k.a
		}
		title = fmt.Sprintf("Possible MCP server at %s port %s (candidate MCP port)", a, port)
		desc = fmt.Sprintf("%s: the %s endpoint %s served %d TCP flows (%s, %d packets) on port %s %s.",
			title, scope, a, g.flows, humanBytes(g.bytes), g.packets, port, window)
		unmapped["server_port"] = port
		unmapped["server_scope"] = scope
	case ruleExfil:
		rule = flowRules[RuleExfiltration]
		uid = finding.Key(rule.ID, k.account, a, b)
		internal = k.a
		var why []string
		sev, conf = ocsf.SeverityMedium, ocsf.ConfidenceMedium
		if g.hasIntel {
			sev, conf = ocsf.SeverityCritical, ocsf.ConfidenceHigh
			why = append(why, fmt.Sprintf("listed in threat intel by %s (%s line %d%s)",
				g.intel.Prefix, g.intel.Source, g.intel.Line, labelSuffix(g.intel.Label)))
			unmapped["flagged_by_intel"] = "true"
		}
		if g.port != 0 {
			why = append(why, fmt.Sprintf("serving candidate MCP port %d", g.port))
			unmapped["flagged_by_port"] = strconv.Itoa(int(g.port))
		}
		title = fmt.Sprintf("Large outbound transfer (%s) from %s to flagged endpoint %s", humanBytes(g.bytes), a, b)
		desc = fmt.Sprintf("%s: %s sent %s (%d bytes, threshold %s) in %d flows %s to %s, which is %s.",
			title, a, humanBytes(g.bytes), g.bytes, humanBytes(d.threshold), g.flows, window, b, strings.Join(why, " and "))
		unmapped["bytes_out"] = strconv.FormatInt(g.bytes, 10)
		unmapped["threshold_bytes"] = strconv.FormatInt(d.threshold, 10)
	}
	unmapped["accepted_flows"] = strconv.FormatInt(g.accepted, 10)
	unmapped["rejected_flows"] = strconv.FormatInt(g.rejected, 10)
	unmapped["bytes"] = strconv.FormatInt(g.bytes, 10)
	unmapped["packets"] = strconv.FormatInt(g.packets, 10)
	if g.resourcesOverflowed {
		unmapped["resources_truncated"] = "true"
	}

	var f ocsf.DetectionFinding
	f.Classify(ocsf.ClassDetectionFinding, finding.ActivityCreate)
	f.SetSeverity(sev)
	f.Metadata = ocsf.Metadata{
		Version:      ocsf.Version,
		Product:      ocsf.Product{Name: finding.ProductName, VendorName: finding.ProductName, Version: d.productVersion},
		Profiles:     []string{"cloud", "datetime", "security_control"},
		ModifiedTime: now.UnixMilli(),
	}
	f.Cloud = ocsf.Cloud{Provider: "AWS", Region: g.region, Account: ocsf.Account{UID: k.account}}
	f.SetTime(time.UnixMilli(g.last))
	f.Message = title
	f.Unmapped = unmapped

	fi := &f.FindingInfo
	fi.UID = uid
	fi.Title = title
	fi.Desc = desc + " " + rule.Description
	fi.Types = slices.Clone(rule.Types)
	fi.Analytic = ocsf.Analytic{UID: rule.ID, Name: rule.Name, Type: ocsf.AnalyticTypeName(ocsf.AnalyticRule),
		TypeID: ocsf.AnalyticRule, Version: rule.Version}
	fi.Attacks = slices.Clone(rule.Attacks)
	fi.DataSources = []string{dataSourceVPCFlow}
	setMillis(&fi.CreatedTime, &fi.CreatedTimeDT, now.UnixMilli())
	setMillis(&fi.ModifiedTime, &fi.ModifiedTimeDT, now.UnixMilli())
	setMillis(&fi.FirstSeenTime, &fi.FirstSeenTimeDT, g.first)
	setMillis(&fi.LastSeenTime, &fi.LastSeenTimeDT, g.last)
	setMillis(&f.StartTime, &f.StartTimeDT, g.first)
	setMillis(&f.EndTime, &f.EndTimeDT, g.last)

	f.Attacks = slices.Clone(rule.Attacks)
	f.Count = int32(min(g.flows, math.MaxInt32))
	f.StatusID, f.Status = ocsf.StatusNew, ocsf.FindingStatusName(ocsf.StatusNew)
	f.ConfidenceID, f.Confidence = conf, ocsf.ConfidenceName(conf)
	f.ConfidenceScore = map[int32]int32{ocsf.ConfidenceLow: confidenceLowScore,
		ocsf.ConfidenceMedium: confidenceMediumScore, ocsf.ConfidenceHigh: confidenceHighScore}[conf]
	f.ActionID, f.Action = 1, "Allowed"
	f.DispositionID, f.Disposition = dispositionDetected, "Detected"
	f.Remediation = ocsf.Remediation{Desc: rule.Remediation.Desc, References: slices.Clone(rule.Remediation.References)}

	slices.SortFunc(g.evidences, func(x, y flowEvidence) int { return compareEvidence(&x, &y) })
	f.Evidences = make([]ocsf.Evidence, len(g.evidences))
	for i := range g.evidences {
		f.Evidences[i] = g.evidences[i].ocsf()
	}
	if !internal.IsValid() {
		internal = k.a // an external server contacted by clients without instance ids
	}
	f.Resources = resourcesOf(g, k.account, internal)
	f.Observables = observables(f.Evidences, f.Resources, portObs)
	return f
}

// ocsf converts an example flow to an OCSF evidence; data holds its lake location and volume.
func (fe *flowEvidence) ocsf() ocsf.Evidence {
	ref := fe.ref.located(fe.region, fe.account, fe.time)
	data, _ := json.Marshal(struct {
		Ref     Ref    `json:"ref"`
		Time    int64  `json:"time"`
		Start   int64  `json:"start_time,omitempty"`
		End     int64  `json:"end_time,omitempty"`
		Bytes   int64  `json:"bytes"`
		Packets int64  `json:"packets"`
		Action  string `json:"action,omitempty"`
	}{ref, fe.time, fe.start, fe.end, fe.bytes, fe.packets, fe.action})
	ci := ocsf.NetworkConnectionInfo{ProtocolNum: fe.protoNum, ProtocolVer: fe.protoVer, Boundary: fe.boundary,
		BoundaryID: fe.boundaryID, Direction: fe.direction, DirectionID: fe.directionID}
	if fe.tcpFlags >= 0 {
		ci.TCPFlags = int32Ptr(fe.tcpFlags)
	}
	return ocsf.Evidence{SrcEndpoint: fe.src.ocsf(), DstEndpoint: fe.dst.ocsf(), ConnectionInfo: ci, Data: string(data)}
}

func (e *endpoint) ocsf() ocsf.NetworkEndpoint {
	n := ocsf.NetworkEndpoint{IP: e.ip, InstanceUID: e.instance, InterfaceUID: e.iface, VPCUID: e.vpc,
		SubnetUID: e.sub, SvcName: e.svc}
	if e.port >= 0 {
		n.Port = int32Ptr(e.port)
	}
	return n
}

// resourcesOf lists the EC2 instances (or, without an instance id, network interfaces) of the
// internal side, as ASFF resource types with ARNs; without any, the address itself (type Other).
func resourcesOf(g *agg, account string, internal netip.Addr) []ocsf.ResourceDetails {
	partition := finding.Partition(g.region)
	owner := ocsf.User{Account: ocsf.Account{UID: account}}
	arn := func(kind, id string) string {
		if g.region == "" || account == "" {
			return id
		}
		return fmt.Sprintf("arn:%s:ec2:%s:%s:%s/%s", partition, g.region, account, kind, id)
	}
	var out []ocsf.ResourceDetails
	for _, r := range g.resources {
		rd := ocsf.ResourceDetails{Region: g.region, CloudPartition: partition, Owner: owner}
		if r.instance != "" {
			rd.UID, rd.Name, rd.Type = arn("instance", r.instance), r.instance, "AwsEc2Instance"
			if r.iface != "" {
				rd.Labels = []string{"interface:" + r.iface}
			}
		} else {
			rd.UID, rd.Name, rd.Type = arn("network-interface", r.iface), r.iface, "AwsEc2NetworkInterface"
		}
		out = append(out, rd)
	}
	if len(out) == 0 && internal.IsValid() {
		out = append(out, ocsf.ResourceDetails{UID: internal.String(), Name: internal.String(), Type: "Other",
			Region: g.region, CloudPartition: partition, Owner: owner})
	}
	return out
}

// observables lists the addresses and instance ids of the evidences, the server port when
// port >= 0, and the resources' uids, each once.
func observables(evs []ocsf.Evidence, rs []ocsf.ResourceDetails, port int32) []ocsf.Observable {
	var out []ocsf.Observable
	seen := map[string]bool{}
	add := func(name string, typeID int32, value string) {
		if value == "" || seen[name+"\x00"+value] {
			return
		}
		seen[name+"\x00"+value] = true
		out = append(out, ocsf.NewObservable(name, typeID, value))
	}
	canon := func(ip string) string {
		if a, err := netip.ParseAddr(ip); err == nil {
			return a.Unmap().String()
		}
		return ip
	}
	for _, e := range evs {
		for _, s := range []struct {
			name string
			ep   *ocsf.NetworkEndpoint
		}{{"src_endpoint", &e.SrcEndpoint}, {"dst_endpoint", &e.DstEndpoint}} {
			add("evidences[]."+s.name+".ip", ocsf.ObservableIP, canon(s.ep.IP))
			if port >= 0 && s.ep.Port != nil && *s.ep.Port == port {
				// OCSF 1.1.0 has no port observable type (11 came later): the port is an Other
				// observable named by its attribute path.
				add("evidences[]."+s.name+".port", ocsf.ObservableOther, strconv.Itoa(int(port)))
			}
			add("evidences[]."+s.name+".instance_uid", ocsf.ObservableResourceUID, s.ep.InstanceUID)
		}
	}
	for _, r := range rs {
		add("resources[].uid", ocsf.ObservableResourceUID, r.UID)
	}
	return out
}

func int32Ptr(v int32) *int32 { return &v }

// setMillis sets an OCSF timestamp and its _dt sibling from epoch milliseconds (0: absent).
func setMillis(ms *int64, dt *time.Time, v int64) {
	*ms = v
	if v != 0 {
		*dt = time.UnixMilli(v).UTC()
	}
}

func fmtMillis(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.RFC3339) }

func labelSuffix(label string) string {
	if label == "" {
		return ""
	}
	return ": " + label
}

// humanBytes renders a byte count with a binary unit ("1.2 GiB").
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
