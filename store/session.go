package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"time"
)

// SessionStore keeps web UI sessions in the database, so every replica knows them and they
// survive restarts. Its methods are scs.CtxStore's (github.com/alexedwards/scs/v2), which the
// UI uses without this package importing it. Rows are keyed by the SHA-256 of the cookie token.
type SessionStore struct{ db *DB }

// NewSessionStore returns the session store for db.
func NewSessionStore(db *DB) *SessionStore { return &SessionStore{db: db} }

// FindCtx returns the session data of token, found only while it has not expired.
func (s *SessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var data string
	err := s.db.SQL.QueryRowContext(ctx, s.db.Rebind(`SELECT data FROM ui_sessions WHERE token_hash = ? AND expires_at > ?`),
		HashToken(token), Time(s.db.Now())).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, err
	}
	b, err := base64.StdEncoding.DecodeString(data)
	return b, err == nil, err
}

// CommitCtx stores b for token until expiry, and drops expired sessions on the way.
func (s *SessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	h, data := HashToken(token), base64.StdEncoding.EncodeToString(b)
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM ui_sessions WHERE token_hash = ? OR expires_at <= ?`), h, Time(s.db.Now())); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.db.Rebind(`INSERT INTO ui_sessions (token_hash, data, expires_at) VALUES (?, ?, ?)`), h, data, Time(expiry))
		return err
	})
}

// DeleteCtx removes token's session (logout).
func (s *SessionStore) DeleteCtx(ctx context.Context, token string) error {
	_, err := s.db.SQL.ExecContext(ctx, s.db.Rebind(`DELETE FROM ui_sessions WHERE token_hash = ?`), HashToken(token))
	return err
}

// Find, Commit and Delete are scs.Store's methods, for callers without a context.
func (s *SessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}
func (s *SessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}
func (s *SessionStore) Delete(token string) error { return s.DeleteCtx(context.Background(), token) }

// Expire ends every session now (tests; an administrator's "log everyone out").
func (s *SessionStore) Expire(ctx context.Context) error {
	_, err := s.db.SQL.ExecContext(ctx, s.db.Rebind(`UPDATE ui_sessions SET expires_at = ?`), Time(s.db.Now().Add(-time.Second)))
	return err
}
