package main

import (
	"context"
	"time"

	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/webex"
)

func init() {
	registerModule(module{Name: "webex", Order: 50, Setup: setupWebex})
}

// setupWebex serves the Webex webhook endpoint under `serve` and, with webex.public_url, keeps
// the bot's webhooks pointed at it.
func setupWebex(ctx context.Context, m *Main) error {
	c := m.Config.Webex
	if !c.Enabled || !m.Serving {
		return nil
	}
	log := m.Logger.With("platform", "webex")
	h := webex.New(webex.Options{
		Client:        &webex.Client{APIURL: c.APIURL, Token: c.Token},
		WebhookSecret: c.WebhookSecret,
		Handle:        pipelineHandle(m),
		// Replicas share the webhook secret, so they agree on the callback key without another setting.
		Callbacks:   callback.New([]byte(c.WebhookSecret), "webex"),
		DeleteInput: m.Config.DeleteInputOnSubmission,
		Plumbing:    kit.Plumbing{Logger: log},
		// A delivery is handled, and a prompt answered, once, on whichever replica it reaches.
		Claim: func(ctx context.Context, key string, ttl time.Duration) (bool, error) {
			return m.claim(ctx, "webex", key, time.Now(), ttl)
		},
		Unclaim: func(ctx context.Context, key string) error { return m.unclaim(ctx, "webex", key) },
	})
	h.Register(m.HTTP)
	m.status.add("webex", func(context.Context) (bool, string) { return h.Webhooks() })
	// StackStorm announcements and webhook posts for this platform.
	m.Announce.Register(webex.Platform, h.Conversation)
	kctx, cancel := context.WithCancel(context.Background())
	if c.PublicURL != "" {
		h.KeepWebhooks(kctx, c.PublicURL)
	} else {
		log.Info("webex.public_url is not set: create the webhooks yourself (docs/webex.md, step 4)")
	}
	m.OnStop(func(ctx context.Context) error {
		cancel()
		ctx, done := context.WithTimeout(ctx, m.Config.ShutdownTimeout.D())
		defer done()
		return h.Close(ctx)
	})
	return nil
}
