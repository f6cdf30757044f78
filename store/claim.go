package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/opsgate/opsgate"
)

// purgeEvery bounds how often Claim deletes old claims of a scope.
const purgeEvery = time.Minute

// Claim records that this process acts on key within scope at time at. It returns false when
// any process sharing the database (another replica, or this one) claimed the same key less than
// window ago, so an event delivered to several replicas, or delivered again, is acted on once.
//
// Claims are group-committed with the command log (groupCommit): they sit on the ack path of
// every signed request, and one transaction per claim made the database the ceiling of a busy
// server. Each caller still returns only once its own claim is committed.
func (db *DB) Claim(ctx context.Context, scope, key string, at time.Time, window time.Duration) (bool, error) {
	sum := sha256.Sum256([]byte(scope + "\x00" + key))
	hash := hex.EncodeToString(sum[:])
	insert := `INSERT INTO claims (key_hash, scope, claimed_at) VALUES (?, ?, ?) ON CONFLICT (key_hash) DO NOTHING`
	if db.Dialect == MySQL {
		insert = `INSERT IGNORE INTO claims (key_hash, scope, claimed_at) VALUES (?, ?, ?)`
	}
	insert = db.Rebind(insert)
	update := db.Rebind(`UPDATE claims SET claimed_at = ? WHERE key_hash = ? AND claimed_at < ?`)
	db.prepare(ctx, insert, update)
	var ok bool
	// A key claimed before is ours only if that claim has aged out of its window; the insert
	// skips conflicts (rather than failing on them, which would abort a PostgreSQL transaction)
	// so that one taken key leaves the others sharing its transaction intact.
	err := db.groupCommit(ctx, &groupWrite{bare: true, run: func(ctx context.Context, ex execer) error {
		res, err := db.execHot(ctx, ex, insert, hash, scope, Time(at))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			if res, err = db.execHot(ctx, ex, update, Time(at), hash, Time(at.Add(-window))); err != nil {
				return err
			}
			if n, err = res.RowsAffected(); err != nil {
				return err
			}
		}
		ok = n == 1
		return nil
	}})
	if err != nil {
		return false, err
	}
	if ok {
		db.purgeClaims(scope, at.Add(-window))
	}
	return ok, nil
}

// purgeChunk is how many old claims one statement deletes.
const purgeChunk = 500

// purgeClaims deletes, in the background, a scope's claims older than before, at most once per
// purgeEvery for each scope (a busy scope must not starve a quiet one of its purges). It deletes
// in chunks, each a statement of its own: a busy server has a minute's claims to delete
// (hundreds of thousands), which in one statement held SQLite's only connection, and so every
// claim on the ack path, for the better part of a second.
func (db *DB) purgeClaims(scope string, before time.Time) {
	v, _ := db.purges.LoadOrStore(scope, new(atomic.Int64))
	lastPurge := v.(*atomic.Int64)
	now := time.Now().UnixNano()
	last := lastPurge.Load()
	if now-last < int64(purgeEvery) || !lastPurge.CompareAndSwap(last, now) {
		return
	}
	query := db.Rebind(`DELETE FROM claims WHERE key_hash IN (SELECT key_hash FROM claims WHERE scope = ? AND claimed_at < ? LIMIT ` + strconv.Itoa(purgeChunk) + `)`)
	if db.Dialect == MySQL { // which refuses LIMIT in an IN subquery, and has DELETE ... LIMIT
		query = `DELETE FROM claims WHERE scope = ? AND claimed_at < ? LIMIT ` + strconv.Itoa(purgeChunk)
	}
	go func() {
		// One purge at a time: two deleting ranges of the same index at once can deadlock
		// (MySQL), and the loser's scope would wait a minute for its next purge.
		db.purging.Lock()
		defer db.purging.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), purgeEvery)
		defer cancel()
		for failed := 0; ctx.Err() == nil; {
			res, err := db.SQL.ExecContext(ctx, query, scope, Time(before))
			if err != nil {
				// A deadlock with a claim being written: try again. Closed, or the database
				// away: the next purge does.
				if failed++; failed == 3 {
					return
				}
				opsgate.Sleep(ctx, 50*time.Millisecond)
				continue
			}
			if n, err := res.RowsAffected(); err != nil || n < purgeChunk {
				return
			}
		}
	}()
}

// Unclaim releases key in scope, so the next Claim of it succeeds: for work claimed and then
// refused before anything ran.
func (db *DB) Unclaim(ctx context.Context, scope, key string) error {
	sum := sha256.Sum256([]byte(scope + "\x00" + key))
	_, err := db.SQL.ExecContext(ctx, db.Rebind(`DELETE FROM claims WHERE key_hash = ?`), hex.EncodeToString(sum[:]))
	return err
}
