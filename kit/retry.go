package kit

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/opsgate/opsgate"
)

// Retry defaults.
const (
	DefaultAttempts = 4
	DefaultBackoff  = 500 * time.Millisecond
	// MaxRetryAfter caps the wait a platform's Retry-After can impose on one delivery.
	MaxRetryAfter = time.Minute
)

// Failure is what a platform reads from one of its own errors.
type Failure struct {
	// Status is the HTTP status the platform answered (0: none, or unknown).
	Status int
	// RetryAfter is what the platform asked to wait (0: it did not say).
	RetryAfter time.Duration
	// Final says a retry must not happen even for a 429 or 5xx (a POST the platform may have
	// carried out before failing).
	Final bool
}

// Retry runs a platform call again after throttling (429), server errors (5xx) and network
// timeouts, with exponential backoff; a Retry-After is honoured up to MaxWait. Build it per call
// from the adapter's options: the zero value works.
type Retry struct {
	Attempts int                                              // tries in all (DefaultAttempts)
	Sleep    func(ctx context.Context, d time.Duration) error // Sleep; tests record the waits
	Backoff  time.Duration                                    // first wait, doubled each time (DefaultBackoff)
	MaxWait  time.Duration                                    // cap on Retry-After (MaxRetryAfter)
	// GiveUpPastMax fails the call at once when Retry-After exceeds MaxWait, instead of waiting
	// MaxWait and trying early.
	GiveUpPastMax bool
	// Read reads the platform's own errors; ok false when err is not one (then only network
	// timeouts are retried).
	Read func(err error) (f Failure, ok bool)
}

// Do runs f until it succeeds, fails for good, the attempts are used or ctx ends; it returns
// f's last error.
func (r Retry) Do(ctx context.Context, f func(context.Context) error) error {
	attempts := r.Attempts
	if attempts <= 0 {
		attempts = DefaultAttempts
	}
	sleep := r.Sleep
	if sleep == nil {
		sleep = Sleep
	}
	for attempt := 1; ; attempt++ {
		err := f(ctx)
		if err == nil || attempt >= attempts {
			return err
		}
		wait, ok := r.Wait(err, attempt)
		if !ok || sleep(ctx, wait) != nil {
			return err
		}
	}
}

// Wait is how long to wait after err on attempt (1 for the first), and whether to retry at all.
func (r Retry) Wait(err error, attempt int) (time.Duration, bool) {
	base := r.Backoff
	if base <= 0 {
		base = DefaultBackoff
	}
	maxWait := r.MaxWait
	if maxWait <= 0 {
		maxWait = MaxRetryAfter
	}
	backoff := min(base<<(attempt-1), maxWait)
	if r.Read != nil {
		if f, ok := r.Read(err); ok {
			switch {
			case f.Final:
				return 0, false
			case f.RetryAfter > 0:
				if f.RetryAfter > maxWait && r.GiveUpPastMax {
					return 0, false
				}
				return min(f.RetryAfter, maxWait), true
			case f.Status == http.StatusTooManyRequests || f.Status >= 500:
				return backoff, true
			}
			return 0, false
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		return backoff, true
	}
	return 0, false
}

// Sleep is opsgate.Sleep, the default wait between retries.
var Sleep = opsgate.Sleep
