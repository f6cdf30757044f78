package webex

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/opsgate/opsgate"
)

// Room is a space as GET /rooms lists it.
type Room struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Type  string `json:"type"`
}

// lookupPages bounds how many pages of rooms a look-up reads (100 each).
const lookupPages = 50

// Lookup finds, for the web UI's "Look up value from name", the id of a person (e-mail address,
// or display name: GET /people, which Webex answers only for a name's start or an exact address)
// or of a space the bot is in, by title (GET /rooms, every page). ENOTFOUND when nothing
// matches; EINVALID when a name matches several people.
func (c *Client) Lookup(ctx context.Context, kind, name string) (id, display string, err error) {
	want := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), "@"))
	if want == "" {
		return "", "", opsgate.Errorf(opsgate.EINVALID, "Type a name to look up.")
	}
	switch kind {
	case "user":
		q := url.Values{"max": {"100"}}
		if strings.Contains(want, "@") {
			q.Set("email", want)
		} else {
			q.Set("displayName", want)
		}
		var out struct {
			Items []Person `json:"items"`
		}
		if _, err := c.call(ctx, "GET", "/people?"+q.Encode(), nil, &out); err != nil {
			return "", "", lookupError(err)
		}
		var exact []Person
		for _, p := range out.Items {
			if strings.EqualFold(p.DisplayName, want) || containsFold(p.Emails, want) {
				exact = append(exact, p)
			}
		}
		if len(exact) == 0 && len(out.Items) == 1 {
			exact = out.Items // the only name starting with what was typed
		}
		switch len(exact) {
		case 0:
			if len(out.Items) > 1 {
				return "", "", ambiguous(want, out.Items)
			}
			return "", "", opsgate.Errorf(opsgate.ENOTFOUND, "Webex has no person %q in the bot's organization.", name)
		case 1:
			return exact[0].ID, personName(exact[0]), nil
		}
		return "", "", ambiguous(want, exact)
	case "channel":
		next := "/rooms?max=100"
		for page := 0; next != "" && page < lookupPages; page++ {
			var out struct {
				Items []Room `json:"items"`
			}
			h, err := c.call(ctx, "GET", next, nil, &out)
			if err != nil {
				return "", "", lookupError(err)
			}
			for _, r := range out.Items {
				if strings.EqualFold(r.Title, want) || r.ID == want {
					return r.ID, r.Title, nil
				}
			}
			next = ""
			// Follow only links on our own API: the bearer token must not go anywhere else.
			if m := linkNext.FindStringSubmatch(h.Get("Link")); m != nil && strings.HasPrefix(m[1], c.base()+"/") {
				next = m[1]
			}
		}
		return "", "", opsgate.Errorf(opsgate.ENOTFOUND, "Webex has no space titled %q that the bot is in.", name)
	}
	return "", "", opsgate.Errorf(opsgate.EINVALID, "Look up a channel or a user, not %q.", kind)
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func personName(p Person) string {
	if len(p.Emails) > 0 {
		return p.DisplayName + " <" + p.Emails[0] + ">"
	}
	return p.DisplayName
}

func ambiguous(want string, ps []Person) error {
	names := make([]string, 0, 5)
	for _, p := range ps[:min(len(ps), 5)] {
		names = append(names, personName(p))
	}
	return opsgate.Errorf(opsgate.EINVALID, "%q matches %d people (%s): type the whole name or the e-mail address.", want, len(ps), strings.Join(names, ", "))
}

// lookupError says which call failed and Webex's message (never the token, which is in a header).
func lookupError(err error) error {
	var ae *APIError
	if errors.As(err, &ae) {
		return opsgate.Errorf(opsgate.EINTERNAL, "Webex's %s %s failed: %d %s.", ae.Method, ae.Path, ae.Status, ae.Message)
	}
	return opsgate.Errorf(opsgate.EINTERNAL, "Webex could not be reached: %s.", err.Error())
}
