package stackstorm

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsgate/opsgate/st2fake"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

// BenchmarkStreamClaimed is the stream as serve runs it, as fast as st2 can publish: fake st2's
// stream over HTTP, parsing, local dedupe, the cross-replica claim in a real database, then an
// instant Deliver. ns/op is the time per announcement: what bounds the announcement rate before
// the chat platform's own round trip.
func BenchmarkStreamClaimed(b *testing.B) {
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		b.Run(dialect, func(b *testing.B) {
			s := st2fake.New()
			defer s.Close()
			s.AddAPIKey("bot", "key")
			db := storetest.Open(b, dialect)
			claims := store.NewSt2Service(db)
			c := &Client{AuthURL: s.AuthURL(), APIURL: s.APIURL(), StreamURL: s.StreamURL(),
				Auth: &StaticAuth{Cred: Credential{Kind: KindAPIKey, Value: "key"}}}
			c.HTTP, c.StreamHTTP = NewHTTPClients(true, 5*time.Second)
			var n atomic.Int64
			done := make(chan struct{})
			st := &Stream{Client: c, Route: "opsgate", Platforms: []string{"slack"},
				Claim: func(ctx context.Context, key string, at time.Time) (bool, error) {
					return claims.ClaimAnnouncement(ctx, key, at, 10*time.Minute)
				},
				Deliver: func(context.Context, Announcement) error {
					if n.Add(1) == int64(b.N) {
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
			for i := 0; i < b.N; i++ {
				s.Announce("opsgate", map[string]any{"channel": "slack:C1", "message": "announcement " + strconv.Itoa(i)})
			}
			select {
			case <-done:
			case <-time.After(time.Minute):
				b.Fatalf("delivered %d of %d", n.Load(), b.N)
			}
		})
	}
}
