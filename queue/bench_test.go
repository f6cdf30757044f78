package queue

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
)

// BenchmarkSubmitToReply measures the queue's own cost per command on the machine's NATS: publish
// (waiting for JetStream to store it), pull, run (a no-op reply), record done (in memory here) and
// ack. Compare with the pipeline's benchmarks for the rest of the path.
func BenchmarkSubmitToReply(b *testing.B) {
	nc := natsURL(b)
	c := &claims{m: map[string]bool{}}
	var done atomic.Int64
	all := make(chan struct{})
	var want atomic.Int64
	q, err := New(nc, Options{Prefix: prefix(b, nc), Claim: c.claim, Unclaim: c.unclaim,
		Open: func(context.Context, *opsgate.Request) (opsgate.Dispatcher, error) { return nil, nil },
		Run: func(ctx context.Context, req *opsgate.Request, out opsgate.Dispatcher) (string, func()) {
			return "", func() {
				if done.Add(1) == want.Load() {
					close(all)
				}
			}
		}})
	if err != nil {
		b.Fatal(err)
	}
	want.Store(int64(b.N))
	q.Start()
	defer q.Close(context.Background())
	for q.Ready(context.Background()) != nil {
		time.Sleep(time.Millisecond)
	}
	b.SetParallelism(32) // publishers, as concurrent platform requests
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var i int
		for pb.Next() {
			i++
			if r := q.Submit(context.Background(), &opsgate.Request{ID: fmt.Sprintf("%p-%d", &i, i), Platform: "slack", UserID: "U1", Text: "ping"}); r != "" {
				b.Error(r)
				return
			}
		}
	})
	<-all
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commands/s")
}

// BenchmarkPosts measures the post queue's own cost per post on the machine's NATS: publish
// (waiting for JetStream to store it), pull, post (a no-op), record done (in memory here) and ack.
func BenchmarkPosts(b *testing.B) {
	nc := natsURL(b)
	c := &claims{m: map[string]bool{}}
	var done, want atomic.Int64
	all := make(chan struct{})
	p, err := NewPosts(nc, PostOptions{Prefix: prefix(b, nc), Claim: c.claim, Unclaim: c.unclaim,
		Post: func(context.Context, []byte) error {
			if done.Add(1) == want.Load() {
				close(all)
			}
			return nil
		}})
	if err != nil {
		b.Fatal(err)
	}
	want.Store(int64(b.N))
	p.Start()
	defer p.Close(context.Background())
	for p.Ready(context.Background()) != nil {
		time.Sleep(time.Millisecond)
	}
	data := []byte(`{"source":"st2","announcement":{"Platform":"slack","Channel":"C1","Message":"deployed"}}`)
	b.SetParallelism(8) // the webhook's clients and every replica's st2 stream
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var i int
		for pb.Next() {
			i++
			if err := p.Publish(context.Background(), fmt.Sprintf("%p-%d", &i, i), data); err != nil {
				b.Error(err)
				return
			}
		}
	})
	<-all
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "posts/s")
}
