// Package access decides, from memory, whether a chat user may run a command: Nautobot ChatOps'
// access grants (organization, channel and user scopes, all three must allow), plus an optional
// platform, glob subcommands, expiry and an explanation of every decision.
package access

import (
	"cmp"
	"math"
	"path"
	"slices"
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
	expires int64               // unix microseconds (any date a time.Time can hold fits); never for none
	conds   []opsgate.Condition // all must hold; nil for a plain Nautobot grant
	// platform, when set, is the only platform the entry counts on: a group's. (The grant's own
	// platform is in the key.)
	platform string
}

// never is the expiry of a grant without one. Not 0: a grant expiring at the Unix epoch expired.
const never = math.MaxInt64

type globEntry struct {
	entry
	platform, command, subcommand string
	typ                           opsgate.GrantType
	value                         string
}

// index is an immutable snapshot of the grants and groups, replaced whole on change.
type index struct {
	exact         map[key][]entry
	globs         []globEntry                   // grants whose subcommand is a pattern like "get-*"
	platformGrant [len(opsgate.GrantTypes)]bool // some grant of the scope is for one platform: look platform keys up too
	size          int
}

// newIndex indexes the grants. A group's grant is indexed under each member's id, so that a
// decision costs the same map lookups whether users are allowed one by one or by group; a
// membership change reloads the index like a grant change.
func newIndex(grants []*opsgate.Grant, groups []*opsgate.Group) *index {
	ix := &index{exact: make(map[key][]entry, 2*len(grants)), size: len(grants)}
	byName := make(map[string]*opsgate.Group, len(groups))
	for _, gr := range groups {
		byName[gr.Name] = gr
	}
	for _, g := range grants {
		e := entry{id: g.ID, expires: never, conds: g.Conditions}
		if g.ExpiresAt != nil {
			e.expires = g.ExpiresAt.UnixMicro()
		}
		add := func(platform, value string, e entry) {
			if platform != "" {
				ix.platformGrant[scope(g.Type)] = true
			}
			put := func(sub string) {
				k := key{platform, g.Command, sub, g.Type, value}
				ix.exact[k] = append(ix.exact[k], e)
			}
			put(anySub)
			if isGlob(g.Subcommand) {
				ix.globs = append(ix.globs, globEntry{e, platform, g.Command, g.Subcommand, g.Type, value})
			} else {
				put(g.Subcommand)
			}
		}
		if g.Group == "" {
			add(g.Platform, g.Value, e)
			continue
		}
		gr := byName[g.Group]
		if gr == nil || (gr.Platform != "" && g.Platform != "" && gr.Platform != g.Platform) {
			continue // allows nobody: an unknown group, or one whose users never use the grant's platform
		}
		e.platform = gr.Platform
		for _, u := range gr.Members {
			add(g.Platform, u, e)
		}
	}
	// Unconditioned, longest-lived grants first: the cheapest match, and the one explained.
	for _, es := range ix.exact {
		slices.SortStableFunc(es, func(a, b entry) int {
			if (len(a.conds) == 0) != (len(b.conds) == 0) {
				return len(a.conds) - len(b.conds)
			}
			return cmp.Compare(b.expires, a.expires)
		})
	}
	return ix
}

func scope(t opsgate.GrantType) int {
	switch t {
	case opsgate.GrantOrganization:
		return 0
	case opsgate.GrantChannel:
		return 1
	}
	return 2
}

func isGlob(sub string) bool { return sub != opsgate.Wildcard && strings.ContainsAny(sub, "*?[") }

// mode says what find looks for.
type mode int

const (
	live    mode = iota // a grant that allows the request
	expired             // one that would, had it not expired
	unmet               // one that would, but for a condition
)

// Authorizer answers access decisions from an in-memory index of the grants.
type Authorizer struct {
	ix  atomic.Pointer[index]
	Now func() time.Time
}

// New returns an Authorizer over grants (and the groups they name).
func New(grants []*opsgate.Grant, groups ...*opsgate.Group) *Authorizer {
	a := &Authorizer{Now: time.Now}
	a.Load(grants, groups...)
	return a
}

// Load replaces the grants and groups together; decisions in flight finish on the old set.
func (a *Authorizer) Load(grants []*opsgate.Grant, groups ...*opsgate.Group) {
	a.ix.Store(newIndex(grants, groups))
}

// Len returns the number of grants loaded.
func (a *Authorizer) Len() int { return a.ix.Load().size }

// Decide checks organization, channel and user scopes in that order; the first without a
// matching grant denies, with the seed's message and the grant that would fix it.
func (a *Authorizer) Decide(s opsgate.Subject, command, subcommand string) opsgate.Decision {
	ix := a.ix.Load()
	var d opsgate.Decision
	for i, t := range opsgate.GrantTypes {
		if d.Matched[i], _ = a.find(ix, s, command, subcommand, t, live); d.Matched[i] == 0 {
			id, name := s.ScopeID(t)
			sub := subcommand
			if sub == "" {
				sub = opsgate.Wildcard
			}
			d.Failed, d.Message = t, opsgate.DenialMessage(t, s)
			d.Fix = &opsgate.Grant{Platform: s.Platform, Command: command, Subcommand: sub, Type: t, Name: name, Value: id}
			d.Expired, _ = a.find(ix, s, command, subcommand, t, expired)
			d.Unmet, d.UnmetCondition = a.find(ix, s, command, subcommand, t, unmet)
			return d
		}
	}
	d.Allowed = true
	return d
}

// UserAllowed reports whether a user-scope grant matches: what restrict_help shows.
func (a *Authorizer) UserAllowed(s opsgate.Subject, command, subcommand string) bool {
	id, _ := a.find(a.ix.Load(), s, command, subcommand, opsgate.GrantUser, live)
	return id != 0
}

// find returns the id of a grant of type t for s running command/subcommand, of the kind m asks
// for, or 0; for unmet, also the condition that failed.
func (a *Authorizer) find(ix *index, s opsgate.Subject, command, subcommand string, t opsgate.GrantType, m mode) (int64, opsgate.Condition) {
	id, _ := s.ScopeID(t)
	sub := subcommand
	if sub == "" {
		sub = anySub
	}
	var now int64
	check := func(es []entry) (int64, opsgate.Condition) {
		for _, e := range es {
			lapsed := false
			if e.expires != never {
				if now == 0 {
					now = a.Now().UnixMicro()
				}
				lapsed = now >= e.expires
			}
			if lapsed != (m == expired) || (e.platform != "" && e.platform != s.Platform) {
				continue
			}
			failed, ok := unmetCondition(e.conds, s)
			if ok != (m == unmet) {
				return e.id, failed
			}
		}
		return 0, opsgate.Condition{}
	}
	platforms := [2]string{"", s.Platform}
	np := 1
	if ix.platformGrant[scope(t)] && s.Platform != "" {
		np = 2
	}
	for _, p := range platforms[:np] {
		for _, cs := range [...][2]string{{command, sub}, {command, opsgate.Wildcard}, {opsgate.Wildcard, opsgate.Wildcard}} {
			for _, v := range [...]string{id, opsgate.Wildcard} {
				if es, ok := ix.exact[key{p, cs[0], cs[1], t, v}]; ok {
					if gid, c := check(es); gid != 0 {
						return gid, c
					}
				}
			}
		}
	}
	if subcommand == "" {
		return 0, opsgate.Condition{}
	}
	for i := range ix.globs {
		g := &ix.globs[i]
		if g.typ != t || g.command != command || (g.platform != "" && g.platform != s.Platform) {
			continue
		}
		if g.value != id && g.value != opsgate.Wildcard {
			continue
		}
		if ok, _ := path.Match(g.subcommand, subcommand); ok {
			if gid, c := check([]entry{g.entry}); gid != 0 {
				return gid, c
			}
		}
	}
	return 0, opsgate.Condition{}
}

// unmetCondition returns the first of conds s does not meet, and whether all hold.
func unmetCondition(conds []opsgate.Condition, s opsgate.Subject) (opsgate.Condition, bool) {
	for _, c := range conds {
		if !c.Holds(s) {
			return c, false
		}
	}
	return opsgate.Condition{}, true
}
