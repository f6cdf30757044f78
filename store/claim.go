package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// purgeEvery bounds how often Claim deletes old claims of a scope.
const purgeEvery = time.Minute

// Claim records that this process acts on key within scope at time at. It returns false when
// any process sharing the database (another replica, or this one) claimed the same key less than
// window ago, so an event delivered to several replicas, or delivered again, is acted on once.
func (db *DB) Claim(ctx context.Context, scope, key string, at time.Time, window time.Duration) (bool, error) {
	sum := sha256.Sum256([]byte(scope + "\x00" + key))
	h := hex.EncodeToString(sum[:])
	_, err := db.SQL.ExecContext(ctx, db.Rebind(`INSERT INTO claims (key_hash, scope, claimed_at) VALUES (?, ?, ?)`), h, scope, Time(at))
	if err == nil {
		db.purgeClaims(ctx, scope, at.Add(-window))
		return true, nil
	}
	if !IsUniqueViolation(err) {
		return false, err
	}
	// Claimed before: ours only if that claim has aged out of the window.
	res, err := db.SQL.ExecContext(ctx, db.Rebind(`UPDATE claims SET claimed_at = ? WHERE key_hash = ? AND claimed_at < ?`),
		Time(at), h, Time(at.Add(-window)))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// purgeClaims deletes a scope's claims older than before, at most once per purgeEvery.
func (db *DB) purgeClaims(ctx context.Context, scope string, before time.Time) {
	now := time.Now().UnixNano()
	last := db.lastPurge.Load()
	if now-last < int64(purgeEvery) || !db.lastPurge.CompareAndSwap(last, now) {
		return
	}
	db.SQL.ExecContext(ctx, db.Rebind(`DELETE FROM claims WHERE scope = ? AND claimed_at < ?`), scope, Time(before))
}

// Unclaim releases key in scope, so the next Claim of it succeeds: for work claimed and then
// refused before anything ran.
func (db *DB) Unclaim(ctx context.Context, scope, key string) error {
	sum := sha256.Sum256([]byte(scope + "\x00" + key))
	_, err := db.SQL.ExecContext(ctx, db.Rebind(`DELETE FROM claims WHERE key_hash = ?`), hex.EncodeToString(sum[:]))
	return err
}
