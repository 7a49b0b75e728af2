//go:build !unix

package lake

import (
	"context"
	"os"
)

// tryLock always succeeds: without flock, only the in-process mutex serializes commits, so
// a lake must not be shared by processes on this platform.
func tryLock(*os.File) (bool, error) { return true, nil }

// lockWait always succeeds at once (see tryLock).
func lockWait(context.Context, *os.File) error { return nil }

// unlockFile does nothing (see tryLock).
func unlockFile(*os.File) {}
