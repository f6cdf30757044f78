package main

import (
	"context"
	"time"

	"github.com/opsgate/opsgate/kit"
	oslack "github.com/opsgate/opsgate/slack"
	"github.com/opsgate/opsgate/store"
)

func init() {
	// After nats-kv (which decides whether replicas share claims through JetStream), before the
	// platforms that use what it decides.
	registerModule(module{Name: "serve lock", Order: 3, Setup: setupServeLock})
}

// setupServeLock makes `serve` on a SQLite file the only one using it, unless database_shared
// says several share it (or nats.url has replicas share claims through JetStream). Alone, this
// process decides replays of signed requests in memory (kit.Replays) instead of a database write
// on every request's path; at a clean stop it hands what it saw to the next holder of the lock.
func setupServeLock(ctx context.Context, m *Main) error {
	path, ok := store.SQLiteFile(m.Config.Database)
	if !ok || !m.Serving || m.kv != nil || m.Config.DatabaseShared {
		return nil
	}
	if path == ":memory:" { // a database no other process can open
		m.replays = kit.NewReplays(0, oslack.ReplayWindow, nil)
		return nil
	}
	lock, handover, err := store.LockServe(ctx, path, func(holder string) {
		m.Logger.Warn("another opsgate serves this SQLite database; waiting for it to stop (set database_shared: true on each to run several at once)",
			"database", path, "holder", holder)
	})
	if err != nil {
		return err
	}
	// Made once the lock is held: its floor, when nothing is handed over (a crash), must come after
	// the last moment the previous holder could have run a request.
	m.replays = kit.NewReplays(0, oslack.ReplayWindow, nil)
	switch {
	case lock.Crashed:
		// It may have run a request signed in this very second: only later ones are surely new.
		m.replays.RefuseThrough(time.Now().Unix())
		m.Logger.Warn("serve lock: the previous opsgate on this database stopped without handing over; Slack requests signed before this start are refused once, with a request to send them again")
	case handover != nil:
		if err := m.replays.Restore(handover); err != nil {
			m.replays.RefuseThrough(time.Now().Unix())
			m.Logger.Warn("serve lock: the previous process's handover is unreadable; Slack requests signed before this start are refused once", "err", err)
		}
	}
	m.OnStop(func(context.Context) error { return lock.Release(m.replays.Handover()) })
	return nil
}
