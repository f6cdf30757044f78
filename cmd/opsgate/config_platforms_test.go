package main

import (
	"strings"
	"testing"
)

func TestDiscordConfigValidation(t *testing.T) {
	key := "OPSGATE_DISCORD_PUBLIC_KEY=" + strings.Repeat("ab", 32)
	on := []string{"OPSGATE_DISCORD_ENABLED=true", "OPSGATE_DISCORD_APPLICATION_ID=1", "OPSGATE_DISCORD_BOT_TOKEN=t"}
	cases := []struct {
		env  []string
		want string
	}{
		{[]string{"OPSGATE_DISCORD_ENABLED=true", key, "OPSGATE_DISCORD_BOT_TOKEN=t"}, "discord.application_id is required"},
		{on, "discord.public_key is required"},
		{append(on, "OPSGATE_DISCORD_PUBLIC_KEY=abc"), "discord.public_key: not a hex Ed25519 public key (64 hex digits) (set by environment variable OPSGATE_DISCORD_PUBLIC_KEY)"},
		{[]string{"OPSGATE_DISCORD_ENABLED=true", "OPSGATE_DISCORD_APPLICATION_ID=1", key}, "discord.bot_token is required"},
		{append(on, key, "OPSGATE_DISCORD_API_URL=discord.local"), "discord.api_url"},
	}
	for _, c := range cases {
		_, err := LoadConfig("", c.env)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.env, err, c.want)
		}
	}
	cfg, err := LoadConfig("", append(on, key, "OPSGATE_DISCORD_GUILD_ID=42"))
	if err != nil || !cfg.Discord.Enabled || cfg.Discord.GuildID != "42" {
		t.Fatalf("valid config: %v %+v", err, cfg.Discord)
	}
}

func TestRocketChatConfigValidation(t *testing.T) {
	for _, c := range []struct {
		env  []string
		want string
	}{
		{[]string{"OPSGATE_ROCKETCHAT_ENABLED=true", "OPSGATE_ROCKETCHAT_USER_ID=u", "OPSGATE_ROCKETCHAT_AUTH_TOKEN=t"}, "rocketchat.url is required"},
		{[]string{"OPSGATE_ROCKETCHAT_ENABLED=true", "OPSGATE_ROCKETCHAT_URL=chat.example.com", "OPSGATE_ROCKETCHAT_USER_ID=u", "OPSGATE_ROCKETCHAT_AUTH_TOKEN=t"}, "rocketchat.url: \"chat.example.com\" is not an http(s) URL"},
		{[]string{"OPSGATE_ROCKETCHAT_ENABLED=true", "OPSGATE_ROCKETCHAT_URL=https://chat.example.com", "OPSGATE_ROCKETCHAT_AUTH_TOKEN=t"}, "rocketchat.user_id is required"},
		{[]string{"OPSGATE_ROCKETCHAT_ENABLED=true", "OPSGATE_ROCKETCHAT_URL=https://chat.example.com", "OPSGATE_ROCKETCHAT_USER_ID=u"}, "rocketchat.auth_token is required"},
	} {
		if _, err := LoadConfig("", c.env); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.env, err, c.want)
		}
	}
}
