package webui

import (
	"net/http"
	"strings"

	"github.com/opsgate/opsgate"
)

// addGroup creates an empty secrets group.
func (u *UI) addGroup(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	if u.Secrets == nil {
		return opsgate.Errorf(opsgate.ENOTFOUND, "Secrets are not available on this server.")
	}
	g := opsgate.SecretsGroup{Name: strings.TrimSpace(r.PostFormValue("name")), Description: strings.TrimSpace(r.PostFormValue("description"))}
	if err := u.Secrets.CreateSecretsGroup(r.Context(), &g); err != nil {
		return err
	}
	u.flash(r, "Secrets group "+g.Name+" added.")
	back(w, r, "/ui/secrets")
	return nil
}

// setGroupMember assigns a secret (within the role's constraint) to an access type and secret
// type of a group; no secret removes the assignment.
func (u *UI) setGroupMember(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	if u.Secrets == nil {
		return opsgate.Errorf(opsgate.ENOTFOUND, "Secrets are not available on this server.")
	}
	access, err := opsgate.ParseSecretAccessType(r.PostFormValue("access_type"))
	if err != nil {
		return err
	}
	typ, err := opsgate.ParseSecretType(r.PostFormValue("secret_type"))
	if err != nil {
		return err
	}
	group, name := r.PathValue("name"), r.PostFormValue("secret")
	if name != "" {
		s, err := u.Secrets.FindSecretByName(r.Context(), name)
		if err != nil {
			return err
		}
		if limit := u.SecretLimits[user.Role]; !limit.Allows(s) {
			return opsgate.Errorf(opsgate.EFORBIDDEN, "Your role (%s) may only use secrets of provider %s whose %s starts with %q.",
				user.Role, limit.Provider, limit.Param, limit.Prefix)
		}
	}
	if err := u.Secrets.SetSecretsGroupMember(r.Context(), group, access, typ, name); err != nil {
		return err
	}
	u.flash(r, "Secrets group "+group+" updated.")
	back(w, r, "/ui/secrets")
	return nil
}

// flushSecrets asks every replica to drop its cached secret values, as `opsgate secret flush`.
func (u *UI) flushSecrets(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	if u.Secrets == nil {
		return opsgate.Errorf(opsgate.ENOTFOUND, "Secrets are not available on this server.")
	}
	if err := u.Secrets.FlushSecretCache(r.Context()); err != nil {
		return err
	}
	u.flash(r, "Every replica drops its cached secret values within secrets.flush_poll_interval.")
	back(w, r, "/ui/secrets")
	return nil
}

func (u *UI) deleteGroup(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	if u.Secrets == nil {
		return opsgate.Errorf(opsgate.ENOTFOUND, "Secrets are not available on this server.")
	}
	name := r.PathValue("name")
	if err := u.Secrets.DeleteSecretsGroup(r.Context(), name); err != nil {
		return err
	}
	u.flash(r, "Secrets group "+name+" deleted.")
	back(w, r, "/ui/secrets")
	return nil
}
