package main

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/opsgate/opsgate/st2fake"
	"github.com/opsgate/opsgate/stackstorm"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

// BenchmarkStreamToDeliver is the production path of an announcement at 500/s: fake st2's stream over
// HTTP, parsing, local dedupe, the cross-replica claim in the database, then Deliver. p50/p99 are the
// publish-to-Deliver latencies.
func BenchmarkStreamToDeliver(b *testing.B) {
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		b.Run(dialect, func(b *testing.B) {
			s := st2fake.New()
			defer s.Close()
			s.AddUser("bot", st2fake.User{Password: "pw"})
			db := storetest.Open(b, dialect)
			claims := store.NewSt2Service(db)
			c := &stackstorm.Client{AuthURL: s.AuthURL(), APIURL: s.APIURL(), StreamURL: s.StreamURL()}
			c.HTTP, c.StreamHTTP = stackstorm.NewHTTPClients(true, 5*time.Second)
			c.Auth = &stackstorm.PasswordAuth{Client: c, Username: "bot", Password: "pw"}
			var mu sync.Mutex
			sent := map[string]time.Time{}
			lat := make([]time.Duration, 0, b.N)
			done := make(chan struct{})
			st := &stackstorm.Stream{Client: c, Route: "opsgate", Platforms: knownPlatforms(),
				Claim: func(ctx context.Context, key string, at time.Time) (bool, error) {
					return claims.ClaimAnnouncement(ctx, key, at, 10*time.Minute)
				},
				Deliver: func(_ context.Context, a stackstorm.Announcement) error {
					now := time.Now()
					mu.Lock()
					lat = append(lat, now.Sub(sent[a.Message]))
					n := len(lat)
					mu.Unlock()
					if n == b.N {
						close(done)
					}
					return nil
				}}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() { _ = st.Run(ctx) }()
			for s.Streams() == 0 {
				time.Sleep(time.Millisecond)
			}
			b.ResetTimer()
			tick := time.NewTicker(2 * time.Millisecond)
			defer tick.Stop()
			for i := 0; i < b.N; i++ {
				<-tick.C
				msg := fmt.Sprint("announcement ", i)
				mu.Lock()
				sent[msg] = time.Now()
				mu.Unlock()
				s.Announce("opsgate", map[string]any{"channel": "slack:C1", "message": msg})
			}
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				b.Fatalf("delivered %d of %d", len(lat), b.N)
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
