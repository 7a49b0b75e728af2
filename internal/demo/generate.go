package demo

import (
	"bufio"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Config says what to generate.
type Config struct {
	// Dir is where the flow-log files go, under AWSLogs/ as AWS delivers them to S3.
	Dir string
	// Records is the total number of flow-log records (default 1,000,000).
	Records int
	// Seed makes the output deterministic: the same seed and day give the same files.
	Seed uint64
	// Day is the UTC day of the traffic.
	Day time.Time
	// Benign leaves the shadow-MCP scenarios out (benign traffic only).
	Benign bool
	// Sources are the log sources to write (0 means SourceFlows). Records counts flow-log
	// records; the other sources follow the flows (about one DNS query per ten flow records,
	// one CloudTrail event per fifty, GuardDuty findings per account and region).
	Sources Sources
}

// Result describes what was generated.
type Result struct {
	Env *Environment
	// Files are every file written; FlowFiles only the flow logs.
	Files     []string
	FlowFiles []string
	IntelFile string
	Records   int
	Scenarios []Scenario
}

// DefaultRecords is the size of the default demo.
const DefaultRecords = 1_000_000

// Generate writes a day of flow logs of a generated environment under cfg.Dir, one gzip file
// per VPC and hour named as AWS names them, and the threat-intel file the scenarios need.
func Generate(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Records <= 0 {
		cfg.Records = DefaultRecords
	}
	day := cfg.Day.UTC().Truncate(24 * time.Hour)
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x6d63707761746368)) // "mcpwatch"
	env := newEnvironment(rng)
	res := &Result{Env: env}
	if cfg.Sources == 0 {
		cfg.Sources = SourceFlows
	}
	plan := scenarioPlan{add: func(*emitter, *VPC, int64, *rand.Rand) {},
		cloudTrail: func(*ctContext, int64) []ctEvent { return nil }}
	if !cfg.Benign {
		plan = planScenarios(env)
		for _, sc := range plan.list {
			needs := sc.Needs
			if needs == 0 {
				needs = SourceFlows
			}
			if cfg.Sources&needs == needs {
				res.Scenarios = append(res.Scenarios, sc)
			}
		}
		res.IntelFile = filepath.Join(cfg.Dir, "threat-intel.txt")
		if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		if err := os.WriteFile(res.IntelFile, []byte(plan.intel), 0o644); err != nil {
			return nil, fmt.Errorf("demo: writing intel file: %w", err)
		}
	}

	// Each VPC gets a share of the records proportional to its instances, spread over the hours
	// of the day by hourWeights; the shares add up to exactly cfg.Records.
	vpcs := env.VPCs()
	budgets := splitBudget(cfg.Records, vpcs)
	type job struct {
		vpc    *VPC
		budget int
		seed   uint64
	}
	jobs := make([]job, len(vpcs))
	for i, v := range vpcs {
		jobs[i] = job{vpc: v, budget: budgets[i], seed: rng.Uint64()}
	}

	var (
		mu        sync.Mutex
		errs      []error
		wg        sync.WaitGroup
		files     [][]string
		flowFiles [][]string
		count     = make([]int, len(jobs))
	)
	files = make([][]string, len(jobs))
	flowFiles = make([][]string, len(jobs))
	sem := make(chan struct{}, 2)
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			w := &vpcWriter{dir: cfg.Dir, day: day, vpc: j.vpc, rng: rand.New(rand.NewPCG(j.seed, uint64(i))), plan: plan,
				sources: cfg.Sources}
			err := w.write(ctx, j.budget)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			files[i], flowFiles[i], count[i] = w.files, w.flowFiles, w.records
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for i := range files {
		res.Files = append(res.Files, files[i]...)
		res.FlowFiles = append(res.FlowFiles, flowFiles[i]...)
	}
	for _, n := range count {
		res.Records += n
	}
	return res, nil
}

// splitBudget divides n records among VPCs in proportion to their instance counts.
func splitBudget(n int, vpcs []*VPC) []int {
	total := 0
	for _, v := range vpcs {
		total += len(v.Instances)
	}
	out := make([]int, len(vpcs))
	left := n
	for i, v := range vpcs {
		out[i] = n * len(v.Instances) / total
		left -= out[i]
	}
	out[0] += left
	return out
}

// vpcWriter writes the day of one VPC: its flow logs and the other sources of its account
// and region.
type vpcWriter struct {
	dir     string
	day     time.Time
	vpc     *VPC
	rng     *rand.Rand
	plan    scenarioPlan
	sources Sources

	files, flowFiles []string
	records          int
}

// write writes the 24 hourly files of each source, with budget flow records in all (more
// only when the scenarios alone need more), and the day's GuardDuty findings.
func (w *vpcWriter) write(ctx context.Context, budget int) error {
	var weightSum float64
	for _, wt := range hourWeights {
		weightSum += wt
	}
	rng, vpc := w.rng, w.vpc
	gen := newBenign(vpc, rng)
	ct := &ctContext{rng: rng, acct: vpc.Account, region: vpc.Region, vpc: vpc}
	left := budget
	for h := range 24 {
		if err := ctx.Err(); err != nil {
			return err
		}
		hour := w.day.Add(time.Duration(h) * time.Hour)
		e := &emitter{rng: rng}
		w.plan.add(e, vpc, hour.Unix(), rng)
		want := int(float64(budget) * hourWeights[h] / weightSum)
		if h == 23 {
			want = left
		}
		// Scenario records are always kept whole; benign traffic fills the rest of the hour's
		// budget, so only a budget smaller than the scenarios themselves exceeds the request.
		want = max(min(want, left), len(e.recs))
		for len(e.recs) < want {
			t := hour.Unix() + int64(rng.IntN(3540))
			if rng.IntN(200) == 0 {
				gen.addIdle(e, t)
			} else {
				gen.addConn(e, t)
			}
		}
		e.recs = e.recs[:want]
		left = max(left-want, 0)
		w.records += want
		if w.sources.Has(SourceFlows) {
			name, err := writeFile(w.dir, hour, vpc, e.recs, byStart(e.recs))
			if err != nil {
				return err
			}
			w.files = append(w.files, name)
			w.flowFiles = append(w.flowFiles, name)
		}
		if w.sources.Has(SourceDNS) {
			name, err := writeDNS(w.dir, hour, vpc, addDNS(rng, vpc, hour.Unix(), e.recs, nil))
			if err != nil {
				return err
			}
			w.files = append(w.files, name)
		}
		if w.sources.Has(SourceCloudTrail) {
			evs := ct.benignCT(hour.Unix(), max(1, want/50), w.plan.cloudTrail(ct, hour.Unix()))
			name, err := writeCloudTrail(w.dir, hour, vpc.Account, vpc.Region, evs)
			if err != nil {
				return err
			}
			w.files = append(w.files, name)
		}
	}
	if w.sources.Has(SourceGuardDuty) {
		name, err := writeGuardDuty(w.dir, w.day, vpc.Account, vpc.Region, guardDutyFindings(rng, vpc.Account, vpc, w.day, w.plan))
		if err != nil {
			return err
		}
		w.files = append(w.files, name)
	}
	return nil
}

// byStart returns the indexes of recs in the order of their start times (ties in generation
// order), as flow logs list records. Sorting indexes avoids moving the records themselves.
func byStart(recs []record) []int32 {
	order := make([]int32, len(recs))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		return cmp.Or(cmp.Compare(recs[a].start, recs[b].start), cmp.Compare(a, b))
	})
	return order
}

// writeFile writes one delivery of records as AWS does: gzip, a header line naming the
// subscription's fields, then one space-separated record per line in the given order, under
// AWSLogs/<account>/vpcflowlogs/<region>/<yyyy>/<mm>/<dd>/.
func writeFile(dir string, hour time.Time, vpc *VPC, recs []record, order []int32) (string, error) {
	acct := vpc.Account.ID
	sum := sha256.Sum256([]byte(vpc.FlowLogID + hour.Format(time.RFC3339)))
	name := fmt.Sprintf("%s_vpcflowlogs_%s_%s_%sZ_%s.log.gz", acct, vpc.Region, vpc.FlowLogID,
		hour.Format("20060102T1504"), hex.EncodeToString(sum[:4]))
	sub := filepath.Join(dir, "AWSLogs", acct, "vpcflowlogs", vpc.Region, hour.Format("2006/01/02"))
	if err := os.MkdirAll(sub, 0o755); err != nil {
		return "", fmt.Errorf("demo: %w", err)
	}
	path := filepath.Join(sub, name)
	f, err := os.Create(path)
	if err != nil {
		return "", fmt.Errorf("demo: %w", err)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	w := bufio.NewWriterSize(zw, 256<<10)
	line := make([]byte, 0, 512)
	for i, fld := range vpc.Format {
		if i > 0 {
			line = append(line, ' ')
		}
		line = append(line, fld...)
	}
	line = append(line, '\n')
	w.Write(line)
	for _, i := range order {
		line = line[:0]
		for j, fld := range vpc.Format {
			if j > 0 {
				line = append(line, ' ')
			}
			line = recs[i].appendField(line, fld, vpc)
		}
		line = append(line, '\n')
		w.Write(line)
	}
	err = errors.Join(w.Flush(), zw.Close(), f.Close())
	if err != nil {
		return "", fmt.Errorf("demo: writing %s: %w", path, err)
	}
	return path, nil
}
