package cloudtrail

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/lake"
	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/sourcetest"
)

// lakeSink writes events to a lake transaction, as the ingest pipeline does.
type lakeSink struct {
	tx     *lake.Txn
	events []string // the JSON of every event written
}

func (s *lakeSink) Event(ev ocsf.Event, _ int64) error {
	b, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	s.events = append(s.events, string(b))
	return s.tx.Write(ev)
}

func (s *lakeSink) DeadLetter(raw []byte, pos int64, reason string) error {
	return s.tx.DeadLetter("CLOUD_TRAIL_MGMT", raw, pos, reason)
}

func (s *lakeSink) Skip(int64, string) error { return nil }

// TestLakeRoundTrip stores the events of every CloudTrail input of the reference data and of
// testdata in CLOUD_TRAIL_MGMT and reads them back: the table's row keeps every attribute the
// normalizer fills, and its partitions are the events' accounts and regions.
func TestLakeRoundTrip(t *testing.T) {
	l, err := lake.Open(t.TempDir(), lake.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	tx, err := l.Begin(context.Background(), lake.InputInfo{Name: "cloudtrail"})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Abort()
	s := &lakeSink{tx: tx}
	var inputs []string
	gz, _ := filepath.Glob(filepath.Join(sourcetest.DataDir(t), "security-lake-samples", "samples", "1.0.0-rc.2", "CLOUD_TRAIL", "*", "input", "*.gz"))
	for _, p := range gz {
		inputs = append(inputs, sourcetest.ReadGzip(t, p))
	}
	for _, name := range []string{"runinstances.json", "sendcommand.json", "registertaskdefinition.json"} {
		inputs = append(inputs, sample(t, name))
	}
	for i, in := range inputs {
		if err := (Format{}).Read(context.Background(), source.Input{Name: "in", R: strings.NewReader(in), Account: "000000000000"}, s); err != nil {
			t.Fatalf("input %d: %v", i, err)
		}
	}
	if len(s.events) != len(inputs) {
		t.Fatalf("%d events of %d inputs", len(s.events), len(inputs))
	}
	if _, err := tx.Commit(context.Background(), lake.CommitInfo{ContentHash: strings.Repeat("ab", 32)}); err != nil {
		t.Fatal(err)
	}
	var got []string
	accounts := map[string]bool{}
	err = lake.Scan(context.Background(), l, lake.CloudTrailMgmt, nil, func(p lake.Partition, rows []lake.CloudTrailRow) error {
		for i := range rows {
			ev := rows[i].Event()
			if h := ev.Header(); h.Cloud.Account.UID != p.Account || h.Cloud.Region != p.Region {
				t.Errorf("event of %s/%s in partition %s/%s", h.Cloud.Account.UID, h.Cloud.Region, p.Account, p.Region)
			}
			accounts[p.Account] = true
			b, err := json.Marshal(ev)
			if err != nil {
				return err
			}
			got = append(got, string(b))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	sort.Strings(s.events)
	if len(got) != len(s.events) {
		t.Fatalf("read %d events, wrote %d", len(got), len(s.events))
	}
	for i := range got {
		if got[i] != s.events[i] {
			t.Errorf("read back\n%s\nwrote\n%s", got[i], s.events[i])
		}
	}
	// The sample without recipientAccountId is in the input location's account.
	if !accounts["000000000000"] || !accounts["112233445566"] || !accounts["123456789012"] {
		t.Errorf("partitions of accounts %v", accounts)
	}
	if _, err := os.Stat(filepath.Join(l.Root(), "CLOUD_TRAIL_MGMT", "2.0")); err != nil {
		t.Error(err)
	}
}
