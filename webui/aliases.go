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
	Aliases    []AliasView
	Try        string
	Match      *AliasMatch
	Error      string
	Definition string
	CanStore   bool
}

func (u *UI) aliasesPage(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	d, err := u.aliasesData(r)
	if err != nil {
		return err
	}
	return u.render(w, r, user, "aliases", "Aliases", d)
}

// saveAlias stores a pasted definition; the aliases in force follow within aliases.reload_interval.
func (u *UI) saveAlias(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	if u.SaveAlias == nil {
		return opsgate.Errorf(opsgate.ENOTFOUND, "Aliases cannot be stored on this server.")
	}
	r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
	def := strings.ReplaceAll(r.PostFormValue("definition"), "\r\n", "\n") // browsers send a textarea's lines with CRLF
	ref, err := u.SaveAlias(r.Context(), def)
	if err != nil {
		d, derr := u.aliasesData(r)
		if derr != nil {
			return derr
		}
		d.Definition = def
		refused.WithLabelValues(opsgate.ErrorCode(err)).Inc()
		u.renderStatus(w, r, user, statusFor(err), "aliases", "Aliases", d, opsgate.ErrorMessage(err))
		return nil
	}
	u.flash(r, "Alias "+ref+" saved; it is in force within a few seconds.")
	back(w, r, "/ui/aliases")
	return nil
}

func (u *UI) deleteAlias(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	if u.DeleteAlias == nil {
		return opsgate.Errorf(opsgate.ENOTFOUND, "Aliases cannot be stored on this server.")
	}
	ref := r.PathValue("ref")
	if err := u.DeleteAlias(r.Context(), ref); err != nil {
		return err
	}
	u.flash(r, "Alias "+ref+" deleted.")
	back(w, r, "/ui/aliases")
	return nil
}

func (u *UI) aliasesData(r *http.Request) (*aliasesData, error) {
	d := &aliasesData{Try: strings.TrimSpace(r.URL.Query().Get("try")), CanStore: u.SaveAlias != nil}
	if u.ListAliases != nil {
		as, err := u.ListAliases(r.Context())
		if err != nil {
			return nil, err
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
	return d, nil
}
