package opsgate

import (
	"context"
	"strings"
	"time"
)

// Role is what a web UI account may do. The three roles are fixed; what each may do is Permits.
type Role string

const (
	RoleAdmin    Role = "admin"
	RoleOperator Role = "operator"
	RoleViewer   Role = "viewer"
)

// Roles lists the roles from most to least powerful.
var Roles = [...]Role{RoleAdmin, RoleOperator, RoleViewer}

// ParseRole returns the role named s, or EINVALID listing them.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	for _, known := range Roles {
		if r == known {
			return r, nil
		}
	}
	return "", Errorf(EINVALID, "Role %q is not one of admin, operator, viewer.", s)
}

// Kind is a kind of object permissions are given on, as in Nautobot's object permissions.
type Kind string

const (
	KindGrant    Kind = "grant"
	KindToken    Kind = "token"
	KindSecret   Kind = "secret"
	KindAlias    Kind = "alias"
	KindUser     Kind = "user"
	KindLog      Kind = "log" // the command and audit logs (view only)
	KindChat     Kind = "chat"
	KindStatus   Kind = "status"
	KindAccess   Kind = "access"   // the access check page
	KindLookup   Kind = "lookup"   // look up a platform id from a name
	KindGroup    Kind = "group"    // groups of chat users
	KindApproval Kind = "approval" // approval rules (and the requests they hold, viewed)
	KindSchedule Kind = "schedule" // scheduled commands
)

// Action is what is done to an object.
type Action string

const (
	View   Action = "view"
	Add    Action = "add"
	Change Action = "change"
	Delete Action = "delete"
)

// Permits reports whether role may do action on objects of kind:
//   - admin: everything;
//   - operator: views everything but users; adds, changes and deletes grants, secrets (within its
//     SecretConstraint), aliases, groups, approval rules and schedules; uses the chat; tokens and
//     users are the admin's;
//   - viewer: views grants, tokens, secrets, aliases, groups, approvals, schedules, logs and
//     status, checks access, uses the chat (where grants still decide what runs); changes nothing.
func (r Role) Permits(kind Kind, action Action) bool {
	switch r {
	case RoleAdmin:
		return true
	case RoleOperator:
		switch kind {
		case KindUser:
			return false
		case KindToken:
			return action == View
		default:
			return true
		}
	case RoleViewer:
		return kind != KindUser && action == View
	}
	return false
}

// SecretConstraint limits a role to secrets of one provider whose parameter Param starts with
// Prefix (the seed's example: provider environment-variable, param variable, prefix NAPALM_).
// The zero value allows every secret.
type SecretConstraint struct {
	Provider string `yaml:"provider"`
	Param    string `yaml:"param"`
	Prefix   string `yaml:"prefix"`
}

// Allows reports whether s is within the constraint.
func (c SecretConstraint) Allows(s *Secret) bool {
	if c.Provider == "" {
		return true
	}
	if s.Provider != c.Provider {
		return false
	}
	if c.Param == "" {
		return true
	}
	return strings.HasPrefix(s.Parameters[c.Param], c.Prefix)
}

// User is a web UI account. The password is stored only as an argon2id hash.
type User struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 12

// UserService stores web UI accounts. Changes are audited (object "user"), never with the password.
type UserService interface {
	// FindUsers returns every user, ordered by name.
	FindUsers(ctx context.Context) ([]*User, error)
	// FindUserByName returns the user named name (any letter case). Returns ENOTFOUND.
	FindUserByName(ctx context.Context, name string) (*User, error)
	// CreateUser stores u with password. Returns EINVALID for a bad name, role or a password
	// shorter than MinPasswordLen, ECONFLICT when the name is taken.
	CreateUser(ctx context.Context, u *User, password string) error
	// SetPassword replaces a user's password. Returns ENOTFOUND, EINVALID.
	SetPassword(ctx context.Context, name, password string) error
	// DeleteUser removes a user; its sessions end at their next request. Returns ENOTFOUND.
	DeleteUser(ctx context.Context, name string) error
	// Authenticate returns the user whose name and password match, comparing in constant time.
	// Returns EUNAUTHORIZED for an unknown name or a wrong password alike.
	Authenticate(ctx context.Context, name, password string) (*User, error)
}
