package webui

import (
	"net/http"

	"github.com/opsgate/opsgate"
)

type statusData struct {
	Checks  []Check
	Version string
}

func (u *UI) statusPage(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	d := statusData{Version: u.Version}
	if u.Status != nil {
		d.Checks = u.Status(r.Context())
	}
	return u.render(w, r, user, "status", "Status", d)
}
