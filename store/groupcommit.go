package store

import (
	"context"
	"database/sql"
	"runtime"
	"sync"
)

// Replay claims (on the ack path of every signed request) and command-log entries (after every
// reply) share one group commit: while a transaction commits, the writes of both kinds that
// arrive queue up and go in the next one together. Under load, SQLite's commit (writing WAL
// frames) was most of what each kind cost; one commit for both halves that. Each caller still
// returns only once its own write is committed.

// groupWrite is one write waiting for a shared transaction: a claim or a command-log entry. The
// leader makes the writes of each kind in a batch together, one INSERT for many rows (multirow.go).
type groupWrite struct {
	claim *claimWrite      // a replay claim (claim.go), or
	entry *commandLogWrite // a command-log entry (commandlog.go)
	done  chan error
}

type groupQueue struct {
	mu      sync.Mutex
	queue   []*groupWrite
	leading bool // a caller is committing batches
}

// groupCommit queues w and returns once it is committed (or failed).
func (db *DB) groupCommit(ctx context.Context, w *groupWrite) error {
	w.done = make(chan error, 1)
	g := &db.writes
	g.mu.Lock()
	g.queue = append(g.queue, w)
	if g.leading {
		g.mu.Unlock()
		return <-w.done
	}
	g.leading = true
	g.mu.Unlock()
	// This caller leads: commit batches until the queue is empty (its own write is in the first).
	ctx = context.WithoutCancel(ctx) // others' writes ride on this transaction
	for {
		// Let the writers already runnable (requests a moment from their claim) queue first: on a
		// busy server they join this commit instead of each waiting for one of their own.
		runtime.Gosched()
		g.mu.Lock()
		n := min(len(g.queue), maxBatch)
		batch := g.queue[:n:n]
		g.queue = g.queue[n:]
		if n == 0 {
			g.leading = false
			g.mu.Unlock()
			break
		}
		g.mu.Unlock()
		db.prepareBatch(ctx, n)
		if err := db.commitBatch(ctx, batch); err != nil && len(batch) > 1 {
			// One write the database refuses must not fail the others that shared its transaction.
			for _, b := range batch {
				b.done <- db.commitBatch(ctx, []*groupWrite{b})
			}
		} else {
			for _, b := range batch {
				b.done <- err
			}
		}
	}
	return <-w.done
}

func (db *DB) commitBatch(ctx context.Context, batch []*groupWrite) error {
	if len(batch) == 1 && batch[0].claim != nil { // alone: atomic without a transaction's round trips
		return db.claimBatch(ctx, db.SQL, []*claimWrite{batch[0].claim})
	}
	var claims []*claimWrite
	var entries []*commandLogWrite
	for _, w := range batch {
		if w.claim != nil {
			claims = append(claims, w.claim)
		} else {
			entries = append(entries, w.entry)
		}
	}
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if err := db.claimBatch(ctx, tx, claims); err != nil {
			return err
		}
		return db.insertCommandLog(ctx, tx, entries)
	})
}
