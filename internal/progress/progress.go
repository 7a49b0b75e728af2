// Package progress shows a one-line status of a long operation on a terminal and stays
// silent when the output is not one (a pipe, a file, CI logs).
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// Line redraws a status line in place on a terminal.
type Line struct {
	w      io.Writer
	status func() string
	stop   chan struct{}
	done   sync.WaitGroup
	width  int
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Start redraws status() on w every interval until Stop, when w is a terminal; otherwise it
// does nothing. status is called from another goroutine: it must read shared counters
// atomically.
func Start(w io.Writer, interval time.Duration, status func() string) *Line {
	l := &Line{w: w, status: status, stop: make(chan struct{})}
	if !IsTerminal(w) {
		return l
	}
	l.done.Add(1)
	go func() {
		defer l.done.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-l.stop:
				l.clear()
				return
			case <-t.C:
				l.draw()
			}
		}
	}()
	return l
}

func (l *Line) draw() {
	s := l.status()
	pad := ""
	if n := l.width - len(s); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	l.width = len(s)
	fmt.Fprintf(l.w, "\r%s%s", s, pad)
}

func (l *Line) clear() {
	if l.width > 0 {
		fmt.Fprintf(l.w, "\r%s\r", strings.Repeat(" ", l.width))
	}
}

// Stop erases the line and stops redrawing. It is safe to call more than once.
func (l *Line) Stop() {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	l.done.Wait()
}

// Rate formats n items over d as a human rate, such as "512.3k/s".
func Rate(n int64, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return Count(int64(float64(n)/d.Seconds())) + "/s"
}

// Count formats n compactly: 950, 12.5k, 3.20M.
func Count(n int64) string {
	switch {
	case n >= 1_000_000:
		return fmt.Sprintf("%.2fM", float64(n)/1e6)
	case n >= 10_000:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	default:
		return fmt.Sprintf("%d", n)
	}
}

// Bytes formats a byte count: 512 B, 3.4 MiB.
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
