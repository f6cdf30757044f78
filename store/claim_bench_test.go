package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
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
	eachDBParallel(b, func(ctx context.Context, db *store.DB, _ *store.CommandLogService, i int64, now time.Time) error {
		if ok, err := db.Claim(ctx, "slack-request", strconv.FormatInt(i, 10), now, 11*time.Minute); !ok || err != nil {
			return fmt.Errorf("claim: %v %v", ok, err)
		}
		return nil
	})
}

// BenchmarkClaimAndLogConcurrent is the database work of a busy server's commands: each op is
// one request's replay claim (on its ack path) and its command-log entry (after its reply),
// 32 at once.
func BenchmarkClaimAndLogConcurrent(b *testing.B) {
	eachDBParallel(b, func(ctx context.Context, db *store.DB, log *store.CommandLogService, i int64, now time.Time) error {
		if ok, err := db.Claim(ctx, "slack-request", signedKey(now, i), now, 11*time.Minute); !ok || err != nil {
			return fmt.Errorf("claim: %v %v", ok, err)
		}
		return log.CreateCommandLogEntry(ctx, &opsgate.CommandLogEntry{Start: now, Platform: "slack", UserID: "U" + strconv.FormatInt(i, 10), Command: "whoami", Status: "succeeded"})
	})
}

// BenchmarkCommandLogConcurrent is the command log alone under load: 32 replies at once, each
// writing its entry.
func BenchmarkCommandLogConcurrent(b *testing.B) {
	eachDBParallel(b, func(ctx context.Context, _ *store.DB, log *store.CommandLogService, i int64, now time.Time) error {
		return log.CreateCommandLogEntry(ctx, &opsgate.CommandLogEntry{Start: now, Platform: "slack", UserID: "U" + strconv.FormatInt(i, 10),
			Command: "whoami", Params: map[string]string{"verbose": "true"}, Status: "succeeded"})
	})
}

// eachDBParallel runs op on each database, 32 at once, reporting allocations and CPU per op; i
// numbers the ops from 1 across goroutines.
func eachDBParallel(b *testing.B, op func(ctx context.Context, db *store.DB, log *store.CommandLogService, i int64, now time.Time) error) {
	for _, d := range []string{store.SQLite, store.Postgres, store.MySQL} {
		b.Run(d, func(b *testing.B) {
			db := storetest.Open(b, d)
			log := store.NewCommandLogService(db)
			ctx := context.Background()
			now := time.Now()
			var n atomic.Int64
			b.ReportAllocs()
			defer reportCPU(b)()
			b.SetParallelism(32)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := op(ctx, db, log, n.Add(1), now); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// reportCPU, deferred, reports the process's CPU time per op ("cpu-ns/op"): a parallel
// benchmark's ns/op is elapsed time, and CPU is what a busy server runs out of. The server's own
// CPU (PostgreSQL, MySQL) is not in it.
func reportCPU(b *testing.B) func() {
	start := processCPU()
	return func() {
		if end := processCPU(); start >= 0 && end >= 0 {
			b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

// signedKey is a replay key as the Slack adapter claims it: the request's own timestamp, then
// its signature (64 hex digits, as random as a key can be).
func signedKey(now time.Time, i int64) string {
	sum := sha256.Sum256([]byte(strconv.FormatInt(i, 10)))
	return strconv.FormatInt(now.Unix(), 10) + ":" + hex.EncodeToString(sum[:])
}
