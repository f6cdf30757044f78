package webui

import (
	"net/http"
	"strings"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

type groupsData struct {
	Groups    []*opsgate.Group
	Platforms []string
	Form      opsgate.Group
	Members   string
}

func (u *UI) groupsData(r *http.Request) (*groupsData, error) {
	gs, err := u.Groups.FindGroups(r.Context(), "")
	if err != nil {
		return nil, err
	}
	return &groupsData{Groups: gs, Platforms: kit.Names(kit.IsChat)}, nil
}

func (u *UI) groupsPage(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	d, err := u.groupsData(r)
	if err != nil {
		return err
	}
	return u.render(w, r, user, "groups", "Groups", d)
}

// addUserGroup creates a group of chat users (not a secrets group) with its first members through
// the group service, as `group add` does.
func (u *UI) addUserGroup(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	g := opsgate.Group{Name: strings.TrimSpace(r.PostFormValue("name")), Platform: strings.TrimSpace(r.PostFormValue("platform")),
		Members: strings.Fields(r.PostFormValue("members"))}
	err := error(nil)
	if g.Platform != "" {
		g.Platform, err = kit.ChatPlatform(g.Platform)
	}
	if err == nil {
		err = u.Groups.CreateGroup(r.Context(), &g)
	}
	if err != nil {
		d, derr := u.groupsData(r)
		if derr != nil {
			return derr
		}
		d.Form, d.Members = g, r.PostFormValue("members")
		return u.refuse(w, r, user, "groups", "Groups", d, err)
	}
	u.reload(r) // grants may name the group
	u.flash(r, "Group "+g.Name+" added.")
	back(w, r, "/ui/groups")
	return nil
}

func (u *UI) deleteGroupOfUsers(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	name := r.PathValue("name")
	if err := u.Groups.DeleteGroup(r.Context(), name); err != nil {
		return err
	}
	u.reload(r)
	u.flash(r, "Group "+name+" deleted.")
	back(w, r, "/ui/groups")
	return nil
}

// groupMember adds (or, with remove=1, removes) the members named in the form.
func (u *UI) groupMember(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	name := r.PathValue("name")
	members := strings.Fields(r.PostFormValue("member"))
	if len(members) == 0 {
		return opsgate.Errorf(opsgate.EINVALID, "Group member id is required.")
	}
	var err error
	verb := "added to"
	if r.PostFormValue("remove") != "" {
		err, verb = u.Groups.RemoveGroupMembers(r.Context(), name, members...), "removed from"
	} else {
		err = u.Groups.AddGroupMembers(r.Context(), name, members...)
	}
	if err != nil {
		return err
	}
	u.reload(r)
	u.flash(r, strings.Join(members, ", ")+" "+verb+" group "+name+".")
	back(w, r, "/ui/groups")
	return nil
}

// refuse shows a page again with what was typed and why it was refused.
func (u *UI) refuse(w http.ResponseWriter, r *http.Request, user *opsgate.User, name, title string, d any, err error) error {
	if _, ok := statusOf[opsgate.ErrorCode(err)]; !ok {
		return err
	}
	refused.WithLabelValues(opsgate.ErrorCode(err)).Inc()
	u.Logger.Info("web ui: refused", "path", r.URL.Path, "code", opsgate.ErrorCode(err), "msg", opsgate.ErrorMessage(err))
	u.renderStatus(w, r, user, statusFor(err), name, title, d, opsgate.ErrorMessage(err))
	return nil
}
