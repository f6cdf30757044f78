package slack

import (
	"sync"
	"time"
)

// dedupe remembers event ids for ttl, at most max of them, so a retried Events API delivery never
// runs a command twice. Memory is bounded: past max, the oldest ids are forgotten first. Slack
// retries within minutes, far inside the ttl. With several replicas a retry may reach another
// replica; that needs shared state (see docs/slack.md).
type dedupe struct {
	mu    sync.Mutex
	max   int
	ttl   time.Duration
	seen  map[string]time.Time
	order []string // insertion order, a ring once full
	head  int
}

func newDedupe(max int, ttl time.Duration) *dedupe {
	return &dedupe{max: max, ttl: ttl, seen: make(map[string]time.Time, max)}
}

// first records id and reports whether it was not seen within ttl.
func (d *dedupe) first(id string, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if t, ok := d.seen[id]; ok {
		if now.Sub(t) < d.ttl {
			return false
		}
		d.seen[id] = now // already in order; keep one entry per id
		return true
	}
	if len(d.order) < d.max {
		d.order = append(d.order, id)
	} else {
		delete(d.seen, d.order[d.head])
		d.order[d.head] = id
		d.head = (d.head + 1) % d.max
	}
	d.seen[id] = now
	return true
}
