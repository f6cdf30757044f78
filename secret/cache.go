package secret

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/opsgate/opsgate"
)

// Cache keeps resolved values for TTL and misses (ErrValueNotFound) for NegativeTTL, and lets
// only one fetch per key run at a time: concurrent callers of a key wait for that one fetch.
// Other errors are not cached, so a provider outage heals as soon as the provider does.
type Cache struct {
	TTL         time.Duration // 0: values are not kept (fetches are still shared)
	NegativeTTL time.Duration
	Now         func() time.Time
	// FetchTimeout bounds a shared fetch, which runs detached from the caller that started
	// it so that one caller giving up does not fail the others waiting on it.
	FetchTimeout time.Duration

	mu        sync.Mutex
	entries   map[string]*cacheEntry
	gen       uint64 // bumped by Flush; a fetch started before a flush is not stored
	lastSweep time.Time
}

type cacheEntry struct {
	done    chan struct{} // closed when the fetch finished
	val     string
	err     error
	expires time.Time
}

// Default cache settings.
const (
	DefaultTTL          = 5 * time.Minute
	DefaultNegativeTTL  = 10 * time.Second
	DefaultFetchTimeout = 30 * time.Second
)

// NewCache returns a cache with the given TTLs and the real clock.
func NewCache(ttl, negativeTTL time.Duration) *Cache {
	return &Cache{TTL: ttl, NegativeTTL: negativeTTL, Now: time.Now}
}

func (c *Cache) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

// Get returns the cached result for key, or runs fetch (once for all concurrent callers).
func (c *Cache) Get(ctx context.Context, key string, fetch func(ctx context.Context) (string, error)) (string, error) {
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]*cacheEntry{}
	}
	now := c.now()
	if e, ok := c.entries[key]; ok {
		select {
		case <-e.done:
			if now.Before(e.expires) {
				c.mu.Unlock()
				return e.val, e.err
			}
			delete(c.entries, key)
		default:
			c.mu.Unlock()
			return c.wait(ctx, e)
		}
	}
	e := &cacheEntry{done: make(chan struct{})}
	c.entries[key] = e
	gen := c.gen
	c.sweep(now)
	c.mu.Unlock()

	go c.run(ctx, key, e, gen, fetch)
	return c.wait(ctx, e)
}

func (c *Cache) run(ctx context.Context, key string, e *cacheEntry, gen uint64, fetch func(context.Context) (string, error)) {
	timeout := c.FetchTimeout
	if timeout <= 0 {
		timeout = DefaultFetchTimeout
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	val, err := safeFetch(fctx, fetch)

	c.mu.Lock()
	defer c.mu.Unlock()
	e.val, e.err = val, err
	var ttl time.Duration
	switch {
	case err == nil:
		ttl = c.TTL
	case errors.Is(err, ErrValueNotFound):
		ttl = c.NegativeTTL
	}
	e.expires = c.now().Add(ttl)
	close(e.done)
	if ttl <= 0 || gen != c.gen {
		if c.entries[key] == e {
			delete(c.entries, key)
		}
	}
}

// safeFetch runs fetch, turning a panic into a provider error. The fetch runs in the cache's own
// goroutine, where a panic would kill the process and print its value (possibly the secret, or a
// response holding it) to stderr past every redactor; the value is therefore not kept.
func safeFetch(ctx context.Context, fetch func(context.Context) (string, error)) (val string, err error) {
	defer func() {
		if recover() != nil {
			val, err = "", opsgate.NewSecretError(ErrProvider, "The provider failed unexpectedly (it panicked).", nil)
		}
	}()
	return fetch(ctx)
}

func (c *Cache) wait(ctx context.Context, e *cacheEntry) (string, error) {
	select {
	case <-e.done:
		return e.val, e.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// sweep drops expired entries now and then so templated secrets (one key per object) do not
// pile up. Called with c.mu held.
func (c *Cache) sweep(now time.Time) {
	if len(c.entries) < 256 || now.Sub(c.lastSweep) < time.Minute {
		return
	}
	c.lastSweep = now
	for k, e := range c.entries {
		select {
		case <-e.done:
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		default:
		}
	}
}

// Flush drops every cached value and miss. Fetches running now still answer the callers
// waiting on them but are not stored, and later callers start a new fetch.
func (c *Cache) Flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.entries)
}

// Len returns how many entries (cached or in flight) the cache holds.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
