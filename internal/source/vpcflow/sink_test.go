package vpcflow

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/source"
)

// deadLetter is one dead-lettered record.
type deadLetter struct {
	raw    string
	pos    int64
	reason string
}

// recordingSink keeps a shallow copy of every event, as a lake writer would, and every dead
// letter and skip, and checks that positions only grow.
type recordingSink struct {
	t       testing.TB
	events  []ocsf.NetworkActivity
	pos     []int64
	dead    []deadLetter
	skipped int
	last    int64
	failAt  int // return an error from the failAt-th call (1-based); 0 never
	calls   int
}

var errSinkFull = errors.New("sink full")

func (s *recordingSink) call(pos int64) error {
	s.t.Helper()
	s.calls++
	if pos <= s.last {
		s.t.Errorf("position %d after %d: positions must grow", pos, s.last)
	}
	s.last = pos
	if s.failAt > 0 && s.calls == s.failAt {
		return errSinkFull
	}
	return nil
}

func (s *recordingSink) Event(ev ocsf.Event, pos int64) error {
	na, ok := ev.(*ocsf.NetworkActivity)
	if !ok {
		s.t.Fatalf("event %T, want *ocsf.NetworkActivity", ev)
	}
	s.events = append(s.events, *na)
	s.pos = append(s.pos, pos)
	return s.call(pos)
}

func (s *recordingSink) DeadLetter(raw []byte, pos int64, reason string) error {
	s.dead = append(s.dead, deadLetter{string(raw), pos, reason})
	return s.call(pos)
}

func (s *recordingSink) Skip(pos int64, reason string) error {
	s.skipped++
	return s.call(pos)
}

// read reads text through Format.Read into a new recordingSink.
func read(t testing.TB, f Format, text string) (*recordingSink, error) {
	t.Helper()
	s := &recordingSink{t: t}
	err := f.Read(context.Background(), source.Input{Name: "test", R: strings.NewReader(text), Region: "eu-west-1", Account: "999999999999"}, s)
	return s, err
}

// readFile reads a file of the reference data through Format.Read, as the ingest pipeline
// does: a reader, and random access.
func readFile(t testing.TB, path string) (*recordingSink, error) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := &recordingSink{t: t}
	in := source.Input{Name: filepath.Base(path), R: bytes.NewReader(b), ReaderAt: bytes.NewReader(b), Size: int64(len(b))}
	return s, Format{}.Read(context.Background(), in, s)
}

// sourceInput is an input of text, with no region or account hints.
func sourceInput(text string) source.Input {
	return source.Input{Name: "test", R: strings.NewReader(text)}
}

func contextWithCancel(t testing.TB) (context.Context, context.CancelFunc) {
	return context.WithCancel(t.Context())
}
