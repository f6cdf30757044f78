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
