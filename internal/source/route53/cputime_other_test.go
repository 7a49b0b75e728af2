//go:build !unix

package route53

import "time"

// processCPUTime is unknown on this platform.
func processCPUTime() time.Duration { return 0 }
