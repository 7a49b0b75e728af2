package securityhub

import (
	"bytes"
	"context"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/source"
)

// recordingSink keeps everything a Format hands it.
type recordingSink struct {
	t       testing.TB
	events  []*ocsf.ImportedFinding
	pos     []int64
	dead    []deadLetter
	skipped []string
}

type deadLetter struct {
	raw    string
	pos    int64
	reason string
}

func (s *recordingSink) Event(ev ocsf.Event, pos int64) error {
	f, ok := ev.(*ocsf.ImportedFinding)
	if !ok {
		s.t.Fatalf("event of type %T", ev)
	}
	s.events = append(s.events, f)
	s.pos = append(s.pos, pos)
	return nil
}

func (s *recordingSink) DeadLetter(raw []byte, pos int64, reason string) error {
	s.dead = append(s.dead, deadLetter{string(raw), pos, reason})
	return nil
}

func (s *recordingSink) Skip(pos int64, reason string) error {
	s.skipped = append(s.skipped, reason)
	return nil
}

func (s *recordingSink) records() int { return len(s.events) + len(s.dead) + len(s.skipped) }

// read reads text through Format.Read.
func read(t testing.TB, text string) (*recordingSink, error) {
	t.Helper()
	s := &recordingSink{t: t}
	err := Format{}.Read(context.Background(), source.Input{Name: "test", R: bytes.NewReader([]byte(text)),
		Region: "eu-west-1", Account: "999999999999"}, s)
	return s, err
}
