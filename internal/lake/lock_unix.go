//go:build unix

package lake

import (
	"context"
	"errors"
	"os"
	"syscall"
	"time"
)

// tryLock takes an exclusive flock on f without waiting; it reports false if another open
// file description holds it.
func tryLock(f *os.File) (bool, error) {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		case errors.Is(err, syscall.EINTR):
			continue
		default:
			return false, err
		}
	}
}

// lockWait takes an exclusive flock on f, polling until it is free or ctx is done.
func lockWait(ctx context.Context, f *os.File) error {
	delay := time.Millisecond
	for {
		ok, err := tryLock(f)
		if err != nil || ok {
			return err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		delay = min(2*delay, 50*time.Millisecond)
	}
}

// unlockFile releases the flock on f.
func unlockFile(f *os.File) { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
