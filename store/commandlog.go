package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"sync"
	"time"

	"github.com/opsgate/opsgate"
)

var _ opsgate.CommandLogService = (*CommandLogService)(nil)

// CommandLogService stores the command log. Concurrent writes are group-committed: while one
// transaction commits, the entries that arrive queue up and go in the next one together, so a
// busy server pays one commit per batch instead of one per command — and every caller still
// returns only once its own entry is durable.
type CommandLogService struct {
	db *DB

	mu      sync.Mutex
	queue   []*pendingEntry
	leading bool // a caller is committing batches
}

type pendingEntry struct {
	e    *opsgate.CommandLogEntry
	done chan error
}

// maxBatch bounds one transaction.
const maxBatch = 256

// NewCommandLogService returns the command log store for db.
func NewCommandLogService(db *DB) *CommandLogService { return &CommandLogService{db: db} }

// CreateCommandLogEntry stores e and sets its ID.
func (s *CommandLogService) CreateCommandLogEntry(ctx context.Context, e *opsgate.CommandLogEntry) error {
	p := &pendingEntry{e: e, done: make(chan error, 1)}
	s.mu.Lock()
	s.queue = append(s.queue, p)
	if s.leading {
		s.mu.Unlock()
		return <-p.done
	}
	s.leading = true
	s.mu.Unlock()
	// This caller leads: commit batches until the queue is empty (its own entry is in the first).
	ctx = context.WithoutCancel(ctx) // others' entries ride on this transaction
	for {
		s.mu.Lock()
		n := min(len(s.queue), maxBatch)
		batch := s.queue[:n:n]
		s.queue = s.queue[n:]
		if n == 0 {
			s.leading = false
			s.mu.Unlock()
			break
		}
		s.mu.Unlock()
		err := s.insert(ctx, batch)
		for _, b := range batch {
			b.done <- err
		}
	}
	return <-p.done
}

func (s *CommandLogService) insert(ctx context.Context, batch []*pendingEntry) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, p := range batch {
			e := p.e
			params, err := json.Marshal(e.Params)
			if err != nil {
				return err
			}
			id, err := s.db.Insert(ctx, tx, `INSERT INTO command_log (started_at, runtime_us, platform, org_id, channel_id, channel_name,
				user_id, user_name, command, subcommand, params, status, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				Time(e.Start), e.Runtime.Microseconds(), e.Platform, e.OrgID, e.ChannelID, e.ChannelName, e.UserID, e.UserName,
				e.Command, e.Subcommand, string(params), e.Status, e.Details)
			if err != nil {
				return err
			}
			e.ID = id
		}
		return nil
	})
}

// FindCommandLogEntries returns entries newest first.
func (s *CommandLogService) FindCommandLogEntries(ctx context.Context, limit int) ([]*opsgate.CommandLogEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.db.SQL.QueryContext(ctx, s.db.Rebind(`SELECT id, started_at, runtime_us, platform, org_id, channel_id, channel_name,
		user_id, user_name, command, subcommand, params, status, details FROM command_log ORDER BY id DESC LIMIT ?`), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*opsgate.CommandLogEntry
	for rows.Next() {
		var e opsgate.CommandLogEntry
		var start, runtime int64
		var params string
		if err := rows.Scan(&e.ID, &start, &runtime, &e.Platform, &e.OrgID, &e.ChannelID, &e.ChannelName, &e.UserID,
			&e.UserName, &e.Command, &e.Subcommand, &params, &e.Status, &e.Details); err != nil {
			return nil, err
		}
		e.Start, e.Runtime = FromTime(start), time.Duration(runtime)*time.Microsecond
		if err := json.Unmarshal([]byte(params), &e.Params); err != nil {
			return nil, err
		}
		out = append(out, &e)
	}
	return out, rows.Err()
}
