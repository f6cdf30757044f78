package opsgate

import (
	"context"
	"time"
)

// CommandToken authenticates a platform that signs each slash command with its own token
// (Mattermost) or a webhook caller. Only a SHA-256 hash and a short prefix are stored.
type CommandToken struct {
	ID        int64     `json:"id"`
	Platform  string    `json:"platform"`
	Comment   string    `json:"comment,omitempty"`
	Prefix    string    `json:"prefix"` // first characters, to tell tokens apart
	Hash      string    `json:"-"`      // hex SHA-256 of the token
	CreatedAt time.Time `json:"created_at"`
}

// TokenService stores command tokens.
type TokenService interface {
	// FindTokens returns the tokens of a platform ("" for all), ordered by id.
	FindTokens(ctx context.Context, platform string) ([]*CommandToken, error)
	// CreateToken stores a token for platform. When token is empty a new random one is generated.
	// Returns the plain token: the only time it is available. Audited.
	CreateToken(ctx context.Context, t *CommandToken, token string) (string, error)
	// DeleteToken removes a token. Returns ENOTFOUND if it does not exist. Audited.
	DeleteToken(ctx context.Context, id int64) error
	// VerifyToken returns the platform's token equal to token, compared in constant time.
	// Returns EUNAUTHORIZED when none matches.
	VerifyToken(ctx context.Context, platform, token string) (*CommandToken, error)
}
