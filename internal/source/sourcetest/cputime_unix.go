//go:build unix

package sourcetest

import (
	"syscall"
	"time"
)

// ProcessCPUTime is the CPU time (user and system) the process has used, so that benchmarks
// can report throughput per CPU second, which a busy shared machine does not distort.
func ProcessCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
