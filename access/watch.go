package access

import (
	"context"
	"log/slog"
	"time"

	"github.com/opsgate/opsgate"
)

// Watcher keeps an Authorizer in step with the database: it reloads the grants whenever the audit
// log grows (every change to grants is audited), so every replica converges on the same decisions
// within one poll interval without a query per chat message.
type Watcher struct {
	Auth     *Authorizer
	Grants   opsgate.GrantService
	Groups   opsgate.GroupService // nil: no groups
	Audit    opsgate.AuditService
	Interval time.Duration
	Logger   *slog.Logger

	last int64
	poke opsgate.Signal
}

// Poke makes Run check for changes now rather than at the next tick (a replica was told of a
// change through NATS). Safe to call from any goroutine, before or while Run runs.
func (w *Watcher) Poke() {
	w.poke.Notify()
}

// Reload reads all grants and groups now.
func (w *Watcher) Reload(ctx context.Context) error {
	last, err := w.Audit.LastAuditID(ctx)
	if err != nil {
		return err
	}
	grants, err := w.Grants.FindGrants(ctx, opsgate.GrantFilter{})
	if err != nil {
		return err
	}
	var groups []*opsgate.Group
	if w.Groups != nil {
		if groups, err = w.Groups.FindGroups(ctx, ""); err != nil {
			return err
		}
	}
	w.Auth.Load(grants, groups...)
	w.last = last
	return nil
}

// Run polls until ctx ends.
func (w *Watcher) Run(ctx context.Context) {
	t := time.NewTicker(w.Interval)
	defer t.Stop()
	poke := w.poke.C()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-poke:
		}
		last, err := w.Audit.LastAuditID(ctx)
		if err != nil {
			w.Logger.Warn("grant watch: cannot read audit log", "err", err)
			continue
		}
		if last != w.last {
			if err := w.Reload(ctx); err != nil {
				w.Logger.Warn("grant watch: reload failed, keeping the previous grants", "err", err)
			} else {
				w.Logger.Info("grants reloaded", "grants", w.Auth.Len())
			}
		}
	}
}
