package route53

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/ocsf/schema"
	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/sourcetest"
)

// outcome is what the sink was told about one record.
type outcome struct {
	pos    int64
	event  *ocsf.DNSActivity // a copy, for Event
	dead   string            // the raw record, for DeadLetter
	reason string            // for DeadLetter
}

// recordingSink keeps a copy of every event, as a lake writer would, and every dead letter,
// checks that positions grow by one from 1, and validates every event.
type recordingSink struct {
	t      testing.TB
	out    []outcome
	failAt int // return an error from the failAt-th call (1-based); 0 never
}

var errSinkFull = errors.New("sink full")

func (s *recordingSink) add(o outcome) error {
	s.t.Helper()
	if want := int64(len(s.out) + 1); o.pos != want {
		s.t.Errorf("position %d, want %d", o.pos, want)
	}
	s.out = append(s.out, o)
	if s.failAt > 0 && len(s.out) == s.failAt {
		return errSinkFull
	}
	return nil
}

func (s *recordingSink) Event(ev ocsf.Event, pos int64) error {
	s.t.Helper()
	e, ok := ev.(*ocsf.DNSActivity)
	if !ok {
		s.t.Fatalf("event of type %T", ev)
	}
	c := *e
	validate(s.t, &c)
	return s.add(outcome{pos: pos, event: &c})
}

func (s *recordingSink) DeadLetter(raw []byte, pos int64, reason string) error {
	return s.add(outcome{pos: pos, dead: string(raw), reason: reason})
}

func (s *recordingSink) Skip(pos int64, reason string) error {
	s.t.Errorf("record %d skipped (%s): Route 53 records are never skipped", pos, reason)
	return s.add(outcome{pos: pos, reason: reason})
}

func (s *recordingSink) events() []*ocsf.DNSActivity {
	var evs []*ocsf.DNSActivity
	for _, o := range s.out {
		if o.event != nil {
			evs = append(evs, o.event)
		}
	}
	return evs
}

// kinds summarizes outcomes: "E" for an event, "D" for a dead letter.
func kinds(s *recordingSink) string {
	var b []string
	for _, o := range s.out {
		if o.event != nil {
			b = append(b, "E")
		} else {
			b = append(b, "D")
		}
	}
	return strings.Join(b, " ")
}

// read reads text through Format.Read into a recordingSink.
func read(t testing.TB, f Format, text string) (*recordingSink, error) {
	t.Helper()
	s := &recordingSink{t: t}
	err := f.Read(context.Background(), source.Input{Name: "test", R: strings.NewReader(text),
		Region: "eu-west-1", Account: "999999999999"}, s)
	return s, err
}

// validate checks ev against the OCSF 1.1.0 schema. The one error it tolerates is a query name
// that is not a host name as the validator's hostname_t has it (the root "." and names with
// other characters than letters, digits, '-' and '_', which DNS allows and Resolver logs as
// asked): the event keeps the name as Security Lake does.
func validate(t testing.TB, ev *ocsf.DNSActivity) {
	t.Helper()
	err := schema.Validate(ev)
	var errs schema.Errors
	if errors.As(err, &errs) && !isHostname(ev.Query.Hostname) {
		var rest schema.Errors
		for _, e := range errs {
			if e.Path != "query.hostname" || e.Kind != schema.KindValue {
				rest = append(rest, e)
			}
		}
		err = nil
		if len(rest) > 0 {
			err = rest
		}
	}
	if err != nil {
		b, _ := json.Marshal(ev)
		t.Errorf("invalid OCSF 1.1.0: %v\n%s", err, b)
	}
	if ev.TimeDT.UnixMilli() != ev.Time || ev.TypeUID != 400306 || ev.Action != actionNames[ev.ActionID] {
		t.Errorf("event %+v", ev)
	}
}

// difference is an intentional difference between our events and a reference, defined here so
// that the golden tests' tables may list it unkeyed.
type difference sourcetest.Difference

var vals = sourcetest.Vals
