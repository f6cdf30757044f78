package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/kit/kittest"
)

// natsURL is the machine's NATS with JetStream: required when CI=true, else the test skips.
func natsURL(t testing.TB) *nats.Conn {
	t.Helper()
	url := os.Getenv("OPSGATE_TEST_NATS")
	if url == "" {
		url = "nats://127.0.0.1:4222"
	}
	nc, err := nats.Connect(url, nats.Timeout(2*time.Second))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("NATS is required when CI=true but unreachable at %s: %v", url, err)
		}
		t.Skipf("skipping: NATS unreachable at %s (%v); set CI=true to require it", url, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// prefix is a stream prefix of this test alone; its stream is deleted afterwards.
func prefix(t testing.TB, nc *nats.Conn) string {
	var b [6]byte
	rand.Read(b[:])
	p := "T" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		js, _ := nc.JetStream()
		js.DeleteStream(p + "_COMMANDS")
		js.DeleteStream(p + "_POSTS")
	})
	return p
}

// sink is a conversation that records what it was sent.
type sink struct {
	mu   sync.Mutex
	sent []string
}

func (s *sink) texts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sent...)
}

type conv struct {
	opsgate.Dispatcher
	s *sink
}

func (c conv) Send(_ context.Context, m opsgate.Message) (opsgate.MessageRef, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.s.sent = append(c.s.sent, kit.PlainText(m))
	return "", nil
}

// claims is the "finished" record, as the database keeps it.
type claims struct {
	mu sync.Mutex
	m  map[string]bool
}

func (c *claims) claim(_ context.Context, id string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m[id] {
		return false, nil
	}
	c.m[id] = true
	return true, nil
}

func (c *claims) unclaim(_ context.Context, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, id)
	return nil
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// A submitted command is run once and replied to, a platform retry with the same id is stored
// once, and a command whose first run finished is not run again when redelivered.
func TestSubmitRunsOnceAndDedupes(t *testing.T) {
	nc := natsURL(t)
	s, c := &sink{}, &claims{m: map[string]bool{}}
	var mu sync.Mutex
	runs := map[string]int{}
	q, err := New(nc, Options{Prefix: prefix(t, nc), Claim: c.claim, Unclaim: c.unclaim,
		Open: func(context.Context, *opsgate.Request) (opsgate.Dispatcher, error) { return conv{s: s}, nil },
		Run: func(ctx context.Context, req *opsgate.Request, out opsgate.Dispatcher) (string, func()) {
			mu.Lock()
			runs[req.ID]++
			mu.Unlock()
			out.Send(ctx, opsgate.Textf("ran %s for %s", req.Text, req.UserID))
			return "", func() {}
		}})
	if err != nil {
		t.Fatal(err)
	}
	q.Start()
	t.Cleanup(func() { q.Close(context.Background()) })
	waitFor(t, "the stream", func() bool { return q.Ready(context.Background()) == nil })

	req := &opsgate.Request{ID: "ev-1", Platform: "slack", OrgID: "T1", ChannelID: "C1", UserID: "U1", Text: "ping"}
	for range 3 { // the platform retries
		if r := q.Submit(context.Background(), req); r != "" {
			t.Fatalf("refused: %s", r)
		}
	}
	waitFor(t, "the reply", func() bool { return len(s.texts()) == 1 })
	if got := strings.TrimSpace(s.texts()[0]); got != "ran ping for U1" {
		t.Fatalf("reply %q", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if runs["ev-1"] != 1 {
		t.Fatalf("ran %d times", runs["ev-1"])
	}
}

// A worker that finished a command but lost its connection before acking it: the redelivery to
// another worker is recognised as done and neither run nor replied to again.
func TestRedeliveryOfFinishedCommandIsNotRunAgain(t *testing.T) {
	nc := natsURL(t)
	p := prefix(t, nc)
	s, c := &sink{}, &claims{m: map[string]bool{}}
	var mu sync.Mutex
	runs := 0
	release := make(chan struct{})
	opts := func(wait func()) Options {
		return Options{Prefix: p, Claim: c.claim, Unclaim: c.unclaim, AckWait: time.Second,
			Open: func(context.Context, *opsgate.Request) (opsgate.Dispatcher, error) { return conv{s: s}, nil },
			Run: func(ctx context.Context, req *opsgate.Request, out opsgate.Dispatcher) (string, func()) {
				mu.Lock()
				runs++
				mu.Unlock()
				out.Send(ctx, opsgate.Textf("done"))
				return "", wait
			}}
	}
	first, err := nats.Connect(nc.ConnectedUrl())
	if err != nil {
		t.Fatal(err)
	}
	q1, _ := New(first, opts(func() { <-release }))
	q1.Start()
	waitFor(t, "the stream", func() bool { return q1.Ready(context.Background()) == nil })
	q1.Submit(context.Background(), &opsgate.Request{ID: "ev-9", Platform: "slack", ChannelID: "C1", UserID: "U1", Text: "ping"})
	waitFor(t, "the first run's reply", func() bool { return len(s.texts()) == 1 })
	first.Close() // its ack can no longer reach NATS
	close(release)
	q1.Close(context.Background())

	q2, _ := New(nc, opts(func() {}))
	q2.Start()
	t.Cleanup(func() { q2.Close(context.Background()) })
	waitFor(t, "the redelivery to be taken", func() bool {
		info, err := q2.js.Stream(context.Background(), p+"_COMMANDS")
		return err == nil && info.CachedInfo().State.Msgs == 0
	})
	mu.Lock()
	defer mu.Unlock()
	if runs != 1 || len(s.texts()) != 1 {
		t.Fatalf("runs %d, replies %d: want 1 each", runs, len(s.texts()))
	}
}

// A command that no replica finishes (each worker that takes it stops) is given up after
// MaxDeliver deliveries: logged as errored with the reason, and the user is told once.
func TestPoisonCommandIsLoggedAndTold(t *testing.T) {
	nc := natsURL(t)
	s, c := &sink{}, &claims{m: map[string]bool{}}
	log := &kittest.CommandLog{}
	var mu sync.Mutex
	runs := 0
	q, err := New(nc, Options{Prefix: prefix(t, nc), Claim: c.claim, Unclaim: c.unclaim, Log: log,
		AckWait: time.Second, MaxDeliver: 3,
		Open: func(context.Context, *opsgate.Request) (opsgate.Dispatcher, error) { return conv{s: s}, nil },
		Run: func(ctx context.Context, req *opsgate.Request, out opsgate.Dispatcher) (string, func()) {
			mu.Lock()
			runs++
			mu.Unlock()
			// Every replica that takes it is stopping: it is never finished nor acked.
			return "opsgate is restarting", func() {}
		}})
	if err != nil {
		t.Fatal(err)
	}
	q.Start()
	t.Cleanup(func() { q.Close(context.Background()) })
	waitFor(t, "the stream", func() bool { return q.Ready(context.Background()) == nil })
	q.Submit(context.Background(), &opsgate.Request{ID: "bad-1", Platform: "slack", ChannelID: "C1", UserID: "U1", Text: "deploy prod"})
	waitFor(t, "the user to be told", func() bool { return len(s.texts()) == 1 })
	if got := s.texts()[0]; got == "" || !contains(got, "`deploy` could not be run") {
		t.Fatalf("told %q", got)
	}
	waitFor(t, "the command log entry", func() bool { return len(log.All()) > 0 })
	e := log.All()[0]
	if e.Status != opsgate.StatusErrored || e.Command != "deploy" || !contains(e.Details, "given up after 2 deliveries") {
		t.Fatalf("log entry %+v", e)
	}
	mu.Lock()
	defer mu.Unlock()
	if runs != 2 {
		t.Fatalf("run %d times, want MaxDeliver-1 = 2", runs)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// A stopping replica (SIGTERM: its pipeline refuses new work while running ones finish) takes no
// more commands, so it does not bounce them until MaxDeliver gives them up: another replica runs them.
func TestStoppedWorkerTakesNothing(t *testing.T) {
	nc := natsURL(t)
	p := prefix(t, nc)
	s, c := &sink{}, &claims{m: map[string]bool{}}
	var mu sync.Mutex
	ran := map[string]int{}
	opts := func(name string) Options {
		return Options{Prefix: p, Claim: c.claim, Unclaim: c.unclaim, MaxDeliver: 2,
			Open: func(context.Context, *opsgate.Request) (opsgate.Dispatcher, error) { return conv{s: s}, nil },
			Run: func(ctx context.Context, req *opsgate.Request, out opsgate.Dispatcher) (string, func()) {
				mu.Lock()
				ran[name]++
				mu.Unlock()
				out.Send(ctx, opsgate.Textf("done by %s", name))
				return "", func() {}
			}}
	}
	stopping, _ := New(nc, opts("stopping"))
	stopping.Start()
	waitFor(t, "the stream", func() bool { return stopping.Ready(context.Background()) == nil })
	stopping.Stop()
	for i := range 3 {
		if r := stopping.Submit(context.Background(), &opsgate.Request{ID: fmt.Sprint("s", i), Platform: "slack", UserID: "U1", Text: "ping"}); r != "" {
			t.Fatal(r)
		}
	}
	other, _ := New(nc, opts("other"))
	other.Start()
	t.Cleanup(func() { other.Close(context.Background()); stopping.Close(context.Background()) })
	waitFor(t, "the replies", func() bool { return len(s.texts()) == 3 })
	mu.Lock()
	defer mu.Unlock()
	if ran["stopping"] != 0 || ran["other"] != 3 {
		t.Fatalf("runs %v: want all 3 by the replica not stopping", ran)
	}
}

// The stream is input like any other: a queued request claiming to run under an approval or a
// schedule (set only by opsgate itself, never queued) runs as a plain request.
func TestQueuedRequestCarriesNoApproval(t *testing.T) {
	nc := natsURL(t)
	c := &claims{m: map[string]bool{}}
	got := make(chan opsgate.Request, 1)
	q, _ := New(nc, Options{Prefix: prefix(t, nc), Claim: c.claim, Unclaim: c.unclaim,
		Open: func(context.Context, *opsgate.Request) (opsgate.Dispatcher, error) { return conv{s: &sink{}}, nil },
		Run: func(ctx context.Context, req *opsgate.Request, out opsgate.Dispatcher) (string, func()) {
			got <- *req
			return "", func() {}
		}})
	q.Start()
	t.Cleanup(func() { q.Close(context.Background()) })
	waitFor(t, "the stream", func() bool { return q.Ready(context.Background()) == nil })
	q.Submit(context.Background(), &opsgate.Request{ID: "a-1", Platform: "slack", UserID: "U1", Text: "deploy", Approval: 7, Schedule: 3})
	select {
	case r := <-got:
		if r.Approval != 0 || r.Schedule != 0 || r.Text != "deploy" {
			t.Fatalf("ran %+v", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("not run")
	}
}
