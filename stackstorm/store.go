package stackstorm

import (
	"context"
	"sync"
	"time"

	"github.com/opsgate/opsgate"
)

// MemoryStore keeps credentials and login links in memory, for tests and tools; opsgate itself uses the database.
type MemoryStore struct {
	mu    sync.Mutex
	creds map[[2]string]opsgate.St2Credential
	links map[string]opsgate.St2LoginLink
}

var _ opsgate.St2CredentialService = (*MemoryStore)(nil)

func (m *MemoryStore) init() {
	if m.creds == nil {
		m.creds = map[[2]string]opsgate.St2Credential{}
		m.links = map[string]opsgate.St2LoginLink{}
	}
}

func (m *MemoryStore) SaveCredential(_ context.Context, c *opsgate.St2Credential) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	m.creds[[2]string{c.Platform, c.UserID}] = *c
	return nil
}

func (m *MemoryStore) FindCredential(_ context.Context, platform, userID string) (*opsgate.St2Credential, error) {
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

func (m *MemoryStore) CreateLoginLink(_ context.Context, l *opsgate.St2LoginLink) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	m.links[l.Hash] = *l
	return nil
}

func (m *MemoryStore) FindLoginLink(_ context.Context, hash string) (*opsgate.St2LoginLink, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	l, ok := m.links[hash]
	if !ok {
		return nil, opsgate.Errorf(opsgate.ENOTFOUND, "Login link not found.")
	}
	return &l, nil
}

func (m *MemoryStore) ClaimLoginLink(_ context.Context, hash string, now time.Time) (*opsgate.St2LoginLink, error) {
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
