package progress

import (
	"bytes"
	"testing"
	"time"
)

func TestStartIsSilentWhenNotATerminal(t *testing.T) {
	var buf bytes.Buffer
	calls := 0
	l := Start(&buf, time.Millisecond, func() string { calls++; return "working" })
	time.Sleep(20 * time.Millisecond)
	l.Stop()
	l.Stop()
	if buf.Len() != 0 || calls != 0 {
		t.Fatalf("wrote %q after %d status calls; want silence on a non-terminal", buf.String(), calls)
	}
}

func TestFormats(t *testing.T) {
	tests := []struct{ got, want string }{
		{Count(950), "950"},
		{Count(12_500), "12.5k"},
		{Count(3_200_000), "3.20M"},
		{Rate(1_000_000, 2*time.Second), "500.0k/s"},
		{Rate(5, 0), "-"},
		{Bytes(512), "512 B"},
		{Bytes(3 << 20), "3.0 MiB"},
		{Bytes(5 << 30), "5.0 GiB"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
