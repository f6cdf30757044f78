package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/opsgate/opsgate"
)

var _ opsgate.SecretService = (*SecretService)(nil)

// SecretService stores secret definitions and secrets groups. Values are never stored.
type SecretService struct{ db *DB }

// NewSecretService returns the secret store for db.
func NewSecretService(db *DB) *SecretService { return &SecretService{db: db} }

// validName checks a secret or group name: trimmed, at most 100 characters, printable, and
// without "}" so that it can be written in a ${secret:NAME} reference.
func validName(what, name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return opsgate.Errorf(opsgate.EINVALID, "%s name is required.", what)
	case strings.TrimSpace(name) != name:
		return opsgate.Errorf(opsgate.EINVALID, "%s name %q cannot start or end with spaces.", what, name)
	case len([]rune(name)) > 100:
		return opsgate.Errorf(opsgate.EINVALID, "%s name is longer than 100 characters.", what)
	case strings.ContainsAny(name, "}"):
		return opsgate.Errorf(opsgate.EINVALID, "%s name %q cannot contain \"}\".", what, name)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return opsgate.Errorf(opsgate.EINVALID, "%s name %q contains a control character.", what, name)
		}
	}
	return nil
}

func nameKey(name string) string { return strings.ToLower(name) }

const secretColumns = `id, name, description, provider, parameters, created_at, updated_at`

func scanSecret(row interface{ Scan(...any) error }) (*opsgate.Secret, error) {
	var s opsgate.Secret
	var params string
	var created, updated int64
	if err := row.Scan(&s.ID, &s.Name, &s.Description, &s.Provider, &params, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(params), &s.Parameters); err != nil {
		return nil, err
	}
	if s.Parameters == nil {
		s.Parameters = map[string]string{}
	}
	s.CreatedAt, s.UpdatedAt = FromTime(created), FromTime(updated)
	return &s, nil
}

// FindSecrets returns all secrets ordered by name.
func (s *SecretService) FindSecrets(ctx context.Context) ([]*opsgate.Secret, error) {
	rows, err := s.db.SQL.QueryContext(ctx, `SELECT `+secretColumns+` FROM secrets ORDER BY name_key`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*opsgate.Secret
	for rows.Next() {
		sec, err := scanSecret(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sec)
	}
	return out, rows.Err()
}

// FindSecretByName returns the secret named name (case-insensitively). Returns ENOTFOUND if none.
func (s *SecretService) FindSecretByName(ctx context.Context, name string) (*opsgate.Secret, error) {
	sec, err := scanSecret(s.db.SQL.QueryRowContext(ctx, s.db.Rebind(`SELECT `+secretColumns+` FROM secrets WHERE name_key = ?`), nameKey(name)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, opsgate.Errorf(opsgate.ENOTFOUND, "Secret %q does not exist.", name)
	}
	return sec, err
}

// CreateSecret stores a definition. Returns EINVALID for a bad name or provider, ECONFLICT when the name is taken.
func (s *SecretService) CreateSecret(ctx context.Context, sec *opsgate.Secret) error {
	if err := validName("Secret", sec.Name); err != nil {
		return err
	}
	if strings.TrimSpace(sec.Provider) == "" {
		return opsgate.Errorf(opsgate.EINVALID, "Secret provider is required.")
	}
	if sec.Parameters == nil {
		sec.Parameters = map[string]string{}
	}
	params, err := json.Marshal(sec.Parameters)
	if err != nil {
		return err
	}
	now := s.db.Now().UTC().Truncate(time.Microsecond)
	sec.CreatedAt, sec.UpdatedAt = now, now
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		id, err := s.db.Insert(ctx, tx, `INSERT INTO secrets (name_key, name, description, provider, parameters, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, nameKey(sec.Name), sec.Name, sec.Description, sec.Provider, string(params), Time(now), Time(now))
		if err != nil {
			return err
		}
		sec.ID = id
		return s.db.Audit(ctx, tx, "create", "secret", sec.Name, nil, sec)
	})
	if IsUniqueViolation(err) {
		return opsgate.Errorf(opsgate.ECONFLICT, "A secret named %q already exists.", sec.Name)
	}
	return err
}

// DeleteSecret removes a secret. Returns ENOTFOUND if it does not exist, ECONFLICT while a group uses it.
func (s *SecretService) DeleteSecret(ctx context.Context, name string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		sec, err := scanSecret(tx.QueryRowContext(ctx, s.db.Rebind(`SELECT `+secretColumns+` FROM secrets WHERE name_key = ?`), nameKey(name)))
		if errors.Is(err, sql.ErrNoRows) {
			return opsgate.Errorf(opsgate.ENOTFOUND, "Secret %q does not exist.", name)
		} else if err != nil {
			return err
		}
		var groups []string
		rows, err := tx.QueryContext(ctx, s.db.Rebind(`SELECT DISTINCT g.name FROM secrets_group_members m
			JOIN secrets_groups g ON g.id = m.group_id WHERE m.secret_id = ? ORDER BY g.name`), sec.ID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var g string
			if err := rows.Scan(&g); err != nil {
				rows.Close()
				return err
			}
			groups = append(groups, g)
		}
		rows.Close()
		if len(groups) > 0 {
			return opsgate.Errorf(opsgate.ECONFLICT, "Secret %q is used by secrets group %s; remove it from the group first.", sec.Name, strings.Join(groups, ", "))
		}
		if _, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM secrets WHERE id = ?`), sec.ID); err != nil {
			return err
		}
		return s.db.Audit(ctx, tx, "delete", "secret", sec.Name, sec, nil)
	})
}

// FindSecretsGroups returns all groups with their members, ordered by name.
func (s *SecretService) FindSecretsGroups(ctx context.Context) ([]*opsgate.SecretsGroup, error) {
	return s.findGroups(ctx, s.db.SQL, "")
}

// FindSecretsGroupByName returns ENOTFOUND when no group has that name.
func (s *SecretService) FindSecretsGroupByName(ctx context.Context, name string) (*opsgate.SecretsGroup, error) {
	gs, err := s.findGroups(ctx, s.db.SQL, name)
	if err != nil {
		return nil, err
	}
	if len(gs) == 0 {
		return nil, opsgate.Errorf(opsgate.ENOTFOUND, "Secrets group %q does not exist.", name)
	}
	return gs[0], nil
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func (s *SecretService) findGroups(ctx context.Context, q querier, name string) ([]*opsgate.SecretsGroup, error) {
	query := `SELECT id, name, description, created_at, updated_at FROM secrets_groups`
	var args []any
	if name != "" {
		query += ` WHERE name_key = ?`
		args = append(args, nameKey(name))
	}
	rows, err := q.QueryContext(ctx, s.db.Rebind(query+` ORDER BY name_key`), args...)
	if err != nil {
		return nil, err
	}
	var out []*opsgate.SecretsGroup
	byID := map[int64]*opsgate.SecretsGroup{}
	for rows.Next() {
		var g opsgate.SecretsGroup
		var created, updated int64
		if err := rows.Scan(&g.ID, &g.Name, &g.Description, &created, &updated); err != nil {
			rows.Close()
			return nil, err
		}
		g.CreatedAt, g.UpdatedAt, g.Members = FromTime(created), FromTime(updated), []*opsgate.SecretsGroupMember{}
		out = append(out, &g)
		byID[g.ID] = &g
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	mq := `SELECT m.group_id, m.access_type, m.secret_type, s.name FROM secrets_group_members m
		JOIN secrets s ON s.id = m.secret_id`
	var margs []any
	if name != "" {
		mq += ` WHERE m.group_id = ?`
		margs = append(margs, out[0].ID)
	}
	mrows, err := q.QueryContext(ctx, s.db.Rebind(mq+` ORDER BY m.group_id, m.access_type, m.secret_type`), margs...)
	if err != nil {
		return nil, err
	}
	defer mrows.Close()
	for mrows.Next() {
		var gid int64
		var m opsgate.SecretsGroupMember
		var access, typ string
		if err := mrows.Scan(&gid, &access, &typ, &m.Secret); err != nil {
			return nil, err
		}
		m.AccessType, m.SecretType = opsgate.SecretAccessType(access), opsgate.SecretType(typ)
		if g := byID[gid]; g != nil {
			g.Members = append(g.Members, &m)
		}
	}
	return out, mrows.Err()
}

// CreateSecretsGroup stores an empty group. Returns ECONFLICT when the name is taken.
func (s *SecretService) CreateSecretsGroup(ctx context.Context, g *opsgate.SecretsGroup) error {
	if err := validName("Secrets group", g.Name); err != nil {
		return err
	}
	now := s.db.Now().UTC().Truncate(time.Microsecond)
	g.CreatedAt, g.UpdatedAt, g.Members = now, now, []*opsgate.SecretsGroupMember{}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		id, err := s.db.Insert(ctx, tx, `INSERT INTO secrets_groups (name_key, name, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
			nameKey(g.Name), g.Name, g.Description, Time(now), Time(now))
		if err != nil {
			return err
		}
		g.ID = id
		return s.db.Audit(ctx, tx, "create", "secrets_group", g.Name, nil, g)
	})
	if IsUniqueViolation(err) {
		return opsgate.Errorf(opsgate.ECONFLICT, "A secrets group named %q already exists.", g.Name)
	}
	return err
}

// SetSecretsGroupMember assigns secret to (access, typ) in group; an empty secret removes the pair.
func (s *SecretService) SetSecretsGroupMember(ctx context.Context, group string, access opsgate.SecretAccessType, typ opsgate.SecretType, secret string) error {
	access, err := opsgate.ParseSecretAccessType(string(access))
	if err != nil {
		return err
	}
	typ, err = opsgate.ParseSecretType(string(typ))
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		gs, err := s.findGroups(ctx, tx, group)
		if err != nil {
			return err
		} else if len(gs) == 0 {
			return opsgate.Errorf(opsgate.ENOTFOUND, "Secrets group %q does not exist.", group)
		}
		g := gs[0]
		before := *g
		before.Members = append(make([]*opsgate.SecretsGroupMember, 0, len(g.Members)), g.Members...)
		if _, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM secrets_group_members WHERE group_id = ? AND access_type = ? AND secret_type = ?`),
			g.ID, string(access), string(typ)); err != nil {
			return err
		}
		members := make([]*opsgate.SecretsGroupMember, 0, len(g.Members)+1)
		for _, m := range g.Members {
			if m.AccessType != access || m.SecretType != typ {
				members = append(members, m)
			}
		}
		if secret != "" {
			var sid int64
			var sname string
			err := tx.QueryRowContext(ctx, s.db.Rebind(`SELECT id, name FROM secrets WHERE name_key = ?`), nameKey(secret)).Scan(&sid, &sname)
			if errors.Is(err, sql.ErrNoRows) {
				return opsgate.Errorf(opsgate.ENOTFOUND, "Secret %q does not exist.", secret)
			} else if err != nil {
				return err
			}
			if _, err := s.db.Insert(ctx, tx, `INSERT INTO secrets_group_members (group_id, access_type, secret_type, secret_id) VALUES (?, ?, ?, ?)`,
				g.ID, string(access), string(typ), sid); err != nil {
				return err
			}
			members = append(members, &opsgate.SecretsGroupMember{AccessType: access, SecretType: typ, Secret: sname})
		} else if len(members) == len(g.Members) {
			return opsgate.Errorf(opsgate.ENOTFOUND, "Secrets group %q has no secret for %s / %s.", g.Name, access, typ)
		}
		now := s.db.Now().UTC().Truncate(time.Microsecond)
		if _, err := tx.ExecContext(ctx, s.db.Rebind(`UPDATE secrets_groups SET updated_at = ? WHERE id = ?`), Time(now), g.ID); err != nil {
			return err
		}
		g.Members, g.UpdatedAt = members, now
		return s.db.Audit(ctx, tx, "update", "secrets_group", g.Name, &before, g)
	})
}

// DeleteSecretsGroup removes a group and its members. Returns ENOTFOUND if it does not exist.
func (s *SecretService) DeleteSecretsGroup(ctx context.Context, name string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		gs, err := s.findGroups(ctx, tx, name)
		if err != nil {
			return err
		} else if len(gs) == 0 {
			return opsgate.Errorf(opsgate.ENOTFOUND, "Secrets group %q does not exist.", name)
		}
		if _, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM secrets_group_members WHERE group_id = ?`), gs[0].ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM secrets_groups WHERE id = ?`), gs[0].ID); err != nil {
			return err
		}
		return s.db.Audit(ctx, tx, "delete", "secrets_group", gs[0].Name, gs[0], nil)
	})
}

// FlushSecretCache records a flush request that every replica's secret cache picks up.
func (s *SecretService) FlushSecretCache(ctx context.Context) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		id, err := s.db.Insert(ctx, tx, `INSERT INTO secret_cache_flushes (at) VALUES (?)`, Time(s.db.Now()))
		if err != nil {
			return err
		}
		return s.db.Audit(ctx, tx, "flush", "secret_cache", strconv.FormatInt(id, 10), nil, nil)
	})
}

// SecretCacheGeneration returns the id of the newest flush request (0 when none).
func (s *SecretService) SecretCacheGeneration(ctx context.Context) (int64, error) {
	var id sql.NullInt64
	err := s.db.SQL.QueryRowContext(ctx, `SELECT MAX(id) FROM secret_cache_flushes`).Scan(&id)
	return id.Int64, err
}
