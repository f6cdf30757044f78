package main

import (
	"fmt"

	"github.com/opsgate/opsgate/discord"
)

// DiscordConfig configures the Discord platform (see docs/discord.md).
type DiscordConfig struct {
	Enabled bool `yaml:"enabled"`
	// ApplicationID is the application's id (Developer Portal, General Information).
	ApplicationID string `yaml:"application_id"`
	// PublicKey verifies the interactions' Ed25519 signatures (hex, General Information).
	PublicKey string `yaml:"public_key"`
	// BotToken registers the slash commands and posts announcements (Bot page).
	BotToken string `yaml:"bot_token"`
	// APIURL is the REST API base; default https://discord.com/api/v10 (tests point it at a stand-in).
	APIURL string `yaml:"api_url"`
	// GuildID registers the slash commands in this guild only (instant) instead of globally.
	GuildID string `yaml:"guild_id"`
	// CallbackSecret signs buttons, menus and modals; default: derived from bot_token.
	CallbackSecret string `yaml:"callback_secret"`
}

// Validate checks the discord section.
func (c DiscordConfig) Validate() error {
	if !c.Enabled {
		return nil
	}
	switch {
	case c.ApplicationID == "":
		return fmt.Errorf("discord.application_id is required when discord.enabled is true")
	case c.PublicKey == "":
		return fmt.Errorf("discord.public_key is required when discord.enabled is true")
	case c.BotToken == "":
		return fmt.Errorf("discord.bot_token is required when discord.enabled is true")
	}
	if _, err := discord.ParsePublicKey(c.PublicKey); err != nil {
		return fmt.Errorf("discord.public_key: %v", err)
	}
	if c.APIURL != "" {
		if err := checkURL(c.APIURL); err != nil {
			return fmt.Errorf("discord.api_url: %v", err)
		}
	}
	return nil
}
