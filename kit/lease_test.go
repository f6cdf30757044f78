package kit_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

// replica is one process running a connection under a lease in a shared database.
type replica struct {
	name   string
	lease  *kit.Lease
	cancel context.CancelFunc
	done   chan struct{}
	broken atomic.Bool // its database stops answering
}

// conns records which replica holds the connection, failing the test if two ever do.
type conns struct {
	t      *testing.T
	mu     sync.Mutex
	holder string
	log    []string
}

func (c *conns) connect(name string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		c.mu.Lock()
		if c.holder != "" {
			c.t.Errorf("%s connected while %s still holds the connection", name, c.holder)
		}
		c.holder = name
		c.log = append(c.log, name)
		c.mu.Unlock()
		<-ctx.Done()
		c.mu.Lock()
		c.holder = ""
		c.mu.Unlock()
		return nil
	}
}

func (c *conns) wait(t *testing.T, want string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		c.mu.Lock()
		h := c.holder
		c.mu.Unlock()
		if h == want {
			return
		}
	}
	t.Fatalf("%q never held the connection (log %v)", want, c.log)
}

func startReplica(t *testing.T, db *store.DB, c *conns, name string, ttl time.Duration, release bool) *replica {
	r := &replica{name: name, done: make(chan struct{})}
	r.lease = &kit.Lease{Name: "xmpp", Holder: name, TTL: ttl,
		Acquire: func(ctx context.Context, n, h string, now time.Time, ttl time.Duration) (bool, error) {
			if r.broken.Load() {
				return false, errors.New("database unreachable")
			}
			return db.AcquireLease(ctx, n, h, now, ttl)
		}}
	if release {
		r.lease.Release = db.ReleaseLease
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { defer close(r.done); r.lease.Run(ctx, c.connect(name)) }()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

// The connection runs on one replica at a time, and another takes over when the holder stops
// (released at once), dies (its lease lapses) or loses its database (it disconnects before its
// lease lapses, so the two never overlap).
func TestLeaseHandOver(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	c := &conns{t: t}
	ttl := 600 * time.Millisecond
	a := startReplica(t, db, c, "a", ttl, true)
	c.wait(t, "a")
	b := startReplica(t, db, c, "b", ttl, false) // b dies without releasing
	time.Sleep(2 * ttl)
	c.wait(t, "a") // b stood by: a renews

	a.cancel() // a stops gracefully and releases
	<-a.done
	c.wait(t, "b")

	a = startReplica(t, db, c, "a", ttl, true)
	b.cancel() // b "dies": no release, a waits for the lease to lapse
	<-b.done
	c.wait(t, "a")

	b = startReplica(t, db, c, "b", ttl, true)
	a.broken.Store(true) // a can no longer renew: it disconnects, and b takes over
	c.wait(t, "b")
	if got := c.log; len(got) != 4 || got[0] != "a" || got[1] != "b" || got[2] != "a" || got[3] != "b" {
		t.Fatalf("holders %v, want a b a b", got)
	}
}

// A connection that ends by itself gives the lease up, and its replica takes it again when no
// other does.
func TestLeaseConnectionEnds(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	var runs atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	l := &kit.Lease{Name: "xmpp", Holder: "a", TTL: 300 * time.Millisecond, Acquire: db.AcquireLease, Release: db.ReleaseLease}
	go func() {
		defer close(done)
		l.Run(ctx, func(ctx context.Context) error {
			if runs.Add(1) == 1 {
				return errors.New("server closed the stream")
			}
			<-ctx.Done()
			return nil
		})
	}()
	for deadline := time.Now().Add(10 * time.Second); runs.Load() < 2 && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
	}
	cancel()
	<-done
	if runs.Load() != 2 {
		t.Fatalf("connected %d times, want 2", runs.Load())
	}
	if ok, err := db.AcquireLease(context.Background(), "xmpp", "b", time.Now(), time.Second); !ok || err != nil {
		t.Fatalf("a stopped, but its lease is not free: %v %v", ok, err)
	}
}
