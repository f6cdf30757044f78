package main

import (
	"context"

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
	lock, handover, err := store.LockServe(ctx, path, func(holder string) {
		m.Logger.Warn("another opsgate serves this SQLite database; waiting for it to stop (set database_shared: true on each to run several at once)",
			"database", path, "holder", holder)
	})
	if err != nil {
		return err
	}
	m.replays = kit.NewReplays(0, oslack.ReplayWindow, nil)
	if handover != nil {
		if err := m.replays.Restore(handover); err != nil {
			m.Logger.Warn("serve lock: the previous process's handover is unreadable; requests signed before this start are refused once", "err", err)
		}
	}
	m.OnStop(func(context.Context) error { return lock.Release(m.replays.Handover()) })
	return nil
}
