package store_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

// BenchmarkClaim is what the ack path of every Slack slash command and interaction now pays to
// refuse replays across replicas: one new claim (an INSERT) per request.
func BenchmarkClaim(b *testing.B) {
	for _, d := range []string{store.SQLite, store.Postgres, store.MySQL} {
		b.Run(d, func(b *testing.B) {
			db := storetest.Open(b, d)
			ctx := context.Background()
			now := time.Now()
			i := 0
			for b.Loop() {
				i++
				if ok, err := db.Claim(ctx, "slack-request", strconv.Itoa(i), now, 11*time.Minute); !ok || err != nil {
					b.Fatal(ok, err)
				}
			}
		})
	}
}

// BenchmarkClaimConcurrent is the same under load: 64 requests claiming at once, as the ack
// paths of a busy server do.
func BenchmarkClaimConcurrent(b *testing.B) {
	for _, d := range []string{store.SQLite, store.Postgres, store.MySQL} {
		b.Run(d, func(b *testing.B) {
			db := storetest.Open(b, d)
			ctx := context.Background()
			now := time.Now()
			var n atomic.Int64
			b.SetParallelism(32)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if ok, err := db.Claim(ctx, "slack-request", strconv.FormatInt(n.Add(1), 10), now, 11*time.Minute); !ok || err != nil {
						b.Error(ok, err)
						return
					}
				}
			})
		})
	}
}
