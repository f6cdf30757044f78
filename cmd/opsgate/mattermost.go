package main

import (
	"context"
	"time"

	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/mattermost"
)

func init() {
	registerModule(module{Name: "mattermost", Order: 50, Setup: setupMattermost})
}

// setupMattermost serves Mattermost's endpoints under `serve`; slash command tokens are the
// command tokens of platform "mattermost" (opsgate token add --platform mattermost --token ...).
func setupMattermost(ctx context.Context, m *Main) error {
	c := m.Config.Mattermost
	if !c.Enabled || !m.Serving {
		return nil
	}
	h := mattermost.New(mattermost.Options{
		URL:         c.URL,
		APIToken:    c.APIToken,
		Tokens:      m.Tokens,
		Handle:      pipelineHandle(m),
		Callbacks:   callback.New([]byte(cmpStr(c.CallbackSecret, c.APIToken)), "mattermost"),
		PublicURL:   c.PublicURL,
		DeleteInput: m.Config.DeleteInputOnSubmission,
		Plumbing:    kit.Plumbing{Logger: m.Logger.With("platform", "mattermost")},
		Guard:       m.Guard,
		Redactor:    m.Announce.Redactor(),
		// A prompt is answered once, on whichever replica the answer reaches.
		Claim: func(ctx context.Context, key string) (bool, error) {
			return m.claim(ctx, "mattermost-callback", key, time.Now(), callback.DefaultTTL)
		},
		Unclaim: func(ctx context.Context, key string) error { return m.unclaim(ctx, "mattermost-callback", key) },
	})
	if c.PublicURL == "" {
		m.Logger.Warn("mattermost.public_url is not set: the callback address is learnt from the first slash command; set it so a forged first request cannot choose it")
	}
	h.Register(m.HTTP)
	// StackStorm announcements and webhook posts for this platform.
	m.Announce.Register("mattermost", h.Conversation)
	return nil
}
