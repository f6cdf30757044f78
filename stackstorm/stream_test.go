package stackstorm

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

type sink struct {
	mu  sync.Mutex
	got []Announcement
}

func (s *sink) deliver(_ context.Context, a Announcement) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, a)
	return nil
}

func (s *sink) messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, a := range s.got {
		out = append(out, a.Message)
	}
	return out
}

func startStream(t *testing.T, st *Stream) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = st.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func TestStreamDeliversAnnouncementsForItsRoute(t *testing.T) {
	s := newFake(t, nil)
	out := &sink{}
	st := &Stream{Client: newClient(s, nil), Route: "opsgate", Deliver: out.deliver, Platforms: []string{"slack", "terminal"}}
	startStream(t, st)
	waitFor(t, "stream", func() bool { return s.Streams() == 1 })
	s.Announce("chatops", map[string]any{"channel": "slack:C9", "message": "wrong route"})
	s.Announce("opsgate", map[string]any{"channel": "slack:C1", "user": "slack:U7", "message": "Deploy{~}done", "whisper": true,
		"extra": map[string]any{"slack": map[string]any{"color": "good"}}})
	waitFor(t, "delivery", func() bool { return len(out.messages()) == 1 })
	a := out.got[0]
	if a.Platform != "slack" || a.Channel != "C1" || a.User != "U7" || !a.Whisper || a.Pretext != "Deploy" || a.Message != "done" ||
		a.Extra["slack"].(map[string]any)["color"] != "good" {
		t.Fatalf("announcement = %+v", a)
	}
	if got := s.CallsTo("/stream/v1/stream")[0]; got.Header.Get("Accept") != "text/event-stream" || got.User != "bot" {
		t.Fatalf("stream request = %+v", got)
	}
}

func TestStreamReconnectsAfterDropAndReauthenticates(t *testing.T) {
	s := newFake(t, nil)
	out := &sink{}
	st := &Stream{Client: newClient(s, nil), Route: "opsgate", Deliver: out.deliver, MinBackoff: 10 * time.Millisecond}
	startStream(t, st)
	waitFor(t, "stream", func() bool { return s.Streams() == 1 })
	s.Announce("opsgate", map[string]any{"channel": "C1", "message": "one"})
	waitFor(t, "one", func() bool { return len(out.messages()) == 1 })

	// The token expires while the stream is open (st2 does not cut it), then the stream drops:
	// the reconnect gets 401, fetches a new token and carries on.
	s.ExpireTokens()
	s.DropStreams()
	waitFor(t, "reconnect", func() bool { return s.Streams() == 1 && st.Status().Connected })
	s.Announce("opsgate", map[string]any{"channel": "C1", "message": "two"})
	waitFor(t, "two", func() bool { return len(out.messages()) == 2 })
	if n := len(s.CallsTo("/auth/v1/tokens")); n != 2 {
		t.Fatalf("token requests = %d, want 2", n)
	}
	var refused int
	for _, c := range s.CallsTo("/stream/v1/stream") {
		if c.User == "" {
			refused++
		}
	}
	if refused != 1 || st.Status().Reconnects < 1 {
		t.Fatalf("refused stream connects = %d, reconnects = %d", refused, st.Status().Reconnects)
	}
}

func TestStreamHeartbeatTimeoutReconnects(t *testing.T) {
	s := newFake(t, nil)
	out := &sink{}
	st := &Stream{Client: newClient(s, nil), Route: "opsgate", Deliver: out.deliver, HeartbeatTimeout: 200 * time.Millisecond,
		MinBackoff: 10 * time.Millisecond}
	startStream(t, st)
	waitFor(t, "stream", func() bool { return s.Streams() == 1 })
	time.Sleep(300 * time.Millisecond) // heartbeats every 50 ms keep it alive
	if st.Status().Reconnects != 0 {
		t.Fatalf("reconnected despite heartbeats")
	}
	s.PauseHeartbeats(true)
	waitFor(t, "watchdog reconnect", func() bool { return st.Status().Reconnects >= 1 })
	s.PauseHeartbeats(false)
	waitFor(t, "stream", func() bool { return s.Streams() >= 1 && st.Status().Connected })
	s.DropStreams() // the stale server-side connections
	waitFor(t, "stream", func() bool { return s.Streams() == 1 })
	s.Announce("opsgate", map[string]any{"channel": "C1", "message": "after stall"})
	waitFor(t, "delivery", func() bool { return len(out.messages()) == 1 })
}

func TestStreamLastEventIDReplayIsNotPostedTwice(t *testing.T) {
	s := newFake(t, nil)
	s.EventIDs = true
	out := &sink{}
	st := &Stream{Client: newClient(s, nil), Route: "opsgate", Deliver: out.deliver, MinBackoff: 10 * time.Millisecond}
	startStream(t, st)
	waitFor(t, "stream", func() bool { return s.Streams() == 1 })
	for i := range 3 {
		s.Announce("opsgate", map[string]any{"channel": "C1", "message": fmt.Sprint("m", i)})
	}
	waitFor(t, "3", func() bool { return len(out.messages()) == 3 })
	s.DropStreams()
	// Published while disconnected: replayed after Last-Event-ID.
	s.Announce("opsgate", map[string]any{"channel": "C1", "message": "m3"})
	waitFor(t, "4", func() bool { return len(out.messages()) == 4 })
	calls := s.CallsTo("/stream/v1/stream")
	if calls[len(calls)-1].Header.Get("Last-Event-ID") != "3" {
		t.Fatalf("Last-Event-ID = %q", calls[len(calls)-1].Header.Get("Last-Event-ID"))
	}
	time.Sleep(50 * time.Millisecond)
	if got := strings.Join(out.messages(), ","); got != "m0,m1,m2,m3" {
		t.Fatalf("delivered %s", got)
	}
}

func TestStreamDedupesIdenticalPayloads(t *testing.T) {
	s := newFake(t, nil)
	out := &sink{}
	st := &Stream{Client: newClient(s, nil), Route: "opsgate", Deliver: out.deliver}
	startStream(t, st)
	waitFor(t, "stream", func() bool { return s.Streams() == 1 })
	p := map[string]any{"channel": "C1", "message": "same", "context": map[string]any{"execution_id": "e1"}}
	s.Announce("opsgate", p)
	s.Announce("opsgate", p)
	s.Announce("opsgate", map[string]any{"channel": "C1", "message": "other"})
	waitFor(t, "2", func() bool { return len(out.messages()) == 2 })
	time.Sleep(30 * time.Millisecond)
	if got := strings.Join(out.messages(), ","); got != "same,other" || st.Status().Duplicates != 1 {
		t.Fatalf("delivered %s, duplicates %d", got, st.Status().Duplicates)
	}
}

// BenchmarkStreamLatency measures publish-to-Deliver latency through the real fake st2 stream
// (HTTP, SSE framing, parsing, dedupe, queue) at 500 announcements per second.
func BenchmarkStreamLatency(b *testing.B) {
	s := newFake(b, nil)
	s.HeartbeatInterval = time.Second
	var mu sync.Mutex
	sent := map[string]time.Time{}
	lat := make([]time.Duration, 0, b.N)
	done := make(chan struct{})
	deliver := func(_ context.Context, a Announcement) error {
		now := time.Now()
		mu.Lock()
		lat = append(lat, now.Sub(sent[a.Message]))
		n := len(lat)
		mu.Unlock()
		if n == b.N {
			close(done)
		}
		return nil
	}
	st := &Stream{Client: newClient(s, nil), Route: "opsgate", Deliver: deliver}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = st.Run(ctx) }()
	waitFor(b, "stream", func() bool { return s.Streams() == 1 })
	b.ResetTimer()
	tick := time.NewTicker(2 * time.Millisecond) // 500/s
	defer tick.Stop()
	for i := 0; i < b.N; i++ {
		<-tick.C
		msg := fmt.Sprint("announcement ", i)
		mu.Lock()
		sent[msg] = time.Now()
		mu.Unlock()
		s.Announce("opsgate", map[string]any{"channel": "slack:C1", "user": "slack:U1", "message": msg,
			"extra": map[string]any{"slack": map[string]any{"color": "good"}}})
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		b.Fatalf("delivered %d of %d", len(lat), b.N)
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}

// A replica that does not serve an announcement's platform neither claims nor posts it, so the
// claim is left to a replica that can post it.
func TestStreamLeavesOtherPlatformsUnclaimed(t *testing.T) {
	s := newFake(t, nil)
	out := &sink{}
	var mu sync.Mutex
	var claimed []string
	st := &Stream{Client: newClient(s, nil), Route: "opsgate", Deliver: out.deliver, Platforms: []string{"slack", "terminal"},
		Accepts: func(a Announcement) bool { return a.Platform == "terminal" },
		Claim: func(_ context.Context, key string, _ time.Time) (bool, error) {
			mu.Lock()
			defer mu.Unlock()
			claimed = append(claimed, key)
			return true, nil
		}}
	startStream(t, st)
	waitFor(t, "stream", func() bool { return s.Streams() == 1 })
	s.Announce("opsgate", map[string]any{"channel": "slack:C1", "message": "for slack"})
	s.Announce("opsgate", map[string]any{"channel": "terminal:ops", "message": "for the terminal"})
	waitFor(t, "delivery", func() bool { return len(out.messages()) == 1 })
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if got := out.messages(); len(got) != 1 || got[0] != "for the terminal" || len(claimed) != 1 {
		t.Fatalf("delivered %q, claimed %d", got, len(claimed))
	}
}

// Two replicas share a database: claims run concurrently, yet every announcement is posted once,
// by one of them, and each replica posts in stream order.
func TestStreamReplicasPostEachAnnouncementOnceInOrder(t *testing.T) {
	s := newFake(t, nil)
	claims := store.NewSt2Service(storetest.Open(t, store.SQLite))
	var outs [2]sink
	for i := range outs {
		st := &Stream{Client: newClient(s, nil), Route: "opsgate", Deliver: outs[i].deliver, Platforms: []string{"slack"},
			Claim: func(ctx context.Context, key string, at time.Time) (bool, error) {
				return claims.ClaimAnnouncement(ctx, key, at, 10*time.Minute)
			}}
		startStream(t, st)
	}
	waitFor(t, "streams", func() bool { return s.Streams() == 2 })
	const n = 300
	for i := range n {
		s.Announce("opsgate", map[string]any{"channel": "slack:C1", "message": fmt.Sprintf("announcement %03d", i)})
	}
	waitFor(t, "delivery", func() bool { return len(outs[0].messages())+len(outs[1].messages()) >= n })
	time.Sleep(50 * time.Millisecond) // a duplicate would arrive now
	seen := map[string]bool{}
	for i := range outs {
		got := outs[i].messages()
		if !sort.StringsAreSorted(got) {
			t.Fatalf("replica %d posted out of order: %q", i, got)
		}
		for _, m := range got {
			if seen[m] {
				t.Fatalf("%q posted twice", m)
			}
			seen[m] = true
		}
	}
	if len(seen) != n {
		t.Fatalf("posted %d of %d", len(seen), n)
	}
}
