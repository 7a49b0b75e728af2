//go:build !unix

package vpcflow

import "time"

// processCPUTime is unknown on this platform.
func processCPUTime() time.Duration { return 0 }
