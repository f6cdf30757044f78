package opsgate

import "sync"

// Signal is a wake-up that coalesces: Notify never blocks, and one pending notification stands
// for any number sent before it is taken. Watchers use it to check now rather than at the next
// tick (another replica announced a change). The zero value is ready; safe for concurrent use.
type Signal struct {
	once sync.Once
	ch   chan struct{}
}

// Notify wakes whoever waits on C, or the next one to.
func (s *Signal) Notify() {
	select {
	case s.C() <- struct{}{}:
	default: // one is pending already
	}
}

// C is the channel a notification arrives on.
func (s *Signal) C() chan struct{} {
	s.once.Do(func() { s.ch = make(chan struct{}, 1) })
	return s.ch
}
