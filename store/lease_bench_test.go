package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

// BenchmarkLeaseRenew is what a holder pays every lease_ttl/3 (and a standing replica per try):
// the INSERT that finds the row, the UPDATE, and the read back.
func BenchmarkLeaseRenew(b *testing.B) {
	for _, d := range []string{store.SQLite, store.Postgres, store.MySQL} {
		b.Run(d, func(b *testing.B) {
			db := storetest.Open(b, d)
			ctx := context.Background()
			now := time.Now()
			for b.Loop() {
				now = now.Add(time.Second)
				if ok, err := db.AcquireLease(ctx, "xmpp", "a", now, 15*time.Second); !ok || err != nil {
					b.Fatal(ok, err)
				}
			}
		})
	}
}
