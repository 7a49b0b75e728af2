// Package redact removes secrets from what discovery reports: command-line arguments, URLs
// and free text taken from MCP client configurations and process command lines. It keeps
// what identifies a server (executables, package names, hosts, paths, flag names, variable
// names) and replaces values that are or may be secrets with Mask.
package redact

import (
	"net/url"
	"regexp"
	"strings"
)

// Mask replaces a redacted value.
const Mask = "<redacted>"

// secretName matches flag, variable, header and query parameter names whose values are
// secrets: tokens, keys, passwords, credentials, cookies, sessions, signatures.
var secretName = regexp.MustCompile(`(?i)(token|secret|passw|passwd|pwd|api[-_]?key|apikey|access[-_]?key|private[-_]?key|auth|credential|cookie|session|signature|bearer|(^|[-_])key$|(^|[-_])pat$|client[-_]?secret|dsn|conn(ection)?[-_]?str)`)

// secretValue matches values that are secrets whatever they are called: well-known token
// formats (GitHub, GitLab, Slack, OpenAI/Anthropic-style sk-, AWS access keys, JWTs, Google
// API keys, npm, Stripe, Hugging Face) and bearer credentials.
var secretValue = regexp.MustCompile(`^(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{16,}|xox[abposr]-[A-Za-z0-9-]{8,}|sk-[A-Za-z0-9_-]{16,}|sk_(live|test)_[A-Za-z0-9]{16,}|(AKIA|ASIA)[A-Z0-9]{16}|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*|AIza[A-Za-z0-9_-]{30,}|npm_[A-Za-z0-9]{30,}|hf_[A-Za-z0-9]{30,}|(?i:bearer|basic|token)\s+\S+)$`)

// envAssign matches NAME=value, the form of environment assignments (docker -e, env, shell).
var envAssign = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)=(.*)$`)

// IsSecretName reports whether a flag, variable, header or parameter called name holds a secret.
func IsSecretName(name string) bool { return secretName.MatchString(name) }

// IsSecretValue reports whether v looks like a secret whatever it is called: a known token
// format or a long random-looking string.
func IsSecretValue(v string) bool {
	if secretValue.MatchString(v) {
		return true
	}
	return highEntropy(v)
}

// highEntropy reports whether v is a long unbroken run of letters and digits mixing cases
// and digits, as generated keys are (and paths, package names and words are not).
func highEntropy(v string) bool {
	if len(v) < 32 {
		return false
	}
	var lower, upper, digit int
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= 'a' && c <= 'z':
			lower++
		case c >= 'A' && c <= 'Z':
			upper++
		case c >= '0' && c <= '9':
			digit++
		case c == '-' || c == '_' || c == '+' || c == '=':
		default:
			return false // '/', '.', '@', ':' ... : a path, a URL, a package, a version
		}
	}
	return lower > 0 && upper > 0 && digit > 0 || digit > 0 && lower > 0 && len(v) >= 40
}

// Args returns a copy of args with secret values replaced: the value of a flag named like a
// secret (--token X, --api-key=X, -p X is kept), every NAME=value assignment's value
// (docker -e NAME=value, env NAME=value), URLs (see URL), and values that look like secrets.
func Args(args []string) []string {
	if len(args) == 0 {
		return nil
	}
	out := make([]string, len(args))
	maskNext := false
	for i, a := range args {
		if maskNext {
			maskNext = false
			// The value of a secret flag, unless it is the next flag (--long or -x).
			if !strings.HasPrefix(a, "--") && !(len(a) == 2 && a[0] == '-') {
				out[i] = Mask
				continue
			}
		}
		out[i] = Arg(a)
		if strings.HasPrefix(a, "-") && !strings.Contains(a, "=") && IsSecretName(strings.TrimLeft(a, "-")) {
			maskNext = true
		}
	}
	return out
}

// Arg redacts one argument on its own (without the flag before it): --name=value with a
// secret name, NAME=value, a URL, a header "Name: value", or a secret-looking value.
func Arg(a string) string {
	if strings.HasPrefix(a, "-") {
		if name, _, ok := strings.Cut(a, "="); ok {
			if IsSecretName(strings.TrimLeft(name, "-")) {
				return name + "=" + Mask
			}
			_, v, _ := strings.Cut(a, "=")
			return name + "=" + Arg(v)
		}
		return a
	}
	if m := envAssign.FindStringSubmatch(a); m != nil {
		if m[2] == "" {
			return a
		}
		return m[1] + "=" + Mask
	}
	if name, _, ok := strings.Cut(a, ":"); ok && isHeaderName(name) && !strings.Contains(a, "://") {
		return name + ": " + Mask
	}
	if strings.Contains(a, "://") {
		return URL(a)
	}
	if IsSecretValue(a) {
		return Mask
	}
	return a
}

// isHeaderName reports whether s is an HTTP header name of a credential ("Authorization",
// "X-API-Key").
func isHeaderName(s string) bool {
	if s == "" || strings.ContainsAny(s, " /\\.") {
		return false
	}
	return IsSecretName(s)
}

// URL returns u without secrets: the userinfo password, every query value (names kept) and
// path segments that look like secrets. Text that does not parse as a URL is redacted whole
// if it looks like a secret and returned as is otherwise.
func URL(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Scheme == "" {
		if i := strings.Index(u, "://"); i >= 0 {
			return roughURL(u[:i], u[i+3:])
		}
		if IsSecretValue(u) {
			return Mask
		}
		return u
	}
	if p.User != nil {
		if _, has := p.User.Password(); has {
			p.User = url.UserPassword(p.User.Username(), "REDACTED")
		} else if IsSecretValue(p.User.Username()) || len(p.User.Username()) >= 20 {
			p.User = url.User("REDACTED")
		}
	}
	if p.RawQuery != "" {
		q := p.Query()
		names := make([]string, 0, len(q))
		for k := range q {
			names = append(names, k)
		}
		var b strings.Builder
		for _, part := range strings.Split(p.RawQuery, "&") {
			name, _, _ := strings.Cut(part, "=")
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(name)
			if strings.Contains(part, "=") {
				b.WriteString("=REDACTED")
			}
		}
		p.RawQuery = b.String()
	}
	if p.Fragment != "" {
		p.Fragment = ""
	}
	segs := strings.Split(p.Path, "/")
	changed := false
	for i, s := range segs {
		if IsSecretValue(s) {
			segs[i] = "REDACTED"
			changed = true
		}
	}
	if changed {
		p.Path = strings.Join(segs, "/")
		p.RawPath = ""
	}
	return p.String()
}

// Text redacts a command line given as one string, argument by argument (split on blanks).
func Text(s string) string {
	if s == "" {
		return s
	}
	return strings.Join(Args(strings.Fields(s)), " ")
}

// roughURL redacts a URL that does not parse: userinfo goes, and so do the query, the
// fragment and secret-looking path segments.
func roughURL(scheme, rest string) string {
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	auth, tail := rest[:end], rest[end:]
	if at := strings.LastIndex(auth, "@"); at >= 0 {
		auth = "REDACTED@" + auth[at+1:]
	}
	if q := strings.IndexAny(tail, "?#"); q >= 0 {
		tail = tail[:q] + "?REDACTED"
	}
	segs := strings.Split(tail, "/")
	for i, s := range segs {
		if IsSecretValue(s) {
			segs[i] = "REDACTED"
		}
	}
	return scheme + "://" + auth + strings.Join(segs, "/")
}
