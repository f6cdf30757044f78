package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

func TestLease(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.Unix(1_800_000_000, 0)
		ttl := 10 * time.Second
		take := func(holder string, at time.Time, want bool) {
			t.Helper()
			got, err := db.AcquireLease(ctx, "xmpp", holder, at, ttl)
			if err != nil || got != want {
				t.Fatalf("%s at +%s: got %v %v, want %v", holder, at.Sub(t0), got, err, want)
			}
		}
		take("a", t0, true)                    // acquire
		take("b", t0.Add(time.Second), false)  // held
		take("a", t0.Add(5*time.Second), true) // renew, at a new instant
		take("a", t0.Add(5*time.Second), true) // and at the same one (MySQL reports no change)
		take("b", t0.Add(14*time.Second), false)
		take("b", t0.Add(15*time.Second), true) // a's renewal lapsed: take-over
		take("a", t0.Add(16*time.Second), false)
		take("other", t0.Add(16*time.Second), false)
		if ok, err := db.AcquireLease(ctx, "matrix", "a", t0.Add(16*time.Second), ttl); !ok || err != nil {
			t.Fatalf("a lease of another name: %v %v", ok, err)
		}
		if err := db.ReleaseLease(ctx, "xmpp", "a"); err != nil { // not a's: nothing happens
			t.Fatal(err)
		}
		take("a", t0.Add(17*time.Second), false)
		if err := db.ReleaseLease(ctx, "xmpp", "b"); err != nil {
			t.Fatal(err)
		}
		take("a", t0.Add(17*time.Second), true) // released: free at once
	})
}
