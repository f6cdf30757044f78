package main

import "fmt"

// RocketChatConfig configures the Rocket.Chat platform (see docs/rocketchat.md).
type RocketChatConfig struct {
	Enabled bool `yaml:"enabled"`
	// URL is the Rocket.Chat server (https://chat.example.com).
	URL string `yaml:"url"`
	// UserID and AuthToken are the bot user's REST credentials (a personal access token).
	UserID    string `yaml:"user_id"`
	AuthToken string `yaml:"auth_token"`
}

// Validate checks the rocketchat section.
func (c RocketChatConfig) Validate() error {
	if !c.Enabled {
		return nil
	}
	switch {
	case c.URL == "":
		return fmt.Errorf("rocketchat.url is required when rocketchat.enabled is true")
	case c.UserID == "":
		return fmt.Errorf("rocketchat.user_id is required when rocketchat.enabled is true")
	case c.AuthToken == "":
		return fmt.Errorf("rocketchat.auth_token is required when rocketchat.enabled is true")
	}
	if err := checkURL(c.URL); err != nil {
		return fmt.Errorf("rocketchat.url: %v", err)
	}
	return nil
}
