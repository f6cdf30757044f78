package slack

import (
	"context"
	"strings"

	"github.com/slack-go/slack"

	"github.com/opsgate/opsgate"
)

// Lookup finds the id of a channel ("#general" or "general") or a user (login name, display
// name, real name or e-mail address, any letter case) with Slack's conversations.list and
// users.list, for the web UI's "Look up value from name". Returns ENOTFOUND when nothing matches.
func Lookup(ctx context.Context, api *slack.Client, kind, name string) (id, display string, err error) {
	want := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(name), "#"), "@"))
	if want == "" {
		return "", "", opsgate.Errorf(opsgate.EINVALID, "Type a name to look up.")
	}
	switch kind {
	case "channel":
		p := &slack.GetConversationsParameters{Types: []string{"public_channel", "private_channel"}, ExcludeArchived: true, Limit: 200}
		for {
			chs, cursor, err := api.GetConversationsContext(ctx, p)
			if err != nil {
				return "", "", apiError("conversations.list", err)
			}
			for _, c := range chs {
				if strings.ToLower(c.Name) == want || strings.ToLower(c.ID) == want {
					return c.ID, "#" + c.Name, nil
				}
			}
			if cursor == "" {
				return "", "", opsgate.Errorf(opsgate.ENOTFOUND, "Slack has no channel named %q that the bot can see.", name)
			}
			p.Cursor = cursor
		}
	case "user":
		users, err := api.GetUsersContext(ctx, slack.GetUsersOptionLimit(200))
		if err != nil {
			return "", "", apiError("users.list", err)
		}
		for _, u := range users {
			if u.Deleted {
				continue
			}
			for _, n := range []string{u.Name, u.Profile.DisplayName, u.RealName, u.Profile.Email, u.ID} {
				if n != "" && strings.ToLower(n) == want {
					return u.ID, u.Name, nil
				}
			}
		}
		return "", "", opsgate.Errorf(opsgate.ENOTFOUND, "Slack has no user named %q.", name)
	}
	return "", "", opsgate.Errorf(opsgate.EINVALID, "Look up a channel or a user, not %q.", kind)
}

// apiError says which call failed and Slack's error code (missing_scope, invalid_auth, ...).
func apiError(method string, err error) error {
	return opsgate.Errorf(opsgate.EINTERNAL, "Slack's %s failed: %s.", method, err.Error())
}
