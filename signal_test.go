package opsgate

import "testing"

// Notifications sent before anyone waits are kept, as one.
func TestSignalCoalesces(t *testing.T) {
	var s Signal
	s.Notify()
	s.Notify()
	s.Notify()
	select {
	case <-s.C():
	default:
		t.Fatal("a notification sent before the wait was lost")
	}
	select {
	case <-s.C():
		t.Fatal("three notifications arrived as more than one")
	default:
	}
}
