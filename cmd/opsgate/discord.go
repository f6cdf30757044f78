package main

import (
	"context"
	"time"

	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/discord"
	"github.com/opsgate/opsgate/kit"
)

func init() {
	// After every router (aliases, StackStorm, ...): the slash commands are registered from them.
	registerModule(module{Name: "discord", Order: 90, Setup: setupDiscord})
}

// setupDiscord serves Discord's interactions endpoint under `serve` and registers one slash
// command per top-level command.
func setupDiscord(ctx context.Context, m *Main) error {
	c := m.Config.Discord
	if !c.Enabled || !m.Serving {
		return nil
	}
	key, _ := discord.ParsePublicKey(c.PublicKey) // validated with the config
	h := discord.New(discord.Options{
		ApplicationID: c.ApplicationID,
		PublicKey:     key,
		BotToken:      c.BotToken,
		APIURL:        c.APIURL,
		GuildID:       c.GuildID,
		Handle:        pipelineHandle(m),
		Callbacks:     callback.New([]byte(cmpStr(c.CallbackSecret, c.BotToken)), "discord"),
		Redactor:      m.Announce.Redactor(),
		Plumbing:      kit.Plumbing{Logger: m.Logger.With("platform", "discord")},
		// An interaction, and a prompt's answer, is handled once, on whichever replica it reaches.
		Claim: func(ctx context.Context, key string) (bool, error) {
			return m.claim(ctx, "discord", key, time.Now(), callback.DefaultTTL)
		},
		Unclaim: func(ctx context.Context, key string) error { return m.unclaim(ctx, "discord", key) },
	})
	h.Register(m.HTTP)
	m.Announce.Register("discord", h.Conversation)
	// In the background: start-up never waits for Discord, and Discord being unreachable does not
	// stop opsgate (the commands registered last time stay). Every router is in place by now.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	done := make(chan struct{})
	m.OnStop(func(context.Context) error { cancel(); <-done; return nil })
	entries := m.Pipeline.Help()
	go func() {
		defer close(done)
		if names, err := h.RegisterCommands(rctx, entries); err != nil {
			m.Logger.Error("discord: slash commands not registered; the previous registration stays", "err", err)
		} else {
			m.Logger.Info("discord: slash commands registered", "commands", names, "guild", c.GuildID)
		}
	}()
	return nil
}
