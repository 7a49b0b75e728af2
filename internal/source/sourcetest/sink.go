package sourcetest

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/source"
)

var (
	_ source.Sink = (*Sink[ocsf.Event])(nil)
	_ source.Sink = (*CountSink)(nil)
)

// Sink is a source.Sink that keeps everything a reader hands it: a copy of every event with
// its position, every dead letter and every skip. The copy is made through the event's JSON,
// as a lake writer would encode it, so that readers may reuse an event once the sink has it.
// E is the event type the reader must emit (ocsf.Event for any): another fails the test.
type Sink[E ocsf.Event] struct {
	T      testing.TB
	Events []E
	Pos    []int64 // the positions of Events
	Dead   []DeadLetter
	Skips  []Skip
}

// DeadLetter is one dead-lettered record.
type DeadLetter struct {
	Raw    string
	Pos    int64
	Reason string
}

// Skip is one skipped record.
type Skip struct {
	Pos    int64
	Reason string
}

// Event keeps a copy of ev.
func (s *Sink[E]) Event(ev ocsf.Event, pos int64) error {
	s.T.Helper()
	if _, ok := ev.(E); !ok {
		s.T.Fatalf("event of type %T", ev)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		s.T.Fatal(err)
	}
	cp := reflect.New(reflect.TypeOf(ev).Elem())
	if err := json.Unmarshal(b, cp.Interface()); err != nil {
		s.T.Fatal(err)
	}
	s.Events = append(s.Events, cp.Interface().(E))
	s.Pos = append(s.Pos, pos)
	return nil
}

// DeadLetter keeps the dead letter.
func (s *Sink[E]) DeadLetter(raw []byte, pos int64, reason string) error {
	s.Dead = append(s.Dead, DeadLetter{string(raw), pos, reason})
	return nil
}

// Skip keeps the skip.
func (s *Sink[E]) Skip(pos int64, reason string) error {
	s.Skips = append(s.Skips, Skip{pos, reason})
	return nil
}

// Records is the number of records the sink was told about.
func (s *Sink[E]) Records() int { return len(s.Events) + len(s.Dead) + len(s.Skips) }

// CountSink counts what it receives and keeps nothing, like a sink that encodes each event and
// lets it go: what benchmarks read into.
type CountSink struct{ Events, Dead, Skipped int }

func (s *CountSink) Event(ocsf.Event, int64) error          { s.Events++; return nil }
func (s *CountSink) DeadLetter([]byte, int64, string) error { s.Dead++; return nil }
func (s *CountSink) Skip(int64, string) error               { s.Skipped++; return nil }

// Total is the number of records the sink was told about.
func (s *CountSink) Total() int { return s.Events + s.Dead + s.Skipped }
