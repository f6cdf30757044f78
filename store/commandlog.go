package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opsgate/opsgate"
)

var _ opsgate.CommandLogService = (*CommandLogService)(nil)

// CommandLogService stores the command log. Writes are group-committed, together with the
// replay claims (DB.groupCommit): a busy server pays one commit per batch instead of one per
// command, and every caller still returns only once its own entry is durable.
type CommandLogService struct {
	db *DB
}

// maxBatch bounds one transaction.
const maxBatch = 256

// NewCommandLogService returns the command log store for db.
func NewCommandLogService(db *DB) *CommandLogService { return &CommandLogService{db: db} }

// CreateCommandLogEntry stores e and sets its ID.
func (s *CommandLogService) CreateCommandLogEntry(ctx context.Context, e *opsgate.CommandLogEntry) error {
	s.db.prepare(ctx, insertCommandLog)
	return s.db.groupCommit(ctx, &groupWrite{run: func(ctx context.Context, ex execer) error { return s.insert(ctx, ex, e) }})
}

func (s *CommandLogService) insert(ctx context.Context, ex execer, e *opsgate.CommandLogEntry) error {
	params := make(map[string]string, len(e.Params))
	for k, v := range e.Params {
		params[storable(k, maxStr)] = storable(v, maxDetails)
	}
	pj, err := json.Marshal(params)
	if err != nil {
		return err
	}
	args := []any{Time(e.Start), e.Runtime.Microseconds(), storable(e.Platform, maxStr), storable(e.OrgID, maxStr),
		storable(e.ChannelID, maxStr), storable(e.ChannelName, maxStr), storable(e.UserID, maxStr), storable(e.UserName, maxStr),
		storable(e.Command, maxStr), storable(e.Subcommand, maxStr), string(pj), storable(e.Status, maxStr), storable(e.Details, maxDetails)}
	var id int64
	if s.db.Dialect == SQLite {
		var res sql.Result
		if res, err = s.db.execHot(ctx, ex, insertCommandLog, args...); err == nil {
			id, err = res.LastInsertId()
		}
	} else {
		id, err = s.db.Insert(ctx, ex.(*sql.Tx), insertCommandLog, args...) // never bare: always in a transaction
	}
	if err != nil {
		return err
	}
	e.ID = id
	return nil
}

const insertCommandLog = `INSERT INTO command_log (started_at, runtime_us, platform, org_id, channel_id, channel_name,
	user_id, user_name, command, subcommand, params, status, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// Column limits: {{STR}} is VARCHAR(255) characters; details and params are bounded well under
// MySQL's 16 MiB MEDIUMTEXT and default packet size.
const (
	maxStr     = 255
	maxDetails = 1 << 20
)

// storable makes s acceptable to all three databases, which otherwise refuse (PostgreSQL: NUL,
// invalid UTF-8; MySQL strict mode: too long, invalid UTF-8) what SQLite stores: invalid UTF-8
// becomes U+FFFD, NUL is dropped and the text is cut to max characters (bytes for maxDetails).
func storable(s string, max int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	if max == maxDetails {
		if len(s) > max {
			cut := max
			for cut > 0 && !utf8.RuneStart(s[cut]) {
				cut--
			}
			s = s[:cut] + " [truncated]"
		}
		return s
	}
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max])
	}
	return s
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
