package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
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
	w, err := newCommandLogWrite(e)
	if err != nil {
		return err
	}
	return s.db.groupCommit(ctx, &groupWrite{entry: w})
}

// commandLogWrite is one entry waiting for the group commit. Its caller makes its values
// storable, rather than the leader while it holds the transaction (SQLite's only connection).
type commandLogWrite struct {
	e    *opsgate.CommandLogEntry
	args []any // insertCommandLog's values
	size int   // bytes of text in args
}

func newCommandLogWrite(e *opsgate.CommandLogEntry) (*commandLogWrite, error) {
	pj := "{}" // most commands have no parameters: no map, no encoding
	if len(e.Params) > 0 {
		params := make(map[string]string, len(e.Params))
		for k, v := range e.Params {
			params[storable(k, maxStr)] = storable(v, maxDetails)
		}
		b, err := json.Marshal(params)
		if err != nil {
			return nil, err
		}
		pj = string(b)
	}
	w := &commandLogWrite{e: e, args: []any{Time(e.Start), e.Runtime.Microseconds(), storable(e.Platform, maxStr), storable(e.OrgID, maxStr),
		storable(e.ChannelID, maxStr), storable(e.ChannelName, maxStr), storable(e.UserID, maxStr), storable(e.UserName, maxStr),
		storable(e.Command, maxStr), storable(e.Subcommand, maxStr), pj, storable(e.Status, maxStr), storable(e.Details, maxDetails)}}
	for _, a := range w.args {
		if s, ok := a.(string); ok {
			w.size += len(s)
		}
	}
	return w, nil
}

// dropCommandLogStarted drops the command log's unused started_at index (migration 0013).
func dropCommandLogStarted(ctx context.Context, tx *sql.Tx, db *DB) error {
	q := `DROP INDEX command_log_started`
	if db.Dialect == MySQL {
		q += ` ON command_log`
	}
	_, err := tx.ExecContext(ctx, q)
	return err
}

// insertCommandLog inserts entries in tx and sets their IDs: one INSERT for each chunk of rows
// where the database can tell each row's ID, one each otherwise.
func (db *DB) insertCommandLog(ctx context.Context, tx *sql.Tx, entries []*commandLogWrite) error {
	for len(entries) > 0 {
		k := 1
		if len(entries) > 1 && db.rowIDs(ctx, tx) {
			k = chunkRows(len(entries), func(i int) int { return entries[i].size })
		}
		var err error
		if k == 1 {
			err = db.insertCommandLogEntry(ctx, tx, entries[0])
		} else {
			err = db.insertCommandLogRows(ctx, tx, entries[:k])
		}
		if err != nil {
			return err
		}
		entries = entries[k:]
	}
	return nil
}

// insertCommandLogEntry inserts one entry.
func (db *DB) insertCommandLogEntry(ctx context.Context, tx *sql.Tx, w *commandLogWrite) error {
	var id int64
	var err error
	if db.Dialect == SQLite {
		var res sql.Result
		if res, err = db.execHot(ctx, tx, insertCommandLog, w.args...); err == nil {
			id, err = res.LastInsertId()
		}
	} else {
		id, err = db.Insert(ctx, tx, insertCommandLog, w.args...)
	}
	if err != nil {
		return err
	}
	w.e.ID = id
	return nil
}

// insertCommandLogRows inserts entries (a power of two of them) with one INSERT. Each gets the
// ID of its own row without relying on the order of RETURNING's rows, which no database
// promises: PostgreSQL rows carry IDs reserved for them first; SQLite gives an AUTOINCREMENT
// table's rows the next IDs one after another in the order of the VALUES, and nobody else
// writes while the transaction holds the write lock, so they end at last_insert_rowid(); MariaDB
// numbers a multi-row INSERT's rows consecutively in the order of its VALUES too (rowIDs).
func (db *DB) insertCommandLogRows(ctx context.Context, tx *sql.Tx, entries []*commandLogWrite) error {
	query := db.commandLogInsert(len(entries))
	var ids []int64
	var err error
	switch db.Dialect {
	case MySQL:
		ids, err = scanIDs(tx.QueryContext(ctx, query, commandLogArgs(nil, entries)...))
	case SQLite:
		var res sql.Result
		var last int64
		if res, err = db.execHot(ctx, tx, query, commandLogArgs(nil, entries)...); err == nil {
			last, err = res.LastInsertId()
		}
		for i := range entries {
			ids = append(ids, last-int64(len(entries)-1-i))
		}
	default:
		if ids, err = db.reserveCommandLogIDs(ctx, tx, len(entries)); err == nil {
			_, err = db.execHot(ctx, tx, query, commandLogArgs(ids, entries)...)
		}
	}
	if err != nil {
		return err
	}
	if len(ids) != len(entries) {
		return fmt.Errorf("command log: %d ids for %d rows", len(ids), len(entries))
	}
	for i, w := range entries {
		w.e.ID = ids[i]
	}
	return nil
}

// commandLogArgs returns the values of entries' rows, each after its ID in ids if given.
func commandLogArgs(ids []int64, entries []*commandLogWrite) []any {
	args := make([]any, 0, 14*len(entries)) // an ID and 13 columns a row
	for i, w := range entries {
		if ids != nil {
			args = append(args, ids[i])
		}
		args = append(args, w.args...)
	}
	return args
}

// reserveCommandLogIDs returns n unused command-log IDs of PostgreSQL's sequence, which never
// gives one out twice, in increasing order, for rows to carry.
func (db *DB) reserveCommandLogIDs(ctx context.Context, tx *sql.Tx, n int) ([]int64, error) {
	return scanIDs(tx.QueryContext(ctx, `SELECT nextval(pg_get_serial_sequence('command_log', 'id')) FROM generate_series(1, $1)`, n))
}

// scanIDs returns the IDs in rows, in increasing order.
func scanIDs(rows *sql.Rows, err error) ([]int64, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, rows.Err()
}

// commandLogInsert is the INSERT of k entries (a power of two): (PostgreSQL) with their reserved
// IDs first, (MySQL) returning the IDs given, or (SQLite) as they are.
func (db *DB) commandLogInsert(k int) string {
	switch db.Dialect {
	case MySQL:
		return db.commandLogSQL.get(db, k, `INSERT INTO command_log (`+insertCommandLogColumns+`)`, commandLogRow, ` RETURNING id`)
	case SQLite:
		return db.commandLogSQL.get(db, k, `INSERT INTO command_log (`+insertCommandLogColumns+`)`, commandLogRow, ``)
	}
	return db.commandLogSQL.get(db, k, `INSERT INTO command_log (id, `+insertCommandLogColumns+`)`, `(?, `+commandLogRow[1:], ``)
}

const insertCommandLogColumns = `started_at, runtime_us, platform, org_id, channel_id, channel_name,
	user_id, user_name, command, subcommand, params, status, details`

const commandLogRow = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

const insertCommandLog = `INSERT INTO command_log (` + insertCommandLogColumns + `) VALUES ` + commandLogRow

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
