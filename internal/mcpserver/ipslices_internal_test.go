package mcpserver

import (
	"testing"
	"time"
)

// TestIPSlices checks that the slices of an IP search cover the window exactly, newest
// first, without overlap or gap, in whole milliseconds.
func TestIPSlices(t *testing.T) {
	day := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	for _, w := range []window{
		{day, day.Add(24*time.Hour - time.Millisecond)},
		{day, day.Add(7 * 24 * time.Hour)},
		{day, day.Add(10 * time.Minute)},
		{day, day},
		{day.Add(123456789 * time.Nanosecond), day.Add(3*time.Hour + 987654321*time.Nanosecond)},
	} {
		s := ipSlices(w)
		if len(s) == 0 {
			t.Fatalf("%v: no slice", w)
		}
		if got, want := s[0].end.UnixMilli(), w.end.UnixMilli(); got != want {
			t.Errorf("%v: first slice ends at %d, want %d", w, got, want)
		}
		if got, want := s[len(s)-1].start.UnixMilli(), w.start.UnixMilli(); got != want {
			t.Errorf("%v: last slice starts at %d, want %d", w, got, want)
		}
		for i, sl := range s {
			if sl.start.After(sl.end) {
				t.Errorf("%v: slice %d starts after it ends: %v", w, i, sl)
			}
			if i > 0 && s[i-1].start.UnixMilli() != sl.end.UnixMilli()+1 {
				t.Errorf("%v: slice %d ends at %v, slice %d starts at %v", w, i, sl.end, i-1, s[i-1].start)
			}
		}
		if d := s[0].end.Sub(s[0].start); len(s) > 1 && d != firstIPSlice-time.Millisecond {
			t.Errorf("%v: first slice lasts %v", w, d)
		}
		if len(s) > 2 || (len(s) == 2) != (w.end.Sub(w.start) >= firstIPSlice) {
			t.Errorf("%v: %d slices", w, len(s))
		}
	}
}
