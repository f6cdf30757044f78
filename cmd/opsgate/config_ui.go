package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/opsgate/opsgate"
)

// UIConfig is the admin web UI and web chat under /ui/ (docs/web-ui.md).
type UIConfig struct {
	Enabled bool `yaml:"enabled"`
	// SessionLifetime ends a session after login; IdleTimeout after that long without a request.
	SessionLifetime Duration `yaml:"session_lifetime"`
	IdleTimeout     Duration `yaml:"idle_timeout"`
	// SecureCookies marks the session cookie Secure when a TLS-terminating proxy serves opsgate;
	// with tls.cert_file it is always Secure.
	SecureCookies bool         `yaml:"secure_cookies"`
	Chat          UIChatConfig `yaml:"chat"`
	// SecretConstraints limits a role (operator, viewer) to secrets of one provider whose
	// parameter starts with a prefix.
	SecretConstraints map[string]opsgate.SecretConstraint `yaml:"secret_constraints"`
	OIDC              UIOIDCConfig                        `yaml:"oidc"`
}

// UIOIDCConfig is single sign-on through an OpenID Connect provider; off while issuer is empty.
type UIOIDCConfig struct {
	Issuer       string `yaml:"issuer"`
	ClientID     string `yaml:"client_id"`
	ClientSecret string `yaml:"client_secret"`
	// RedirectURL is https://HOST/ui/login/oidc/callback, as registered with the provider.
	RedirectURL string `yaml:"redirect_url"`
	// RoleClaim is the ID token claim whose values Roles maps to opsgate roles.
	RoleClaim string            `yaml:"role_claim"`
	Roles     map[string]string `yaml:"roles"`
}

// UIChatConfig is where web chat messages come from, for grants.
type UIChatConfig struct {
	Organization string `yaml:"organization"`
	Channel      string `yaml:"channel"`
}

func defaultUIConfig() UIConfig {
	return UIConfig{Enabled: true, SessionLifetime: Duration(defaultSessionLifetime), IdleTimeout: Duration(defaultIdleTimeout),
		Chat: UIChatConfig{Organization: "web", Channel: "webchat"}}
}

// Validate checks durations, the chat's identity and the constraints' roles.
func (c *UIConfig) Validate() error {
	switch {
	case c.SessionLifetime < 0:
		return fmt.Errorf("ui.session_lifetime must not be negative")
	case c.IdleTimeout < 0:
		return fmt.Errorf("ui.idle_timeout must not be negative")
	case c.Chat.Organization == "" || c.Chat.Channel == "":
		return fmt.Errorf("ui.chat.organization and ui.chat.channel must not be empty")
	}
	if o := c.OIDC; o.Issuer != "" {
		switch {
		case checkURL(o.Issuer) != nil:
			return fmt.Errorf("ui.oidc.issuer: %v", checkURL(o.Issuer))
		case o.ClientID == "":
			return fmt.Errorf("ui.oidc.client_id is required with ui.oidc.issuer")
		case o.RedirectURL == "" || !strings.HasSuffix(o.RedirectURL, "/ui/login/oidc/callback"):
			return fmt.Errorf("ui.oidc.redirect_url is required: opsgate's public address followed by /ui/login/oidc/callback")
		case o.RoleClaim == "" || len(o.Roles) == 0:
			return fmt.Errorf("ui.oidc.role_claim and ui.oidc.roles are required: which claim values give which role")
		}
		for v, r := range o.Roles {
			if _, err := opsgate.ParseRole(r); err != nil {
				return fmt.Errorf("ui.oidc.roles.%s: %s", v, opsgate.ErrorMessage(err))
			}
		}
	}
	roles := make([]string, 0, len(c.SecretConstraints))
	for r := range c.SecretConstraints {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	for _, r := range roles {
		if _, err := opsgate.ParseRole(r); err != nil {
			return fmt.Errorf("ui.secret_constraints: %s", opsgate.ErrorMessage(err))
		}
		if sc := c.SecretConstraints[r]; sc.Provider == "" {
			return fmt.Errorf("ui.secret_constraints.%s.provider is required", r)
		}
	}
	return nil
}
