package probe

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
)

// Event is one Server-Sent Event.
type Event struct {
	Name string // "message" when the event named none
	Data string
	ID   string
}

// errBudget is returned when a response exceeds the byte budget before giving what was sought.
var errBudget = errors.New("byte budget exhausted")

// SSEReader reads Server-Sent Events from a response body, at most a byte budget in all.
type SSEReader struct {
	r      *bufio.Reader
	budget int64
}

// NewSSEReader returns a reader of the events of r that reads at most budget bytes.
func NewSSEReader(r io.Reader, budget int64) *SSEReader {
	return &SSEReader{r: bufio.NewReaderSize(io.LimitReader(r, budget+1), 4096), budget: budget}
}

// Next returns the next event. Comments and events with no data are skipped, as the
// EventSource specification says. It returns errBudget when the budget runs out first, and
// the reader's error (io.EOF at the end) otherwise.
func (s *SSEReader) Next() (Event, error) {
	var ev Event
	var data []string
	hasData := false
	for {
		line, err := s.readLine()
		if err != nil {
			return Event{}, err
		}
		if line == "" { // dispatch
			if hasData {
				ev.Data = strings.Join(data, "\n")
				if ev.Name == "" {
					ev.Name = "message"
				}
				return ev, nil
			}
			ev, data, hasData = Event{}, nil, false
			continue
		}
		if line[0] == ':' {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "event":
			ev.Name = value
		case "data":
			data, hasData = append(data, value), true
		case "id":
			ev.ID = value
		}
	}
}

// readLine reads a line ended by LF, CR LF or CR, within the budget.
func (s *SSEReader) readLine() (string, error) {
	var b []byte
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			if err == io.EOF && s.budget < 0 {
				return "", errBudget
			}
			if err == io.EOF && len(b) > 0 {
				return string(b), nil
			}
			return "", err
		}
		s.budget--
		if s.budget < 0 {
			return "", errBudget
		}
		switch c {
		case '\n':
			return string(b), nil
		case '\r':
			if next, err := s.r.Peek(1); err == nil && next[0] == '\n' {
				s.r.ReadByte()
				s.budget--
			}
			return string(b), nil
		}
		b = append(b, c)
	}
}

// Response is a JSON-RPC 2.0 response.
type Response struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   *RPCError       `json:"error"`
}

// RPCError is a JSON-RPC 2.0 error object.
type RPCError struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

// ParseResponse reads a JSON-RPC 2.0 response to the request with id (an integer): nil when
// b is not one (a request, a notification, a batch, another id, or not JSON-RPC at all).
func ParseResponse(b []byte, id int) *Response {
	var r Response
	if json.Unmarshal(b, &r) != nil || r.JSONRPC != "2.0" {
		return nil
	}
	var n json.Number
	d := json.NewDecoder(bytes.NewReader(r.ID))
	d.UseNumber()
	if d.Decode(&n) != nil || n.String() != itoa(id) {
		return nil
	}
	if (r.Result == nil) == (r.Error == nil) {
		return nil
	}
	return &r
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// ServerInfo is what an MCP server says of itself in initialize or server/discover.
type ServerInfo struct {
	ProtocolVersion string
	Versions        []string // server/discover's supportedVersions
	Name, Version   string
	Title           string
	Capabilities    []string
	Instructions    bool
}

type implementation struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Title   string `json:"title"`
}

// ParseInitializeResult reads an initialize result. ok is true only for what an MCP server
// answers: an object with a protocolVersion string, a capabilities object and a serverInfo
// object with a name — a JSON-RPC service that answers anything with a value is not one.
func ParseInitializeResult(raw json.RawMessage) (ServerInfo, bool) {
	var r struct {
		ProtocolVersion *string                    `json:"protocolVersion"`
		Capabilities    map[string]json.RawMessage `json:"capabilities"`
		ServerInfo      *implementation            `json:"serverInfo"`
		Instructions    string                     `json:"instructions"`
	}
	if json.Unmarshal(raw, &r) != nil || r.ProtocolVersion == nil || *r.ProtocolVersion == "" ||
		r.Capabilities == nil || r.ServerInfo == nil || r.ServerInfo.Name == "" {
		return ServerInfo{}, false
	}
	return ServerInfo{ProtocolVersion: *r.ProtocolVersion, Name: r.ServerInfo.Name, Version: r.ServerInfo.Version,
		Title: r.ServerInfo.Title, Capabilities: keys(r.Capabilities), Instructions: r.Instructions != ""}, true
}

// ParseDiscoverResult reads a server/discover result (MCP 2026-07-28): supportedVersions (a
// non-empty list of strings), capabilities and serverInfo.
func ParseDiscoverResult(raw json.RawMessage) (ServerInfo, bool) {
	var r struct {
		SupportedVersions []string                   `json:"supportedVersions"`
		Capabilities      map[string]json.RawMessage `json:"capabilities"`
		ServerInfo        *implementation            `json:"serverInfo"`
		Meta              struct {
			ServerInfo *implementation `json:"io.modelcontextprotocol/serverInfo"`
		} `json:"_meta"`
	}
	if json.Unmarshal(raw, &r) != nil || len(r.SupportedVersions) == 0 || r.Capabilities == nil {
		return ServerInfo{}, false
	}
	for _, v := range r.SupportedVersions {
		if v == "" {
			return ServerInfo{}, false
		}
	}
	info := r.ServerInfo
	if info == nil {
		info = r.Meta.ServerInfo
	}
	if info == nil || info.Name == "" {
		return ServerInfo{}, false
	}
	return ServerInfo{ProtocolVersion: r.SupportedVersions[0], Versions: r.SupportedVersions, Name: info.Name,
		Version: info.Version, Title: info.Title, Capabilities: keys(r.Capabilities)}, true
}

// ParseVersionError reads the error an MCP server returns for a protocol version it does not
// support (-32602 with data {"supported": [...], "requested": ...}, or the 2026-07-28
// UnsupportedProtocolVersionError). It returns the supported versions.
func ParseVersionError(e *RPCError) ([]string, bool) {
	if e == nil || e.Data == nil {
		return nil, false
	}
	var d struct {
		Supported []string `json:"supported"`
	}
	if json.Unmarshal(e.Data, &d) != nil || len(d.Supported) == 0 || slices.Contains(d.Supported, "") {
		return nil, false
	}
	return d.Supported, true
}

func keys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		if k != "" && !strings.ContainsAny(k, ", \t\r\n") {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// ParseToolsList reads the tool names of a tools/list result.
func ParseToolsList(raw json.RawMessage) ([]string, bool) {
	var r struct {
		Tools []struct {
			Name string `json:"name"`
		} `json:"tools"`
	}
	if json.Unmarshal(raw, &r) != nil || r.Tools == nil {
		return nil, false
	}
	var names []string
	for _, t := range r.Tools {
		if t.Name != "" && !strings.ContainsAny(t.Name, ", \t\r\n") {
			names = append(names, t.Name)
		}
	}
	return names, true
}

// Challenge is one challenge of a WWW-Authenticate header.
type Challenge struct {
	Scheme string
	Params map[string]string // lower-case names
}

// ParseWWWAuthenticate reads the challenges of WWW-Authenticate header values (RFC 9110
// §11.6.1): scheme, then auth-params name=token or name="quoted string", comma-separated.
// Malformed parts are skipped.
func ParseWWWAuthenticate(values []string) []Challenge {
	var out []Challenge
	for _, v := range values {
		s := v
		var cur *Challenge
		for {
			s = strings.TrimLeft(s, " \t,")
			if s == "" {
				break
			}
			tok := token(s)
			if tok == "" {
				s = s[1:]
				continue
			}
			rest := strings.TrimLeft(s[len(tok):], " \t")
			if strings.HasPrefix(rest, "=") && cur != nil && !strings.HasPrefix(rest, "==") {
				rest = strings.TrimLeft(rest[1:], " \t")
				var val string
				if strings.HasPrefix(rest, `"`) {
					val, rest = quoted(rest)
				} else {
					val = token(rest)
					rest = rest[len(val):]
				}
				cur.Params[strings.ToLower(tok)] = val
				s = rest
				continue
			}
			out = append(out, Challenge{Scheme: tok, Params: map[string]string{}})
			cur = &out[len(out)-1]
			s = rest
			// token68 after the scheme (Basic abc==): skip it.
			if t := token(rest); t != "" {
				after := strings.TrimLeft(rest[len(t):], " \t")
				if !strings.HasPrefix(after, "=") || strings.HasPrefix(after, "==") {
					s = strings.TrimLeft(after, "=")
				}
			}
		}
	}
	return out
}

// token returns the leading token characters of s (RFC 9110 tchar, plus '/' and '+' of
// token68 values).
func token(s string) string {
	i := 0
	for i < len(s) {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~/:", c) >= 0 {
			i++
			continue
		}
		break
	}
	return s[:i]
}

// quoted reads a quoted string at the start of s and returns its value and the rest.
func quoted(s string) (string, string) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), s[i+1:]
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), ""
}

// ResourceMetadata is an OAuth 2.0 Protected Resource Metadata document (RFC 9728 §2).
type ResourceMetadata struct {
	Resource             string   `json:"resource"`
	AuthorizationServers []string `json:"authorization_servers"`
	ScopesSupported      []string `json:"scopes_supported"`
	ResourceName         string   `json:"resource_name"`
}

// ParseResourceMetadata reads a protected resource metadata document; ok requires resource.
func ParseResourceMetadata(b []byte) (ResourceMetadata, bool) {
	var m ResourceMetadata
	if json.Unmarshal(b, &m) != nil || m.Resource == "" {
		return ResourceMetadata{}, false
	}
	m.AuthorizationServers = slices.DeleteFunc(m.AuthorizationServers, func(s string) bool {
		return s == "" || strings.ContainsAny(s, ", \t\r\n")
	})
	return m, true
}
