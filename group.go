package opsgate

import (
	"context"
	"strings"
	"time"
)

// Group is a named set of chat users, for grants (Grant.Group) and approval rules. Members are
// the platform's user ids; Platform, when set, limits the group to users of that platform.
type Group struct {
	ID        int64     `json:"id,omitempty"`
	Name      string    `json:"name"`
	Platform  string    `json:"platform,omitempty"`
	Members   []string  `json:"members"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// Normalize applies the spellings every way of creating a group shares.
func (g *Group) Normalize() {
	g.Name = strings.TrimSpace(g.Name)
	g.Platform = strings.ToLower(strings.TrimSpace(g.Platform))
}

// ValidateGroupName returns EINVALID unless name is letters, digits, '.', '_' or '-': names are
// typed in chat and on command lines, where spaces and quotes only get in the way.
func ValidateGroupName(name string) error {
	if name == "" {
		return Errorf(EINVALID, "Group name is required.")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return Errorf(EINVALID, "Group name %q may hold only letters, digits, '.', '_' and '-'.", name)
		}
	}
	return ValidateText("Group name", name)
}

// ValidateMember returns EINVALID for a user id that cannot be a member.
func ValidateMember(user string) error {
	switch {
	case user == "":
		return Errorf(EINVALID, "Group member id is required.")
	case user == Wildcard:
		return Errorf(EINVALID, "A group member is one user id, not *.")
	case strings.ContainsAny(user, " \t\r\n"):
		return Errorf(EINVALID, "Group member id %q cannot contain whitespace.", user)
	}
	return ValidateText("Group member id", user)
}

// Validate returns EINVALID naming the first problem with g.
func (g *Group) Validate() error {
	if err := ValidateGroupName(g.Name); err != nil {
		return err
	}
	if err := ValidateText("Group platform", g.Platform); err != nil {
		return err
	}
	for _, m := range g.Members {
		if err := ValidateMember(m); err != nil {
			return err
		}
	}
	return nil
}

// GroupService stores groups of users. Every change is audited (object "group").
type GroupService interface {
	// FindGroups returns the groups with their members, ordered by name; name "" returns all.
	FindGroups(ctx context.Context, name string) ([]*Group, error)
	// CreateGroup validates and stores g with its members. Returns EINVALID for a bad group and
	// ECONFLICT when the name is taken.
	CreateGroup(ctx context.Context, g *Group) error
	// DeleteGroup removes a group. Returns ENOTFOUND if it does not exist and ECONFLICT while a
	// grant names it (deleting it would silently narrow those grants).
	DeleteGroup(ctx context.Context, name string) error
	// AddGroupMembers adds users to a group (ones already in it are left alone). Returns ENOTFOUND
	// for an unknown group.
	AddGroupMembers(ctx context.Context, name string, users ...string) error
	// RemoveGroupMembers removes users from a group. Returns ENOTFOUND for an unknown group or a
	// user who is not a member.
	RemoveGroupMembers(ctx context.Context, name string, users ...string) error
}
