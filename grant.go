package opsgate

import (
	"context"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// GrantType is the scope an access grant applies to.
type GrantType string

const (
	GrantOrganization GrantType = "organization"
	GrantChannel      GrantType = "channel"
	GrantUser         GrantType = "user"
)

// GrantTypes lists the scopes in the order they are checked; all must allow.
var GrantTypes = [...]GrantType{GrantOrganization, GrantChannel, GrantUser}

// Wildcard matches every command, subcommand or id.
const Wildcard = "*"

// Grant allows a command (or all, "*") and subcommand (or all, "*") within one scope to the
// organization, channel or user whose platform id is Value ("*" for any). Platform, when set,
// limits the grant to one chat platform. A grant past ExpiresAt no longer allows anything.
//
// Beyond Nautobot: a user grant may name a Group instead of a Value (it allows the group's
// members), and Conditions, when present, must all hold for the grant to count ("user X, only in
// channel Y"). A grant without either behaves exactly as Nautobot's.
type Grant struct {
	ID         int64       `json:"id,omitempty"`
	Platform   string      `json:"platform,omitempty"`
	Command    string      `json:"command"`
	Subcommand string      `json:"subcommand"`
	Type       GrantType   `json:"type"`
	Name       string      `json:"name,omitempty"`
	Value      string      `json:"value"`
	Group      string      `json:"group,omitempty"`
	Conditions []Condition `json:"conditions,omitempty"`
	ExpiresAt  *time.Time  `json:"expires_at,omitempty"`
	CreatedAt  time.Time   `json:"created_at,omitzero"`
}

// Condition narrows a grant: the request's organization, channel or user (Type) must be Value.
type Condition struct {
	Type  GrantType `json:"type"`
	Value string    `json:"value"`
}

func (c Condition) String() string { return string(c.Type) + "=" + c.Value }

// Holds reports whether s meets c.
func (c Condition) Holds(s Subject) bool {
	id, _ := s.ScopeID(c.Type)
	return id == c.Value
}

// ParseCondition reads "channel=C1" (also organization=, user=), the form the CLI and chat take.
func ParseCondition(s string) (Condition, error) {
	t, v, ok := strings.Cut(strings.TrimSpace(s), "=")
	c := Condition{Type: GrantType(strings.ToLower(strings.TrimSpace(t))), Value: strings.TrimSpace(v)}
	if !ok || c.Value == "" {
		return c, Errorf(EINVALID, "Condition %q is not TYPE=ID, like channel=C0123.", s)
	}
	return c, nil
}

// Target describes who a grant is for, as people read it: "U1", "*" or "group oncall".
func (g *Grant) Target() string {
	if g.Group != "" {
		return "group " + g.Group
	}
	return g.Value
}

// Normalize applies the defaults and spellings every way of creating a grant shares (CLI, admin
// API): subcommand * when none is given, platform and type in lower case.
func (g *Grant) Normalize() {
	g.Platform = strings.ToLower(strings.TrimSpace(g.Platform))
	g.Type = GrantType(strings.ToLower(strings.TrimSpace(string(g.Type))))
	if strings.TrimSpace(g.Subcommand) == "" {
		g.Subcommand = Wildcard
	}
	for i := range g.Conditions {
		g.Conditions[i].Type = GrantType(strings.ToLower(strings.TrimSpace(string(g.Conditions[i].Type))))
	}
	// One order, so equal grants compare (and hash) equal however their conditions were given.
	slices.SortStableFunc(g.Conditions, func(a, b Condition) int { return scopeRank(a.Type) - scopeRank(b.Type) })
	if len(g.Conditions) == 0 {
		g.Conditions = nil
	}
}

func scopeRank(t GrantType) int {
	if i := slices.Index(GrantTypes[:], t); i >= 0 {
		return i
	}
	return len(GrantTypes)
}

// Validate returns EINVALID naming the first problem with g.
func (g *Grant) Validate() error {
	switch {
	case g.Type != GrantOrganization && g.Type != GrantChannel && g.Type != GrantUser:
		return Errorf(EINVALID, "Grant type %q is not one of organization, channel, user.", g.Type)
	case strings.TrimSpace(g.Command) == "":
		return Errorf(EINVALID, "Grant command is required (use * for all commands).")
	case strings.TrimSpace(g.Subcommand) == "":
		return Errorf(EINVALID, "Grant subcommand is required (use * for all subcommands).")
	case g.Group != "" && g.Type != GrantUser:
		return Errorf(EINVALID, "Only a user grant can name a group, not a %s grant.", g.Type)
	case g.Group != "" && g.Value != "":
		return Errorf(EINVALID, "A grant names either a value or a group, not both.")
	case g.Group == "" && strings.TrimSpace(g.Value) == "":
		return Errorf(EINVALID, "Grant value is required: the platform's id, or * for any.")
	case g.Command == Wildcard && g.Subcommand != Wildcard:
		return Errorf(EINVALID, "A grant for all commands (*) must also be for all subcommands (*), not %q.", g.Subcommand)
	case strings.ContainsAny(g.Command+g.Subcommand+g.Value+g.Platform+g.Group, " \t\r\n"):
		return Errorf(EINVALID, "Grant command, subcommand, value, group and platform cannot contain whitespace.")
	}
	// Subcommand patterns are matched with path.Match; a malformed one would never match anything.
	if _, err := path.Match(g.Subcommand, ""); err != nil {
		return Errorf(EINVALID, "Grant subcommand %q is not a valid pattern: * matches any characters, ? one, [abc] one of a set.", g.Subcommand)
	}
	for _, f := range [...]struct{ name, v string }{
		{"platform", g.Platform}, {"command", g.Command}, {"subcommand", g.Subcommand}, {"value", g.Value}, {"name", g.Name}, {"group", g.Group},
	} {
		if err := ValidateText("Grant "+f.name, f.v); err != nil {
			return err
		}
	}
	return validateConditions(g.Conditions)
}

func validateConditions(cs []Condition) error {
	var seen [len(GrantTypes)]bool
	for _, c := range cs {
		r := scopeRank(c.Type)
		switch {
		case r == len(GrantTypes):
			return Errorf(EINVALID, "Condition type %q is not one of organization, channel, user.", c.Type)
		case strings.TrimSpace(c.Value) == "" || strings.ContainsAny(c.Value, " \t\r\n"):
			return Errorf(EINVALID, "Condition %s needs an id without whitespace.", c)
		case c.Value == Wildcard:
			return Errorf(EINVALID, "Condition %s always holds; leave it out.", c)
		case seen[r]:
			// Conditions must hold together: two ids for one scope never can.
			return Errorf(EINVALID, "A grant can have only one %s condition (they must all hold at once).", c.Type)
		}
		seen[r] = true
		if err := ValidateText("Condition "+string(c.Type), c.Value); err != nil {
			return err
		}
	}
	return nil
}

// MaxTextLen is the most characters a short stored text (an id, a name) may have: what every
// supported database holds in a VARCHAR(255).
const MaxTextLen = 255

// ValidateText returns EINVALID when s cannot be stored alike on every database: over MaxTextLen
// characters, invalid UTF-8 or control characters (PostgreSQL refuses NUL, MySQL strict mode
// refuses both, SQLite takes anything). what names the field for the message.
func ValidateText(what, s string) error {
	switch {
	case utf8.RuneCountInString(s) > MaxTextLen:
		return Errorf(EINVALID, "%s is too long (at most %d characters).", what, MaxTextLen)
	case !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0:
		return Errorf(EINVALID, "%s must be text without control characters.", what)
	}
	return nil
}

// GrantFilter selects grants; zero fields match everything.
type GrantFilter struct {
	ID       *int64
	Type     GrantType
	Command  string
	Platform string
}

// GrantService stores access grants.
type GrantService interface {
	// FindGrants returns the grants matching filter, ordered by id.
	FindGrants(ctx context.Context, filter GrantFilter) ([]*Grant, error)
	// CreateGrant validates and stores g, setting its ID and CreatedAt, and audits the change.
	// Returns EINVALID for a bad grant and ECONFLICT when an equal grant
	// (platform, command, subcommand, type, value) exists.
	CreateGrant(ctx context.Context, g *Grant) error
	// UpdateGrant validates g and replaces the grant with g.ID (its CreatedAt kept), auditing the
	// change. Returns ENOTFOUND, EINVALID as CreateGrant (an unchanged expiry may be past) and
	// ECONFLICT when another grant equals it.
	UpdateGrant(ctx context.Context, g *Grant) error
	// DeleteGrant removes a grant and audits the change. Returns ENOTFOUND if it does not exist.
	DeleteGrant(ctx context.Context, id int64) error
}

// ParseExpiry reads a grant's expiry as every door takes it: a duration from now ("72h") or an
// RFC 3339 time, in the future. what names the input in the EINVALID message ("--expires", "Expires").
func ParseExpiry(what, s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	t, err := now, error(nil)
	if d, derr := time.ParseDuration(s); derr == nil {
		t = now.Add(d)
	} else if t, err = time.Parse(time.RFC3339, s); err != nil {
		return t, Errorf(EINVALID, "%s %q is neither a duration like 72h nor an RFC 3339 time like 2030-01-02T15:04:05Z", what, s)
	}
	if !t.After(now) {
		return t, Errorf(EINVALID, "%s %s is in the past", what, s)
	}
	return t, nil
}
