package webui

import (
	"net/http"
	"strings"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

type tokensData struct {
	Tokens    []*opsgate.CommandToken
	Platforms []string
	New       string // the token just created: shown on this one page only
	NewToken  *opsgate.CommandToken
}

func (u *UI) tokensData(r *http.Request) (*tokensData, error) {
	ts, err := u.Tokens.FindTokens(r.Context(), "")
	if err != nil {
		return nil, err
	}
	return &tokensData{Tokens: ts, Platforms: kit.Names(kit.TakesTokens)}, nil
}

func (u *UI) tokensPage(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	d, err := u.tokensData(r)
	if err != nil {
		return err
	}
	return u.render(w, r, user, "tokens", "Command tokens", d)
}

// addToken shows the new token in the answer to the post itself, never after a redirect: it is
// in no session, no URL and no later page.
func (u *UI) addToken(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	// The token service checks the platform, as for the CLI.
	t := opsgate.CommandToken{Platform: r.PostFormValue("platform"), Comment: strings.TrimSpace(r.PostFormValue("comment"))}
	plain, err := u.Tokens.CreateToken(r.Context(), &t, "")
	if err != nil {
		return err
	}
	d, err := u.tokensData(r)
	if err != nil {
		return err
	}
	d.New, d.NewToken = plain, &t
	return u.render(w, r, user, "tokens", "Command tokens", d)
}

func (u *UI) deleteToken(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	id, err := formID(r)
	if err != nil {
		return err
	}
	if err := u.Tokens.DeleteToken(r.Context(), id); err != nil {
		return err
	}
	u.flash(r, "Token "+itoa(id)+" deleted.")
	back(w, r, "/ui/tokens")
	return nil
}
