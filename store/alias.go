package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/opsgate/opsgate"
)

// StoredAlias is an action alias kept in the database: its definition is the YAML of one alias
// file in StackStorm's format (parsed and validated by the caller before it is stored).
type StoredAlias struct {
	ID         int64     `json:"id"`
	Pack       string    `json:"pack"`
	Name       string    `json:"name"`
	Definition string    `json:"definition"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Ref is pack.name.
func (a *StoredAlias) Ref() string { return a.Pack + "." + a.Name }

// AliasService stores action aliases.
type AliasService struct{ db *DB }

// NewAliasService returns the alias store for db.
func NewAliasService(db *DB) *AliasService { return &AliasService{db: db} }

// FindAliases returns every stored alias, ordered by pack and name.
func (s *AliasService) FindAliases(ctx context.Context) ([]*StoredAlias, error) {
	rows, err := s.db.SQL.QueryContext(ctx, `SELECT id, pack, name, definition, created_at, updated_at FROM aliases ORDER BY pack, name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*StoredAlias
	for rows.Next() {
		var a StoredAlias
		var created, updated int64
		if err := rows.Scan(&a.ID, &a.Pack, &a.Name, &a.Definition, &created, &updated); err != nil {
			return nil, err
		}
		a.CreatedAt, a.UpdatedAt = FromTime(created), FromTime(updated)
		out = append(out, &a)
	}
	return out, rows.Err()
}

func (s *AliasService) find(ctx context.Context, tx *sql.Tx, pack, name string) (*StoredAlias, error) {
	var a StoredAlias
	var created, updated int64
	err := tx.QueryRowContext(ctx, s.db.Rebind(`SELECT id, pack, name, definition, created_at, updated_at FROM aliases WHERE pack = ? AND name = ?`), pack, name).
		Scan(&a.ID, &a.Pack, &a.Name, &a.Definition, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	a.CreatedAt, a.UpdatedAt = FromTime(created), FromTime(updated)
	return &a, nil
}

// SaveAlias creates the alias pack.name or replaces its definition, recording it in the audit log.
// It sets a's ID and times.
func (s *AliasService) SaveAlias(ctx context.Context, a *StoredAlias) error {
	a.Pack, a.Name = strings.TrimSpace(a.Pack), strings.TrimSpace(a.Name)
	if a.Pack == "" || a.Name == "" || strings.TrimSpace(a.Definition) == "" {
		return opsgate.Errorf(opsgate.EINVALID, "An alias needs a pack, a name and a definition.")
	}
	now := s.db.Now().UTC().Truncate(time.Microsecond)
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := s.find(ctx, tx, a.Pack, a.Name)
		if err != nil {
			return err
		}
		a.UpdatedAt = now
		if before == nil {
			a.CreatedAt = now
			a.ID, err = s.db.Insert(ctx, tx, s.db.Rebind(`INSERT INTO aliases (pack, name, definition, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`),
				a.Pack, a.Name, a.Definition, Time(now), Time(now))
			if IsUniqueViolation(err) {
				return opsgate.Errorf(opsgate.ECONFLICT, "Alias %s was created at the same time by someone else.", a.Ref())
			} else if err != nil {
				return err
			}
			return s.db.Audit(ctx, tx, "create", "alias", a.Ref(), nil, a)
		}
		a.ID, a.CreatedAt = before.ID, before.CreatedAt
		if _, err := tx.ExecContext(ctx, s.db.Rebind(`UPDATE aliases SET definition = ?, updated_at = ? WHERE id = ?`), a.Definition, Time(now), a.ID); err != nil {
			return err
		}
		return s.db.Audit(ctx, tx, "update", "alias", a.Ref(), before, a)
	})
}

// DeleteAlias removes pack.name. Returns ENOTFOUND if it does not exist.
func (s *AliasService) DeleteAlias(ctx context.Context, pack, name string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := s.find(ctx, tx, pack, name)
		if err != nil {
			return err
		}
		if before == nil {
			return opsgate.Errorf(opsgate.ENOTFOUND, "Alias %s.%s does not exist.", pack, name)
		}
		if _, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM aliases WHERE id = ?`), before.ID); err != nil {
			return err
		}
		return s.db.Audit(ctx, tx, "delete", "alias", before.Ref(), before, nil)
	})
}
