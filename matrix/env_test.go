package matrix

import (
	"cmp"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit/kittest"
	"github.com/opsgate/opsgate/matrixfake"
	"github.com/opsgate/opsgate/metrics"
)

var rejected = metrics.RequestsRejected.MustCurryWith(prometheus.Labels{"platform": "matrix"})

const (
	botToken   = "syt_b3BzZ2F0ZQ_bot"
	aliceToken = "syt_YWxpY2U_alice"
)

// env is a fake homeserver with the bot and alice, and a bot on it feeding a stand-in pipeline.
type env struct {
	*kittest.Clock
	*kittest.Pipeline
	hs     *matrixfake.Server
	bot    *Bot
	botID  string
	alice  string
	sleeps *kittest.Sleeps
}

func newEnv(t *testing.T, o Options) *env {
	t.Helper()
	e := &env{Clock: kittest.NewClock(), hs: matrixfake.New("example.org"), sleeps: &kittest.Sleeps{}}
	t.Cleanup(e.hs.Close)
	e.hs.Now = e.Clock.Now
	e.botID, e.alice = e.hs.AddUser("opsgate", botToken), e.hs.AddUser("alice", aliceToken)
	e.Pipeline = kittest.NewPipeline(t, func(req *opsgate.Request, words []string) opsgate.Message {
		return opsgate.Textf("**ran** `%s`", req.Text)
	})
	o.Homeserver, o.AccessToken, o.Handle = e.hs.URL, cmp.Or(o.AccessToken, botToken), e.Pipeline.Handle
	o.Now, o.Sleep, o.SyncTimeout = e.Clock.Now, e.sleeps.Sleep, 200*time.Millisecond
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	b, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	e.bot = b
	return e
}

// run starts the sync loop; it stops when the test ends. The error Run returned is sent on the
// channel.
func (e *env) run(t *testing.T) <-chan error {
	ctx, cancel := context.WithCancel(context.Background())
	errc, stopped := make(chan error, 1), make(chan struct{})
	go func() { errc <- e.bot.Run(ctx); close(stopped) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-stopped:
		case <-time.After(10 * time.Second):
			t.Error("Run did not stop")
		}
	})
	return errc
}

// room creates a room as alice with the bot invited.
func (e *env) room(name string) string { return e.hs.As(aliceToken).CreateRoom(name, e.botID) }

// waitFor polls cond until it holds, failing the test after 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// notices waits for n m.notice events from the bot in room and returns them.
func (e *env) notices(t *testing.T, room string, n int) []matrixfake.Event {
	t.Helper()
	var got []matrixfake.Event
	waitFor(t, "notices from the bot", func() bool {
		got = got[:0]
		for _, ev := range e.hs.Events(room) {
			if ev.Sender == e.botID && ev.Type == "m.room.message" {
				got = append(got, ev)
			}
		}
		return len(got) >= n
	})
	return got
}

// joined waits until the bot has joined room.
func (e *env) joined(t *testing.T, room string) {
	t.Helper()
	waitFor(t, "the bot to join", func() bool { return e.hs.Membership(room, e.botID) == "join" })
}

// claims is an in-memory stand-in for the database's claims, shared by replicas.
type claims struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (c *claims) Claim(_ context.Context, key string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]bool{}
	}
	if c.seen[key] {
		return false, nil
	}
	c.seen[key] = true
	return true, nil
}
