// Package access decides, from memory, whether a chat user may run a command: Nautobot ChatOps'
// access grants (organization, channel and user scopes, all three must allow), plus an optional
// platform, glob subcommands, expiry and an explanation of every decision.
package access

import (
	"math"
	"path"
	"strings"
	"sync/atomic"
	"time"

	"github.com/opsgate/opsgate"
)

var _ opsgate.Authorizer = (*Authorizer)(nil)

// anySub is the subcommand under which every grant is also indexed, for requests that name a
// command without a subcommand (they match any grant of that command, as in Nautobot).
const anySub = "\x00"

type key struct {
	platform, command, subcommand string
	typ                           opsgate.GrantType
	value                         string
}

type entry struct {
	id      int64
	expires int64 // unix microseconds (any date a time.Time can hold fits); never for none
}

// never is the expiry of a grant without one. Not 0: a grant expiring at the Unix epoch expired.
const never = math.MaxInt64

// index is an immutable snapshot of the grants, replaced whole on change.
type index struct {
	exact         map[key]entry
	globs         []*opsgate.Grant // grants whose subcommand is a pattern like "get-*"
	platformGrant bool             // some grant names a platform: look platform keys up too
	size          int
}

func newIndex(grants []*opsgate.Grant) *index {
	ix := &index{exact: make(map[key]entry, 2*len(grants)), size: len(grants)}
	for _, g := range grants {
		e := entry{id: g.ID, expires: never}
		if g.ExpiresAt != nil {
			e.expires = g.ExpiresAt.UnixMicro()
		}
		if g.Platform != "" {
			ix.platformGrant = true
		}
		put := func(sub string) {
			k := key{g.Platform, g.Command, sub, g.Type, g.Value}
			if old, ok := ix.exact[k]; !ok || e.expires > old.expires {
				ix.exact[k] = e // keep the longest-lived of equal keys
			}
		}
		put(anySub)
		if isGlob(g.Subcommand) {
			ix.globs = append(ix.globs, g)
		} else {
			put(g.Subcommand)
		}
	}
	return ix
}

func isGlob(sub string) bool { return sub != opsgate.Wildcard && strings.ContainsAny(sub, "*?[") }

// Authorizer answers access decisions from an in-memory index of the grants.
type Authorizer struct {
	ix  atomic.Pointer[index]
	Now func() time.Time
}

// New returns an Authorizer over grants.
func New(grants []*opsgate.Grant) *Authorizer {
	a := &Authorizer{Now: time.Now}
	a.Load(grants)
	return a
}

// Load replaces the grants; decisions in flight finish on the old set.
func (a *Authorizer) Load(grants []*opsgate.Grant) { a.ix.Store(newIndex(grants)) }

// Len returns the number of grants loaded.
func (a *Authorizer) Len() int { return a.ix.Load().size }

// Decide checks organization, channel and user scopes in that order; the first without a
// matching grant denies, with the seed's message and the grant that would fix it.
func (a *Authorizer) Decide(s opsgate.Subject, command, subcommand string) opsgate.Decision {
	ix := a.ix.Load()
	var d opsgate.Decision
	for i, t := range opsgate.GrantTypes {
		id, name := s.ScopeID(t)
		if d.Matched[i] = a.find(ix, s.Platform, command, subcommand, t, id, false); d.Matched[i] == 0 {
			sub := subcommand
			if sub == "" {
				sub = opsgate.Wildcard
			}
			d.Failed, d.Message = t, opsgate.DenialMessage(t, s)
			d.Fix = &opsgate.Grant{Platform: s.Platform, Command: command, Subcommand: sub, Type: t, Name: name, Value: id}
			d.Expired = a.find(ix, s.Platform, command, subcommand, t, id, true)
			return d
		}
	}
	d.Allowed = true
	return d
}

// UserAllowed reports whether a user-scope grant matches: what restrict_help shows.
func (a *Authorizer) UserAllowed(s opsgate.Subject, command, subcommand string) bool {
	return a.find(a.ix.Load(), s.Platform, command, subcommand, opsgate.GrantUser, s.UserID, false) != 0
}

// find returns the id of a live grant of type t allowing id to run command/subcommand, or 0;
// with expired, the id of one that would allow it but has expired (for explanations).
func (a *Authorizer) find(ix *index, platform, command, subcommand string, t opsgate.GrantType, id string, expired bool) int64 {
	sub := subcommand
	if sub == "" {
		sub = anySub
	}
	var now int64
	platforms := [2]string{"", platform}
	np := 1
	if ix.platformGrant && platform != "" {
		np = 2
	}
	for _, p := range platforms[:np] {
		for _, c := range [...]key{
			{p, command, sub, t, id}, {p, command, sub, t, opsgate.Wildcard},
			{p, command, opsgate.Wildcard, t, id}, {p, command, opsgate.Wildcard, t, opsgate.Wildcard},
			{p, opsgate.Wildcard, opsgate.Wildcard, t, id}, {p, opsgate.Wildcard, opsgate.Wildcard, t, opsgate.Wildcard},
		} {
			e, ok := ix.exact[c]
			if !ok {
				continue
			}
			lapsed := false
			if e.expires != never {
				if now == 0 {
					now = a.Now().UnixMicro()
				}
				lapsed = now >= e.expires
			}
			if lapsed == expired {
				return e.id
			}
		}
	}
	if subcommand == "" {
		return 0
	}
	for _, g := range ix.globs {
		if g.Type == t && g.Command == command && (g.Platform == "" || g.Platform == platform) &&
			(g.Value == id || g.Value == opsgate.Wildcard) && (g.ExpiresAt != nil && !a.Now().Before(*g.ExpiresAt)) == expired {
			if ok, _ := path.Match(g.Subcommand, subcommand); ok {
				return g.ID
			}
		}
	}
	return 0
}
