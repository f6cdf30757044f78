package store_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

// BenchmarkCommitBatch is the group commit leader's work for one batch of a busy server's writes
// (claims of new keys, command-log entries, or both), without the scheduling of the callers
// that queue them: what the database's one writer spends per write ("ns/write").
func BenchmarkCommitBatch(b *testing.B) {
	for _, d := range []string{store.SQLite, store.Postgres, store.MySQL} {
		for _, mix := range []struct {
			name           string
			claims, logged int
		}{{"claims", 32, 0}, {"log", 0, 32}, {"both", 16, 16}, {"both", 64, 64}} {
			size := mix.claims + mix.logged
			b.Run(d+"/"+mix.name+"/"+strconv.Itoa(size), func(b *testing.B) {
				db := storetest.Open(b, d)
				ctx := context.Background()
				now := time.Now()
				var n int64
				b.ReportAllocs()
				defer reportCPU(b)()
				for b.Loop() {
					keys := make([]string, mix.claims)
					for i := range keys {
						n++
						keys[i] = signedKey(now, n)
					}
					entries := make([]*opsgate.CommandLogEntry, mix.logged)
					for i := range entries {
						n++
						entries[i] = &opsgate.CommandLogEntry{Start: now, Platform: "slack", UserID: "U" + strconv.FormatInt(n, 10),
							Command: "whoami", Params: map[string]string{"verbose": "true"}, Status: "succeeded"}
					}
					if err := db.CommitWrites(ctx, keys, entries); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*size), "ns/write")
			})
		}
	}
}
