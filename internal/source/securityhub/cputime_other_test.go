//go:build !unix

package securityhub

import "time"

// processCPUTime is unknown on this platform.
func processCPUTime() time.Duration { return 0 }
