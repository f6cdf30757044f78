package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"time"

	"github.com/opsgate/opsgate"
)

var _ opsgate.St2CredentialService = (*St2Service)(nil)

// St2Service stores StackStorm per-user credentials and login links.
type St2Service struct{ db *DB }

// NewSt2Service returns the StackStorm store for db.
func NewSt2Service(db *DB) *St2Service { return &St2Service{db: db} }

// credentialDoc is what the audit log keeps of a credential: never the sealed value.
type credentialDoc struct {
	Platform  string     `json:"platform"`
	UserID    string     `json:"user_id"`
	UserName  string     `json:"user_name"`
	Kind      string     `json:"kind"`
	St2User   string     `json:"st2_user"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

func docOf(c *opsgate.St2Credential) *credentialDoc {
	if c == nil {
		return nil
	}
	d := &credentialDoc{Platform: c.Platform, UserID: c.UserID, UserName: c.UserName, Kind: c.Kind, St2User: c.St2User}
	if !c.ExpiresAt.IsZero() {
		t := c.ExpiresAt
		d.ExpiresAt = &t
	}
	return d
}

func nullTime(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: Time(t), Valid: true}
}

// SaveCredential inserts or replaces the credential of (Platform, UserID), audited without the secret.
func (s *St2Service) SaveCredential(ctx context.Context, c *opsgate.St2Credential) error {
	before, err := s.FindCredential(ctx, c.Platform, c.UserID)
	if err != nil && opsgate.ErrorCode(err) != opsgate.ENOTFOUND {
		return err
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.db.Now()
	}
	c.CreatedAt = c.CreatedAt.UTC().Truncate(time.Microsecond)
	action := "create"
	if before != nil {
		action = "update"
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM stackstorm_credentials WHERE platform = ? AND user_id = ?`), c.Platform, c.UserID); err != nil {
			return err
		}
		if _, err := s.db.Insert(ctx, tx, `INSERT INTO stackstorm_credentials (platform, user_id, user_name, kind, st2_user, sealed, expires_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, c.Platform, c.UserID, c.UserName, c.Kind, c.St2User,
			base64.StdEncoding.EncodeToString(c.Sealed), nullTime(c.ExpiresAt), Time(c.CreatedAt)); err != nil {
			return err
		}
		return s.db.Audit(ctx, tx, action, "stackstorm_credential", c.Platform+":"+c.UserID, docOf(before), docOf(c))
	})
}

// FindCredential returns ENOTFOUND when the user has no credential.
func (s *St2Service) FindCredential(ctx context.Context, platform, userID string) (*opsgate.St2Credential, error) {
	var (
		c       = opsgate.St2Credential{Platform: platform, UserID: userID}
		sealed  string
		expires sql.NullInt64
		created int64
	)
	err := s.db.SQL.QueryRowContext(ctx, s.db.Rebind(`SELECT user_name, kind, st2_user, sealed, expires_at, created_at
		FROM stackstorm_credentials WHERE platform = ? AND user_id = ?`), platform, userID).
		Scan(&c.UserName, &c.Kind, &c.St2User, &sealed, &expires, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, opsgate.Errorf(opsgate.ENOTFOUND, "No StackStorm credentials stored for this user.")
	} else if err != nil {
		return nil, err
	}
	if c.Sealed, err = base64.StdEncoding.DecodeString(sealed); err != nil {
		return nil, err
	}
	if expires.Valid {
		c.ExpiresAt = FromTime(expires.Int64)
	}
	c.CreatedAt = FromTime(created)
	return &c, nil
}

// DeleteCredential returns ENOTFOUND when the user has none. Audited.
func (s *St2Service) DeleteCredential(ctx context.Context, platform, userID string) error {
	before, err := s.FindCredential(ctx, platform, userID)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM stackstorm_credentials WHERE platform = ? AND user_id = ?`), platform, userID); err != nil {
			return err
		}
		return s.db.Audit(ctx, tx, "delete", "stackstorm_credential", platform+":"+userID, docOf(before), nil)
	})
}

// CreateLoginLink stores a new link.
func (s *St2Service) CreateLoginLink(ctx context.Context, l *opsgate.St2LoginLink) error {
	_, err := s.db.SQL.ExecContext(ctx, s.db.Rebind(`INSERT INTO stackstorm_login_links
		(hash, platform, user_id, user_name, created_at, expires_at, used, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		l.Hash, l.Platform, l.UserID, l.UserName, Time(l.CreatedAt), Time(l.ExpiresAt), l.Used, l.Attempts)
	return err
}

// FindLoginLink returns ENOTFOUND for an unknown hash.
func (s *St2Service) FindLoginLink(ctx context.Context, hash string) (*opsgate.St2LoginLink, error) {
	l := opsgate.St2LoginLink{Hash: hash}
	var created, expires int64
	err := s.db.SQL.QueryRowContext(ctx, s.db.Rebind(`SELECT platform, user_id, user_name, created_at, expires_at, used, attempts
		FROM stackstorm_login_links WHERE hash = ?`), hash).Scan(&l.Platform, &l.UserID, &l.UserName, &created, &expires, &l.Used, &l.Attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, opsgate.Errorf(opsgate.ENOTFOUND, "Login link not found.")
	} else if err != nil {
		return nil, err
	}
	l.CreatedAt, l.ExpiresAt = FromTime(created), FromTime(expires)
	return &l, nil
}

// ClaimLoginLink marks an unused, unexpired link used in one statement, so two submissions racing
// for one link cannot both win. Returns ENOTFOUND or ECONFLICT (used or expired).
func (s *St2Service) ClaimLoginLink(ctx context.Context, hash string, now time.Time) (*opsgate.St2LoginLink, error) {
	res, err := s.db.SQL.ExecContext(ctx, s.db.Rebind(`UPDATE stackstorm_login_links SET used = ? WHERE hash = ? AND used = ? AND expires_at > ?`),
		true, hash, false, Time(now))
	if err != nil {
		return nil, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, err
	}
	l, err := s.FindLoginLink(ctx, hash)
	if err != nil {
		return nil, err
	}
	if n != 1 {
		return nil, opsgate.Errorf(opsgate.ECONFLICT, "Login link already used or expired.")
	}
	return l, nil
}

// ReleaseLoginLink undoes a claim after refused credentials and counts the attempt; at
// maxAttempts the link stays used. (used is assigned first: MySQL evaluates SET left to right.)
func (s *St2Service) ReleaseLoginLink(ctx context.Context, hash string, maxAttempts int) error {
	res, err := s.db.SQL.ExecContext(ctx, s.db.Rebind(`UPDATE stackstorm_login_links
		SET used = CASE WHEN attempts + 1 >= ? THEN TRUE ELSE FALSE END, attempts = attempts + 1 WHERE hash = ?`),
		maxAttempts, hash)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return opsgate.Errorf(opsgate.ENOTFOUND, "Login link not found.")
	}
	return nil
}

// DeleteExpiredLoginLinks removes links that expired before t.
func (s *St2Service) DeleteExpiredLoginLinks(ctx context.Context, t time.Time) error {
	_, err := s.db.SQL.ExecContext(ctx, s.db.Rebind(`DELETE FROM stackstorm_login_links WHERE expires_at < ?`), Time(t))
	return err
}

// ClaimAnnouncement records that this replica posts the announcement with key (an st2 event id
// or payload hash); false when another replica claimed it within window. A repeated identical
// announcement after the window is posted again.
func (s *St2Service) ClaimAnnouncement(ctx context.Context, key string, at time.Time, window time.Duration) (bool, error) {
	return s.db.Claim(ctx, "stackstorm-announcement", key, at, window)
}
