package store

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/opsgate/opsgate"
)

var _ opsgate.UserService = (*UserService)(nil)

// UserService stores web UI accounts with argon2id password hashes.
type UserService struct{ db *DB }

// NewUserService returns the user store for db.
func NewUserService(db *DB) *UserService { return &UserService{db: db} }

// argon2id parameters: RFC 9106's second recommendation (64 MiB, 3 passes), one lane per core we
// can count on.
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 2
	argonKeyLen  = 32
)

// hashSlots bounds the hashes computed at once: each takes 64 MiB, so a burst of logins waits
// rather than taking the server's memory.
var hashSlots = make(chan struct{}, 2)

func argonKey(password string, salt []byte, t, m uint32, p uint8, n uint32) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey([]byte(password), salt, t, m, p, n)
}

// hashPassword returns the PHC string of password ($argon2id$v=19$m=...,t=...,p=...$salt$hash).
func hashPassword(password string) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argonKey(password, salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding.EncodeToString
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads, b64(salt), b64(key))
}

// checkPassword compares password with a PHC hash in constant time, with the hash's own parameters.
func checkPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	if m > 256*1024 || t > 16 || p == 0 || len(want) > 64 { // a stored hash never asks for more
		return false
	}
	got := argonKey(password, salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked for unknown names, so a login for a name that does not exist takes as
// long as one with a wrong password. Made at the first such login: at start-up it cost every
// process 64 MiB and a hash's time.
var dummyHash = sync.OnceValue(func() string { return hashPassword("opsgate-no-such-user") })

func validateUserName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return opsgate.Errorf(opsgate.EINVALID, "User name is required.")
	case strings.ContainsAny(name, " \t\r\n"):
		return opsgate.Errorf(opsgate.EINVALID, "User name %q cannot contain whitespace.", name)
	}
	return opsgate.ValidateText("User name", name)
}

func validatePassword(p string) error {
	if utf8.RuneCountInString(p) < opsgate.MinPasswordLen {
		return opsgate.Errorf(opsgate.EINVALID, "Password is too short (at least %d characters).", opsgate.MinPasswordLen)
	}
	if len(p) > 1024 {
		return opsgate.Errorf(opsgate.EINVALID, "Password is too long (at most 1024 bytes).")
	}
	return nil
}

const userColumns = `id, name, role, password_hash, created_at, updated_at`

func scanUser(sc interface{ Scan(...any) error }) (*opsgate.User, string, error) {
	var u opsgate.User
	var role, hash string
	var created, updated int64
	if err := sc.Scan(&u.ID, &u.Name, &role, &hash, &created, &updated); err != nil {
		return nil, "", err
	}
	u.Role, u.CreatedAt, u.UpdatedAt = opsgate.Role(role), FromTime(created), FromTime(updated)
	return &u, hash, nil
}

// FindUsers returns every user, ordered by name.
func (s *UserService) FindUsers(ctx context.Context) ([]*opsgate.User, error) {
	rows, err := s.db.SQL.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY name_key`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*opsgate.User
	for rows.Next() {
		u, _, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func (s *UserService) find(ctx context.Context, name string) (*opsgate.User, string, error) {
	u, hash, err := scanUser(s.db.SQL.QueryRowContext(ctx, s.db.Rebind(`SELECT `+userColumns+` FROM users WHERE name_key = ?`), strings.ToLower(name)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", opsgate.Errorf(opsgate.ENOTFOUND, "User %q does not exist.", name)
	}
	return u, hash, err
}

// FindUserByName returns the user named name, in any letter case.
func (s *UserService) FindUserByName(ctx context.Context, name string) (*opsgate.User, error) {
	u, _, err := s.find(ctx, name)
	return u, err
}

// CreateUser stores u with a hash of password, audited without it.
func (s *UserService) CreateUser(ctx context.Context, u *opsgate.User, password string) error {
	u.Name = strings.TrimSpace(u.Name)
	if err := validateUserName(u.Name); err != nil {
		return err
	}
	role, err := opsgate.ParseRole(string(u.Role))
	if err != nil {
		return err
	}
	u.Role = role
	if err := validatePassword(password); err != nil {
		return err
	}
	hash := hashPassword(password)
	u.CreatedAt = s.db.Now().UTC().Truncate(time.Microsecond)
	u.UpdatedAt = u.CreatedAt
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		id, err := s.db.Insert(ctx, tx, `INSERT INTO users (name_key, name, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			strings.ToLower(u.Name), u.Name, string(u.Role), hash, Time(u.CreatedAt), Time(u.UpdatedAt))
		if err != nil {
			return err
		}
		u.ID = id
		return s.db.Audit(ctx, tx, "create", "user", u.Name, nil, u)
	})
	if IsUniqueViolation(err) {
		return opsgate.Errorf(opsgate.ECONFLICT, "User %q already exists.", u.Name)
	}
	return err
}

// SetPassword replaces a user's password. The change of UpdatedAt ends the user's other sessions.
func (s *UserService) SetPassword(ctx context.Context, name, password string) error {
	if err := validatePassword(password); err != nil {
		return err
	}
	before, _, err := s.find(ctx, name)
	if err != nil {
		return err
	}
	after := *before
	after.UpdatedAt = s.db.Now().UTC().Truncate(time.Microsecond)
	if !after.UpdatedAt.After(before.UpdatedAt) {
		after.UpdatedAt = before.UpdatedAt.Add(time.Microsecond)
	}
	hash := hashPassword(password)
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.db.Rebind(`UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`), hash, Time(after.UpdatedAt), before.ID); err != nil {
			return err
		}
		return s.db.Audit(ctx, tx, "update", "user", before.Name, before, &after)
	})
}

// DeleteUser removes a user.
func (s *UserService) DeleteUser(ctx context.Context, name string) error {
	before, _, err := s.find(ctx, name)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM users WHERE id = ?`), before.ID); err != nil {
			return err
		}
		return s.db.Audit(ctx, tx, "delete", "user", before.Name, before, nil)
	})
}

// Authenticate checks name and password; unknown names cost the same hash as known ones.
func (s *UserService) Authenticate(ctx context.Context, name, password string) (*opsgate.User, error) {
	refused := opsgate.Errorf(opsgate.EUNAUTHORIZED, "Wrong username or password.")
	u, hash, err := s.find(ctx, strings.TrimSpace(name))
	if opsgate.ErrorCode(err) == opsgate.ENOTFOUND {
		checkPassword(dummyHash(), password)
		return nil, refused
	} else if err != nil {
		return nil, err
	}
	if !checkPassword(hash, password) {
		return nil, refused
	}
	return u, nil
}
