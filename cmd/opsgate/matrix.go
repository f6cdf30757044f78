package main

import (
	"context"
	"time"

	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/matrix"
)

func init() {
	registerModule(module{Name: "matrix", Order: 50, Setup: setupMatrix})
}

// setupMatrix runs the Matrix sync loop under `serve` and makes Matrix a target for
// announcements. Matrix calls nobody back: there is no endpoint to serve.
func setupMatrix(ctx context.Context, m *Main) error {
	c := m.Config.Matrix
	if !c.Enabled || !m.Serving {
		return nil
	}
	bot, err := matrix.New(matrix.Options{
		Homeserver:  c.Homeserver,
		UserID:      c.UserID,
		AccessToken: c.AccessToken,
		Prefix:      c.Prefix,
		AutoJoin:    c.AutoJoin,
		Handle:      pipelineHandle(m),
		// A message is answered once, whichever replica's loop reads it (a lease handing over).
		Claim: func(ctx context.Context, key string) (bool, error) {
			return m.claim(ctx, "matrix-event", key, time.Now(), time.Hour)
		},
		Plumbing: kit.Plumbing{Logger: m.Logger.With("platform", "matrix")},
	})
	if err != nil {
		return err
	}
	// StackStorm announcements and webhook posts for this platform.
	m.Announce.Register("matrix", bot.Conversation)
	// One replica syncs at a time; the event-id claims still stop double answers during a hand-over.
	m.runLeased("matrix-sync", bot.Run)
	return nil
}
