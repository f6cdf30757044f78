package webui

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

type accessData struct {
	Q         accessQuery
	Platforms []string
	Checked   bool
	Decision  opsgate.Decision
	Scopes    []scopeResult
	FixURL    string // where to come back after creating the fix
}

type accessQuery struct{ Platform, Org, Channel, User, Command, Subcommand string }

type scopeResult struct {
	Scope   opsgate.GrantType
	ID      string
	GrantID int64
}

// accessPage is `access check --explain` as a form: the decision of the running server, the
// grant that allowed each scope, or the failing scope and the grant that would fix it.
func (u *UI) accessPage(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	q := r.URL.Query()
	d := accessData{Platforms: kit.Names(kit.IsChat), Q: accessQuery{Platform: q.Get("platform"), Org: strings.TrimSpace(q.Get("org")),
		Channel: strings.TrimSpace(q.Get("channel")), User: strings.TrimSpace(q.Get("user")), Command: strings.TrimSpace(q.Get("command")),
		Subcommand: strings.TrimSpace(q.Get("subcommand"))}}
	if d.Q.Command == "" && d.Q.Org == "" && d.Q.Channel == "" && d.Q.User == "" {
		return u.render(w, r, user, "access", "Access check", d)
	}
	if d.Q.Org == "" || d.Q.Channel == "" || d.Q.User == "" || d.Q.Command == "" {
		u.renderStatus(w, r, user, http.StatusBadRequest, "access", "Access check", d,
			"Organization, Channel, User and Command are all needed for an access check.")
		refused.WithLabelValues(opsgate.EINVALID).Inc()
		return nil
	}
	s := opsgate.Subject{Platform: d.Q.Platform, OrgID: d.Q.Org, ChannelID: d.Q.Channel, UserID: d.Q.User}
	d.Checked, d.Decision = true, u.Auth.Decide(s, d.Q.Command, d.Q.Subcommand)
	for i, t := range opsgate.GrantTypes {
		id, _ := s.ScopeID(t)
		d.Scopes = append(d.Scopes, scopeResult{Scope: t, ID: id, GrantID: d.Decision.Matched[i]})
	}
	d.FixURL = r.URL.RequestURI()
	return u.render(w, r, user, "access", "Access check", d)
}

// fixAccess creates the grant an access check suggested, then shows the check again.
func (u *UI) fixAccess(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	g := opsgate.Grant{Command: r.PostFormValue("command"), Subcommand: r.PostFormValue("subcommand"), Type: opsgate.GrantType(r.PostFormValue("type")),
		Value: r.PostFormValue("value"), Name: r.PostFormValue("name"), Platform: r.PostFormValue("platform")}
	if err := u.Grants.CreateGrant(r.Context(), &g); err != nil {
		return err
	}
	u.reload(r)
	u.flash(r, "Grant "+itoa(g.ID)+" added: "+string(g.Type)+" "+g.Value+" may run "+g.Command+" "+g.Subcommand+".")
	next := r.PostFormValue("back")
	if pu, err := url.Parse(next); err != nil || pu.Path != "/ui/access" || pu.Host != "" || pu.Scheme != "" {
		next = "/ui/access"
	}
	back(w, r, next)
	return nil
}

// reload makes this replica's decisions follow a grant change at once (others follow within
// grant_reload_interval).
func (u *UI) reload(r *http.Request) {
	if u.Reload == nil {
		return
	}
	if err := u.Reload(r.Context()); err != nil {
		u.Logger.Warn("web ui: reloading grants", "err", err)
	}
}
