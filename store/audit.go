package store

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/opsgate/opsgate"
)

var _ opsgate.AuditService = (*AuditService)(nil)

// AuditService reads the audit log.
type AuditService struct{ db *DB }

// NewAuditService returns the audit log reader for db.
func NewAuditService(db *DB) *AuditService { return &AuditService{db: db} }

// Audit records a change in tx (so the change and its record commit together). before and after
// are marshalled to JSON; nil means the object did not exist on that side.
func (db *DB) Audit(ctx context.Context, tx *sql.Tx, action, object, objectID string, before, after any) error {
	doc := func(v any) (sql.NullString, error) {
		if v == nil {
			return sql.NullString{}, nil
		}
		b, err := json.Marshal(v)
		s := string(b)
		if db.Redactor != nil {
			s = db.Redactor.Redact(s)
		}
		return sql.NullString{String: s, Valid: true}, err
	}
	b, err := doc(before)
	if err != nil {
		return err
	}
	a, err := doc(after)
	if err != nil {
		return err
	}
	db.audited.Store(tx, true)
	_, err = tx.ExecContext(ctx, db.Rebind(`INSERT INTO audit_log (at, actor, action, object, object_id, before_doc, after_doc)
		VALUES (?, ?, ?, ?, ?, ?, ?)`), Time(db.Now()), opsgate.ActorFromContext(ctx), action, object, objectID, b, a)
	return err
}

// FindAuditEntries returns entries for object ("" for all), newest first.
func (s *AuditService) FindAuditEntries(ctx context.Context, object string, limit int) ([]*opsgate.AuditEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	q := `SELECT id, at, actor, action, object, object_id, before_doc, after_doc FROM audit_log`
	args := []any{}
	if object != "" {
		q += ` WHERE object = ?`
		args = append(args, object)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.db.SQL.QueryContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*opsgate.AuditEntry
	for rows.Next() {
		var e opsgate.AuditEntry
		var at int64
		var before, after sql.NullString
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Object, &e.ObjectID, &before, &after); err != nil {
			return nil, err
		}
		e.Time, e.Before, e.After = FromTime(at), before.String, after.String
		out = append(out, &e)
	}
	return out, rows.Err()
}

// LastAuditID returns a change counter that grows with every committed audit entry (0 when
// empty): the newest id plus the number of entries. The id alone is not enough: PostgreSQL and
// MySQL hand ids out at insert, so an entry can commit after a higher-numbered one and leave the
// newest id where a replica last saw it. Entries are never deleted, so the sum only grows.
func (s *AuditService) LastAuditID(ctx context.Context) (int64, error) {
	var id, n sql.NullInt64
	err := s.db.SQL.QueryRowContext(ctx, `SELECT MAX(id), COUNT(*) FROM audit_log`).Scan(&id, &n)
	return id.Int64 + n.Int64, err
}
