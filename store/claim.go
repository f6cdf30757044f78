package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"time"
)

// purgeEvery bounds how often Claim deletes old claims of a scope.
const purgeEvery = time.Minute

// Claim records that this process acts on key within scope at time at. It returns false when
// any process sharing the database (another replica, or this one) claimed the same key less than
// window ago, so an event delivered to several replicas, or delivered again, is acted on once.
//
// Concurrent claims are group-committed, as the command log is: they sit on the ack path of
// every signed request, and one transaction per claim made the database the ceiling of a busy
// server. Each caller still returns only once its own claim is committed.
func (db *DB) Claim(ctx context.Context, scope, key string, at time.Time, window time.Duration) (bool, error) {
	sum := sha256.Sum256([]byte(scope + "\x00" + key))
	c := &pendingClaim{hash: hex.EncodeToString(sum[:]), scope: scope, at: at, window: window, done: make(chan error, 1)}
	db.claimMu.Lock()
	db.claimQueue = append(db.claimQueue, c)
	if db.claimLeading {
		db.claimMu.Unlock()
		return c.wait()
	}
	db.claimLeading = true
	db.claimMu.Unlock()
	// This caller leads: commit batches until the queue is empty (its own claim is in the first).
	lctx := context.WithoutCancel(ctx) // others' claims ride on this transaction
	for {
		db.claimMu.Lock()
		n := min(len(db.claimQueue), maxBatch)
		batch := db.claimQueue[:n:n]
		db.claimQueue = db.claimQueue[n:]
		if n == 0 {
			db.claimLeading = false
			db.claimMu.Unlock()
			break
		}
		db.claimMu.Unlock()
		err := db.claimBatch(lctx, batch)
		if err != nil && len(batch) > 1 {
			// One claim the database refuses must not fail the others that shared its transaction.
			for _, b := range batch {
				b.done <- db.claimBatch(lctx, []*pendingClaim{b})
			}
		} else {
			for _, b := range batch {
				b.done <- err
			}
		}
	}
	ok, err := c.wait()
	if ok {
		db.purgeClaims(ctx, scope, at.Add(-window))
	}
	return ok, err
}

type pendingClaim struct {
	hash, scope string
	at          time.Time
	window      time.Duration
	ok          bool
	done        chan error
}

func (c *pendingClaim) wait() (bool, error) {
	if err := <-c.done; err != nil {
		return false, err
	}
	return c.ok, nil
}

// claimBatch makes batch's claims in one transaction. A key claimed before is ours only if that
// claim has aged out of its window; the insert skips conflicts (rather than failing on them,
// which would abort a PostgreSQL transaction) so that one taken key leaves the batch intact.
func (db *DB) claimBatch(ctx context.Context, batch []*pendingClaim) error {
	insert := `INSERT INTO claims (key_hash, scope, claimed_at) VALUES (?, ?, ?) ON CONFLICT (key_hash) DO NOTHING`
	if db.Dialect == MySQL {
		insert = `INSERT IGNORE INTO claims (key_hash, scope, claimed_at) VALUES (?, ?, ?)`
	}
	insert = db.Rebind(insert)
	update := db.Rebind(`UPDATE claims SET claimed_at = ? WHERE key_hash = ? AND claimed_at < ?`)
	db.prepare(ctx, insert, update)
	run := func(ex execer) error {
		for _, c := range batch {
			res, err := db.execHot(ctx, ex, insert, c.hash, c.scope, Time(c.at))
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if n == 0 {
				if res, err = db.execHot(ctx, ex, update, Time(c.at), c.hash, Time(c.at.Add(-c.window))); err != nil {
					return err
				}
				if n, err = res.RowsAffected(); err != nil {
					return err
				}
			}
			c.ok = n == 1
		}
		return nil
	}
	if len(batch) == 1 { // alone: no transaction's round trips (each statement is atomic)
		return run(db.SQL)
	}
	return db.Tx(ctx, func(tx *sql.Tx) error { return run(tx) })
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
