package cli

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mcpwatch/mcpwatch/internal/catalogue"
	"github.com/mcpwatch/mcpwatch/internal/detect"
	"github.com/mcpwatch/mcpwatch/internal/intel"
	"github.com/mcpwatch/mcpwatch/internal/policy"
	"github.com/mcpwatch/mcpwatch/internal/rules"
	"github.com/mcpwatch/mcpwatch/internal/version"
)

// detectFlags are the detection settings shared by ingest, detect and demo.
type detectFlags struct {
	intelFiles []string
	ports      string
	exfil      string
	internal   []string
	rulesDirs  []string
	policyFile string
	catalogues []string
}

func (d *detectFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVar(&d.intelFiles, "intel", nil, "threat-intel file in any GuardDuty ThreatIntelSet format (txt, stix, otx_csv, fire_eye, proof_point, alien_vault; detected from the content, or FORMAT:PATH) of IPs, CIDRs and domains; repeatable")
	f.StringVar(&d.ports, "mcp-ports", "", "candidate MCP ports, comma-separated (default 8080,3000,5000,8000,9000,6274,6277; \"none\" disables the port rule)")
	f.StringVar(&d.exfil, "exfil-bytes", "", "outbound bytes to a flagged endpoint that make an exfiltration finding (default 50MiB; suffixes KB, MB, GB, KiB, MiB, GiB)")
	f.StringArrayVar(&d.internal, "internal-cidr", nil, "address block to treat as internal besides RFC 1918, RFC 6598, loopback, link-local and ULA; repeatable")
	f.StringArrayVar(&d.rulesDirs, "rules", nil, "directory of rule files (Sigma YAML) added to the built-in pack; a rule named like a built-in one replaces it; repeatable")
	f.StringVar(&d.policyFile, "policy", "", "policy file (YAML) of sanctioned MCP servers: their use raises no finding (default: nothing is sanctioned)")
	f.StringArrayVar(&d.catalogues, "catalogue", nil, "catalogue file (CSV) extending or overriding the built-in MCP catalogue; repeatable")
}

// detector builds the detectors the flags describe: the native flow rules and the rule
// engine over the built-in pack and --rules, with --policy and --catalogue.
func (d *detectFlags) detector(e *env) (*detect.Pack, error) {
	cfg, err := d.config(e)
	if err != nil {
		return nil, err
	}
	flow, err := detect.NewFlowDetector(cfg)
	if err != nil {
		return nil, err
	}
	renv, err := d.rulesEnv(cfg)
	if err != nil {
		return nil, err
	}
	rs, err := d.rules()
	if err != nil {
		return nil, err
	}
	set, err := rules.Compile(rs, renv)
	if err != nil {
		return nil, err
	}
	var pol *policy.Policy
	if d.policyFile != "" {
		p, diags, err := policy.Load(d.policyFile)
		if err != nil {
			return nil, fmt.Errorf("--policy: %w", err)
		}
		for _, dg := range diags {
			if dg.Severity == policy.Error {
				return nil, fmt.Errorf("--policy: %s (run mcpwatch policy check %s)", dg, d.policyFile)
			}
			e.log.Warn("policy", "diagnostic", dg.String())
		}
		pol = p
	}
	eng := detect.NewEngine(detect.EngineConfig{Rules: set, Policy: pol, Catalogue: renv.Catalogue, Intel: cfg.Intel,
		ProductVersion: version.Version})
	return &detect.Pack{Flow: flow, Engine: eng}, nil
}

// rules returns the built-in pack merged with the rules of --rules.
func (d *detectFlags) rules() ([]*rules.Rule, error) {
	rs, err := rules.Builtin()
	if err != nil {
		return nil, fmt.Errorf("built-in rules: %w", err)
	}
	for _, dir := range d.rulesDirs {
		extra, err := rules.LoadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("--rules %s: %w", dir, err)
		}
		rs = rules.Merge(rs, extra)
	}
	return rs, nil
}

// rulesEnv returns what rules are compiled against: the catalogue, threat intel, internal
// blocks and candidate ports of the flags.
func (d *detectFlags) rulesEnv(cfg detect.Config) (rules.Env, error) {
	cat := catalogue.Builtin()
	if len(d.catalogues) > 0 {
		c, err := catalogue.Load(d.catalogues...)
		if err != nil {
			return rules.Env{}, fmt.Errorf("--catalogue: %w", err)
		}
		cat = c
	}
	ports := cfg.CandidatePorts
	if ports == nil {
		ports = detect.DefaultCandidatePorts()
	}
	// The rules know the built-in internal blocks; Internal adds --internal-cidr's.
	return rules.Env{Catalogue: cat, Intel: cfg.Intel, Internal: cfg.InternalPrefixes, MCPPorts: ports}, nil
}

// config builds the detection configuration, printing warnings about bad intel lines to
// warn.
func (d *detectFlags) config(e *env) (detect.Config, error) {
	cfg := detect.Config{ProductVersion: version.Version}
	var sets []*intel.Set
	for _, name := range d.intelFiles {
		set, bad, err := intel.LoadFile(name, intel.Options{})
		if err != nil {
			return cfg, fmt.Errorf("--intel %s: %w", name, err)
		}
		unsupported := 0
		for _, pe := range bad {
			if errors.Is(&pe, intel.ErrUnsupported) {
				unsupported++
				continue
			}
			e.log.Warn("threat-intel line ignored", "err", pe.Error())
		}
		if unsupported > 0 {
			e.log.Info("threat-intel indicators of unsupported types ignored (file hashes, URLs...)", "file", name, "count", unsupported)
		}
		sets = append(sets, set)
	}
	if len(sets) > 0 {
		cfg.Intel = intel.Merge(sets...)
	}
	switch d.ports {
	case "":
	case "none":
		cfg.CandidatePorts = []uint16{}
	default:
		for _, p := range strings.Split(d.ports, ",") {
			n, err := strconv.ParseUint(strings.TrimSpace(p), 10, 16)
			if err != nil || n == 0 {
				return cfg, fmt.Errorf("--mcp-ports: %q is not a port (1-65535)", p)
			}
			cfg.CandidatePorts = append(cfg.CandidatePorts, uint16(n))
		}
	}
	if d.exfil != "" {
		n, err := parseBytes(d.exfil)
		if err != nil {
			return cfg, fmt.Errorf("--exfil-bytes: %w", err)
		}
		cfg.ExfilThreshold = n
	}
	for _, c := range d.internal {
		p, err := netip.ParsePrefix(strings.TrimSpace(c))
		if err != nil {
			return cfg, fmt.Errorf("--internal-cidr: %w", err)
		}
		cfg.InternalPrefixes = append(cfg.InternalPrefixes, p)
	}
	return cfg, nil
}

// parseBytes parses a byte count with an optional decimal (KB, MB, GB) or binary (KiB, MiB,
// GiB) suffix.
func parseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || n <= 0 || n*float64(mult) > 1<<62 {
		return 0, fmt.Errorf("%q is not a positive byte count", s)
	}
	return int64(n * float64(mult)), nil
}
