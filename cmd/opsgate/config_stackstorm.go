package main

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/opsgate/opsgate/stackstorm"
)

// StackStormConfig configures the StackStorm integration: st2's three endpoints, the bot's
// credentials (username/password, a user token or an API key; each may be a ${secret:NAME}
// reference), the chat prefix and announcement route, per-user logins and the webhook.
type StackStormConfig struct {
	Enabled   bool   `yaml:"enabled"`
	AuthURL   string `yaml:"auth_url"`   // https://st2.example.com/auth/v1
	APIURL    string `yaml:"api_url"`    // https://st2.example.com/api/v1
	StreamURL string `yaml:"stream_url"` // https://st2.example.com/stream/v1
	// VerifyCert checks st2's TLS certificates (default true).
	VerifyCert *bool `yaml:"verify_cert"`
	// Route is the notification route (default "opsgate"): st2's notify rule must match it.
	Route string `yaml:"route"`
	// Prefix is the chat command (default "st2"): "st2 <alias text>", "st2help", "st2session".
	Prefix   string `yaml:"prefix"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	Token    string `yaml:"token"`
	APIKey   string `yaml:"api_key"`
	// TokenTTL is the life asked for the bot's tokens (default: st2's auth.token_ttl).
	TokenTTL Duration `yaml:"token_ttl"`
	// ServiceUser runs each chat user's commands with a token for their own st2 user, requested by
	// the bot's account (an st2 service user): "user" (user_map, else the chat user name) or
	// "nickname" (the st2 user whose nickname for the platform is the chat user name).
	ServiceUser string            `yaml:"service_user"`
	UserMap     map[string]string `yaml:"user_map"`
	// TrustUserNames lets chat user names pick the st2 user (user_map by name, the name itself,
	// st2 nicknames). Off: only "<platform>:<user id>" keys count, and nicknames are user ids.
	TrustUserNames bool `yaml:"trust_user_names"`
	// RequireLogin refuses commands from chat users with no st2 credentials of their own.
	RequireLogin bool `yaml:"require_login"`
	// PublicURL is opsgate's external URL for login links (<public_url>/stackstorm/login?uuid=...).
	PublicURL string `yaml:"public_url"`
	// EncryptionKey (32 bytes, base64 or hex) encrypts users' st2 tokens and API keys in the database.
	EncryptionKey string   `yaml:"encryption_key"`
	LoginLinkTTL  Duration `yaml:"login_link_ttl"`
	// WebhookRate (posts per second, default 5) and WebhookBurst (default 20) limit POST /chatops/message per token.
	WebhookRate  float64 `yaml:"webhook_rate"`
	WebhookBurst int     `yaml:"webhook_burst"`
	// DefaultPlatform receives announcements whose channel names no platform ("C123" rather than "slack:C123").
	DefaultPlatform string `yaml:"default_platform"`
	// HeartbeatTimeout: silence on the stream longer than this reconnects it (default 60s; st2 beats every 25s).
	HeartbeatTimeout Duration `yaml:"heartbeat_timeout"`
	// Timeout bounds each API call (default 30s).
	Timeout Duration `yaml:"timeout"`
	// MessageLimits overrides the per-platform message size (characters) announcements are split at.
	MessageLimits map[string]int `yaml:"message_limits"`
}

// Validate checks the section when enabled; errors name the key.
func (c StackStormConfig) Validate() error {
	if !c.Enabled {
		return nil
	}
	for _, u := range []struct{ key, val string }{{"auth_url", c.AuthURL}, {"api_url", c.APIURL}, {"stream_url", c.StreamURL}} {
		if u.val == "" {
			return fmt.Errorf("stackstorm.%s is required when stackstorm.enabled is true", u.key)
		}
		if p, err := url.Parse(u.val); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return fmt.Errorf("stackstorm.%s must be an http(s) URL, got %q", u.key, u.val)
		}
	}
	n := 0
	if c.Username != "" || c.Password != "" {
		if c.Username == "" || c.Password == "" {
			return fmt.Errorf("stackstorm.username and stackstorm.password go together")
		}
		n++
	}
	if c.Token != "" {
		n++
	}
	if c.APIKey != "" {
		n++
	}
	if n != 1 {
		return fmt.Errorf("stackstorm: set exactly one of username/password, token or api_key (found %d)", n)
	}
	switch c.ServiceUser {
	case stackstorm.ServiceUserOff, stackstorm.ServiceUserName, stackstorm.ServiceUserNickname:
	default:
		return fmt.Errorf("stackstorm.service_user %q is not one of \"\", user, nickname", c.ServiceUser)
	}
	if c.ServiceUser != "" && c.Username == "" {
		return fmt.Errorf("stackstorm.service_user needs stackstorm.username/password of an st2 service user")
	}
	if c.Route != "" && strings.ContainsAny(c.Route, " \t\r\n") {
		return fmt.Errorf("stackstorm.route cannot contain whitespace")
	}
	if c.Prefix != "" && strings.ContainsAny(c.Prefix, " \t\r\n") {
		return fmt.Errorf("stackstorm.prefix cannot contain whitespace")
	}
	if c.PublicURL != "" {
		if p, err := url.Parse(c.PublicURL); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return fmt.Errorf("stackstorm.public_url must be an http(s) URL, got %q", c.PublicURL)
		}
		if c.EncryptionKey == "" {
			return fmt.Errorf("stackstorm.encryption_key is required with stackstorm.public_url (user credentials are stored encrypted)")
		}
	}
	if c.EncryptionKey != "" && !strings.Contains(c.EncryptionKey, "${secret:") {
		if _, err := stackstorm.ParseKey(c.EncryptionKey); err != nil {
			return fmt.Errorf("stackstorm.encryption_key: %v", err)
		}
	}
	if c.RequireLogin && c.PublicURL == "" && c.ServiceUser == "" {
		return fmt.Errorf("stackstorm.require_login needs stackstorm.public_url (logins) or stackstorm.service_user")
	}
	if c.WebhookRate < 0 || c.WebhookBurst < 0 {
		return fmt.Errorf("stackstorm.webhook_rate and webhook_burst cannot be negative")
	}
	return nil
}

func (c StackStormConfig) route() string {
	if c.Route == "" {
		return "opsgate"
	}
	return c.Route
}

func (c StackStormConfig) prefix() string {
	if c.Prefix == "" {
		return "st2"
	}
	return c.Prefix
}

func (c StackStormConfig) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout.D()
	}
	return 30 * time.Second
}
