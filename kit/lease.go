package kit

import (
	"context"
	"log/slog"
	"time"
)

// DefaultLeaseTTL is how long a lease lasts unrenewed: the longest a dead holder's connection
// stays unserved before another replica takes over.
const DefaultLeaseTTL = 15 * time.Second

// Lease runs a connection that only one replica may hold at a time (an XMPP session, a Slack
// Socket Mode socket: two would answer every message twice) while this replica holds a lease in
// the shared database. Replicas without it stand by and take over once the holder's lease lapses
// (it died) or is released (it stopped).
type Lease struct {
	// Name is what is held ("xmpp", "slack-socket"); Holder says who (unique per replica).
	Name, Holder string
	// Acquire takes or renews the lease until now+ttl (store.DB.AcquireLease in cmd/opsgate):
	// false when another holder has it.
	Acquire func(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error)
	// Release gives it up (store.DB.ReleaseLease).
	Release func(ctx context.Context, name, holder string) error
	// TTL is how long a lease lasts (DefaultLeaseTTL); it is renewed, and standing replicas try
	// to take it, every TTL/3.
	TTL    time.Duration
	Now    func() time.Time
	Sleep  func(ctx context.Context, d time.Duration) error
	Logger *slog.Logger
}

func (l *Lease) defaults() {
	if l.TTL <= 0 {
		l.TTL = DefaultLeaseTTL
	}
	if l.Now == nil {
		l.Now = time.Now
	}
	if l.Sleep == nil {
		l.Sleep = Sleep
	}
	if l.Logger == nil {
		l.Logger = slog.New(slog.DiscardHandler)
	}
}

// Run runs connect while holding the lease, until ctx ends. connect must keep its connection
// (reconnecting as it needs) until its context ends; it is cancelled, and waited for, as soon as
// the lease cannot be renewed before it would lapse, so two replicas never hold it at once. If
// connect returns by itself the lease is released and taken again later, by whichever replica
// tries first.
func (l *Lease) Run(ctx context.Context, connect func(ctx context.Context) error) {
	l.defaults()
	every := l.TTL / 3
	var said string // what standing by was last logged for: said once, not every try
	for ctx.Err() == nil {
		until := l.Now().Add(l.TTL)
		ok, err := l.Acquire(ctx, l.Name, l.Holder, l.Now(), l.TTL)
		switch {
		case ok || ctx.Err() != nil:
		case err != nil && said != "outage":
			said = "outage"
			l.Logger.Warn(l.Name+": cannot reach the lease; standing by until the database answers", "err", err)
		case err == nil && said != "held":
			said = "held"
			l.Logger.Info(l.Name + ": another replica holds the connection; standing by")
		}
		if !ok {
			l.Sleep(ctx, every)
			continue
		}
		said = ""
		l.Logger.Info(l.Name + ": lease taken; connecting")
		l.hold(ctx, until, every, connect)
	}
}

// hold runs connect and renews the lease every until it cannot, then stops connect.
func (l *Lease) hold(ctx context.Context, until time.Time, every time.Duration, connect func(ctx context.Context) error) {
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- connect(cctx) }()
	stop := func(why string, args ...any) {
		cancel()
		<-done
		if why != "" {
			l.Logger.Warn(l.Name+": "+why, args...)
		}
	}
	for {
		wake := make(chan struct{})
		go func() { l.Sleep(cctx, every); close(wake) }()
		select {
		case err := <-done:
			cancel()
			l.Logger.Warn(l.Name+": connection ended; releasing the lease", "err", err)
			l.release()
			if ctx.Err() == nil {
				l.Sleep(ctx, every) // let another replica try first
			}
			return
		case <-wake:
		}
		if ctx.Err() != nil {
			stop("")
			l.release()
			return
		}
		next := l.Now().Add(l.TTL)
		ok, err := l.Acquire(ctx, l.Name, l.Holder, l.Now(), l.TTL)
		switch {
		case ok:
			until = next
		case err == nil:
			stop("another replica took the lease; disconnected")
			return
		case !l.Now().Add(every).Before(until):
			// The next try would come after the lease lapsed: another replica may hold it by then.
			stop("cannot renew the lease before it lapses; disconnected", "err", err)
			return
		default:
			l.Logger.Warn(l.Name+": lease renewal failed; trying again", "err", err)
		}
	}
}

// release gives the lease up, on a fresh context: the run's own has ended.
func (l *Lease) release() {
	if l.Release == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.Release(ctx, l.Name, l.Holder); err != nil {
		l.Logger.Warn(l.Name+": could not release the lease; it lapses on its own", "err", err)
	}
}
