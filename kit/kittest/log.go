package kittest

import (
	"sync"
	"time"
)

// Log is what a platform stand-in records (posts, calls), safe for concurrent use.
type Log[T any] struct {
	mu    sync.Mutex
	items []T
}

// Add records v.
func (l *Log[T]) Add(v T) { l.mu.Lock(); l.items = append(l.items, v); l.mu.Unlock() }

// All returns what was recorded so far.
func (l *Log[T]) All() []T {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]T(nil), l.items...)
}

// Wait waits until at least n items were recorded (5 s at most) and returns them all.
func (l *Log[T]) Wait(n int) []T {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if all := l.All(); len(all) >= n {
			return all
		}
	}
	return l.All()
}
