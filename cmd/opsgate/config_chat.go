package main

import (
	"fmt"
	"net/url"
	"strings"
)

// SlackConfig configures the Slack platform (see docs/slack.md).
type SlackConfig struct {
	Enabled bool `yaml:"enabled"`
	// SigningSecret verifies the HTTP endpoints' requests. Without it the HTTP endpoints are not
	// served (Socket Mode only).
	SigningSecret string `yaml:"signing_secret"`
	// BotToken (xoxb-...) posts replies through the Web API.
	BotToken string `yaml:"bot_token"`
	// AppToken (xapp-...) turns on Socket Mode: no public URL needed.
	AppToken string `yaml:"app_token"`
	// SlashCommandPrefix is stripped from slash command names; default "/".
	SlashCommandPrefix string `yaml:"slash_command_prefix"`
	// APIURL is the Web API base; default https://slack.com/api/ (tests point it at a fake).
	APIURL string `yaml:"api_url"`
	// BotUserID is the bot's own user id; found with auth.test at start-up when empty.
	BotUserID string `yaml:"bot_user_id"`
	// CallbackSecret signs the tokens in buttons, menus and dialogs; default: derived from
	// signing_secret (or bot_token in Socket Mode only), so replicas agree without another setting.
	CallbackSecret string `yaml:"callback_secret"`
}

// Validate checks the slack section.
func (c SlackConfig) Validate() error {
	if !c.Enabled {
		return nil
	}
	switch {
	case c.BotToken == "":
		return fmt.Errorf("slack.bot_token is required when slack.enabled is true")
	case c.SigningSecret == "" && c.AppToken == "":
		return fmt.Errorf("slack.signing_secret (HTTP endpoints) or slack.app_token (Socket Mode) is required when slack.enabled is true")
	case c.AppToken != "" && !strings.HasPrefix(c.AppToken, "xapp-"):
		return fmt.Errorf("slack.app_token must be an app-level token starting with xapp-")
	}
	if c.APIURL != "" {
		if err := checkURL(c.APIURL); err != nil {
			return fmt.Errorf("slack.api_url: %v", err)
		}
	}
	return nil
}

// MattermostConfig configures the Mattermost platform (see docs/mattermost.md).
type MattermostConfig struct {
	Enabled bool `yaml:"enabled"`
	// URL is the Mattermost server, scheme and port included (https://chat.example.com:8065).
	URL string `yaml:"url"`
	// APIToken is the bot account's access token.
	APIToken string `yaml:"api_token"`
	// PublicURL is opsgate's base URL as Mattermost reaches it, for button and dialog callbacks;
	// default: learnt from the slash command requests.
	PublicURL string `yaml:"public_url"`
	// CallbackSecret signs button, menu and dialog callbacks; default: derived from api_token.
	CallbackSecret string `yaml:"callback_secret"`
}

// Validate checks the mattermost section.
func (c MattermostConfig) Validate() error {
	if !c.Enabled {
		return nil
	}
	if c.URL == "" {
		return fmt.Errorf("mattermost.url is required when mattermost.enabled is true")
	}
	if err := checkURL(c.URL); err != nil {
		return fmt.Errorf("mattermost.url: %v", err)
	}
	if c.APIToken == "" {
		return fmt.Errorf("mattermost.api_token is required when mattermost.enabled is true")
	}
	if c.PublicURL != "" {
		if err := checkURL(c.PublicURL); err != nil {
			return fmt.Errorf("mattermost.public_url: %v", err)
		}
	}
	return nil
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL with a host (include the scheme, e.g. https://)", s)
	}
	return nil
}
