package catalogue

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/mcpwatch/mcpwatch/internal/catalogue/dnsname"
)

// columns are the columns of a catalogue file. A file has a header row naming the columns it
// uses, in any order; service and one of url, host or package are needed.
var columns = [...]string{"service", "url", "host", "path", "auth", "kind", "package", "ecosystem", "dedicated", "notes"}

// row is one validated row of a catalogue file. Empty fields leave an overridden entry's
// values as they were.
type row struct {
	source                      string // file:line
	key                         string // the entry ID it defines or overrides
	service, url, host, path    string
	auth, notes                 string
	kind                        Kind
	pkg                         string
	eco                         Ecosystem
	dedicated, dedicatedDefined bool
}

// RowError is a catalogue file row that could not be used.
type RowError struct {
	File string
	Line int
	Err  error
}

// Error implements error as "file:line: reason".
func (e *RowError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }

// Unwrap returns the reason.
func (e *RowError) Unwrap() error { return e.Err }

// readRows reads and validates a catalogue file. It returns every row error, joined.
func readRows(name string, r io.Reader) ([]row, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("catalogue %s: empty file (want a header row: %s)", name, strings.Join(columns[:], ","))
	}
	if err != nil {
		return nil, fmt.Errorf("catalogue %s: %w", name, err)
	}
	col := make(map[string]int, len(header))
	var errs []error
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(columns[:], h) {
			errs = append(errs, &RowError{name, 1, fmt.Errorf("unknown column %q (valid: %s)", h, strings.Join(columns[:], ", "))})
			continue
		}
		if _, dup := col[h]; dup {
			errs = append(errs, &RowError{name, 1, fmt.Errorf("column %q twice", h)})
		}
		col[h] = i
	}
	_, hasURL := col["url"]
	_, hasHost := col["host"]
	_, hasPkg := col["package"]
	if !hasURL && !hasHost && !hasPkg {
		errs = append(errs, &RowError{name, 1, errors.New("no url, host or package column")})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var rows []row
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, fmt.Errorf("catalogue %s: %w", name, err)
			}
			errs = append(errs, &RowError{name, pe.StartLine, pe.Err})
			continue
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			errs = append(errs, &RowError{name, line, fmt.Errorf("%d fields, the header has %d", len(rec), len(header))})
			continue
		}
		get := func(c string) string {
			if i, ok := col[c]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		rw, err := parseRow(get)
		if err != nil {
			errs = append(errs, &RowError{name, line, err})
			continue
		}
		rw.source = fmt.Sprintf("%s:%d", name, line)
		rows = append(rows, rw)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return rows, nil
}

// parseRow validates and normalizes one row.
func parseRow(get func(string) string) (row, error) {
	rw := row{service: get("service"), url: get("url"), auth: get("auth"), notes: get("notes")}
	var err error
	if k := get("kind"); k != "" {
		if rw.kind, err = ParseKind(k); err != nil {
			return rw, err
		}
	}
	switch d := strings.ToLower(get("dedicated")); d {
	case "":
	case "true", "yes", "1":
		rw.dedicated, rw.dedicatedDefined = true, true
	case "false", "no", "0":
		rw.dedicatedDefined = true
	default:
		return rw, fmt.Errorf("dedicated %q: want true or false", d)
	}
	host, path, pkg := get("host"), get("path"), get("package")
	if pkg != "" {
		if host != "" || rw.url != "" || path != "" {
			return rw, errors.New("a row is a remote endpoint (url, host, path) or a package, not both")
		}
		eco := Ecosystem(strings.ToLower(get("ecosystem")))
		switch {
		case eco == "" && strings.HasPrefix(pkg, "@"):
			eco = NPM
		case eco == "":
			return rw, fmt.Errorf("package %q: ecosystem needed (npm, pypi, docker, exec or *)", pkg)
		case eco != NPM && eco != PyPI && eco != Docker && eco != Exec && eco != AnyEcosystem:
			return rw, fmt.Errorf("ecosystem %q: want npm, pypi, docker, exec or *", eco)
		}
		n := normPackage(eco, pkg)
		if n == "" || strings.ContainsAny(n, " \t,") {
			return rw, fmt.Errorf("package %q is not a package name", pkg)
		}
		if strings.Trim(n, "*/-_.@") == "" {
			return rw, fmt.Errorf("package pattern %q matches everything", pkg)
		}
		rw.pkg, rw.eco, rw.key = n, eco, string(eco)+":"+n
		return rw, nil
	}
	if get("ecosystem") != "" {
		return rw, errors.New("ecosystem is for package rows")
	}
	// A remote endpoint: host and path from their columns, else from the URL.
	uhost, upath, uok := endpointURL(rw.url)
	if rw.url != "" && !uok && strings.IndexByte(rw.url, '<') < 0 {
		return rw, fmt.Errorf("url %q is not an http(s) URL", rw.url)
	}
	if host == "" {
		if !uok {
			return rw, errors.New("a url, host or package is needed")
		}
		host = uhost
	}
	h, err := dnsname.NormalizePattern(host)
	if err != nil {
		return rw, fmt.Errorf("host %q: %w", host, err)
	}
	if dnsname.IsPattern(h) && strings.Trim(h, "*.") == "" {
		return rw, fmt.Errorf("host pattern %q matches everything", host)
	}
	if uok && !dnsname.Match(h, uhost) {
		return rw, fmt.Errorf("url %q is not on host %s", rw.url, h)
	}
	if path == "" {
		path = "/"
		if uok {
			path = upath
		}
	}
	if rw.path, err = normPath(path); err != nil {
		return rw, err
	}
	rw.host, rw.key = h, h+rw.path
	return rw, nil
}

// normPath normalizes an endpoint path: a leading '/', no trailing '/' (but "/"), no query.
func normPath(p string) (string, error) {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if len(p) > 1 {
		p = strings.TrimRight(p, "/")
		if p == "" {
			p = "/"
		}
	}
	if strings.ContainsAny(p, " \t\r\n") {
		return "", fmt.Errorf("path %q has white space", p)
	}
	return p, nil
}

// build layers rows (the built-in ones, then extra) into a Catalogue.
func build(extra []row) (*Catalogue, error) {
	base, err := builtinRows()
	if err != nil {
		return nil, err
	}
	c := &Catalogue{packages: make(map[Ecosystem]map[string]*Entry)}
	byKey := make(map[string]*Entry)
	for _, rows := range [][]row{base, extra} {
		for _, rw := range rows {
			e := byKey[rw.key]
			isNew := e == nil
			if isNew {
				e = &Entry{ID: rw.key, Host: rw.host, Path: rw.path, Package: rw.pkg, Ecosystem: rw.eco, Source: rw.source}
				byKey[rw.key] = e
				c.entries = append(c.entries, e)
			} else {
				e.Source += "; " + rw.source
			}
			set := func(dst *string, v string) {
				if v != "" {
					*dst = v
				}
			}
			set(&e.Service, rw.service)
			set(&e.URL, rw.url)
			set(&e.Auth, rw.auth)
			set(&e.Notes, rw.notes)
			if rw.kind != "" {
				e.Kind = rw.kind
			}
			if rw.dedicatedDefined {
				e.Dedicated = rw.dedicated
			} else if isNew { // derive it
				e.Dedicated = rw.host != "" && (rw.path == "/" || hostNamesMCP(rw.host))
			}
		}
	}
	groupOf := make(map[string]int)
	for _, e := range c.entries {
		if e.Service == "" {
			e.Service = e.Host + e.Package
		}
		if e.Kind == "" {
			e.Kind = KindSaaS
			if !e.Remote() {
				e.Kind = KindCommunity
			}
		}
		if e.Remote() {
			g, ok := groupOf[e.Host]
			if !ok {
				g = len(c.groups)
				groupOf[e.Host] = g
				c.groups = append(c.groups, hostGroup{})
				if _, err := c.hosts.Add(e.Host, int32(g)); err != nil {
					return nil, fmt.Errorf("catalogue %s: host %s: %w", e.Source, e.Host, err)
				}
			}
			grp := &c.groups[g]
			grp.entries = append(grp.entries, e)
			grp.dedicated = grp.dedicated || e.Dedicated && e.Kind != KindNotMCP
			if e.Kind == KindNotMCP && grp.notMCP == nil {
				grp.notMCP = e
			}
			continue
		}
		if strings.IndexByte(e.Package, '*') >= 0 {
			c.patterns = append(c.patterns, e)
			continue
		}
		m := c.packages[e.Ecosystem]
		if m == nil {
			m = make(map[string]*Entry)
			c.packages[e.Ecosystem] = m
		}
		m[e.Package] = e
	}
	// Namespaces of vendors and projects (awslabs.*, @modelcontextprotocol/server-*) before
	// the community's naming conventions (*-mcp-server), then more literal characters first.
	slices.SortStableFunc(c.patterns, func(a, b *Entry) int {
		if ac, bc := a.Kind == KindCommunity, b.Kind == KindCommunity; ac != bc {
			if bc {
				return -1
			}
			return 1
		}
		return (len(b.Package) - strings.Count(b.Package, "*")) - (len(a.Package) - strings.Count(a.Package, "*"))
	})
	return c, nil
}

// hostNamesMCP reports whether a label of host, other than the top-level one, contains "mcp"
// (mcp.example.com, knowledge-mcp.global.api.aws, gitmcp.io): such a host is taken to serve
// MCP only unless its row says otherwise.
func hostNamesMCP(host string) bool {
	if i := strings.LastIndexByte(host, '.'); i >= 0 {
		host = host[:i]
	}
	return strings.Contains(host, "mcp")
}

// endpointURL splits a catalogue row's URL; ok is false unless it is an http(s) URL with a
// host name (not a template with <placeholders>).
func endpointURL(u string) (host, path string, ok bool) {
	l := strings.ToLower(u)
	if !strings.HasPrefix(l, "http://") && !strings.HasPrefix(l, "https://") || strings.ContainsAny(u, "<> ") {
		return "", "", false
	}
	host, path = splitURL(u)
	return host, path, host != ""
}
