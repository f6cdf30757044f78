package queue

import (
	"context"
	"sync"
	"time"
)

// Overloaded is what a user is told when the stream already holds more than the replicas finish
// within MaxWait: the in-process pipeline's wording, so both paths answer alike.
const Overloaded = "opsgate is overloaded; please try again shortly."

// DefaultMaxWait is how long a command may wait in the stream for a worker before new ones are
// refused: well under what a person waits for a chat reply, and long enough to ride out a burst.
const DefaultMaxWait = time.Second

// sampleEvery spaces the stream and consumer info calls the admission decides from: a request
// never waits for one, and NATS sees a few small requests a second per replica.
const sampleEvery = 200 * time.Millisecond

// backlog admits a command at Submit while the commands waiting in the stream would be taken
// within maxWait at the rate the replicas finish commands. Its figures come from samples of the
// stream (shared by all replicas) plus what this replica published since the last sample.
type backlog struct {
	mu      sync.Mutex
	floor   int64 // always admitted: one replica's workers' worth
	maxWait time.Duration

	sampled bool
	at      time.Time
	removed uint64        // commands gone from the stream since it was created (acked, given up, expired)
	waiting int64         // stored and not held by any worker, at the last sample
	rate    float64       // commands finished per second across the replicas, measured while some waited
	known   bool          // rate was measured
	since   int64         // commands this replica admitted since the last sample
	refused bool          // this replica refused a command since the last sample
	next    chan struct{} // closed at the next sample: room may have been made
}

// limit is how many commands may wait: what the replicas finish in maxWait, and never fewer than
// the floor, which also holds until a rate is known.
func (b *backlog) limit() int64 {
	return max(b.floor, int64(b.rate*b.maxWait.Seconds()))
}

// admitWait is how long Submit waits for room in the backlog before refusing: the wait is the
// queue, holding only the platform's connection, as the in-process pipeline's admission does. A
// closed loop of clients then slows to what the replicas finish instead of turning refusals
// around as fast as it can (each one a signature check and a claim on the same CPU).
const admitWait = time.Second

// admit reserves a place for one command, false when the backlog is full; then next is closed
// at the next sample, when room may have been made. The reservation is kept when the publish
// fails: the next sample corrects it.
func (b *backlog) admit() (ok bool, next <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.waiting+b.since >= b.limit() {
		b.refused = true
		if b.next == nil {
			b.next = make(chan struct{})
		}
		return false, b.next
	}
	b.since++
	return true, nil
}

// wait admits a command, waiting up to d (or ctx) for room.
func (b *backlog) wait(ctx context.Context, d time.Duration) bool {
	ok, next := b.admit()
	if ok {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-next:
		case <-t.C:
			return false
		case <-ctx.Done():
			return false
		}
		if ok, next = b.admit(); ok {
			return true
		}
	}
}

// snapshot returns the admissions counted so far, to be taken off by observe: those made while a
// sample is read may be in it or not, and counting them twice errs towards refusing.
func (b *backlog) snapshot() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.since
}

// observe records a sample taken at now. The rate is updated only over an interval in which more
// was asked than taken: commands waited at its start and end (the replicas were busy throughout),
// or this replica refused some. Then it is what the replicas can finish, or what the limit let
// through, which raises the limit until the replicas are busy; never merely what was asked of
// them (an idle system's low rate would refuse the next burst).
func (b *backlog) observe(now time.Time, removed uint64, waiting int64, admitted int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.since = max(b.since-admitted, 0)
	busy := b.refused || b.waiting > 0 && waiting > 0
	b.refused = false
	if b.sampled && removed >= b.removed && busy {
		if dt := now.Sub(b.at).Seconds(); dt > 0 {
			r := float64(removed-b.removed) / dt
			if b.known {
				r = b.rate + 0.25*(r-b.rate) // about a second's memory at five samples a second
			}
			b.rate, b.known = r, true
		}
	}
	// A smaller count than before means the stream was created anew: measure from here.
	b.sampled, b.at, b.removed, b.waiting = true, now, removed, waiting
	if b.next != nil {
		close(b.next)
		b.next = nil
	}
	backlogGauge.Set(float64(waiting))
	backlogLimit.Set(float64(b.limit()))
}

// watch samples the stream until ctx ends.
func (q *Queue) watch(ctx context.Context) {
	backlogLimit.Set(float64(q.backlog.limit()))
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if q.ready.Load() && q.nc.IsConnected() {
				q.sample(ctx)
			}
		}
	}
}

// sample reads the stream's and the workers' consumer's state: two small requests. A failed one
// keeps the last sample (while NATS is away, Submit refuses anyway).
func (q *Queue) sample(ctx context.Context) {
	sctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	admitted := q.backlog.snapshot()
	cons, err := q.js.Consumer(sctx, q.stream, q.consumer)
	if err != nil {
		return
	}
	st, err := q.js.Stream(sctx, q.stream)
	if err != nil {
		return
	}
	s, c := st.CachedInfo().State, cons.CachedInfo()
	// A work-queue stream holds exactly the commands not finished: those a worker holds (running,
	// or fetched and waiting for a free worker) are not waiting for one.
	waiting := max(int64(s.Msgs)-int64(c.NumAckPending), 0)
	q.backlog.observe(q.o.Now(), s.LastSeq-min(s.Msgs, s.LastSeq), waiting, admitted)
}
