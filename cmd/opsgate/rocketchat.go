package main

import (
	"context"
	"time"

	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/rocketchat"
)

func init() {
	registerModule(module{Name: "rocketchat", Order: 50, Setup: setupRocketChat})
}

// setupRocketChat serves Rocket.Chat's outgoing webhook under `serve`; its tokens are the command
// tokens of platform "rocketchat" (opsgate token add --platform rocketchat --token ...).
func setupRocketChat(ctx context.Context, m *Main) error {
	c := m.Config.RocketChat
	if !c.Enabled || !m.Serving {
		return nil
	}
	h := rocketchat.New(rocketchat.Options{
		URL: c.URL, UserID: c.UserID, AuthToken: c.AuthToken,
		Tokens: m.Tokens, Handle: pipelineHandle(m), Guard: m.Guard,
		Plumbing: kit.Plumbing{Logger: m.Logger.With("platform", "rocketchat")},
		// A message Rocket.Chat retried to another replica runs once.
		Claim: func(ctx context.Context, key string) (bool, error) {
			return m.claim(ctx, "rocketchat", key, time.Now(), time.Hour)
		},
	})
	h.Register(m.HTTP)
	m.Announce.Register("rocketchat", h.Conversation)
	return nil
}
