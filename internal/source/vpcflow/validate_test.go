package vpcflow

import (
	"net/netip"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/ocsf/schema"
)

// validate checks that ev is a valid OCSF 1.1.0 event with the OCSF schema validator, then
// checks the flow-log specifics the schema cannot express (captions of our enums, ip_t of
// every address, observables).
func validate(t *testing.T, ev *ocsf.NetworkActivity) {
	t.Helper()
	if err := schema.Validate(ev); err != nil {
		t.Errorf("invalid OCSF 1.1.0: %v", err)
	}
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("invalid OCSF: "+format, args...)
	}
	if ev.ClassUID != ocsf.ClassNetworkActivity || ev.CategoryUID != ocsf.CategoryNetwork ||
		ev.TypeUID != ocsf.TypeUID(ev.ClassUID, ev.ActivityID) || ev.ActivityName != ocsf.ActivityName(ev.ClassUID, ev.ActivityID) ||
		ev.TypeName != "Network Activity: "+ev.ActivityName || ev.ClassName != "Network Activity" {
		fail("classification %d/%d/%d %q %q", ev.ClassUID, ev.ActivityID, ev.TypeUID, ev.ActivityName, ev.TypeName)
	}
	if ev.SeverityID != ocsf.SeverityInformational || ev.Severity != "Informational" {
		fail("severity %d %q", ev.SeverityID, ev.Severity)
	}
	if ev.Time < 0 || ev.TimeDT.UnixMilli() != ev.Time {
		fail("time %d, time_dt %v", ev.Time, ev.TimeDT)
	}
	if ev.Metadata.Version != "1.1.0" || ev.Metadata.Product.VendorName == "" {
		fail("metadata %+v", ev.Metadata)
	}
	if ev.Cloud.Provider == "" {
		fail("cloud.provider is required")
	}
	// security_control: action_id required, 0, 1 or 2 (99 is not an option).
	if ev.ActionID < 0 || ev.ActionID > 2 || ev.Action != actionNames[ev.ActionID] {
		fail("action %d %q", ev.ActionID, ev.Action)
	}
	for _, d := range []struct {
		id   int32
		name string
		ok   map[int32]string
	}{
		{ev.DispositionID, ev.Disposition, map[int32]string{0: "", 1: "Allowed", 2: "Blocked", 99: "*"}},
		{ev.ConnectionInfo.DirectionID, ev.ConnectionInfo.Direction, map[int32]string{0: "Unknown", 1: "Inbound", 2: "Outbound", 99: "*"}},
		{ev.ConnectionInfo.BoundaryID, ev.ConnectionInfo.Boundary, map[int32]string{4: "Same VPC", 5: "Internet/VPC Gateway",
			6: "Virtual Private Gateway", 7: "Intra-region VPC", 8: "Inter-region VPC", 9: "Local Gateway", 10: "Gateway VPC",
			11: "Internet Gateway", 99: "*"}},
	} {
		want, ok := d.ok[d.id]
		if !ok || want != "*" && want != d.name || want == "*" && d.name == "" {
			fail("enum id %d with caption %q", d.id, d.name)
		}
	}
	// src_endpoint and dst_endpoint are required; network_endpoint needs one of ip, uid,
	// name, hostname, svc_name, instance_uid, interface_uid, interface_name.
	for name, ep := range map[string]*ocsf.NetworkEndpoint{"src_endpoint": &ev.SrcEndpoint, "dst_endpoint": &ev.DstEndpoint} {
		if ep.IP == "" && ep.SvcName == "" && ep.InstanceUID == "" && ep.InterfaceUID == "" && ep.UID == "" && ep.Hostname == "" {
			fail("%s has none of its at_least_one attributes", name)
		}
		for _, ip := range append([]string{ep.IP}, ep.IntermediateIPs...) {
			if _, err := netip.ParseAddr(ip); ip != "" && err != nil {
				fail("%s: ip_t %q", name, ip)
			}
		}
		if ep.Port != nil && (*ep.Port < 0 || *ep.Port > 65535) {
			fail("%s: port %d", name, *ep.Port)
		}
	}
	for _, o := range ev.Observables {
		if o.Name == "" || o.TypeID == 0 || o.Type == "" || o.Value == "" {
			fail("observable %+v", o)
		}
	}
}
