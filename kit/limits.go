package kit

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/time/rate"
)

// DefaultLimitKeys is how many keys a Limits remembers. Past it the least recently limited key is
// forgotten: a key still being limited keeps being refreshed, so churn through other keys cannot
// reset it, and a forgotten quiet key had refilled anyway or gains one burst.
const DefaultLimitKeys = 65536

// Limits keeps one token bucket (golang.org/x/time/rate) per key in a bounded, expiring cache.
type Limits struct {
	rate  rate.Limit
	burst int
	now   func() time.Time

	mu    sync.Mutex // makes get-or-create atomic
	cache *expirable.LRU[string, *rate.Limiter]
}

// NewLimits returns per-key buckets refilled at r per second holding burst; size keys at most
// (0: DefaultLimitKeys); now is the clock (nil: time.Now).
func NewLimits(r float64, burst, size int, now func() time.Time) *Limits {
	if size <= 0 {
		size = DefaultLimitKeys
	}
	if now == nil {
		now = time.Now
	}
	// A key unseen for as long as its bucket takes to refill is full again: forgetting it then
	// changes nothing. The minute keeps a slow test clock from expiring what it still limits.
	ttl := max(time.Duration(float64(burst)/r*float64(time.Second)), time.Minute)
	return &Limits{rate: rate.Limit(r), burst: burst, now: now, cache: expirable.NewLRU[string, *rate.Limiter](size, nil, ttl)}
}

// Allow takes one token from key's bucket. When it is empty it reports how long until one is
// available.
func (l *Limits) Allow(key string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	lim, ok := l.cache.Get(key)
	if !ok {
		lim = rate.NewLimiter(l.rate, l.burst)
	}
	l.cache.Add(key, lim) // refreshes the expiry and recency of a key in use
	l.mu.Unlock()
	if lim.AllowN(now, 1) {
		return true, 0
	}
	missing := 1 - lim.TokensAt(now)
	return false, time.Duration(missing / float64(l.rate) * float64(time.Second))
}

// Empty reports whether key's bucket holds no token now, and how long until it does; it takes
// nothing and remembers no new key.
func (l *Limits) Empty(key string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	lim, ok := l.cache.Peek(key)
	l.mu.Unlock()
	if !ok {
		return false, 0
	}
	if tokens := lim.TokensAt(now); tokens < 1 {
		return true, time.Duration((1 - tokens) / float64(l.rate) * float64(time.Second))
	}
	return false, 0
}

// Len is the number of keys remembered.
func (l *Limits) Len() int { return l.cache.Len() }

// SetRetryAfter sets Retry-After to wait in whole seconds, at least 1.
func SetRetryAfter(w http.ResponseWriter, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(max(int(math.Ceil(wait.Seconds())), 1)))
}
