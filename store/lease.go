package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// AcquireLease takes or renews the lease called name for holder until now+ttl. It returns false
// when another holder has it and it has not expired: leases are how replicas sharing a database
// agree that only one of them holds a connection (XMPP, Slack Socket Mode). Expiry compares the
// clocks of the replicas, so they must agree to well within ttl.
func (db *DB) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	until := Time(now.Add(ttl))
	_, err := db.SQL.ExecContext(ctx, db.Rebind(`INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)`), name, holder, until)
	if err == nil {
		return true, nil
	}
	if !IsUniqueViolation(err) {
		return false, err
	}
	// Ours to renew, or someone else's that has lapsed.
	if _, err := db.SQL.ExecContext(ctx, db.Rebind(`UPDATE leases SET holder = ?, expires_at = ? WHERE name = ? AND (holder = ? OR expires_at <= ?)`),
		holder, until, name, holder, Time(now)); err != nil {
		return false, err
	}
	// MySQL counts changed rows, not matched ones (a renewal at the same instant changes
	// nothing), so read back who holds it rather than trusting RowsAffected.
	var got string
	var exp int64
	err = db.SQL.QueryRowContext(ctx, db.Rebind(`SELECT holder, expires_at FROM leases WHERE name = ?`), name).Scan(&got, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // released between our statements: the next attempt inserts
	}
	if err != nil {
		return false, err
	}
	return got == holder && exp == until, nil
}

// ReleaseLease gives up holder's lease called name, so another replica can take it at once. It
// does nothing when holder does not hold it.
func (db *DB) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := db.SQL.ExecContext(ctx, db.Rebind(`DELETE FROM leases WHERE name = ? AND holder = ?`), name, holder)
	return err
}

// LeaseHolder tells who holds the lease called name and until when; holder is "" when nobody
// has taken it (or it was released).
func (db *DB) LeaseHolder(ctx context.Context, name string) (holder string, until time.Time, err error) {
	var exp int64
	err = db.SQL.QueryRowContext(ctx, db.Rebind(`SELECT holder, expires_at FROM leases WHERE name = ?`), name).Scan(&holder, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, nil
	}
	return holder, FromTime(exp), err
}
