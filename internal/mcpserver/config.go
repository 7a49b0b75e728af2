package mcpserver

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"
)

// EnvPrefix starts every setting's environment variable, as in the Python
// amazon-security-lake-mcp server (pydantic-settings, env_prefix "ASL_MCP_").
const EnvPrefix = "ASL_MCP_"

// Settings are the Python server's settings, with its names and defaults. Each is read from
// ASL_MCP_<NAME> (any case, as pydantic-settings reads them), from a .env file, or from a
// flag; a flag wins over the environment, which wins over the .env file.
type Settings struct {
	// AWSRegion is where Security Lake runs (ASL_MCP_AWS_REGION, default us-east-1).
	AWSRegion string
	// AWSProfile is the shared-config profile for credentials (ASL_MCP_AWS_PROFILE; empty:
	// the standard credential chain).
	AWSProfile string
	// AthenaWorkgroup is the workgroup queries run in (ASL_MCP_ATHENA_WORKGROUP, primary).
	AthenaWorkgroup string
	// AthenaOutputLocation is the s3:// location of query results
	// (ASL_MCP_ATHENA_OUTPUT_LOCATION; empty: the workgroup's, or discovered).
	AthenaOutputLocation string
	// SecurityLakeDatabase is the Glue database (ASL_MCP_SECURITY_LAKE_DATABASE, default
	// amazon_security_lake_glue_db; the region suffix Security Lake adds is found by
	// discovery).
	SecurityLakeDatabase string
	// AutoDiscoverResources finds the database and result location when they are not set
	// (ASL_MCP_AUTO_DISCOVER_RESOURCES, default true).
	AutoDiscoverResources bool
	// MaxQueryResults caps the rows any query returns (ASL_MCP_MAX_QUERY_RESULTS, 1000).
	MaxQueryResults int
	// QueryTimeoutSeconds bounds each query, Athena's or the local lake's
	// (ASL_MCP_QUERY_TIMEOUT_SECONDS, 300).
	QueryTimeoutSeconds int
	// LogLevel is DEBUG, INFO, WARNING, ERROR or CRITICAL (ASL_MCP_LOG_LEVEL, INFO).
	LogLevel string
	// EnableQueryCaching keeps query results in memory for CacheTTLSeconds
	// (ASL_MCP_ENABLE_QUERY_CACHING, true).
	EnableQueryCaching bool
	// CacheTTLSeconds is how long a cached result is served (ASL_MCP_CACHE_TTL_SECONDS, 3600).
	CacheTTLSeconds int

	// set records which settings were given (by name, such as "AWS_REGION") rather than
	// defaulted.
	set map[string]bool
}

// DefaultSettings returns the Python server's defaults.
func DefaultSettings() Settings {
	return Settings{
		AWSRegion:             "us-east-1",
		AthenaWorkgroup:       "primary",
		SecurityLakeDatabase:  "amazon_security_lake_glue_db",
		AutoDiscoverResources: true,
		MaxQueryResults:       1000,
		QueryTimeoutSeconds:   300,
		LogLevel:              "INFO",
		EnableQueryCaching:    true,
		CacheTTLSeconds:       3600,
		set:                   map[string]bool{},
	}
}

// settingNames are the settings' names after the prefix, in the order they are documented.
var settingNames = []string{
	"AWS_REGION", "AWS_PROFILE", "ATHENA_WORKGROUP", "ATHENA_OUTPUT_LOCATION",
	"SECURITY_LAKE_DATABASE", "AUTO_DISCOVER_RESOURCES", "MAX_QUERY_RESULTS",
	"QUERY_TIMEOUT_SECONDS", "LOG_LEVEL", "ENABLE_QUERY_CACHING", "CACHE_TTL_SECONDS",
}

// SettingNames returns the names of every setting, without the ASL_MCP_ prefix.
func SettingNames() []string { return append([]string(nil), settingNames...) }

// aliases are shorter names accepted too (the issue that introduced this server spelled
// them so); the Python server's own names win when both are given.
var aliases = map[string]string{"REGION": "AWS_REGION", "PROFILE": "AWS_PROFILE"}

// LoadSettings returns the defaults overridden by the .env file at dotenv (skipped when it
// does not exist; "" for none) and then by environ (os.Environ's form, KEY=value).
func LoadSettings(environ []string, dotenv string) (Settings, error) {
	s := DefaultSettings()
	if dotenv != "" {
		vals, err := ReadDotEnv(dotenv)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return s, err
		}
		if err := s.apply(vals, ".env file "+dotenv); err != nil {
			return s, err
		}
	}
	env := map[string]string{}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok {
			env[k] = v
		}
	}
	if err := s.apply(env, "environment"); err != nil {
		return s, err
	}
	return s, nil
}

// apply sets every ASL_MCP_* entry of vals (names compared case-insensitively).
func (s *Settings) apply(vals map[string]string, from string) error {
	given := map[string]string{}
	aliased := map[string]string{}
	for k, v := range vals {
		up := strings.ToUpper(k)
		name, ok := strings.CutPrefix(up, EnvPrefix)
		if !ok {
			continue
		}
		if real, ok := aliases[name]; ok {
			aliased[real] = v
			continue
		}
		given[name] = v
	}
	for name, v := range aliased {
		if _, ok := given[name]; !ok {
			given[name] = v
		}
	}
	for _, name := range settingNames {
		v, ok := given[name]
		if !ok {
			continue
		}
		if err := s.Set(name, v); err != nil {
			return fmt.Errorf("%s (%s): %w", EnvPrefix+name, from, err)
		}
	}
	return nil
}

// Set sets the setting name (without prefix, such as "AWS_REGION") from its text, as a flag
// or variable gives it.
func (s *Settings) Set(name, v string) error {
	v = strings.TrimSpace(v)
	var err error
	switch strings.ToUpper(name) {
	case "AWS_REGION":
		s.AWSRegion = v
	case "AWS_PROFILE":
		s.AWSProfile = v
	case "ATHENA_WORKGROUP":
		s.AthenaWorkgroup = v
	case "ATHENA_OUTPUT_LOCATION":
		if v != "" && !strings.HasPrefix(v, "s3://") {
			return fmt.Errorf("%q is not an s3:// location", v)
		}
		s.AthenaOutputLocation = v
	case "SECURITY_LAKE_DATABASE":
		s.SecurityLakeDatabase = v
	case "AUTO_DISCOVER_RESOURCES":
		s.AutoDiscoverResources, err = parseBool(v)
	case "MAX_QUERY_RESULTS":
		s.MaxQueryResults, err = parseInt(v, 1, 100000)
	case "QUERY_TIMEOUT_SECONDS":
		s.QueryTimeoutSeconds, err = parseInt(v, 1, 86400)
	case "LOG_LEVEL":
		if _, err := ParseLogLevel(v); err != nil {
			return err
		}
		s.LogLevel = strings.ToUpper(v)
	case "ENABLE_QUERY_CACHING":
		s.EnableQueryCaching, err = parseBool(v)
	case "CACHE_TTL_SECONDS":
		s.CacheTTLSeconds, err = parseInt(v, 0, 7*86400)
	default:
		return fmt.Errorf("unknown setting %s", name)
	}
	if err != nil {
		return err
	}
	if s.set == nil {
		s.set = map[string]bool{}
	}
	s.set[strings.ToUpper(name)] = true
	return nil
}

// IsSet reports whether the setting name was given rather than defaulted.
func (s Settings) IsSet(name string) bool { return s.set[strings.ToUpper(name)] }

// AWSConfigured reports whether any AWS setting was given, which selects the Athena backend
// when none is asked for.
func (s Settings) AWSConfigured() bool {
	for _, n := range []string{"AWS_REGION", "AWS_PROFILE", "ATHENA_WORKGROUP", "ATHENA_OUTPUT_LOCATION", "SECURITY_LAKE_DATABASE"} {
		if s.set[n] {
			return true
		}
	}
	return false
}

// QueryTimeout is QueryTimeoutSeconds as a duration.
func (s Settings) QueryTimeout() time.Duration {
	return time.Duration(s.QueryTimeoutSeconds) * time.Second
}

// CacheTTL is how long results are cached, 0 when caching is off.
func (s Settings) CacheTTL() time.Duration {
	if !s.EnableQueryCaching {
		return 0
	}
	return time.Duration(s.CacheTTLSeconds) * time.Second
}

// Public returns the settings as the Python server names them, for tools that report the
// configuration (nothing in them is secret).
func (s Settings) Public() map[string]any {
	return map[string]any{
		"aws_region":              s.AWSRegion,
		"aws_profile":             s.AWSProfile,
		"athena_workgroup":        s.AthenaWorkgroup,
		"athena_output_location":  s.AthenaOutputLocation,
		"security_lake_database":  s.SecurityLakeDatabase,
		"auto_discover_resources": s.AutoDiscoverResources,
		"max_query_results":       s.MaxQueryResults,
		"query_timeout_seconds":   s.QueryTimeoutSeconds,
		"log_level":               s.LogLevel,
		"enable_query_caching":    s.EnableQueryCaching,
		"cache_ttl_seconds":       s.CacheTTLSeconds,
	}
}

// ParseLogLevel maps Python's level names (DEBUG, INFO, WARNING, ERROR, CRITICAL) and
// slog's (WARN) to a slog level.
func ParseLogLevel(v string) (slog.Level, error) {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "DEBUG":
		return slog.LevelDebug, nil
	case "INFO", "":
		return slog.LevelInfo, nil
	case "WARNING", "WARN":
		return slog.LevelWarn, nil
	case "ERROR", "CRITICAL", "FATAL":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("log level %q: want DEBUG, INFO, WARNING, ERROR or CRITICAL", v)
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "1", "true", "t", "yes", "y", "on":
		return true, nil
	case "0", "false", "f", "no", "n", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (true/false, 1/0, yes/no, on/off)", v)
}

func parseInt(v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", v)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%d is out of range %d..%d", n, lo, hi)
	}
	return n, nil
}

// ReadDotEnv reads a .env file: KEY=value lines, blank lines and # comments ignored, an
// optional "export " before the key, values optionally in single or double quotes (a
// quoted value is taken literally; an unquoted one ends at " #").
func ReadDotEnv(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("%s:%d: want KEY=value", path, n)
		}
		v = strings.TrimSpace(v)
		switch {
		case len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0]:
			v = v[1 : len(v)-1]
		default:
			if i := strings.Index(v, " #"); i >= 0 {
				v = strings.TrimSpace(v[:i])
			}
		}
		out[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}
