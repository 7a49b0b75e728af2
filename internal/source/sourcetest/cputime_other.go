//go:build !unix

package sourcetest

import "time"

// ProcessCPUTime is unknown on this platform.
func ProcessCPUTime() time.Duration { return 0 }
