package opsgate

import (
	"context"
	"time"
)

// St2Credential is a chat user's own StackStorm credential: only a token or an API key, never a
// password, sealed (encrypted) by the stackstorm package; storage never sees the plain value.
type St2Credential struct {
	Platform string
	UserID   string
	UserName string
	Kind     string // "token" or "api_key"
	St2User  string // the st2 user it authenticates as, when st2 said
	Sealed   []byte
	// ExpiresAt is the token's expiry; zero for API keys and tokens of unknown expiry.
	ExpiresAt time.Time
	CreatedAt time.Time
}

// St2LoginLink is a one-time StackStorm login page link. Only a hash of the link's secret is stored.
type St2LoginLink struct {
	Hash      string // hex SHA-256 of the uuid in the link
	Platform  string
	UserID    string
	UserName  string
	CreatedAt time.Time
	ExpiresAt time.Time
	Used      bool
	Attempts  int
}

// St2CredentialService keeps per-user StackStorm credentials and login links.
type St2CredentialService interface {
	// SaveCredential inserts or replaces the credential of (Platform, UserID). Audited, without the secret.
	SaveCredential(ctx context.Context, c *St2Credential) error
	// FindCredential returns ENOTFOUND when the user has none.
	FindCredential(ctx context.Context, platform, userID string) (*St2Credential, error)
	// DeleteCredential returns ENOTFOUND when the user has none. Audited.
	DeleteCredential(ctx context.Context, platform, userID string) error
	// CreateLoginLink stores a new link.
	CreateLoginLink(ctx context.Context, l *St2LoginLink) error
	// FindLoginLink returns ENOTFOUND for an unknown hash.
	FindLoginLink(ctx context.Context, hash string) (*St2LoginLink, error)
	// ClaimLoginLink atomically marks an unused link that is unexpired at now as used and returns it.
	// Returns ENOTFOUND for an unknown hash and ECONFLICT for a used or expired link.
	ClaimLoginLink(ctx context.Context, hash string, now time.Time) (*St2LoginLink, error)
	// ReleaseLoginLink undoes a claim after credentials were refused and counts the attempt; once
	// Attempts reaches maxAttempts the link stays used.
	ReleaseLoginLink(ctx context.Context, hash string, maxAttempts int) error
	// DeleteExpiredLoginLinks removes links that expired before t.
	DeleteExpiredLoginLinks(ctx context.Context, t time.Time) error
}
