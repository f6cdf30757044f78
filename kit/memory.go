package kit

import (
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// DefaultMemoryKeys is how many keys a Memory holds when not told.
const DefaultMemoryKeys = 10_000

// Memory remembers keys for a while: a bounded, expiring set. Past size keys the least recently
// used is forgotten first. Expiry follows the injected clock (so tests and signature windows
// agree); the LRU's own wall-clock expiry only frees memory, a little later.
type Memory struct {
	ttl   time.Duration
	now   func() time.Time
	cache *expirable.LRU[string, time.Time] // key -> remembered until
}

// NewMemory remembers up to size keys for ttl each; now is the clock (nil: time.Now).
func NewMemory(size int, ttl time.Duration, now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	if size <= 0 {
		size = DefaultMemoryKeys
	}
	// The slack keeps an entry the injected clock still needs when it runs behind the wall clock.
	return &Memory{ttl: ttl, now: now, cache: expirable.NewLRU[string, time.Time](size, nil, ttl+time.Minute)}
}

// Has reports whether key was remembered within its ttl.
func (m *Memory) Has(key string) bool {
	until, ok := m.cache.Peek(key)
	return ok && m.now().Before(until)
}

// Add remembers key for the ttl from now.
func (m *Memory) Add(key string) { m.cache.Add(key, m.now().Add(m.ttl)) }

// First remembers key and reports whether it was not remembered already.
func (m *Memory) First(key string) bool {
	if m.Has(key) {
		return false
	}
	m.Add(key)
	return true
}

// Forget drops key.
func (m *Memory) Forget(key string) { m.cache.Remove(key) }

// Len is how many keys are held (expired ones included until the LRU drops them).
func (m *Memory) Len() int { return m.cache.Len() }
