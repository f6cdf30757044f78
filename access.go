package opsgate

import "fmt"

// Decision is the outcome of an access check, with what an admin needs to understand it.
type Decision struct {
	Allowed bool
	// Matched holds, per scope in GrantTypes order, the id of the grant that allowed it (0 when none did).
	Matched [3]int64
	// Failed is the first scope no grant allowed; empty when allowed.
	Failed GrantType
	// Message is what the user sees when denied.
	Message string
	// Fix is the grant an admin could add to allow this request (set when denied).
	Fix *Grant
	// Expired is the id of a grant that would have allowed the failed scope had it not expired
	// (0 when none): often the real answer to "why am I denied".
	Expired int64
	// Unmet is the id of a grant that would have allowed the failed scope but for its condition
	// UnmetCondition (0 when none): "this grant is for channel C2, not here".
	Unmet          int64
	UnmetCondition Condition
}

// Authorizer decides whether a subject may run a command. Implementations answer from memory.
type Authorizer interface {
	// Decide checks the grants for subject running command/subcommand (subcommand may be empty).
	Decide(s Subject, command, subcommand string) Decision
	// UserAllowed reports whether a user-scope grant lets the user run command/subcommand,
	// the test restrict_help uses.
	UserAllowed(s Subject, command, subcommand string) bool
}

// DenialMessage is the seed's message for a scope no grant allowed. It names the raw id on
// purpose, so an admin can copy it into a new grant; the id stands in for an unknown name.
func DenialMessage(scope GrantType, s Subject) string {
	var where string
	nameOr := func(id, name string) string {
		if name == "" {
			return id
		}
		return name
	}
	switch scope {
	case GrantOrganization:
		where = fmt.Sprintf("in organization %s (%s)", s.OrgID, nameOr(s.OrgID, s.OrgName))
	case GrantChannel:
		where = fmt.Sprintf("in channel %s (%s)", s.ChannelID, nameOr(s.ChannelID, s.ChannelName))
	default:
		where = fmt.Sprintf("by user %s (%s)", s.UserID, nameOr(s.UserID, s.UserName))
	}
	return "Access to this bot and/or command is not permitted " + where +
		", ask your administrator to define an appropriate Access Grant"
}

// ScopeID returns the subject's id for a scope.
func (s Subject) ScopeID(t GrantType) (id, name string) {
	switch t {
	case GrantOrganization:
		return s.OrgID, s.OrgName
	case GrantChannel:
		return s.ChannelID, s.ChannelName
	default:
		return s.UserID, s.UserName
	}
}
