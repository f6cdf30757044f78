package webui

import (
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

type grantsData struct {
	Grants    []*opsgate.Grant
	Filter    opsgate.GrantFilter
	Filtered  bool
	Types     []opsgate.GrantType
	Platforms []string
	Form      opsgate.Grant
	Expires   string
	When      string // the form's conditions, TYPE=ID separated by spaces
	EditID    int64  // the grant the form edits (0: the form adds one)
	Lookups   []string
	Lookup    lookupResult
	Expired   func(g *opsgate.Grant) bool
}

type lookupResult struct {
	Platform, Kind, Name string
	ID, Display, Error   string
}

func (u *UI) grantsData(r *http.Request) (*grantsData, error) {
	q := r.URL.Query()
	f := opsgate.GrantFilter{Command: strings.TrimSpace(q.Get("command")), Type: opsgate.GrantType(q.Get("type")), Platform: q.Get("platform")}
	gs, err := u.Grants.FindGrants(r.Context(), f)
	if err != nil {
		return nil, err
	}
	now := u.Now()
	d := &grantsData{Grants: gs, Filter: f, Filtered: f != (opsgate.GrantFilter{}), Types: opsgate.GrantTypes[:],
		Platforms: kit.Names(kit.IsChat), Form: opsgate.Grant{Type: opsgate.GrantUser},
		Expired: func(g *opsgate.Grant) bool { return g.ExpiresAt != nil && !now.Before(*g.ExpiresAt) }}
	for p := range u.Lookups {
		d.Lookups = append(d.Lookups, p)
	}
	sort.Strings(d.Lookups)
	return d, nil
}

func (u *UI) grantsPage(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	d, err := u.grantsData(r)
	if err != nil {
		return err
	}
	if id := r.URL.Query().Get("edit"); id != "" && user.Role.Permits(opsgate.KindGrant, opsgate.Change) {
		for _, g := range d.Grants {
			if itoa(g.ID) == id {
				d.Form, d.EditID, d.When = *g, g.ID, conditions(g.Conditions)
				if g.ExpiresAt != nil {
					d.Expires = g.ExpiresAt.UTC().Format(time.RFC3339)
				}
			}
		}
	}
	if q := r.URL.Query(); q.Get("lookup_name") != "" {
		d.Lookup = u.lookup(r, q.Get("lookup_platform"), q.Get("lookup_kind"), q.Get("lookup_name"))
		if d.Lookup.ID != "" {
			d.Form.Value, d.Form.Name, d.Form.Platform = d.Lookup.ID, d.Lookup.Display, d.Lookup.Platform
			if d.Lookup.Kind == "channel" {
				d.Form.Type = opsgate.GrantChannel
			}
		}
	}
	return u.render(w, r, user, "grants", "Grants", d)
}

// addGrant creates a grant through the grant service, which checks it as for the CLI and API.
func (u *UI) addGrant(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	return u.saveGrant(w, r, user, 0)
}

// updateGrant replaces grant {id} with the form's fields.
func (u *UI) updateGrant(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	id, err := formID(r)
	if err != nil {
		return err
	}
	return u.saveGrant(w, r, user, id)
}

func (u *UI) saveGrant(w http.ResponseWriter, r *http.Request, user *opsgate.User, id int64) error {
	g := opsgate.Grant{ID: id, Command: strings.TrimSpace(r.PostFormValue("command")), Subcommand: strings.TrimSpace(r.PostFormValue("subcommand")),
		Type: opsgate.GrantType(r.PostFormValue("type")), Value: strings.TrimSpace(r.PostFormValue("value")),
		Name: strings.TrimSpace(r.PostFormValue("name")), Platform: r.PostFormValue("platform"), Group: strings.TrimSpace(r.PostFormValue("group"))}
	expires := strings.TrimSpace(r.PostFormValue("expires"))
	when := r.PostFormValue("when")
	err := error(nil)
	// Conditions are written as the CLI's --when takes them, TYPE=ID, separated by spaces.
	for _, w := range strings.Fields(when) {
		c, cerr := opsgate.ParseCondition(w)
		if cerr != nil {
			err = cerr
			break
		}
		g.Conditions = append(g.Conditions, c)
	}
	if err == nil && expires != "" {
		var t time.Time
		t, err = opsgate.ParseExpiry("Expires", expires, u.Now())
		g.ExpiresAt = &t
	}
	if err == nil && id == 0 {
		err = u.Grants.CreateGrant(r.Context(), &g)
	} else if err == nil {
		err = u.Grants.UpdateGrant(r.Context(), &g)
	}
	if err != nil {
		// Show the form again with what was typed and the reason.
		d, derr := u.grantsData(r)
		if derr != nil {
			return derr
		}
		d.Form, d.Expires, d.EditID, d.When = g, expires, id, when
		if expires == "" {
			d.Form.ExpiresAt = nil
		}
		refused.WithLabelValues(opsgate.ErrorCode(err)).Inc()
		u.renderStatus(w, r, user, statusFor(err), "grants", "Grants", d, opsgate.ErrorMessage(err))
		return nil
	}
	u.reload(r)
	if id == 0 {
		u.flash(r, "Grant "+itoa(g.ID)+" added.")
	} else {
		u.flash(r, "Grant "+itoa(g.ID)+" saved.")
	}
	back(w, r, "/ui/grants")
	return nil
}

func (u *UI) deleteGrant(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	id, err := formID(r)
	if err != nil {
		return err
	}
	if err := u.Grants.DeleteGrant(r.Context(), id); err != nil {
		return err
	}
	u.reload(r)
	u.flash(r, "Grant "+itoa(id)+" deleted.")
	back(w, r, "/ui/grants")
	return nil
}

func (u *UI) lookup(r *http.Request, platform, kind, name string) lookupResult {
	res := lookupResult{Platform: platform, Kind: kind, Name: name}
	look, ok := u.Lookups[platform]
	if !ok {
		res.Error = "Looking names up is not available for platform " + platform + "."
		return res
	}
	if kind != "channel" && kind != "user" {
		res.Error = "Kind must be channel or user."
		return res
	}
	id, display, err := look(r.Context(), kind, strings.TrimSpace(name))
	if err != nil {
		if opsgate.ErrorCode(err) == opsgate.EINTERNAL {
			u.Logger.Error("web ui: look up", "platform", platform, "err", err)
		}
		res.Error = opsgate.ErrorMessage(err)
		return res
	}
	res.ID, res.Display = id, display
	return res
}

// conditions writes a grant's conditions as the form takes them.
func conditions(cs []opsgate.Condition) string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.String()
	}
	return strings.Join(out, " ")
}
