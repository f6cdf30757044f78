package store_test

import (
	"context"
	"strconv"
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
