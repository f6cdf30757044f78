package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/opsgate/opsgate"
)

var _ opsgate.GrantService = (*GrantService)(nil)

// GrantService stores access grants.
type GrantService struct {
	db *DB
	// Platform, when set, checks and spells a grant's platform (kit.ChatPlatform in opsgate), so
	// that the CLI, the API and the web UI refuse the same names with the same words.
	Platform func(name string) (string, error)
}

// NewGrantService returns the grant store for db.
func NewGrantService(db *DB) *GrantService { return &GrantService{db: db} }

// grantKey identifies equal grants; hashed so one short unique index works on all three databases.
// Group and conditions join the key only when present, so plain grants keep their keys.
func grantKey(g *opsgate.Grant) string {
	parts := []string{g.Platform, g.Command, g.Subcommand, string(g.Type), g.Value}
	if g.Group != "" || len(g.Conditions) > 0 {
		parts = append(parts, g.Group)
		for _, c := range g.Conditions {
			parts = append(parts, c.String())
		}
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:])
}

// FindGrants returns grants matching filter, ordered by id.
func (s *GrantService) FindGrants(ctx context.Context, f opsgate.GrantFilter) ([]*opsgate.Grant, error) {
	q := `SELECT id, platform, command, subcommand, grant_type, name, value, group_name, conditions, expires_at, created_at FROM grants WHERE 1=1`
	var args []any
	if f.ID != nil {
		q += ` AND id = ?`
		args = append(args, *f.ID)
	}
	if f.Type != "" {
		q += ` AND grant_type = ?`
		args = append(args, string(f.Type))
	}
	if f.Command != "" {
		q += ` AND command = ?`
		args = append(args, f.Command)
	}
	if f.Platform != "" {
		q += ` AND platform = ?`
		args = append(args, f.Platform)
	}
	rows, err := s.db.SQL.QueryContext(ctx, s.db.Rebind(q+` ORDER BY id`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*opsgate.Grant
	for rows.Next() {
		var g opsgate.Grant
		var typ string
		var expires sql.NullInt64
		var created int64
		var conds sql.NullString
		if err := rows.Scan(&g.ID, &g.Platform, &g.Command, &g.Subcommand, &typ, &g.Name, &g.Value, &g.Group, &conds, &expires, &created); err != nil {
			return nil, err
		}
		if conds.Valid && conds.String != "" {
			if err := json.Unmarshal([]byte(conds.String), &g.Conditions); err != nil {
				return nil, fmt.Errorf("grant %d conditions: %w", g.ID, err)
			}
		}
		g.Type, g.CreatedAt = opsgate.GrantType(typ), FromTime(created)
		if expires.Valid {
			t := FromTime(expires.Int64)
			g.ExpiresAt = &t
		}
		out = append(out, &g)
	}
	return out, rows.Err()
}

// check normalizes and validates g as every door's grant: platform, fields, and an expiry in the
// future unless it is the one the grant had (before, when updating).
func (s *GrantService) check(g *opsgate.Grant, before *opsgate.Grant) error {
	g.Normalize()
	if g.Platform != "" && s.Platform != nil {
		p, err := s.Platform(g.Platform)
		if err != nil {
			return err
		}
		g.Platform = p
	}
	if err := g.Validate(); err != nil {
		return err
	}
	now := s.db.Now()
	unchanged := before != nil && before.ExpiresAt != nil && g.ExpiresAt != nil && before.ExpiresAt.Equal(*g.ExpiresAt)
	if g.ExpiresAt != nil && !g.ExpiresAt.After(now) && !unchanged {
		return opsgate.Errorf(opsgate.EINVALID, "Grant expiry %s is not in the future.", g.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return nil
}

func expiresColumn(g *opsgate.Grant) sql.NullInt64 {
	if g.ExpiresAt == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: Time(*g.ExpiresAt), Valid: true}
}

func conditionsColumn(g *opsgate.Grant) sql.NullString {
	if len(g.Conditions) == 0 {
		return sql.NullString{}
	}
	b, _ := json.Marshal(g.Conditions)
	return sql.NullString{String: string(b), Valid: true}
}

func conflict(g *opsgate.Grant) error {
	return opsgate.Errorf(opsgate.ECONFLICT, "An equal grant already exists (command %s, subcommand %s, type %s, value %s).", g.Command, g.Subcommand, g.Type, g.Target())
}

// CreateGrant validates and stores g. Returns ECONFLICT when an equal grant exists, ENOTFOUND
// when it names a group that does not exist.
func (s *GrantService) CreateGrant(ctx context.Context, g *opsgate.Grant) error {
	if err := s.check(g, nil); err != nil {
		return err
	}
	g.CreatedAt = s.db.Now().UTC().Truncate(time.Microsecond)
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if g.Group != "" {
			if _, err := groupID(ctx, s.db, tx, g.Group); err != nil {
				return err
			}
		}
		id, err := s.db.Insert(ctx, tx, `INSERT INTO grants (key_hash, platform, command, subcommand, grant_type, name, value, group_name, conditions, expires_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, grantKey(g), g.Platform, g.Command, g.Subcommand, string(g.Type), g.Name, g.Value, g.Group, conditionsColumn(g), expiresColumn(g), Time(g.CreatedAt))
		if err != nil {
			return err
		}
		g.ID = id
		return s.db.Audit(ctx, tx, "create", "grant", strconv.FormatInt(id, 10), nil, g)
	})
	if IsUniqueViolation(err) {
		return conflict(g)
	}
	return err
}

// UpdateGrant replaces grant g.ID with g. Returns ENOTFOUND, EINVALID or ECONFLICT.
func (s *GrantService) UpdateGrant(ctx context.Context, g *opsgate.Grant) error {
	gs, err := s.FindGrants(ctx, opsgate.GrantFilter{ID: &g.ID})
	if err != nil {
		return err
	} else if len(gs) == 0 {
		return opsgate.Errorf(opsgate.ENOTFOUND, "Grant %d does not exist.", g.ID)
	}
	before := gs[0]
	if err := s.check(g, before); err != nil {
		return err
	}
	g.CreatedAt = before.CreatedAt
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if g.Group != "" {
			if _, err := groupID(ctx, s.db, tx, g.Group); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, s.db.Rebind(`UPDATE grants SET key_hash = ?, platform = ?, command = ?, subcommand = ?, grant_type = ?,
			name = ?, value = ?, group_name = ?, conditions = ?, expires_at = ? WHERE id = ?`), grantKey(g), g.Platform, g.Command, g.Subcommand, string(g.Type),
			g.Name, g.Value, g.Group, conditionsColumn(g), expiresColumn(g), g.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 && s.db.Dialect != MySQL { // MySQL counts changed rows only
			return opsgate.Errorf(opsgate.ENOTFOUND, "Grant %d does not exist.", g.ID)
		}
		return s.db.Audit(ctx, tx, "update", "grant", strconv.FormatInt(g.ID, 10), before, g)
	})
	if IsUniqueViolation(err) {
		return conflict(g)
	}
	return err
}

// DeleteGrant removes a grant. Returns ENOTFOUND if it does not exist.
func (s *GrantService) DeleteGrant(ctx context.Context, id int64) error {
	gs, err := s.FindGrants(ctx, opsgate.GrantFilter{ID: &id})
	if err != nil {
		return err
	} else if len(gs) == 0 {
		return opsgate.Errorf(opsgate.ENOTFOUND, "Grant %d does not exist.", id)
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM grants WHERE id = ?`), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return opsgate.Errorf(opsgate.ENOTFOUND, "Grant %d does not exist.", id)
		}
		return s.db.Audit(ctx, tx, "delete", "grant", strconv.FormatInt(id, 10), gs[0], nil)
	})
}
