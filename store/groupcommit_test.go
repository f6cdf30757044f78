package store_test

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

// Claims and command-log entries share transactions: under concurrent load each key is still
// won exactly once, every entry is stored, and a claim refused (a replay) rolls back nothing.
func TestClaimsAndLogShareCommits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		log := store.NewCommandLogService(db)
		ctx := context.Background()
		now := time.Now()
		var won atomic.Int64
		var wg sync.WaitGroup
		for i := range 64 {
			wg.Go(func() {
				key := strconv.Itoa(i % 32) // every key is claimed twice
				ok, err := db.Claim(ctx, "slack-request", key, now, time.Minute)
				if err != nil {
					t.Error(err)
				}
				if ok {
					won.Add(1)
				}
				if err := log.CreateCommandLogEntry(ctx, &opsgate.CommandLogEntry{Start: now, Platform: "slack", UserID: key, Command: "whoami", Status: "succeeded"}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if won.Load() != 32 {
			t.Errorf("%d claims won, want 32 (one per key)", won.Load())
		}
		entries, err := log.FindCommandLogEntries(ctx, 1000)
		if err != nil || len(entries) != 64 {
			t.Fatalf("%d entries stored (err %v), want 64", len(entries), err)
		}
	})
}

// Claims of taken keys in a shared batch: a key whose claim has aged out is won again, once,
// however many ask for it at once; a key still in its window is not; new keys all are.
func TestClaimsAgedOutInABatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
		for i := range 16 {
			if ok, err := db.Claim(ctx, "slack-request", "old"+strconv.Itoa(i), t0, time.Hour); !ok || err != nil {
				t.Fatal(ok, err)
			}
			if ok, err := db.Claim(ctx, "slack-request", "recent"+strconv.Itoa(i), t0.Add(90*time.Minute), time.Hour); !ok || err != nil {
				t.Fatal(ok, err)
			}
		}
		var old, recent, fresh atomic.Int64
		var wg sync.WaitGroup
		for i := range 16 {
			for _, k := range []struct {
				key string
				won *atomic.Int64
			}{{"old", &old}, {"old", &old}, {"recent", &recent}, {"fresh", &fresh}} {
				wg.Go(func() {
					ok, err := db.Claim(ctx, "slack-request", k.key+strconv.Itoa(i), t0.Add(2*time.Hour), time.Hour)
					if err != nil {
						t.Error(err)
					}
					if ok {
						k.won.Add(1)
					}
				})
			}
		}
		wg.Wait()
		if old.Load() != 16 || recent.Load() != 0 || fresh.Load() != 16 {
			t.Fatalf("won %d of 16 aged-out keys (each asked for twice), %d of 16 keys in their window, %d of 16 new keys",
				old.Load(), recent.Load(), fresh.Load())
		}
	})
}
