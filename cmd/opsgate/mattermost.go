package main

import (
	"context"

	"github.com/opsgate/opsgate/callback"
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
		Logger:      m.Logger.With("platform", "mattermost"),
	})
	h.Register(m.HTTP)
	// StackStorm announcements and webhook posts for this platform.
	registerAnnounceTarget("mattermost", h.Conversation)
	m.OnStop(func(context.Context) error { unregisterAnnounceTarget("mattermost"); return nil })
	return nil
}
