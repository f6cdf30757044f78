package http

import (
	"net/http"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

func (a *API) listGroups(w http.ResponseWriter, r *http.Request) error {
	gs, err := a.Groups.FindGroups(r.Context(), "")
	if err != nil {
		return err
	}
	if gs == nil {
		gs = []*opsgate.Group{}
	}
	return writeJSON(w, http.StatusOK, gs)
}

func (a *API) createGroup(w http.ResponseWriter, r *http.Request) error {
	var g opsgate.Group
	if err := decodeBody(r, "a group", &g); err != nil {
		return err
	}
	g.ID = 0
	if g.Platform != "" {
		p, err := kit.ChatPlatform(g.Platform)
		if err != nil {
			return err
		}
		g.Platform = p
	}
	if err := a.Groups.CreateGroup(r.Context(), &g); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, g)
}

func (a *API) deleteGroup(w http.ResponseWriter, r *http.Request) error {
	if err := a.Groups.DeleteGroup(r.Context(), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) addMembers(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Users []string `json:"users"`
	}
	if err := decodeBody(r, `{"users": [...]}`, &in); err != nil {
		return err
	}
	if err := a.Groups.AddGroupMembers(r.Context(), r.PathValue("name"), in.Users...); err != nil {
		return err
	}
	gs, err := a.Groups.FindGroups(r.Context(), r.PathValue("name"))
	if err != nil || len(gs) == 0 {
		return err
	}
	return writeJSON(w, http.StatusOK, gs[0])
}

func (a *API) removeMember(w http.ResponseWriter, r *http.Request) error {
	if err := a.Groups.RemoveGroupMembers(r.Context(), r.PathValue("name"), r.PathValue("user")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
