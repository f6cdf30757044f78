package pipeline

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// admission bounds the requests taken and not yet finished. The bound follows measured
// throughput: workers / (time a command holds a worker) is what the pipeline finishes per
// second, and only what it finishes within queueWait is taken. A request finding no room waits
// (first come, first served) up to the caller's wait, then is refused, so overload shows as a
// clear refusal instead of work queued past any use.
type admission struct {
	workers   int
	max       int
	queueWait time.Duration

	mu      sync.Mutex
	n       int // taken, not finished
	limit   int
	waiters list.List // of chan struct{}: closed when admitted
	hold    time.Duration
	sized   time.Time // when limit was last computed
}

func newAdmission(workers, max int, queueWait time.Duration) *admission {
	// Until a command has run nothing says what finishes in time: take what the workers run.
	a := &admission{workers: workers, max: max, queueWait: queueWait, limit: min(workers, max)}
	queueLimit.Set(float64(a.limit))
	return a
}

// acquire takes room for one request, waiting up to wait for it.
func (a *admission) acquire(ctx context.Context, wait time.Duration) bool {
	a.mu.Lock()
	if a.n < a.limit && a.waiters.Len() == 0 {
		a.n++
		a.mu.Unlock()
		return true
	}
	if wait <= 0 {
		a.mu.Unlock()
		return false
	}
	ch := make(chan struct{})
	el := a.waiters.PushBack(ch)
	a.mu.Unlock()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	select {
	case <-ch: // admitted while timing out
		return true
	default:
		a.waiters.Remove(el)
		return false
	}
}

// release gives back room taken by acquire; held is how long the request held a worker (0: it
// never ran), which sizes the limit at most every 100 ms of the pipeline's clock.
func (a *admission) release(held time.Duration, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.n--
	if held > 0 {
		if a.hold == 0 {
			a.hold = held
		} else {
			a.hold += (held - a.hold) / 8 // moving average over the last few dozen commands
		}
		if d := now.Sub(a.sized); d >= 100*time.Millisecond || d < 0 {
			a.sized = now
			a.limit = a.size()
			queueLimit.Set(float64(a.limit))
		}
	}
	a.wake()
}

// size is the workers plus what they finish within queueWait, within [workers, max].
func (a *admission) size() int {
	extra := float64(a.workers) * float64(a.queueWait) / float64(a.hold)
	return max(min(a.max, a.workers+int(min(extra, float64(a.max)))), min(a.workers, a.max))
}

// wake admits waiters while there is room; mu is held.
func (a *admission) wake() {
	for a.n < a.limit && a.waiters.Len() > 0 {
		close(a.waiters.Remove(a.waiters.Front()).(chan struct{}))
		a.n++
	}
}
