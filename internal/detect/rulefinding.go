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

	"github.com/mcpwatch/mcpwatch/internal/catalogue"
	"github.com/mcpwatch/mcpwatch/internal/finding"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/policy"
	"github.com/mcpwatch/mcpwatch/internal/rules"
)

// ruleAgg is one finding of a rule being built: the entity, the server and the policy
// decision, counters, a few evidence events and the addresses and domains involved.
type ruleAgg struct {
	info            *ruleInfo
	uid             string
	account, region string
	title           string
	entity          []string // "name=value" pairs, for the description
	server          serverID
	checked         bool // the policy was asked
	decision        policy.Decision
	first, last     int64
	count           int64
	evidence        []ocsf.Evidence
	tables          []string
	indicators      []string
	level           rules.Level // severity before escalation
	why             []string    // what raised the level
	corr            *corrSummary
}

// corrSummary is what a correlation finding reports of its group.
type corrSummary struct {
	typ      rules.CorrelationType
	count    int64
	distinct int
	sums     map[string]float64
	seen     []string // the correlated rules seen, in order of first match
}

// raise turns a match of a finding rule on the current event into (a part of) a finding:
// one per unsanctioned use of a server the event names.
func (e *Engine) raise(info *ruleInfo, uses []use) {
	ev, r := e.ev, info.rule
	h := ev.Header()
	checked := !r.Meta.Server.IsZero()
	for i := range uses {
		s, dec := &uses[i].server, uses[i].decision
		parts := []string{h.Cloud.Account.UID}
		var entity []string
		for _, p := range r.Meta.Entity {
			v := strings.Join(e.set.Values(ev, p, nil), ",")
			parts = append(parts, v)
			entity = append(entity, p+"="+v)
		}
		parts = append(parts, s.key()...)
		uid := finding.Key(r.Name, parts...)
		g := e.findings[uid]
		if g == nil {
			if len(e.findings) >= e.cfg.MaxFindings {
				e.stats.FindingsDropped++
				continue
			}
			title := r.Title
			if r.Meta.Title != "" {
				title = e.render(ev, r.Meta.Title)
			}
			g = &ruleAgg{info: info, uid: uid, account: h.Cloud.Account.UID, region: h.Cloud.Region,
				title: title, entity: entity, server: *s, checked: checked, decision: dec, level: r.Level}
			e.findings[uid] = g
		}
		g.observe(ev, e.ref)
		g.addIndicators(e, ev)
		if s.Host != "" {
			g.addIndicator(strings.ToLower(s.Host))
		}
	}
}

// observe counts one event and keeps it as evidence while there is room.
func (g *ruleAgg) observe(ev ocsf.Event, ref Ref) {
	t := ev.Header().Time
	if g.count == 0 || t < g.first {
		g.first = t
	}
	g.last = max(g.last, t)
	g.count++
	if ref.Table != "" && !slices.Contains(g.tables, ref.Table) {
		g.tables = append(g.tables, ref.Table)
	}
	if len(g.evidence) < defaultMaxEvidence {
		g.evidence = append(g.evidence, evidenceOf(ev, ref))
	}
}

// addIndicators remembers the addresses and domains of ev (for threat intel and escalation).
func (g *ruleAgg) addIndicators(e *Engine, ev ocsf.Event) {
	if len(g.indicators) >= maxIndicators {
		return
	}
	switch x := ev.(type) {
	case *ocsf.NetworkActivity:
		g.addIP(x.SrcEndpoint.IP)
		g.addIP(x.DstEndpoint.IP)
	case *ocsf.DNSActivity:
		g.addIndicator(strings.TrimSuffix(strings.ToLower(x.Query.Hostname), "."))
		g.addIP(x.SrcEndpoint.IP)
		for _, a := range x.Answers {
			g.addIP(a.Rdata)
		}
	case *ocsf.APIActivity:
		g.addIP(x.SrcEndpoint.IP)
	}
}

func (g *ruleAgg) addIP(s string) {
	if a, err := netip.ParseAddr(s); err == nil {
		g.addIndicator(a.Unmap().String())
	}
}

func (g *ruleAgg) addIndicator(s string) {
	if s != "" && len(g.indicators) < maxIndicators && !slices.Contains(g.indicators, s) {
		g.indicators = append(g.indicators, s)
	}
}

// evidenceOf copies what a finding shows of an event, with its lake location in data.
func evidenceOf(ev ocsf.Event, ref Ref) ocsf.Evidence {
	h := ev.Header()
	ref = ref.located(h.Cloud.Region, h.Cloud.Account.UID, h.Time)
	info := struct {
		Ref     Ref    `json:"ref"`
		Time    int64  `json:"time"`
		Class   int32  `json:"class_uid"`
		Type    int64  `json:"type_uid,omitempty"`
		Message string `json:"message,omitempty"`
		Answers string `json:"answers,omitempty"`
		Finding string `json:"finding_uid,omitempty"`
		Bytes   int64  `json:"bytes_out,omitempty"`
	}{Ref: ref, Time: h.Time, Class: h.ClassUID, Type: h.TypeUID, Message: h.Message}
	var out ocsf.Evidence
	switch x := ev.(type) {
	case *ocsf.NetworkActivity:
		out.SrcEndpoint, out.DstEndpoint, out.ConnectionInfo = x.SrcEndpoint, x.DstEndpoint, x.ConnectionInfo
		info.Bytes = x.Traffic.Bytes
	case *ocsf.DNSActivity:
		out.SrcEndpoint, out.Query = x.SrcEndpoint, x.Query
		var as []string
		for _, a := range x.Answers {
			as = append(as, a.Rdata)
		}
		info.Answers = strings.Join(as, ",")
	case *ocsf.APIActivity:
		out.API, out.Actor, out.SrcEndpoint = x.API, x.Actor, x.SrcEndpoint
		out.API.Request.Data = "" // requests can be large and hold secrets: the lake has them
		out.API.Response.Data = ""
	case *ocsf.ImportedFinding:
		info.Finding = x.FindingInfo.UID
		info.Message = x.FindingInfo.Title
	case *ocsf.InventoryInfo:
		out.Actor = x.Actor
	}
	data, _ := json.Marshal(info)
	out.Data = string(data)
	return out
}

// asffTypes maps mcpwatch's finding types to the ASFF types taxonomy, which Security Hub
// requires at least one of.
var asffTypes = map[string]string{
	"UnauthorizedMCP/Communication":    "Unusual Behaviors/Network Flow/UnauthorizedMCP.Communication",
	"UnauthorizedMCP/DataExfiltration": "Effects/Data Exfiltration/UnauthorizedMCP.DataExfiltration",
	"UnauthorizedMCP/SuspiciousDomain": "Unusual Behaviors/Network Flow/UnauthorizedMCP.SuspiciousDomain",
	"UnauthorizedMCP/Exposure":         "Effects/Data Exposure/UnauthorizedMCP.Exposure",
	"UnauthorizedMCP/Deployment":       "TTPs/Execution/UnauthorizedMCP.Deployment",
}

// findingTypes returns a rule's finding types followed by their ASFF equivalents.
func findingTypes(types []string) []string {
	out := slices.Clone(types)
	for _, t := range types {
		a, ok := asffTypes[t]
		if !ok && finding.ValidateASFFType(t) != nil {
			a = "Unusual Behaviors/Application/" + strings.ReplaceAll(t, "/", ".")
		}
		if a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		out = []string{"Unusual Behaviors/Application/UnauthorizedMCP"}
	}
	return out
}

// confidence returns the OCSF confidence_id of a finding.
func confidence(r *rules.Rule, s *serverID) int32 {
	switch r.Meta.Confidence {
	case "low":
		return ocsf.ConfidenceLow
	case "medium":
		return ocsf.ConfidenceMedium
	case "high":
		return ocsf.ConfidenceHigh
	}
	switch s.match.Confidence {
	case catalogue.High:
		return ocsf.ConfidenceHigh
	case catalogue.Medium:
		return ocsf.ConfidenceMedium
	case catalogue.Low:
		return ocsf.ConfidenceLow
	}
	if r.Meta.Server.IsZero() {
		return ocsf.ConfidenceMedium
	}
	return ocsf.ConfidenceLow
}

// build turns a rule aggregate into its finding.
func (e *Engine) build(g *ruleAgg, now time.Time) ocsf.DetectionFinding {
	r := g.info.rule
	sev := int32(g.level)
	conf := confidence(r, &g.server)
	unmapped := map[string]string{"rule_file": r.Pos()}
	if r.ID != "" {
		unmapped["sigma_id"] = r.ID
	}
	var desc strings.Builder
	fmt.Fprintf(&desc, "%s: %d matching events from %s to %s", g.title, g.count, fmtMillis(g.first), fmtMillis(g.last))
	if len(g.entity) > 0 {
		fmt.Fprintf(&desc, " (%s)", strings.Join(g.entity, ", "))
	}
	desc.WriteString(".")
	if g.server.name() != "" {
		fmt.Fprintf(&desc, " MCP server %s: %s.", g.server.name(), g.server.match)
		unmapped["mcp_server"] = g.server.name()
		unmapped["catalogue"] = g.server.match.String()
		if g.server.match.Entry != nil {
			unmapped["catalogue_entry"] = g.server.match.Entry.ID
		}
		for k, v := range map[string]string{"mcp_server_host": g.server.Host, "mcp_server_url": g.server.URL,
			"mcp_server_package": g.server.Package, "mcp_server_ecosystem": g.server.Ecosystem,
			"mcp_server_name": g.server.ServerName} {
			if v != "" {
				unmapped[k] = v
			}
		}
	}
	if g.checked {
		fmt.Fprintf(&desc, " Policy: %s.", g.decision)
		unmapped["policy_decision"] = g.decision.String()
		if g.decision.NearMiss != nil {
			unmapped["policy_entry"] = g.decision.NearMiss.Ref()
		}
		if g.decision.Policy != "" {
			unmapped["policy"] = g.decision.Policy
		}
	}
	if c := g.corr; c != nil {
		unmapped["correlation_type"] = string(c.typ)
		unmapped["correlation_count"] = strconv.FormatInt(c.count, 10)
		if c.distinct > 0 {
			unmapped["correlation_distinct"] = strconv.Itoa(c.distinct)
		}
		for f, v := range c.sums {
			unmapped["correlation_sum:"+f] = strconv.FormatFloat(v, 'f', -1, 64)
		}
		unmapped["correlated_rules"] = strings.Join(c.seen, ",")
		fmt.Fprintf(&desc, " Correlation %s over %s: %d events", c.typ, strings.Join(c.seen, ", "), c.count)
		if c.distinct > 0 {
			fmt.Fprintf(&desc, ", %d distinct values of %s", c.distinct, r.Correlation.Field)
		}
		for f, v := range c.sums {
			if strings.Contains(f, "bytes") {
				fmt.Fprintf(&desc, ", %s of %s", humanBytes(int64(v)), f)
			} else {
				fmt.Fprintf(&desc, ", %g total %s", v, f)
			}
		}
		desc.WriteString(".")
	}
	if len(g.why) > 0 {
		fmt.Fprintf(&desc, " Severity raised: %s.", strings.Join(g.why, "; "))
	}
	if r.Description != "" {
		desc.WriteString(" " + strings.TrimSpace(r.Description))
	}

	var f ocsf.DetectionFinding
	f.Classify(ocsf.ClassDetectionFinding, finding.ActivityCreate)
	f.SetSeverity(min(max(sev, ocsf.SeverityInformational), ocsf.SeverityCritical))
	f.Metadata = ocsf.Metadata{
		Version:      ocsf.Version,
		Product:      ocsf.Product{Name: finding.ProductName, VendorName: finding.ProductName, Version: e.cfg.ProductVersion},
		Profiles:     []string{"cloud", "datetime", "security_control"},
		ModifiedTime: now.UnixMilli(),
	}
	f.Cloud = ocsf.Cloud{Provider: "AWS", Region: g.region, Account: ocsf.Account{UID: g.account}}
	f.SetTime(time.UnixMilli(g.last))
	f.Message = g.title
	f.Unmapped = unmapped

	fi := &f.FindingInfo
	fi.UID = g.uid
	fi.Title = g.title
	fi.Desc = desc.String()
	fi.Types = findingTypes(r.Meta.FindingTypes)
	if g.corr != nil && sev >= ocsf.SeverityHigh && slices.Contains(r.Meta.FindingTypes, "UnauthorizedMCP/Communication") {
		fi.Types = findingTypes(append(slices.Clone(r.Meta.FindingTypes), "UnauthorizedMCP/DataExfiltration"))
	}
	fi.Analytic = ocsf.Analytic{UID: r.Name, Name: r.Title, Type: ocsf.AnalyticTypeName(ocsf.AnalyticRule),
		TypeID: ocsf.AnalyticRule, Version: or(r.Modified, r.Date)}
	fi.Attacks = slices.Clone(g.info.attacks)
	fi.DataSources = slices.Clone(g.tables)
	fi.SrcURL = firstOr(r.References, "")
	setMillis(&fi.CreatedTime, &fi.CreatedTimeDT, now.UnixMilli())
	setMillis(&fi.ModifiedTime, &fi.ModifiedTimeDT, now.UnixMilli())
	setMillis(&fi.FirstSeenTime, &fi.FirstSeenTimeDT, g.first)
	setMillis(&fi.LastSeenTime, &fi.LastSeenTimeDT, g.last)
	setMillis(&f.StartTime, &f.StartTimeDT, g.first)
	setMillis(&f.EndTime, &f.EndTimeDT, g.last)

	f.Attacks = slices.Clone(g.info.attacks)
	f.Count = int32(min(g.count, math.MaxInt32))
	f.StatusID, f.Status = ocsf.StatusNew, ocsf.FindingStatusName(ocsf.StatusNew)
	f.ConfidenceID, f.Confidence = conf, ocsf.ConfidenceName(conf)
	f.ConfidenceScore = map[int32]int32{ocsf.ConfidenceLow: confidenceLowScore,
		ocsf.ConfidenceMedium: confidenceMediumScore, ocsf.ConfidenceHigh: confidenceHighScore}[conf]
	f.ActionID, f.Action = 1, "Allowed"
	f.DispositionID, f.Disposition = dispositionDetected, "Detected"
	f.Remediation = ocsf.Remediation{Desc: or(r.Meta.Remediation, "Review the activity against the MCP policy."),
		References: slices.Clone(r.Meta.RemediationReferences)}
	f.Evidences = slices.Clone(g.evidence)
	f.Resources = ruleResources(g)
	f.Observables = observables(f.Evidences, f.Resources, -1)
	// The addresses and names the finding involves beyond its evidence's endpoints (DNS
	// answers, the server's host), so that escalation and analysts find them.
	for _, ind := range g.indicators {
		if hasObservable(f.Observables, ind) {
			continue
		}
		if _, err := netip.ParseAddr(ind); err == nil {
			f.Observables = append(f.Observables, ocsf.NewObservable("unmapped.related_ip", ocsf.ObservableIP, ind))
		} else {
			f.Observables = append(f.Observables, ocsf.NewObservable("unmapped.related_host", ocsf.ObservableHostname, ind))
		}
	}
	if g.server.URL != "" {
		f.Observables = append(f.Observables, ocsf.NewObservable("unmapped.mcp_server_url", ocsf.ObservableURL, g.server.URL))
	}
	return f
}

func hasObservable(obs []ocsf.Observable, v string) bool {
	for _, o := range obs {
		if o.Value == v {
			return true
		}
	}
	return false
}

// ruleResources names what a finding is about: the instances of its evidence, else the
// client address, else the account.
func ruleResources(g *ruleAgg) []ocsf.ResourceDetails {
	partition := finding.Partition(g.region)
	owner := ocsf.User{Account: ocsf.Account{UID: g.account}}
	var out []ocsf.ResourceDetails
	seen := map[string]bool{}
	for _, ev := range g.evidence {
		id := ev.SrcEndpoint.InstanceUID
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		uid := id
		if g.region != "" && g.account != "" {
			uid = fmt.Sprintf("arn:%s:ec2:%s:%s:instance/%s", partition, g.region, g.account, id)
		}
		out = append(out, ocsf.ResourceDetails{UID: uid, Name: id, Type: "AwsEc2Instance", Region: g.region,
			CloudPartition: partition, Owner: owner})
	}
	if len(out) > 0 {
		return out
	}
	for _, ev := range g.evidence {
		if a, err := netip.ParseAddr(ev.SrcEndpoint.IP); err == nil {
			s := a.Unmap().String()
			return []ocsf.ResourceDetails{{UID: s, Name: s, Type: "Other", Region: g.region, CloudPartition: partition, Owner: owner}}
		}
	}
	return []ocsf.ResourceDetails{{UID: "AWS::::Account:" + g.account, Name: g.account, Type: "AwsAccount",
		Region: g.region, CloudPartition: partition, Owner: owner}}
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func firstOr(list []string, def string) string {
	if len(list) > 0 {
		return list[0]
	}
	return def
}
