package kit

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Once decides that something (an event id, a signed request, an answered prompt) is handled
// once: first in this replica's Memory, then, when Claim is set, across the replicas sharing a
// database. When the database cannot answer, this replica's memory decides: a rare double run
// beats dropping every command during an outage. That is logged once per outage.
type Once struct {
	// Name says what is remembered, for the log ("slack event", "mattermost answer").
	Name string
	// Claim takes key for every replica (store.DB.Claim in cmd/opsgate): false when taken already.
	Claim func(ctx context.Context, key string) (bool, error)
	// Unclaim releases a key Claim took.
	Unclaim func(ctx context.Context, key string) error
	Logger  *slog.Logger

	mem    *Memory
	mu     sync.Mutex // makes check-and-record atomic on this replica
	outage atomic.Bool
}

// OnceOptions configure NewOnce.
type OnceOptions struct {
	Name    string
	Size    int
	TTL     time.Duration
	Now     func() time.Time
	Claim   func(ctx context.Context, key string) (bool, error)
	Unclaim func(ctx context.Context, key string) error
	Logger  *slog.Logger
}

// NewOnce returns a Once remembering up to o.Size keys for o.TTL.
func NewOnce(o OnceOptions) *Once {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Once{Name: o.Name, Claim: o.Claim, Unclaim: o.Unclaim, Logger: o.Logger, mem: NewMemory(o.Size, o.TTL, o.Now)}
}

// First records key and reports whether it is seen for the first time, here and (with Claim)
// on any replica.
func (o *Once) First(ctx context.Context, key string) bool {
	o.mu.Lock()
	first := o.mem.First(key)
	o.mu.Unlock()
	if !first || o.Claim == nil {
		return first
	}
	claimed, err := o.Claim(ctx, key)
	if err != nil {
		if !o.outage.Swap(true) {
			o.Logger.Warn(o.Name+": claim failed; relying on this replica's record until the database answers", "err", err)
		}
		return true
	}
	if o.outage.Swap(false) {
		o.Logger.Info(o.Name + ": claims work again")
	}
	return claimed
}

// Forget undoes First for key (a request refused before anything ran), here and with Unclaim.
func (o *Once) Forget(ctx context.Context, key string) {
	o.mem.Forget(key)
	if o.Unclaim == nil {
		return
	}
	if err := o.Unclaim(ctx, key); err != nil {
		o.Logger.Warn(o.Name+": could not release a claim", "err", err)
	}
}
