package detect

import (
	"encoding/base64"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mcpwatch/mcpwatch/internal/catalogue"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/policy"
	"github.com/mcpwatch/mcpwatch/internal/rules"
)

// maxServersPerEvent bounds the servers one event (a script starting several) may name.
const maxServersPerEvent = 8

// serverID is an MCP server as an event names it, and what the catalogue says of it.
type serverID struct {
	policy.Server
	match catalogue.Match
}

// key renders the identity for dedup keys: what the policy would look at.
func (s *serverID) key() []string {
	var out []string
	for _, v := range []string{s.Host, s.URL, s.Ecosystem, s.Package, s.ServerName} {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// name is the identity a person reads: the URL, host, package or server name.
func (s *serverID) name() string {
	switch {
	case s.URL != "":
		return s.URL
	case s.Host != "":
		return s.Host
	case s.Package != "":
		return s.Package
	}
	return s.ServerName
}

// servers returns the MCP servers the current event names according to the rule's server
// spec: one for host/URL/package fields, one per server started for command and image
// fields. None when the spec is empty or the event names none.
func (e *Engine) servers(r *rules.Rule, ev ocsf.Event) []serverID {
	spec := &r.Meta.Server
	if spec.IsZero() {
		return nil
	}
	var out []serverID
	base := policy.Server{
		Host: strings.TrimSuffix(e.first(ev, spec.Host), "."), URL: e.first(ev, spec.URL), Package: e.first(ev, spec.Package),
		Ecosystem: e.first(ev, spec.Ecosystem), ServerName: e.first(ev, spec.ServerName),
	}
	if base != (policy.Server{}) {
		s := serverID{Server: base}
		switch {
		case base.URL != "":
			s.match = e.cat.LookupURL(base.URL)
		case base.Host != "":
			s.match = e.cat.LookupHost(base.Host)
		case base.Package != "":
			s.match = e.cat.MatchPackage(catalogue.Ecosystem(base.Ecosystem), base.Package)
		}
		out = append(out, s)
	}
	seen := map[string]bool{}
	addCmd := func(m catalogue.CommandMatch) {
		if !m.OK() || m.Package == "" || len(out) >= maxServersPerEvent {
			return
		}
		k := string(m.Ecosystem) + "\x00" + m.Package
		if seen[k] {
			return
		}
		seen[k] = true
		s := serverID{Server: policy.Server{Package: m.Package, Ecosystem: string(m.Ecosystem), URL: m.URL}, match: m.Match}
		if m.URL != "" && m.Remote.OK() {
			// A bridge (mcp-remote) to a remote server: the remote server is what is used.
			s.match = m.Remote
		}
		out = append(out, s)
	}
	for _, p := range spec.Command {
		for _, v := range e.set.Values(ev, p, nil) {
			for line := range strings.Lines(decodeScript(v)) {
				addCmd(e.cat.MatchCommand(strings.TrimSpace(line)))
			}
		}
	}
	for _, p := range spec.Image {
		for _, v := range e.set.Values(ev, p, nil) {
			addCmd(e.cat.MatchImage(v))
		}
	}
	return out
}

// decodeScript returns v base64-decoded when it is valid base64 of text (EC2 user data),
// else v.
func decodeScript(v string) string {
	if len(v) < 8 || strings.ContainsAny(v, " \n\t") {
		return v
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil || !utf8.Valid(b) {
		return v
	}
	return string(b)
}

// subject returns who used a server in the current event.
func (e *Engine) subject(r *rules.Rule, ev ocsf.Event) policy.Subject {
	spec := &r.Meta.Subject
	s := policy.Subject{Account: ev.Header().Cloud.Account.UID}
	if v := e.first(ev, spec.Account); v != "" {
		s.Account = v
	}
	s.Principal = e.first(ev, orPaths(spec.Principal, "actor.user.uid", "actor.session.issuer"))
	if a, err := netip.ParseAddr(e.first(ev, orPaths(spec.SourceIP, "src_endpoint.ip"))); err == nil {
		s.SourceIP = a.Unmap()
	}
	return s
}

func orPaths(paths []string, defaults ...string) []string {
	if len(paths) > 0 {
		return paths
	}
	return defaults
}

// decide asks the policy about a use at the event's time.
func (e *Engine) decide(s *serverID, sub policy.Subject, at int64) policy.Decision {
	return e.cfg.Policy.Evaluate(policy.Usage{Server: s.Server, Subject: sub, Time: time.UnixMilli(at)})
}
