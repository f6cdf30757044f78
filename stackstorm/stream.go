package stackstorm

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Stream keeps one connection to st2's event stream (GET /stream/v1/stream) and hands every
// st2.announcement__<Route> event to Deliver, in order, once.
//
// What st2 allows: st2stream numbers nothing (no "id:" lines) and replays nothing, so an
// announcement published while the connection is down is lost on st2's side; Stream reconnects at
// once after a drop (backoff only when reconnects fail) to keep that window small, sends
// Last-Event-ID whenever the server did send ids (a replaying proxy can then fill the gap), and
// drops duplicates by id, or by payload hash within DedupeWindow, so a replay is never posted twice.
type Stream struct {
	Client *Client
	// Route is the announcement route (stackstorm.route): events st2.announcement__<Route>.
	Route string
	// Deliver posts one announcement; it is called from a single goroutine, in stream order.
	Deliver func(ctx context.Context, a Announcement) error
	// Platforms are the names recognised as a "platform:" channel prefix.
	Platforms []string
	Logger    *slog.Logger
	// HeartbeatTimeout: st2 writes a heartbeat every 25 s; silence longer than this (default 60 s)
	// means a dead connection (a NAT or proxy dropped it without a FIN), so it is closed and reopened.
	HeartbeatTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait between failed connection attempts (defaults 500 ms, 30 s).
	MinBackoff, MaxBackoff time.Duration
	// DedupeWindow is how long a delivered payload's hash is remembered (default 10 min). Identical
	// announcements within it (same channel, user, message, extra and context) are posted once.
	DedupeWindow time.Duration
	// Queue is the number of announcements read but not yet delivered (default 4096); when full,
	// reading pauses (the heartbeat watchdog is paused with it).
	Queue int
	// Claim, when set, makes delivery exactly-once across replicas: each replica keeps its own
	// stream, and only the one whose Claim of the event's key succeeds posts it. A Claim error
	// posts anyway: a rare duplicate is better than a lost announcement. Claims run concurrently
	// (claimWorkers at once), so a database commits many in one transaction; posts still follow
	// stream order.
	Claim func(ctx context.Context, key string, at time.Time) (bool, error)
	// Accepts, when set, reports whether this replica can post a (it serves a's platform). An
	// announcement it cannot post is left unclaimed, for a replica that can.
	Accepts func(a Announcement) bool
	Now     func() time.Time

	connected  atomic.Bool
	lastEvent  atomic.Int64 // unix nanos of the last announcement received
	lastLine   atomic.Int64 // unix nanos of the last line (heartbeat included)
	reconnects atomic.Int64
	delivered  atomic.Int64
	duplicates atomic.Int64
	failed     atomic.Int64

	mu      sync.Mutex
	lastID  string
	seen    map[string]time.Time
	order   []seenEntry
	queue   chan *queued
	claims  chan claimJob
	claimWG sync.WaitGroup
}

// claimWorkers is how many claims run at once. One at a time, each announcement waited for a
// commit of its own (SQLite ~0.2 ms, PostgreSQL ~0.8 ms), which capped the stream below what chat
// takes. Long-lived workers rather than a goroutine per claim: the database drivers need deep
// stacks, and growing a fresh goroutine's stack each time cost more than the handoff.
const claimWorkers = 16

type claimJob struct {
	q   *queued
	key string
	at  time.Time
}

// queued is an announcement read and waiting to be posted; claimed is closed once its claim
// (if any) has decided won.
type queued struct {
	a       Announcement
	claimed chan struct{}
	won     bool
}

type seenEntry struct {
	key string
	at  time.Time
}

// StreamStatus is what the health check and the doctor report.
type StreamStatus struct {
	Connected       bool
	LastEvent       time.Time // zero: no announcement yet
	LastLine        time.Time
	Reconnects      int64
	Delivered       int64
	Duplicates      int64
	DeliveryFailure int64
}

// Status returns the stream's current state.
func (s *Stream) Status() StreamStatus {
	st := StreamStatus{Connected: s.connected.Load(), Reconnects: s.reconnects.Load(),
		Delivered: s.delivered.Load(), Duplicates: s.duplicates.Load(), DeliveryFailure: s.failed.Load()}
	if n := s.lastEvent.Load(); n != 0 {
		st.LastEvent = time.Unix(0, n)
	}
	if n := s.lastLine.Load(); n != 0 {
		st.LastLine = time.Unix(0, n)
	}
	return st
}

// EventName is the stream event carrying announcements for route.
func EventName(route string) string { return "st2.announcement__" + route }

func (s *Stream) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Stream) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func durationOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Run connects and reconnects until ctx ends; it returns ctx.Err().
func (s *Stream) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.seen == nil {
		s.seen = map[string]time.Time{}
	}
	s.queue = make(chan *queued, cmp.Or(max(s.Queue, 0), 4096))
	s.claims = make(chan claimJob)
	s.mu.Unlock()
	if s.Claim != nil {
		for range claimWorkers {
			s.claimWG.Add(1)
			go s.claimLoop(ctx)
		}
		defer s.claimWG.Wait()
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.deliverLoop(ctx)
	}()
	defer wg.Wait()

	minB, maxB := durationOr(s.MinBackoff, 500*time.Millisecond), durationOr(s.MaxBackoff, 30*time.Second)
	backoff := minB
	for ctx.Err() == nil {
		start := s.now()
		got, err := s.connect(ctx)
		s.connected.Store(false)
		streamConnected.Set(0)
		if ctx.Err() != nil {
			break
		}
		if got || s.now().Sub(start) > 30*time.Second {
			// A connection that worked dropped: reconnect at once, announcements are being missed.
			backoff = minB
			s.reconnects.Add(1)
			streamReconnects.Inc()
			s.logger().Warn("st2 stream dropped, reconnecting", "err", err)
			continue
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		s.logger().Warn("st2 stream connection failed", "err", err, "retry_in", wait)
		s.reconnects.Add(1)
		streamReconnects.Inc()
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		backoff = min(backoff*2, maxB)
	}
	return ctx.Err()
}

// errStalled is a connection closed by the heartbeat watchdog.
var errStalled = errors.New("st2 stream: no heartbeat")

// connect opens one stream connection and reads it until it ends. got reports whether the
// connection was accepted (200), which decides between an immediate reconnect and backoff.
func (s *Stream) connect(ctx context.Context) (got bool, err error) {
	auth := s.Client.Auth
	for attempt := 0; ; attempt++ {
		cred := Credential{}
		if auth != nil {
			if cred, err = auth.Credential(ctx); err != nil {
				return false, err
			}
		}
		cctx, cancel := context.WithCancelCause(ctx)
		resp, err := s.open(cctx, cred)
		if err != nil {
			cancel(nil)
			return false, err
		}
		if resp.StatusCode == http.StatusUnauthorized {
			apiErr := readAPIError(resp)
			resp.Body.Close()
			cancel(nil)
			// The token expired (st2 checks it only when the stream opens): renew and retry at once.
			if attempt == 0 && auth != nil && auth.Invalidate(cred) {
				continue
			}
			return false, apiErr
		}
		if resp.StatusCode != http.StatusOK {
			apiErr := readAPIError(resp)
			resp.Body.Close()
			cancel(nil)
			return false, apiErr
		}
		err = s.read(cctx, cancel, resp.Body)
		resp.Body.Close()
		cancel(nil)
		if errors.Is(context.Cause(cctx), errStalled) {
			err = errStalled
		}
		return true, err
	}
}

func (s *Stream) open(ctx context.Context, cred Credential) (*http.Response, error) {
	u := strings.TrimRight(s.Client.StreamURL, "/") + "/stream?" + url.Values{"events": {EventName(s.Route)}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	cred.apply(req.Header)
	s.mu.Lock()
	if s.lastID != "" {
		req.Header.Set("Last-Event-ID", s.lastID)
	}
	s.mu.Unlock()
	hc := s.Client.StreamHTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	return hc.Do(req)
}

// read parses events until the body ends. A watchdog closes the connection when no line (event or
// heartbeat) arrives within HeartbeatTimeout while waiting for one.
func (s *Stream) read(ctx context.Context, cancel context.CancelCauseFunc, body io.Reader) error {
	s.connected.Store(true)
	streamConnected.Set(1)
	timeout := durationOr(s.HeartbeatTimeout, 60*time.Second)
	watchdog := time.AfterFunc(timeout, func() { cancel(errStalled) })
	defer watchdog.Stop()
	r := newSSEReader(body, func() {
		s.lastLine.Store(s.now().UnixNano())
		watchdog.Reset(timeout)
	})
	r.onTooLarge = func() {
		s.logger().Error("st2 stream: event dropped, larger than the limit", "limit_bytes", maxSSEEvent)
	}
	want := EventName(s.Route)
	for {
		ev, err := r.Next()
		if err != nil {
			return err
		}
		if ev.ID != "" {
			s.mu.Lock()
			s.lastID = ev.ID
			s.mu.Unlock()
		}
		if ev.Name != want {
			continue
		}
		s.lastEvent.Store(s.now().UnixNano())
		key, dup := s.duplicate(ev)
		if dup {
			s.duplicates.Add(1)
			announcementsTotal.WithLabelValues("duplicate").Inc()
			continue
		}
		a, err := parseEvent(ev.Data, s.Platforms)
		if err != nil {
			s.logger().Error("st2 stream: bad announcement", "err", err, "bytes", len(ev.Data))
			continue
		}
		a.ID, a.Key = ev.ID, key
		if s.Accepts != nil && !s.Accepts(a) {
			s.logger().Debug("st2 stream: announcement for a platform this opsgate does not serve", "platform", a.Platform, "channel", a.Channel)
			announcementsTotal.WithLabelValues("other_platform").Inc()
			continue
		}
		q := &queued{a: a, won: true}
		// Waiting for a claim slot or queue room is not silence from st2: pause the watchdog meanwhile.
		watchdog.Stop()
		if s.Claim != nil {
			q.claimed = make(chan struct{})
			select {
			case s.claims <- claimJob{q, key, s.now()}:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		select {
		case s.queue <- q:
		case <-ctx.Done():
			return ctx.Err()
		}
		watchdog.Reset(timeout)
	}
}

// duplicate reports whether ev was seen within the window (by id when it has one, else by payload
// hash) and remembers it otherwise.
func (s *Stream) duplicate(ev sseEvent) (string, bool) {
	key := "id:" + ev.ID
	if ev.ID == "" {
		key = fmt.Sprintf("sha:%x", sha256.Sum256(ev.Data))
	}
	now := s.now()
	window := durationOr(s.DedupeWindow, 10*time.Minute)
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.order) > 0 && now.Sub(s.order[0].at) > window {
		if s.seen[s.order[0].key].Equal(s.order[0].at) {
			delete(s.seen, s.order[0].key)
		}
		s.order = s.order[1:]
	}
	if at, ok := s.seen[key]; ok && now.Sub(at) <= window {
		return key, true
	}
	s.seen[key] = now
	s.order = append(s.order, seenEntry{key, now})
	return key, false
}

// claimLoop decides, claim by claim, whether this replica posts an announcement.
func (s *Stream) claimLoop(ctx context.Context) {
	defer s.claimWG.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-s.claims:
			won, err := s.Claim(ctx, j.key, j.at)
			if err != nil {
				s.logger().Error("st2 stream: claim announcement", "err", err)
				won = true // posted anyway
			}
			j.q.won = won
			close(j.q.claimed)
		}
	}
}

// deliverLoop posts queued announcements in order, retrying a failed post a few times: a chat
// platform's brief outage should not lose an announcement, and one that keeps failing must not
// block the rest.
func (s *Stream) deliverLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case q := <-s.queue:
			if q.claimed != nil {
				select {
				case <-ctx.Done():
					return
				case <-q.claimed:
				}
			}
			if !q.won {
				s.duplicates.Add(1)
				announcementsTotal.WithLabelValues("duplicate").Inc()
				continue
			}
			a := q.a
			start := time.Now()
			var err error
			for try := 0; try < 3; try++ {
				if err = s.Deliver(ctx, a); err == nil || ctx.Err() != nil {
					break
				}
				select {
				case <-ctx.Done():
				case <-time.After(time.Duration(try+1) * 200 * time.Millisecond):
				}
			}
			if err != nil {
				s.failed.Add(1)
				announcementsTotal.WithLabelValues("failed").Inc()
				s.logger().Error("st2 announcement not delivered", "err", err, "platform", a.Platform, "channel", a.Channel)
				continue
			}
			s.delivered.Add(1)
			announcementsTotal.WithLabelValues("delivered").Inc()
			deliverySeconds.Observe(time.Since(start).Seconds())
		}
	}
}
