package cloudtrail

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
	event  ocsf.Event // a copy, for Event
	dead   string     // the raw record, for DeadLetter
	reason string     // for DeadLetter and Skip
	skip   bool
}

// recordingSink keeps a copy of every event, as a lake writer would, and every dead letter and
// skip, and checks that positions grow by one from 1.
type recordingSink struct {
	t        testing.TB
	out      []outcome
	failAt   int // return an error from the failAt-th call (1-based); 0 never
	validate bool
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
	var cp ocsf.Event
	switch e := ev.(type) {
	case *ocsf.APIActivity:
		c := *e
		cp = &c
	case *ocsf.Authentication:
		c := *e
		cp = &c
	case *ocsf.AccountChange:
		c := *e
		cp = &c
	default:
		s.t.Fatalf("event of type %T", ev)
	}
	if s.validate {
		validate(s.t, cp)
	}
	return s.add(outcome{pos: pos, event: cp})
}

func (s *recordingSink) DeadLetter(raw []byte, pos int64, reason string) error {
	return s.add(outcome{pos: pos, dead: string(raw), reason: reason})
}

func (s *recordingSink) Skip(pos int64, reason string) error {
	return s.add(outcome{pos: pos, reason: reason, skip: true})
}

func (s *recordingSink) events() []ocsf.Event {
	var evs []ocsf.Event
	for _, o := range s.out {
		if o.event != nil {
			evs = append(evs, o.event)
		}
	}
	return evs
}

// read reads text through Format.Read into a validating recordingSink.
func read(t testing.TB, f Format, text string) (*recordingSink, error) {
	t.Helper()
	s := &recordingSink{t: t, validate: true}
	err := f.Read(context.Background(), source.Input{Name: "test", R: strings.NewReader(text),
		Region: "eu-west-1", Account: "999999999999"}, s)
	return s, err
}

// validate checks ev against the OCSF 1.1.0 schema and the invariants of CloudTrail events.
func validate(t testing.TB, ev ocsf.Event) {
	t.Helper()
	if err := schema.Validate(ev); err != nil {
		b, _ := json.Marshal(ev)
		t.Errorf("invalid OCSF 1.1.0: %v\n%s", err, b)
	}
	h := ev.Header()
	if h.TypeUID != ocsf.TypeUID(h.ClassUID, h.ActivityID) || h.ActivityName != ocsf.ActivityName(h.ClassUID, h.ActivityID) ||
		h.TypeName != ocsf.ClassName(h.ClassUID)+": "+h.ActivityName {
		t.Errorf("classification %d/%d/%d %q %q", h.ClassUID, h.ActivityID, h.TypeUID, h.ActivityName, h.TypeName)
	}
	if h.TimeDT.UnixMilli() != h.Time || h.Cloud.Provider != "AWS" || h.Metadata.Product.Name != "CloudTrail" {
		t.Errorf("header %+v", h)
	}
}

// difference is an intentional difference between our events and a reference, defined here so
// that the golden tests' tables may list it unkeyed.
type difference sourcetest.Difference

var vals = sourcetest.Vals
