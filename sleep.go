package opsgate

import (
	"context"
	"time"
)

// Sleep waits d, or until ctx ends (then it returns ctx's error): the one wait every retry and
// back-off uses, so a stopping server never sits out a timer.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
