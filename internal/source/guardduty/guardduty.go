// Package guardduty reads Amazon GuardDuty findings in GuardDuty's own JSON — EventBridge
// "GuardDuty Finding" events (the finding is the event's detail), GuardDuty's exports to S3
// (one finding per line; the caller decompresses), and the AWS CLI's get-findings output —
// and normalizes them to OCSF 1.1.0 Detection Findings (ocsf.ImportedFinding, table
// SH_FINDINGS) exactly as the same finding looks when it arrives through Security Hub:
// ToASFF makes the ASFF finding GuardDuty sends Security Hub, and the securityhub package
// maps it as Amazon Security Lake does.
//
// Records, positions, dead letters and the JSON framing (NDJSON, concatenated or pretty
// JSON, arrays) are as in the securityhub package: each finding is a record; an EventBridge
// event of another detail-type is skipped with the reason.
package guardduty

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/securityhub"
)

// checkEvery is how many records Read handles between two checks of its context.
const checkEvery = 256

// Format is the GuardDuty source format. The zero value is ready to use.
type Format struct {
	// MaxValueBytes bounds one top-level JSON value; 0 means
	// securityhub.DefaultMaxValueBytes.
	MaxValueBytes int
}

var _ source.Format = Format{}

// Name returns "guardduty".
func (Format) Name() string { return "guardduty" }

// Table returns "SH_FINDINGS": Security Lake keeps GuardDuty findings with Security Hub's.
func (Format) Table() string { return "SH_FINDINGS" }

// Sniff reports whether head looks like GuardDuty's JSON: an EventBridge "GuardDuty Finding"
// event, or a finding with a schemaVersion, an accountId and a GuardDuty arn (any letter
// case of the keys); never ASFF (which has "ProductArn").
func (Format) Sniff(head []byte) bool {
	head = bytes.TrimLeft(bytes.TrimPrefix(head, []byte{0xef, 0xbb, 0xbf}), " \t\r\n")
	if len(head) == 0 || head[0] != '{' && head[0] != '[' || bytes.Contains(head, []byte(`"ProductArn"`)) {
		return false
	}
	if bytes.Contains(head, []byte(`"GuardDuty Finding"`)) && bytes.Contains(head, []byte(`"aws.guardduty"`)) {
		return true
	}
	lower := bytes.ToLower(head)
	return bytes.Contains(lower, []byte(`"schemaversion"`)) && bytes.Contains(lower, []byte(`"accountid"`)) &&
		bytes.Contains(lower, []byte(`:guardduty:`))
}

// Read streams every finding of in to sink as an *ocsf.ImportedFinding (a new one for each
// event), a dead letter or a skip.
func (f Format) Read(ctx context.Context, in source.Input, sink source.Sink) error {
	r := in.R
	if r == nil {
		if in.ReaderAt == nil {
			return fmt.Errorf("guardduty: %s: input has no content reader", in.Name)
		}
		r = io.NewSectionReader(in.ReaderAt, 0, in.Size)
	}
	max := f.MaxValueBytes
	if max <= 0 {
		max = securityhub.DefaultMaxValueBytes
	}
	rd := &reader{ctx: ctx, sink: sink, norm: securityhub.Normalizer{Region: in.Region, Account: in.Account}}
	if err := securityhub.ReadValues(r, max, func(raw []byte, syntaxErr error) error {
		if syntaxErr != nil {
			return rd.dead(raw, syntaxErr.Error())
		}
		return rd.value(raw, 0)
	}); err != nil {
		return fmt.Errorf("guardduty: %s: %w", in.Name, err)
	}
	return nil
}

type reader struct {
	ctx  context.Context
	sink source.Sink
	norm securityhub.Normalizer
	pos  int64
}

// Normalize converts one native GuardDuty finding (JSON) into ev, through its ASFF form.
func Normalize(raw []byte, norm securityhub.Normalizer, ev *ocsf.ImportedFinding) error {
	m, err := decode(raw)
	if err != nil {
		return err
	}
	o, ok := m.(map[string]any)
	if !ok {
		return fmt.Errorf("not a GuardDuty finding: a JSON %T", m)
	}
	a, err := ToASFF(o)
	if err != nil {
		return err
	}
	return norm.NormalizeMap(a, ev)
}

func decode(raw []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	return v, nil
}

// value handles one top-level JSON value: a finding, an EventBridge event, a get-findings
// output ({"Findings": [...]}) or an array of these.
func (rd *reader) value(raw []byte, depth int) error {
	v, err := decode(raw)
	if err != nil {
		return rd.dead(raw, err.Error())
	}
	switch v := v.(type) {
	case []any:
		if depth > 0 {
			return rd.dead(raw, "not a GuardDuty finding: an array inside an array")
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return rd.dead(raw, "invalid JSON: "+err.Error())
		}
		for _, e := range elems {
			if err := rd.value(e, depth+1); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		if dt, ok := v["detail-type"].(string); ok {
			if dt != "GuardDuty Finding" {
				return rd.skip(fmt.Sprintf("EventBridge event %q is not a GuardDuty finding", dt))
			}
			var ev struct {
				Detail json.RawMessage `json:"detail"`
			}
			if err := json.Unmarshal(raw, &ev); err != nil || len(ev.Detail) == 0 {
				return rd.dead(raw, "EventBridge GuardDuty Finding event without a detail")
			}
			return rd.finding(ev.Detail)
		}
		for _, k := range []string{"Findings", "findings"} {
			if _, ok := v[k].([]any); ok {
				var list map[string]json.RawMessage
				if err := json.Unmarshal(raw, &list); err != nil {
					return rd.dead(raw, "invalid JSON: "+err.Error())
				}
				var elems []json.RawMessage
				if err := json.Unmarshal(list[k], &elems); err != nil {
					return rd.dead(raw, "invalid JSON: "+err.Error())
				}
				for _, e := range elems {
					if err := rd.finding(e); err != nil {
						return err
					}
				}
				return nil
			}
		}
		return rd.finding(raw)
	}
	return rd.dead(raw, "not a GuardDuty finding: not a JSON object")
}

func (rd *reader) finding(raw []byte) error {
	rd.pos++
	if rd.pos%checkEvery == 0 {
		if err := rd.ctx.Err(); err != nil {
			return err
		}
	}
	ev := new(ocsf.ImportedFinding)
	if err := Normalize(raw, rd.norm, ev); err != nil {
		return rd.sink.DeadLetter(raw, rd.pos, strings.Replace(err.Error(), "ASFF finding", "GuardDuty finding", 1))
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
