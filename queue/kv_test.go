package queue

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/opsgate/opsgate/kit"
)

// kvPrefix is a prefix of this test alone; its buckets are deleted afterwards.
func kvPrefix(t *testing.T, nc *nats.Conn) string {
	p := prefix(t, nc)
	t.Cleanup(func() {
		js, _ := jetstream.New(nc)
		ctx := context.Background()
		for name := range js.KeyValueStoreNames(ctx).Name() {
			if len(name) > len(p) && name[:len(p)] == p {
				js.DeleteKeyValue(ctx, name)
			}
		}
	})
	return p
}

// The store's claim test (store.TestClaim) on JetStream, across two connections: two replicas.
func TestClaimsOnJetStream(t *testing.T) {
	nc1, nc2 := natsURL(t), natsURL(t)
	p := kvPrefix(t, nc1)
	a, err := NewClaims(nc1, p)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewClaims(nc2, p)
	ctx := context.Background()
	now := time.Now()
	claim := func(c *Claims, scope, key string, window time.Duration) bool {
		t.Helper()
		ok, err := c.Claim(ctx, scope, key, now, window)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !claim(a, "slack-event", "Ev1", time.Hour) {
		t.Fatal("first claim refused")
	}
	if claim(b, "slack-event", "Ev1", time.Hour) || claim(a, "slack-event", "Ev1", time.Hour) {
		t.Fatal("second claim within the window granted")
	}
	if !claim(b, "other-scope", "Ev1", time.Hour) {
		t.Fatal("scopes must not collide")
	}
	if !claim(a, "slack-event", "key with spaces/and\x00bytes", time.Hour) {
		t.Fatal("a key of any bytes is refused")
	}
	// Released (claimed, then refused before running): the next claim wins, once.
	if err := a.Unclaim(ctx, "slack-event", "Ev1"); err != nil {
		t.Fatal(err)
	}
	if !claim(b, "slack-event", "Ev1", time.Hour) || claim(a, "slack-event", "Ev1", time.Hour) {
		t.Fatal("a released key is claimed once again")
	}
	// Two replicas racing, ten claims each, for one key: exactly one wins.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		c := a
		if i%2 == 1 {
			c = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, err := c.Claim(ctx, "race", "Ev2", now, time.Hour); ok && err == nil {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := wins.Load(); n != 1 {
		t.Fatalf("%d of 20 racing claims won, want 1", n)
	}
	// After its window a key can be claimed again (the bucket's MaxAge, on the server's clock).
	if !claim(a, "schedule", "s1", time.Second) || claim(b, "schedule", "s1", time.Second) {
		t.Fatal("short-window claim")
	}
	for deadline := time.Now().Add(20 * time.Second); !claim(b, "schedule", "s1", time.Second); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a claim is never forgotten after its window")
		}
	}
}

// The store's lease test (store.TestLease) on JetStream, with the clock passed in.
func TestLeasesOnJetStream(t *testing.T) {
	nc1, nc2 := natsURL(t), natsURL(t)
	p := kvPrefix(t, nc1)
	l1, err := NewLeases(nc1, p)
	if err != nil {
		t.Fatal(err)
	}
	l2, _ := NewLeases(nc2, p)
	ctx := context.Background()
	t0 := time.Unix(1_800_000_000, 0)
	ttl := 10 * time.Second
	take := func(holder string, at time.Time, want bool) {
		t.Helper()
		l := l1
		if holder != "a" {
			l = l2
		}
		got, err := l.Acquire(ctx, "xmpp", holder, at, ttl)
		if err != nil || got != want {
			t.Fatalf("%s at +%s: got %v %v, want %v", holder, at.Sub(t0), got, err, want)
		}
	}
	take("a", t0, true)
	take("b", t0.Add(time.Second), false)
	take("a", t0.Add(5*time.Second), true)
	take("a", t0.Add(5*time.Second), true)
	take("b", t0.Add(14*time.Second), false)
	take("b", t0.Add(15*time.Second), true) // a's renewal lapsed: take-over
	take("a", t0.Add(16*time.Second), false)
	take("other", t0.Add(16*time.Second), false)
	if ok, err := l1.Acquire(ctx, "matrix", "a", t0.Add(16*time.Second), ttl); !ok || err != nil {
		t.Fatalf("a lease of another name: %v %v", ok, err)
	}
	if h, until, err := l1.Holder(ctx, "xmpp"); h != "b" || !until.Equal(t0.Add(25*time.Second)) || err != nil {
		t.Fatalf("holder %q until %v (%v), want b until +25s", h, until, err)
	}
	if err := l1.Release(ctx, "xmpp", "a"); err != nil { // not a's: nothing happens
		t.Fatal(err)
	}
	take("a", t0.Add(17*time.Second), false)
	if err := l2.Release(ctx, "xmpp", "b"); err != nil {
		t.Fatal(err)
	}
	take("a", t0.Add(17*time.Second), true) // released: free at once
	// Racing for a free lease: exactly one of twenty holders takes it.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		l := l1
		if i%2 == 1 {
			l = l2
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, err := l.Acquire(ctx, "race", string(rune('a'+i)), t0, ttl); ok && err == nil {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := wins.Load(); n != 1 {
		t.Fatalf("%d of 20 racing holders took the lease, want 1", n)
	}
}

// kit.Lease on JetStream: the connection runs on one replica at a time and moves to the other
// when its holder stops (released at once) or dies (the lease lapses).
func TestLeaseHandOverOnJetStream(t *testing.T) {
	nc1, nc2 := natsURL(t), natsURL(t)
	p := kvPrefix(t, nc1)
	var mu sync.Mutex
	holder, log := "", []string{}
	connect := func(name string) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			mu.Lock()
			if holder != "" {
				t.Errorf("%s connected while %s still holds the connection", name, holder)
			}
			holder, log = name, append(log, name)
			mu.Unlock()
			<-ctx.Done()
			mu.Lock()
			holder = ""
			mu.Unlock()
			return nil
		}
	}
	wait := func(want string) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			mu.Lock()
			h := holder
			mu.Unlock()
			if h == want {
				return
			}
		}
		t.Fatalf("%q never held the connection (log %v)", want, log)
	}
	start := func(nc *nats.Conn, name string, release bool) (stop func()) {
		l, err := NewLeases(nc, p)
		if err != nil {
			t.Fatal(err)
		}
		kl := &kit.Lease{Name: "slack-socket-mode", Holder: name, TTL: 900 * time.Millisecond, Acquire: l.Acquire}
		if release {
			kl.Release = l.Release
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); kl.Run(ctx, connect(name)) }()
		stop = func() { cancel(); <-done }
		t.Cleanup(stop)
		return stop
	}
	stopA := start(nc1, "a", true)
	wait("a")
	stopB := start(nc2, "b", false) // b dies without releasing
	stopA()                         // a stops gracefully and releases: b takes over
	wait("b")
	start(nc1, "a", true)
	stopB() // b "dies": a waits for the lease to lapse
	wait("a")
	if len(log) != 3 || log[0] != "a" || log[1] != "b" || log[2] != "a" {
		t.Fatalf("holders %v, want a b a", log)
	}
}

// BenchmarkClaimJetStream is a claim's cost on JetStream, 64 at once as on a busy ack path
// (store.BenchmarkClaimConcurrent is the database's).
func BenchmarkClaimJetStream(b *testing.B) {
	nc := natsURL(b)
	p := prefix(b, nc)
	b.Cleanup(func() {
		js, _ := jetstream.New(nc)
		js.DeleteKeyValue(context.Background(), p+"_claims_660s")
	})
	c, err := NewClaims(nc, p)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var n atomic.Int64
	b.SetParallelism(32) // 64 goroutines on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, err := c.Claim(ctx, "slack-request", strconv.FormatInt(n.Add(1), 10), time.Now(), 11*time.Minute); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
}
