package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

// Old claims are deleted, however many a busy minute left (several statements' worth), and a
// quiet scope's are too when a busy one was purged just before; claims still in their window stay.
func TestClaimsPurgedPerScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.Now().Add(-time.Hour)
		const window = 10 * time.Minute
		insert := func(scope string, n int, at time.Time) {
			tx, err := db.SQL.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			q := db.Rebind(`INSERT INTO claims (key_hash, scope, claimed_at) VALUES (?, ?, ?)`)
			for i := range n {
				if _, err := tx.ExecContext(ctx, q, fmt.Sprintf("%s-%d-%d-%062d", scope, at.Unix(), i, 0)[:64], scope, store.Time(at)); err != nil {
					t.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		count := func(scope string) int {
			var n int
			if err := db.SQL.QueryRowContext(ctx, db.Rebind(`SELECT COUNT(*) FROM claims WHERE scope = ?`), scope).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		now := t0.Add(window + time.Minute)
		insert("busy", 1200, t0)                  // a minute's claims, out of their window
		insert("busy", 10, now.Add(-time.Minute)) // still in it
		insert("quiet", 3, t0)                    // out of it
		if ok, err := db.Claim(ctx, "busy", "new", now, window); !ok || err != nil {
			t.Fatal(ok, err)
		}
		if ok, err := db.Claim(ctx, "quiet", "new", now, window); !ok || err != nil {
			t.Fatal(ok, err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for count("busy") != 11 || count("quiet") != 1 {
			if time.Now().After(deadline) {
				t.Fatalf("claims left after the purge: busy %d (want the 11 in their window), quiet %d (want 1)", count("busy"), count("quiet"))
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
