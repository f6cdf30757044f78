package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/opsgate/opsgate"
)

// wall is the chat posts land on, by text, with the replica that posted each.
type wall struct {
	mu    sync.Mutex
	count map[string]int
	by    map[string][]string
}

func newWall() *wall { return &wall{count: map[string]int{}, by: map[string][]string{}} }

func (w *wall) post(replica string, data []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.count[string(data)]++
	w.by[replica] = append(w.by[replica], string(data))
}

func (w *wall) n(text string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.count[text]
}

func (w *wall) total() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, c := range w.count {
		n += c
	}
	return n
}

func (w *wall) of(replica string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.by[replica]...)
}

// startPosts runs a poster replica on nc until the test ends; post is what it does with a message.
func startPosts(t *testing.T, nc *nats.Conn, o PostOptions) *Posts {
	t.Helper()
	p, err := NewPosts(nc, o)
	if err != nil {
		t.Fatal(err)
	}
	p.Start()
	t.Cleanup(func() { p.Close(context.Background()) })
	waitFor(t, "the posts stream", func() bool { return p.Ready(context.Background()) == nil })
	return p
}

// drained reports whether the posts stream holds nothing: every post was acked or given up, so
// nothing can be delivered again.
func drained(p *Posts) bool {
	s, err := p.js.Stream(context.Background(), p.stream)
	return err == nil && s.CachedInfo().State.Msgs == 0
}

func lastSeq(t *testing.T, p *Posts) uint64 {
	s, err := p.js.Stream(context.Background(), p.stream)
	if err != nil {
		t.Fatal(err)
	}
	return s.CachedInfo().State.LastSeq
}

func connect(t *testing.T, nc *nats.Conn) *nats.Conn {
	c, err := nats.Connect(nc.ConnectedUrl())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// Two replicas take posts from one consumer group. Posts published by either, some of them by
// both and some twice (st2's stream read by every replica; a webhook client's retry), are each
// posted exactly once; one published again after it was posted is not stored again.
func TestPostsEachPostedOnceAcrossReplicas(t *testing.T) {
	nc := natsURL(t)
	p := prefix(t, nc)
	w, c := newWall(), &claims{m: map[string]bool{}}
	opts := func(name string) PostOptions {
		return PostOptions{Prefix: p, Claim: c.claim, Unclaim: c.unclaim,
			Post: func(_ context.Context, data []byte) error { w.post(name, data); return nil }}
	}
	a := startPosts(t, nc, opts("a"))
	b := startPosts(t, connect(t, nc), opts("b"))
	const n = 60
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, data := fmt.Sprintf("ann-%d", i), fmt.Appendf(nil, "post %d", i)
			publishers := []*Posts{a}
			if i%3 == 0 {
				publishers = []*Posts{a, b, b}
			}
			for _, pub := range publishers {
				if err := pub.Publish(context.Background(), id, data); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	waitFor(t, "every post", func() bool { return w.total() >= n && drained(a) })
	seq := lastSeq(t, a)
	for i := 0; i < n; i += 3 { // again, after they were posted and acked
		if err := b.Publish(context.Background(), fmt.Sprintf("ann-%d", i), fmt.Appendf(nil, "post %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if got := lastSeq(t, a); got != seq {
		t.Fatalf("posts published again within the duplicates window were stored: last sequence %d, was %d", got, seq)
	}
	for i := range n {
		if got := w.n(fmt.Sprintf("post %d", i)); got != 1 {
			t.Errorf("post %d: posted %d times, want once", i, got)
		}
	}
	t.Logf("replica a posted %d, b %d", len(w.of("a")), len(w.of("b")))
}

// A post the chat platform refuses twice is retried and posted once, on the third delivery.
func TestPostFailingTwiceIsPostedOnce(t *testing.T) {
	nc := natsURL(t)
	w, c := newWall(), &claims{m: map[string]bool{}}
	var mu sync.Mutex
	tries := 0
	retried := testutil.ToFloat64(postsTotal.WithLabelValues("retried"))
	p := startPosts(t, nc, PostOptions{Prefix: prefix(t, nc), Claim: c.claim, Unclaim: c.unclaim, RetryDelay: 10 * time.Millisecond,
		Post: func(_ context.Context, data []byte) error {
			mu.Lock()
			defer mu.Unlock()
			if tries++; tries <= 2 {
				return errors.New("slack: 503 Service Unavailable")
			}
			w.post("a", data)
			return nil
		}})
	if err := p.Publish(context.Background(), "flaky-1", []byte("deployed")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the post", func() bool { return w.n("deployed") == 1 && drained(p) })
	mu.Lock()
	defer mu.Unlock()
	if tries != 3 || w.n("deployed") != 1 {
		t.Fatalf("%d tries, posted %d times: want 3 tries and one post", tries, w.n("deployed"))
	}
	if got := testutil.ToFloat64(postsTotal.WithLabelValues("retried")) - retried; got != 2 {
		t.Fatalf("retried counted %v times, want 2", got)
	}
}

// A replica that took a post and died before posting it (its connection gone, nothing acked):
// after the ack wait another replica posts it, once.
func TestPostOfDeadReplicaIsPostedByAnother(t *testing.T) {
	nc := natsURL(t)
	p := prefix(t, nc)
	w, c := newWall(), &claims{m: map[string]bool{}}
	taken, release := make(chan struct{}), make(chan struct{})
	dying := connect(t, nc)
	d := startPosts(t, dying, PostOptions{Prefix: p, Claim: c.claim, Unclaim: c.unclaim, AckWait: time.Second,
		Post: func(context.Context, []byte) error {
			close(taken)
			<-release
			return errors.New("the process died")
		}})
	t.Cleanup(func() { close(release) }) // runs before d's Close, which waits for it
	if err := d.Publish(context.Background(), "ann-dead", []byte("backup done")); err != nil {
		t.Fatal(err)
	}
	<-taken
	dying.Close() // it can neither ack, nor hand back, nor report progress
	startPosts(t, nc, PostOptions{Prefix: p, Claim: c.claim, Unclaim: c.unclaim, AckWait: time.Second,
		Post: func(_ context.Context, data []byte) error { w.post("other", data); return nil }})
	waitFor(t, "the other replica to post it", func() bool { return w.n("backup done") == 1 })
	waitFor(t, "the stream to drain", func() bool {
		s, err := nc.JetStream()
		if err != nil {
			return false
		}
		info, err := s.StreamInfo(p + "_POSTS")
		return err == nil && info.State.Msgs == 0
	})
	if got := w.of("other"); len(got) != 1 {
		t.Fatalf("the other replica posted %q, want it once", got)
	}
}

// triesUntilGivenUp publishes one post whose every attempt fails with err and returns how many
// attempts were made by the time it was given up (counted) and gone from the stream.
func triesUntilGivenUp(t *testing.T, maxDeliver int, err error) int {
	nc := natsURL(t)
	c := &claims{m: map[string]bool{}}
	var tries atomic.Int32
	givenUp := testutil.ToFloat64(postsTotal.WithLabelValues("given_up"))
	p := startPosts(t, nc, PostOptions{Prefix: prefix(t, nc), Claim: c.claim, Unclaim: c.unclaim,
		MaxDeliver: maxDeliver, RetryDelay: 10 * time.Millisecond,
		Post: func(context.Context, []byte) error { tries.Add(1); return err }})
	if err := p.Publish(context.Background(), "", []byte("to nowhere")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the post to be given up", func() bool {
		return testutil.ToFloat64(postsTotal.WithLabelValues("given_up"))-givenUp == 1 && drained(p)
	})
	return int(tries.Load())
}

// A post that keeps failing is given up at MaxDeliver, counted, and not posted nor delivered again.
func TestPostGivenUpAfterMaxDeliver(t *testing.T) {
	if tries := triesUntilGivenUp(t, 3, errors.New("slack: channel_not_found")); tries != 2 {
		t.Fatalf("tried %d times, want MaxDeliver-1 = 2", tries)
	}
}

// A post that can never be posted (no such platform: EINVALID) is given up at once.
func TestInvalidPostGivenUpAtOnce(t *testing.T) {
	if tries := triesUntilGivenUp(t, 0, opsgate.Errorf(opsgate.EINVALID, "A whisper needs a user.")); tries != 1 {
		t.Fatalf("tried %d times, want 1", tries)
	}
}

// A replica that does not serve a post's platform hands it back; one that does posts it.
func TestPostHandedBackToAReplicaThatCanPost(t *testing.T) {
	nc := natsURL(t)
	p := prefix(t, nc)
	w, c := newWall(), &claims{m: map[string]bool{}}
	handedBack := testutil.ToFloat64(postsTotal.WithLabelValues("handed_back"))
	a := startPosts(t, nc, PostOptions{Prefix: p, Claim: c.claim, Unclaim: c.unclaim,
		Post: func(context.Context, []byte) error { return fmt.Errorf("platform discord: %w", ErrNotHere) }})
	if err := a.Publish(context.Background(), "ann-discord", []byte("to discord")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the hand-back", func() bool { return testutil.ToFloat64(postsTotal.WithLabelValues("handed_back"))-handedBack >= 1 })
	a.Stop() // else it may take the post again, each time a delivery nearer MaxDeliver
	startPosts(t, connect(t, nc), PostOptions{Prefix: p, Claim: c.claim, Unclaim: c.unclaim,
		Post: func(_ context.Context, data []byte) error { w.post("b", data); return nil }})
	waitFor(t, "the post", func() bool { return w.n("to discord") == 1 && drained(a) })
	if got := w.n("to discord"); got != 1 {
		t.Fatalf("posted %d times", got)
	}
}

// Publish refuses at once, with ErrUnavailable, while NATS is away: nothing is queued.
func TestPublishWithoutNATS(t *testing.T) {
	nc := natsURL(t)
	c := &claims{m: map[string]bool{}}
	gone := connect(t, nc)
	p := startPosts(t, gone, PostOptions{Prefix: prefix(t, nc), Claim: c.claim, Unclaim: c.unclaim,
		Post: func(context.Context, []byte) error { return nil }})
	gone.Close()
	if err := p.Publish(context.Background(), "x", []byte("x")); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("publish without NATS: %v, want ErrUnavailable", err)
	}
}
