package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsgate/opsgate/store"
)

// One serve at a time: a second waits, told who holds the lock, and takes it when the first lets
// go, with what the first handed over. After a holder that never released (a crash), nothing is
// handed over.
func TestServeLockOneAtATime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "opsgate.db")
	ctx := context.Background()
	a, h, err := store.LockServe(ctx, path, func(string) { t.Fatal("first holder waited") })
	if err != nil {
		t.Fatal(err)
	}
	if h != nil || a.Crashed {
		t.Fatalf("first lock handed over %q, crashed %v", h, a.Crashed)
	}

	waited := make(chan string, 1)
	got := make(chan []byte, 1)
	go func() {
		b, h, err := store.LockServe(ctx, path, func(holder string) { waited <- holder })
		if err != nil {
			t.Error(err)
			return
		}
		got <- h
		b.Release(nil) // a release with nothing to hand over
	}()
	holder := <-waited
	if !strings.Contains(holder, "pid ") {
		t.Fatalf("waiting message names %q, want the holder's pid", holder)
	}
	select {
	case <-got:
		t.Fatal("second lock taken while the first is held")
	case <-time.After(100 * time.Millisecond):
	}
	if err := a.Release([]byte("state\x00\x01")); err != nil {
		t.Fatal(err)
	}
	if h := <-got; string(h) != "state\x00\x01" {
		t.Fatalf("handed over %q, want the first holder's state", h)
	}

	// The second released with an empty handover: the next one gets an empty, non-nil one.
	c, h, err := store.LockServe(ctx, path, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	if h == nil || len(h) != 0 || c.Crashed {
		t.Fatalf("after a clean empty release: %q, crashed %v", h, c.Crashed)
	}
	// A holder that dies holding the lock leaves "held by ..." behind: the kernel lets go of the
	// lock, and nothing is handed over. (Closing without Release stands in for the dying process.)
	store.AbandonServeLock(c)
	d, h, err := store.LockServe(ctx, path, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	if h != nil || !d.Crashed {
		t.Fatalf("after a crash: handed over %q, crashed %v; want nothing, crashed", h, d.Crashed)
	}
	d.Release(nil)

	// Waiting ends with its context.
	e, _, _ := store.LockServe(ctx, path, func(string) {})
	defer e.Release(nil)
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, _, err := store.LockServe(cctx, path, func(string) {}); err == nil {
		t.Fatal("a second lock was taken while held")
	}
}
