package store

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// checkpointEvery is how often SQLite's WAL is copied into the database file in the background.
const checkpointEvery = 250 * time.Millisecond

// walPages is the WAL's length (pages, 16 MB) at which the writer checkpoints itself, as SQLite
// always does (its default is 1,000). The writer's own checkpoint is what lets SQLite start the
// WAL over; the background ones have copied most of it by then, leaving it little to do.
const walPages = 4000

// checkpointer copies SQLite's WAL into the database file on a connection of its own. By
// default SQLite does it inside whichever commit crosses 1,000 WAL pages, copying all of them
// and syncing: on a busy server that stalled the only writer, and so every replay claim on the
// ack path, for milliseconds at a time. A passive checkpoint never blocks the writer.
type checkpointer struct {
	conn    *sql.DB
	stop    chan struct{}
	done    chan struct{}
	stopped sync.Once
}

// startCheckpointer opens a second connection to source and checkpoints every checkpointEvery
// until closed.
func startCheckpointer(source string) (*checkpointer, error) {
	conn, err := sql.Open("sqlite", source)
	if err != nil {
		return nil, err
	}
	conn.SetMaxOpenConns(1)
	c := &checkpointer{conn: conn, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c, nil
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			// A failure (the file busy, the disk full) leaves the frames for the next tick or the
			// writer's own checkpoint; the writes themselves are unaffected.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			var busy, log, done int
			err := c.conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &done)
			if err == nil && log >= walPages {
				// The WAL is past the length at which the writer starts it over, so the writer's own
				// checkpoint lost its turn (to this one, on a busy machine) and the file would keep
				// growing: start it over from here. This waits for the writer's transaction and holds
				// the next for the few frames the passive pass left, as the writer's own would.
				c.conn.ExecContext(ctx, "PRAGMA wal_checkpoint(RESTART)")
			}
			cancel()
		}
	}
}

// close stops the checkpoints and closes the connection; closing again does nothing (as
// sql.DB.Close).
func (c *checkpointer) close() error {
	c.stopped.Do(func() { close(c.stop) })
	<-c.done
	return c.conn.Close()
}
