package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/opsgate/opsgate"
)

var _ opsgate.GroupService = (*GroupService)(nil)

// GroupService stores groups of chat users.
type GroupService struct{ db *DB }

// NewGroupService returns the group store for db.
func NewGroupService(db *DB) *GroupService { return &GroupService{db: db} }

// queryer is what both *sql.DB and *sql.Tx offer for reading.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// groupID returns the id of the group named name, ENOTFOUND when there is none.
func groupID(ctx context.Context, db *DB, tx queryer, name string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, db.Rebind(`SELECT id FROM user_groups WHERE name = ?`), name).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, opsgate.Errorf(opsgate.ENOTFOUND, "Group %q does not exist (opsgate group list shows the groups).", name)
	}
	return id, err
}

// FindGroups returns the groups with their members, ordered by name; name "" returns all.
func (s *GroupService) FindGroups(ctx context.Context, name string) ([]*opsgate.Group, error) {
	return findGroups(ctx, s.db, s.db.SQL, name)
}

func findGroups(ctx context.Context, db *DB, tx queryer, name string) ([]*opsgate.Group, error) {
	query, args := `SELECT id, name, platform, created_at FROM user_groups`, []any{}
	if name != "" {
		query += ` WHERE name = ?`
		args = append(args, name)
	}
	rows, err := tx.QueryContext(ctx, db.Rebind(query+` ORDER BY name`), args...)
	if err != nil {
		return nil, err
	}
	var out []*opsgate.Group
	byID := map[int64]*opsgate.Group{}
	for rows.Next() {
		g := &opsgate.Group{Members: []string{}}
		var created int64
		if err := rows.Scan(&g.ID, &g.Name, &g.Platform, &created); err != nil {
			rows.Close()
			return nil, err
		}
		g.CreatedAt = FromTime(created)
		out, byID[g.ID] = append(out, g), g
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	query, args = `SELECT group_id, user_id FROM group_members`, []any{}
	if name != "" {
		query += ` WHERE group_id = ?`
		args = append(args, out[0].ID)
	}
	rows, err = tx.QueryContext(ctx, db.Rebind(query+` ORDER BY group_id, user_id`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var user string
		if err := rows.Scan(&id, &user); err != nil {
			return nil, err
		}
		if g := byID[id]; g != nil {
			g.Members = append(g.Members, user)
		}
	}
	return out, rows.Err()
}

// CreateGroup validates and stores g with its members.
func (s *GroupService) CreateGroup(ctx context.Context, g *opsgate.Group) error {
	g.Normalize()
	g.Members = uniqueSorted(g.Members)
	if err := g.Validate(); err != nil {
		return err
	}
	g.CreatedAt = s.db.Now().UTC().Truncate(time.Microsecond)
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		id, err := s.db.Insert(ctx, tx, `INSERT INTO user_groups (name, platform, created_at) VALUES (?, ?, ?)`, g.Name, g.Platform, Time(g.CreatedAt))
		if err != nil {
			return err
		}
		g.ID = id
		for _, u := range g.Members {
			if _, err := tx.ExecContext(ctx, s.db.Rebind(`INSERT INTO group_members (group_id, user_id) VALUES (?, ?)`), id, u); err != nil {
				return err
			}
		}
		return s.db.Audit(ctx, tx, "create", "group", g.Name, nil, g)
	})
	if IsUniqueViolation(err) {
		return opsgate.Errorf(opsgate.ECONFLICT, "Group %q already exists.", g.Name)
	}
	return err
}

// DeleteGroup removes a group, refusing while a grant names it.
func (s *GroupService) DeleteGroup(ctx context.Context, name string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		gs, err := findGroups(ctx, s.db, tx, name)
		if err != nil {
			return err
		} else if len(gs) == 0 {
			return opsgate.Errorf(opsgate.ENOTFOUND, "Group %q does not exist.", name)
		}
		var ids []string
		rows, err := tx.QueryContext(ctx, s.db.Rebind(`SELECT id FROM grants WHERE group_name = ? ORDER BY id`), name)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			rows.Scan(&id)
			ids = append(ids, id)
		}
		rows.Close()
		if len(ids) > 0 {
			return opsgate.Errorf(opsgate.ECONFLICT, "Group %q is named by grant %s; delete those grants first.", name, strings.Join(ids, ", "))
		}
		if _, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM group_members WHERE group_id = ?`), gs[0].ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM user_groups WHERE id = ?`), gs[0].ID); err != nil {
			return err
		}
		return s.db.Audit(ctx, tx, "delete", "group", name, gs[0], nil)
	})
}

// AddGroupMembers adds users to a group; ones already in it are left alone.
func (s *GroupService) AddGroupMembers(ctx context.Context, name string, users ...string) error {
	return s.changeMembers(ctx, name, users, func(tx *sql.Tx, g *opsgate.Group, u string) error {
		if slices.Contains(g.Members, u) {
			return nil
		}
		_, err := tx.ExecContext(ctx, s.db.Rebind(`INSERT INTO group_members (group_id, user_id) VALUES (?, ?)`), g.ID, u)
		return err
	})
}

// RemoveGroupMembers removes users from a group; ENOTFOUND for one who is not a member.
func (s *GroupService) RemoveGroupMembers(ctx context.Context, name string, users ...string) error {
	return s.changeMembers(ctx, name, users, func(tx *sql.Tx, g *opsgate.Group, u string) error {
		if !slices.Contains(g.Members, u) {
			return opsgate.Errorf(opsgate.ENOTFOUND, "User %s is not a member of group %q.", u, name)
		}
		_, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM group_members WHERE group_id = ? AND user_id = ?`), g.ID, u)
		return err
	})
}

// changeMembers applies change to each user in one transaction, audited as an update of the group.
func (s *GroupService) changeMembers(ctx context.Context, name string, users []string, change func(tx *sql.Tx, g *opsgate.Group, u string) error) error {
	users = uniqueSorted(users)
	if len(users) == 0 {
		return opsgate.Errorf(opsgate.EINVALID, "Name at least one user id.")
	}
	for _, u := range users {
		if err := opsgate.ValidateMember(u); err != nil {
			return err
		}
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		gs, err := findGroups(ctx, s.db, tx, name)
		if err != nil {
			return err
		} else if len(gs) == 0 {
			return opsgate.Errorf(opsgate.ENOTFOUND, "Group %q does not exist (opsgate group list shows the groups).", name)
		}
		for _, u := range users {
			if err := change(tx, gs[0], u); err != nil {
				return err
			}
		}
		after, err := findGroups(ctx, s.db, tx, name)
		if err != nil {
			return err
		}
		return s.db.Audit(ctx, tx, "update", "group", name, gs[0], after[0])
	})
}

func uniqueSorted(s []string) []string {
	out := make([]string, 0, len(s))
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
