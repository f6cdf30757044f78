package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
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
	c := &claimWrite{hash: hex.EncodeToString(sum[:]), scope: scope, at: Time(at), since: Time(at.Add(-window))}
	if err := db.groupCommit(ctx, &groupWrite{claim: c}); err != nil {
		return false, err
	}
	if c.won {
		db.purgeClaims(scope, at.Add(-window))
	}
	return c.won, nil
}

// claimInsert is one claim's INSERT, which skips a taken key.
func (db *DB) claimInsert() string {
	if db.Dialect == MySQL {
		return `INSERT IGNORE INTO claims (key_hash, scope, claimed_at) VALUES (?, ?, ?)`
	}
	return db.Rebind(`INSERT INTO claims (key_hash, scope, claimed_at) VALUES (?, ?, ?) ON CONFLICT (key_hash) DO NOTHING`)
}

// claimsInsert is claimInsert for k rows (a power of two), returning the keys inserted.
func (db *DB) claimsInsert(k int) string {
	if db.Dialect == MySQL {
		return db.claimsSQL.get(db, k, `INSERT IGNORE INTO claims (key_hash, scope, claimed_at)`, `(?, ?, ?)`, ` RETURNING key_hash`)
	}
	return db.claimsSQL.get(db, k, `INSERT INTO claims (key_hash, scope, claimed_at)`, `(?, ?, ?)`, ` ON CONFLICT (key_hash) DO NOTHING RETURNING key_hash`)
}

// claimUpdate takes a key whose claim has aged out.
func (db *DB) claimUpdate() string {
	return db.Rebind(`UPDATE claims SET claimed_at = ? WHERE key_hash = ? AND claimed_at < ?`)
}

// claimWrite is one Claim waiting for the group commit.
type claimWrite struct {
	hash, scope string
	at, since   int64 // claimed at; a claim of the key before since has aged out
	won         bool  // set once committed
}

// claimBatch makes claims in ex as if one after another in their order: one INSERT for each
// chunk of their keys (the first claim of each) tells which keys were free, and each claim
// that did not win so (its key taken before, or by a claim before it in the batch) wins if the
// key's claim has aged out. The INSERTs skip taken keys, rather than fail on them (which would
// abort a PostgreSQL transaction), so that one taken key leaves the others' claims intact.
func (db *DB) claimBatch(ctx context.Context, ex execer, claims []*claimWrite) error {
	for _, c := range claims {
		c.won = false // a batch that failed may have set it
	}
	if len(claims) > 1 && db.returning(ctx, ex) {
		// Keys in order: replicas sharing the database take their locks in one order.
		first := slices.Clone(claims)
		slices.SortStableFunc(first, func(a, b *claimWrite) int { return strings.Compare(a.hash, b.hash) })
		first = slices.CompactFunc(first, func(a, b *claimWrite) bool { return a.hash == b.hash })
		for len(first) > 0 {
			k := chunkRows(len(first), nil)
			if err := db.claimFree(ctx, ex, first[:k]); err != nil {
				return err
			}
			first = first[k:]
		}
	}
	for _, c := range claims {
		if !c.won {
			if err := db.claimOne(ctx, ex, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// claimFree inserts the claims of distinct keys, sorted by key, and marks those whose key was free.
func (db *DB) claimFree(ctx context.Context, ex execer, claims []*claimWrite) error {
	args := make([]any, 0, 3*len(claims))
	for _, c := range claims {
		args = append(args, c.hash, c.scope, c.at)
	}
	rows, err := db.queryHot(ctx, ex, db.claimsInsert(len(claims)), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var hash sql.RawBytes
		if err := rows.Scan(&hash); err != nil {
			return err
		}
		i, found := slices.BinarySearchFunc(claims, hash, func(c *claimWrite, h sql.RawBytes) int { return strings.Compare(c.hash, string(h)) })
		if !found {
			return fmt.Errorf("claims: the database returned key %q, which was not inserted", hash)
		}
		claims[i].won = true
	}
	return rows.Err()
}

// claimOne makes claim c alone: it wins if its key is free, or its claim has aged out.
func (db *DB) claimOne(ctx context.Context, ex execer, c *claimWrite) error {
	res, err := db.execHot(ctx, ex, db.claimInsert(), c.hash, c.scope, c.at)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		if res, err = db.execHot(ctx, ex, db.claimUpdate(), c.at, c.hash, c.since); err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
	}
	c.won = n == 1
	return nil
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
