package webui

import (
	"net/http"
	"strings"

	"github.com/opsgate/opsgate"
)

// AliasView is one alias as the aliases page lists it.
type AliasView struct {
	Ref         string
	Description string
	Formats     []string
	Source      string // "file" or "database"
}

type aliasesData struct {
	Aliases []AliasView
	Try     string
	Match   *AliasMatch
	Error   string
}

func (u *UI) aliasesPage(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	d := aliasesData{Try: strings.TrimSpace(r.URL.Query().Get("try"))}
	if u.ListAliases != nil {
		as, err := u.ListAliases(r.Context())
		if err != nil {
			return err
		}
		d.Aliases = as
	}
	if d.Try != "" && u.TryAlias != nil {
		m, err := u.TryAlias(r.Context(), d.Try)
		if err != nil {
			d.Error = opsgate.ErrorMessage(err)
		} else {
			d.Match = m
		}
	}
	return u.render(w, r, user, "aliases", "Aliases", d)
}
