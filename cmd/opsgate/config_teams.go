package main

import "fmt"

// TeamsConfig configures the Microsoft Teams platform (see docs/teams.md).
type TeamsConfig struct {
	Enabled bool `yaml:"enabled"`
	// AppID is the Azure Bot's Microsoft App ID: the audience of every activity token.
	AppID string `yaml:"app_id"`
	// AppPassword is the App ID's client secret (may be ${secret:NAME}); it also keys the tokens
	// of buttons, menus and dialogs, so replicas agree without another setting.
	AppPassword string `yaml:"app_password"`
	// TenantID is a single-tenant bot's Entra tenant; "" is the legacy multi-tenant botframework.com.
	TenantID string `yaml:"tenant_id"`
	// OpenIDURL is where the signing keys are found; default Bot Framework's.
	OpenIDURL string `yaml:"openid_url"`
	// TokenURL is where reply tokens come from; default the tenant's Entra endpoint.
	TokenURL string `yaml:"token_url"`
}

// Validate checks the teams section.
func (c TeamsConfig) Validate() error {
	if !c.Enabled {
		return nil
	}
	switch {
	case c.AppID == "":
		return fmt.Errorf("teams.app_id is required when teams.enabled is true")
	case c.AppPassword == "":
		return fmt.Errorf("teams.app_password is required when teams.enabled is true")
	}
	for key, u := range map[string]string{"teams.openid_url": c.OpenIDURL, "teams.token_url": c.TokenURL} {
		if u != "" {
			if err := checkURL(u); err != nil {
				return fmt.Errorf("%s: %v", key, err)
			}
		}
	}
	return nil
}
