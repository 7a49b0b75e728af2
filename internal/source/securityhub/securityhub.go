// Package securityhub reads AWS Security Hub findings in the AWS Security Finding Format
// (ASFF) and normalizes them to OCSF 1.1.0 exactly as Amazon Security Lake (source version 2)
// maps them for its SH_FINDINGS table: Amazon Inspector's to Vulnerability Finding (2002),
// Security Hub's and AWS Config's controls to Compliance Finding (2003), GuardDuty's, Macie's
// and other threat detections to Detection Finding (2004); a partner product's finding by
// what it holds (Compliance, else Vulnerabilities, else a detection). Events are
// ocsf.ImportedFinding, which the lake stores in SH_FINDINGS.
//
// # Input
//
// JSON, possibly several values one after another (NDJSON or concatenated), each one of:
//   - a finding;
//   - {"Findings": [...]}: a BatchImportFindings request or a GetFindings response (its
//     NextToken is ignored);
//   - an EventBridge event whose detail holds findings ("Security Hub Findings - Imported",
//     "Security Hub Findings - Custom Action"); other EventBridge events are skipped with a
//     reason;
//   - a JSON array of any of these.
//
// Each finding is a record: stored, or dead-lettered with the reason (not an object, no Id,
// no Title, no valid UpdatedAt or CreatedAt). The position of a record is its 1-based
// ordinal among the records of the input. When the first line of the input is a JSON value
// of its own, the input is read as NDJSON: a line that is not valid JSON is one dead-lettered
// record and reading goes on. Otherwise it is read as a stream of JSON values, and a syntax
// error ends the input (what came before it is kept). No JSON value may exceed
// Format.MaxValueBytes.
//
// # Mapping
//
// As Security Lake's mapping (the OCSF examples of Security Hub at 1.1.0 and the Security
// Lake samples at 1.0.0-rc.2):
//   - metadata: log_version from SchemaVersion, product.name ProductName, product.uid
//     ProductArn, product.vendor_name CompanyName, product.feature.uid GeneratorId,
//     product.feature.name ProductFields aws/guardduty/service/featureName, product.version
//     ProductFields aws/inspector/ProductVersion; profiles cloud and datetime.
//   - cloud.region Region, cloud.account.uid AwsAccountId (else the input's location).
//   - time from UpdatedAt; activity Create when UpdatedAt equals CreatedAt, else Update.
//   - finding_info: uid Id, title, desc Description, src_url SourceUrl, types Types,
//     created, modified, first and last seen times from CreatedAt, UpdatedAt,
//     FirstObservedAt and LastObservedAt, related_events from RelatedFindings.
//   - severity from Severity.Label (else Severity.Normalized); confidence_score Confidence;
//     status from Workflow.Status (NEW New, NOTIFIED In Progress, SUPPRESSED Suppressed,
//     RESOLVED Resolved), Suppressed when RecordState is ARCHIVED; message Note.Text.
//   - resources (2004) or resource (the first resource, 2002 and 2003): type, uid Id,
//     cloud_partition, region, labels from Tags ("key=value", sorted), data from Details
//     (JSON text), owner.account.uid from ProductFields ResourceOwnerAccount.
//   - remediation from Remediation.Recommendation (Text, Url), in each vulnerability for 2002.
//   - compliance (2003): control SecurityControlId, status, requirements
//     RelatedRequirements, status_detail and status_code from the first StatusReasons,
//     standards from AssociatedStandards (required: else the standard of ProductFields
//     StandardsArn, else GeneratorId).
//   - vulnerabilities (2002, and 2004 when present): cve uid Id, cvss from Cvss, times from
//     Vendor, epss.score EpssScore, references Vendor.Url; references ReferenceUrls,
//     related_vulnerabilities, vendor_name, is_exploit_available and is_fix_available from
//     YES/NO, affected_packages from VulnerablePackages.
//   - evidences (2004): see Normalizer's evidences; observables: the IP addresses,
//     hostnames, process and user names of the evidences and the resource uids.
//   - unmapped: every other leaf, flattened ("Severity.Normalized",
//     "ProductFields.aws/guardduty/service/count", "FindingProviderFields.Types[]"), the values
//     of a path within arrays joined with commas.
//
// What OCSF 1.1.0 has but mcpwatch's lean types do not hold (metadata.processed_time,
// resources[].criticality, endpoint locations) stays in unmapped.
package securityhub

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/source"
)

// DefaultMaxValueBytes bounds one top-level JSON value when Format.MaxValueBytes is 0. A
// GetFindings page holds at most 100 findings of at most 240 KB each.
const DefaultMaxValueBytes = 64 << 20

// checkEvery is how many records Read handles between two checks of its context.
const checkEvery = 256

// Format is the Security Hub (ASFF) source format. The zero value is ready to use.
type Format struct {
	// MaxValueBytes bounds one top-level JSON value (an NDJSON line, a findings list, an
	// event); a larger one ends the input with an error. 0 means DefaultMaxValueBytes.
	MaxValueBytes int
}

var _ source.Format = Format{}

// Name returns "securityhub".
func (Format) Name() string { return "securityhub" }

// Table returns "SH_FINDINGS", Security Lake's table of Security Hub findings.
func (Format) Table() string { return "SH_FINDINGS" }

func (f Format) maxValue() int {
	if f.MaxValueBytes > 0 {
		return f.MaxValueBytes
	}
	return DefaultMaxValueBytes
}

// Sniff reports whether head looks like ASFF: JSON holding the ASFF attributes "ProductArn"
// and "AwsAccountId", or an EventBridge event of Security Hub findings.
func (Format) Sniff(head []byte) bool {
	head = bytes.TrimLeft(bytes.TrimPrefix(head, utf8BOM), " \t\r\n")
	if len(head) == 0 || head[0] != '{' && head[0] != '[' {
		return false
	}
	if bytes.Contains(head, []byte(`"ProductArn"`)) && bytes.Contains(head, []byte(`"AwsAccountId"`)) {
		return true
	}
	return bytes.Contains(head, []byte(`"aws.securityhub"`)) && bytes.Contains(head, []byte(`"Security Hub Findings - `))
}

var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// Read streams every finding of in to sink as an *ocsf.ImportedFinding (a new one for each
// event: the sink may keep it), a dead letter or a skip.
func (f Format) Read(ctx context.Context, in source.Input, sink source.Sink) error {
	r := in.R
	if r == nil {
		if in.ReaderAt == nil {
			return fmt.Errorf("securityhub: %s: input has no content reader", in.Name)
		}
		r = io.NewSectionReader(in.ReaderAt, 0, in.Size)
	}
	rd := &reader{ctx: ctx, sink: sink, norm: Normalizer{Region: in.Region, Account: in.Account}}
	if err := ReadValues(r, f.maxValue(), rd.value); err != nil {
		return fmt.Errorf("securityhub: %s: %w", in.Name, err)
	}
	return nil
}

// ReadValues calls fn with each top-level JSON value of r: each line when the first line is
// a JSON value of its own (NDJSON; fn gets invalid lines too, unchecked: it must check their
// syntax as it decodes them), else each value of the JSON stream (a syntax error ends it; fn
// gets only valid values, and syntaxErr is always nil). Values and lines are at most max bytes.
// Blank lines and a leading byte order mark are ignored. It stops at fn's first error.
func ReadValues(r io.Reader, max int, fn func(raw []byte, syntaxErr error) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, _ := br.Peek(3); bytes.Equal(b, utf8BOM) {
		br.Discard(3)
	}
	first, err := readLine(br, max)
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	trimmed := bytes.TrimSpace(first)
	if len(trimmed) > 0 && json.Valid(trimmed) {
		return readLines(br, max, trimmed, fn)
	}
	// One JSON document over several lines, or several: a stream of values.
	lr := &limitReader{r: io.MultiReader(bytes.NewReader(first), br), max: int64(max)}
	d := json.NewDecoder(lr)
	for {
		lr.n = 0
		var raw json.RawMessage
		err := d.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if errors.Is(err, errTooLarge) || lr.err != nil {
				return err
			}
			return fmt.Errorf("invalid JSON at byte %d: %w", d.InputOffset(), err)
		}
		if err := fn(raw, nil); err != nil {
			return err
		}
	}
}

// readLines reads NDJSON: first, then every further line.
func readLines(br *bufio.Reader, max int, first []byte, fn func([]byte, error) error) error {
	if err := fn(first, nil); err != nil {
		return err
	}
	for {
		line, err := readLine(br, max)
		if t := bytes.TrimSpace(line); len(t) > 0 {
			// The line's syntax is checked when fn decodes it, which saves a pass.
			if ferr := fn(t, nil); ferr != nil {
				return ferr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// errTooLarge is returned for a JSON value or line longer than the limit.
var errTooLarge = errors.New("JSON value too large")

// readLine returns the next line without its ending; io.EOF comes with the last line.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		frag, err := br.ReadSlice('\n')
		line = append(line, frag...)
		if len(line) > max+2 {
			return nil, fmt.Errorf("%w: a line longer than %d bytes", errTooLarge, max)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return bytes.TrimRight(line, "\r\n"), err
	}
}

// limitReader fails once more than max bytes are read since n was last reset.
type limitReader struct {
	r      io.Reader
	max, n int64
	err    error
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n > l.max {
		l.err = fmt.Errorf("%w: a value longer than %d bytes", errTooLarge, l.max)
		return 0, l.err
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	return n, err
}

// reader is the state of one input being read.
type reader struct {
	ctx  context.Context
	sink source.Sink
	norm Normalizer
	pos  int64
}

// envelope is what tells a top-level value apart: a findings list, an EventBridge event, or
// (neither) a finding.
type envelope struct {
	Findings   json.RawMessage `json:"Findings"`
	DetailType *string         `json:"detail-type"`
	Source     string          `json:"source"`
	Detail     *struct {
		Findings json.RawMessage `json:"findings"`
	} `json:"detail"`
}

// value handles one top-level JSON value.
func (rd *reader) value(raw []byte, syntaxErr error) error {
	return rd.valueDepth(raw, syntaxErr, 0)
}

func (rd *reader) valueDepth(raw []byte, syntaxErr error, depth int) error {
	if syntaxErr != nil {
		return rd.dead(raw, syntaxErr.Error())
	}
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) > 0 && raw[0] == '[':
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return rd.dead(raw, "invalid JSON: "+err.Error())
		}
		if depth > 0 {
			return rd.dead(raw, "not an ASFF finding: an array inside an array")
		}
		for _, e := range elems {
			if err := rd.valueDepth(e, nil, depth+1); err != nil {
				return err
			}
		}
		return nil
	case len(raw) == 0 || raw[0] != '{':
		return rd.dead(raw, "not an ASFF finding: not a JSON object")
	}
	var env envelope
	if bytes.Contains(raw, []byte(`indings"`)) || bytes.Contains(raw, []byte(`"detail-type"`)) {
		if err := json.Unmarshal(raw, &env); err != nil {
			var syn *json.SyntaxError
			if errors.As(err, &syn) {
				return rd.dead(raw, "invalid JSON: "+err.Error())
			}
			// A finding whose "Findings" or "detail" has an unexpected type: read it as a finding.
			env = envelope{}
		}
	}
	switch {
	case len(env.Findings) > 0 && env.Findings[0] == '[':
		return rd.list(env.Findings)
	case env.DetailType != nil:
		if env.Detail != nil && len(env.Detail.Findings) > 0 && env.Detail.Findings[0] == '[' {
			return rd.list(env.Detail.Findings)
		}
		return rd.skip(fmt.Sprintf("EventBridge event %q from %q holds no findings", *env.DetailType, env.Source))
	}
	return rd.finding(raw)
}

// list handles a JSON array of findings.
func (rd *reader) list(raw json.RawMessage) error {
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return rd.dead(raw, "invalid JSON: "+err.Error())
	}
	for _, e := range elems {
		if err := rd.finding(e); err != nil {
			return err
		}
	}
	return nil
}

// finding normalizes one finding and hands it to the sink.
func (rd *reader) finding(raw []byte) error {
	rd.pos++
	if rd.pos%checkEvery == 0 {
		if err := rd.ctx.Err(); err != nil {
			return err
		}
	}
	ev := new(ocsf.ImportedFinding)
	if err := rd.norm.Normalize(raw, ev); err != nil {
		return rd.sink.DeadLetter(raw, rd.pos, err.Error())
	}
	return rd.sink.Event(ev, rd.pos)
}

func (rd *reader) dead(raw []byte, reason string) error {
	rd.pos++
	return rd.sink.DeadLetter(raw, rd.pos, reason)
}

func (rd *reader) skip(reason string) error {
	rd.pos++
	return rd.sink.Skip(rd.pos, reason)
}
