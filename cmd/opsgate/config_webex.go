package main

import "fmt"

// WebexConfig configures the Webex platform (see docs/webex.md).
type WebexConfig struct {
	Enabled bool `yaml:"enabled"`
	// Token is the bot access token.
	Token string `yaml:"token"`
	// WebhookSecret signs every webhook delivery; it also keys the card callback tokens.
	WebhookSecret string `yaml:"webhook_secret"`
	// APIURL is the REST API base; default https://webexapis.com/v1 (tests point it at a stand-in).
	APIURL string `yaml:"api_url"`
	// PublicURL is the full URL Webex posts to; when set, opsgate registers its webhooks itself.
	PublicURL string `yaml:"public_url"`
}

// Validate checks the webex section.
func (c WebexConfig) Validate() error {
	if !c.Enabled {
		return nil
	}
	switch {
	case c.Token == "":
		return fmt.Errorf("webex.token is required when webex.enabled is true (the bot access token)")
	case c.WebhookSecret == "":
		return fmt.Errorf("webex.webhook_secret is required when webex.enabled is true: opsgate refuses unsigned webhooks")
	}
	for _, u := range [][2]string{{"webex.api_url", c.APIURL}, {"webex.public_url", c.PublicURL}} {
		if u[1] == "" {
			continue
		}
		if err := checkURL(u[1]); err != nil {
			return fmt.Errorf("%s: %v", u[0], err)
		}
	}
	return nil
}
