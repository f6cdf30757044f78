package stackstorm

import (
	"context"
	"sync"
	"time"

	"github.com/opsgate/opsgate"
)

// UserCredential is a chat user's own st2 credential, kept encrypted: only a token or an API key,
// never a password.
type UserCredential struct {
	Platform string
	UserID   string
	UserName string
	Kind     string // KindToken or KindAPIKey
	St2User  string // the st2 user it authenticates as, when st2 said
	Sealed   []byte // Sealer output
	// ExpiresAt is the token's expiry; zero for API keys and tokens of unknown expiry.
	ExpiresAt time.Time
	CreatedAt time.Time
}

// LoginLink is a one-time login page link. Only a hash of the link's secret is stored.
type LoginLink struct {
	Hash      string // hex SHA-256 of the uuid in the link
	Platform  string
	UserID    string
	UserName  string
	CreatedAt time.Time
	ExpiresAt time.Time
	Used      bool
	Attempts  int
}

// Store keeps per-user credentials and login links (store.DB implements it for the three databases).
type Store interface {
	// SaveCredential inserts or replaces the credential of (Platform, UserID). Audited, without the secret.
	SaveCredential(ctx context.Context, c *UserCredential) error
	// FindCredential returns ENOTFOUND when the user has none.
	FindCredential(ctx context.Context, platform, userID string) (*UserCredential, error)
	// DeleteCredential returns ENOTFOUND when the user has none. Audited.
	DeleteCredential(ctx context.Context, platform, userID string) error
	// CreateLoginLink stores a new link.
	CreateLoginLink(ctx context.Context, l *LoginLink) error
	// FindLoginLink returns ENOTFOUND for an unknown hash.
	FindLoginLink(ctx context.Context, hash string) (*LoginLink, error)
	// ClaimLoginLink atomically marks an unused link that is unexpired at now as used and returns it.
	// Returns ENOTFOUND for an unknown hash and ECONFLICT for a used or expired link.
	ClaimLoginLink(ctx context.Context, hash string, now time.Time) (*LoginLink, error)
	// ReleaseLoginLink undoes a claim after credentials were refused and counts the attempt; once
	// Attempts reaches maxAttempts the link stays used.
	ReleaseLoginLink(ctx context.Context, hash string, maxAttempts int) error
	// DeleteExpiredLoginLinks removes links that expired before t.
	DeleteExpiredLoginLinks(ctx context.Context, t time.Time) error
}

// MemoryStore is a Store in memory, for tests and tools; opsgate itself uses the database.
type MemoryStore struct {
	mu    sync.Mutex
	creds map[[2]string]UserCredential
	links map[string]LoginLink
}

var _ Store = (*MemoryStore)(nil)

func (m *MemoryStore) init() {
	if m.creds == nil {
		m.creds = map[[2]string]UserCredential{}
		m.links = map[string]LoginLink{}
	}
}

func (m *MemoryStore) SaveCredential(_ context.Context, c *UserCredential) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	m.creds[[2]string{c.Platform, c.UserID}] = *c
	return nil
}

func (m *MemoryStore) FindCredential(_ context.Context, platform, userID string) (*UserCredential, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	c, ok := m.creds[[2]string{platform, userID}]
	if !ok {
		return nil, opsgate.Errorf(opsgate.ENOTFOUND, "No StackStorm credentials stored for this user.")
	}
	return &c, nil
}

func (m *MemoryStore) DeleteCredential(_ context.Context, platform, userID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	k := [2]string{platform, userID}
	if _, ok := m.creds[k]; !ok {
		return opsgate.Errorf(opsgate.ENOTFOUND, "No StackStorm credentials stored for this user.")
	}
	delete(m.creds, k)
	return nil
}

func (m *MemoryStore) CreateLoginLink(_ context.Context, l *LoginLink) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	m.links[l.Hash] = *l
	return nil
}

func (m *MemoryStore) FindLoginLink(_ context.Context, hash string) (*LoginLink, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	l, ok := m.links[hash]
	if !ok {
		return nil, opsgate.Errorf(opsgate.ENOTFOUND, "Login link not found.")
	}
	return &l, nil
}

func (m *MemoryStore) ClaimLoginLink(_ context.Context, hash string, now time.Time) (*LoginLink, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	l, ok := m.links[hash]
	if !ok {
		return nil, opsgate.Errorf(opsgate.ENOTFOUND, "Login link not found.")
	}
	if l.Used || !now.Before(l.ExpiresAt) {
		return nil, opsgate.Errorf(opsgate.ECONFLICT, "Login link already used or expired.")
	}
	l.Used = true
	m.links[hash] = l
	return &l, nil
}

func (m *MemoryStore) ReleaseLoginLink(_ context.Context, hash string, maxAttempts int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	l, ok := m.links[hash]
	if !ok {
		return opsgate.Errorf(opsgate.ENOTFOUND, "Login link not found.")
	}
	l.Attempts++
	l.Used = l.Attempts >= maxAttempts
	m.links[hash] = l
	return nil
}

func (m *MemoryStore) DeleteExpiredLoginLinks(_ context.Context, t time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	for h, l := range m.links {
		if l.ExpiresAt.Before(t) {
			delete(m.links, h)
		}
	}
	return nil
}
