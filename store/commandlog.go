package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/opsgate/opsgate"
)

var _ opsgate.CommandLogService = (*CommandLogService)(nil)

// CommandLogService stores the command log.
type CommandLogService struct{ db *DB }

// NewCommandLogService returns the command log store for db.
func NewCommandLogService(db *DB) *CommandLogService { return &CommandLogService{db: db} }

// CreateCommandLogEntry stores e and sets its ID.
func (s *CommandLogService) CreateCommandLogEntry(ctx context.Context, e *opsgate.CommandLogEntry) error {
	params, err := json.Marshal(e.Params)
	if err != nil {
		return err
	}
	tx, err := s.db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	id, err := s.db.Insert(ctx, tx, `INSERT INTO command_log (started_at, runtime_us, platform, org_id, channel_id, channel_name,
		user_id, user_name, command, subcommand, params, status, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		Time(e.Start), e.Runtime.Microseconds(), e.Platform, e.OrgID, e.ChannelID, e.ChannelName, e.UserID, e.UserName,
		e.Command, e.Subcommand, string(params), e.Status, e.Details)
	if err != nil {
		return err
	}
	e.ID = id
	return tx.Commit()
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
