//go:build !unix

package guardduty

import "time"

// processCPUTime is unknown on this platform.
func processCPUTime() time.Duration { return 0 }
