package webui

import (
	"net/http"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

type loginData struct {
	Next, Username string
	SSO            bool // offer single sign-on
}

func (u *UI) loginPage(w http.ResponseWriter, r *http.Request) {
	if user, _ := u.currentUser(r); user != nil {
		back(w, r, safeNext(r.URL.Query().Get("next")))
		return
	}
	u.renderStatus(w, r, nil, http.StatusOK, "login", "Log in", loginData{Next: safeNext(r.URL.Query().Get("next")), SSO: u.OIDC != nil}, "")
}

// login checks the password unless the client address is past its limit of refused logins (shared
// with the admin API's refused tokens); only refusals count against it.
func (u *UI) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	name, password, next := r.PostFormValue("username"), r.PostFormValue("password"), safeNext(r.PostFormValue("next"))
	data := loginData{Next: next, Username: name, SSO: u.OIDC != nil}
	if limited, wait := u.Guard.Limited(r); limited {
		logins.WithLabelValues("limited").Inc()
		u.Logger.Warn("web ui: login limited", "client", u.Guard.ClientIP(r))
		kit.SetRetryAfter(w, wait)
		u.renderStatus(w, r, nil, http.StatusTooManyRequests, "login", "Log in", data,
			"Too many failed logins from your address; wait a minute and try again.")
		return
	}
	user, err := u.Users.Authenticate(r.Context(), name, password)
	if opsgate.ErrorCode(err) == opsgate.EUNAUTHORIZED {
		u.Guard.Refuse(r)
		logins.WithLabelValues("refused").Inc()
		u.Logger.Info("web ui: login refused", "user", name, "client", u.Guard.ClientIP(r))
		u.renderStatus(w, r, nil, http.StatusUnauthorized, "login", "Log in", data, "Wrong username or password.")
		return
	} else if err != nil {
		logins.WithLabelValues("error").Inc()
		u.fail(w, r, nil, err)
		return
	}
	// A new token at login: a session id planted before it (fixation) is worth nothing.
	if err := u.sm.RenewToken(r.Context()); err != nil {
		u.fail(w, r, nil, err)
		return
	}
	u.sm.Put(r.Context(), keyUser, user.Name)
	u.sm.Put(r.Context(), keyStamp, user.UpdatedAt.UnixMicro())
	logins.WithLabelValues("ok").Inc()
	u.Logger.Info("web ui: login", "user", user.Name, "role", user.Role)
	back(w, r, next)
}

func (u *UI) logout(w http.ResponseWriter, r *http.Request) {
	if err := u.sm.Destroy(r.Context()); err != nil {
		u.fail(w, r, nil, err)
		return
	}
	back(w, r, "/ui/login")
}
