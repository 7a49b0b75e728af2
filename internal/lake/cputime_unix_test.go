//go:build unix

package lake

import (
	"syscall"
	"time"
)

// cpuTime returns the process's user+system CPU time, which contention from other processes
// on a shared machine inflates less than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
