package teams

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/opsgate/opsgate"
)

// Member is a conversation member as GET /v3/conversations/{id}/members answers it (a
// TeamsChannelAccount).
type Member struct {
	ID                string `json:"id"`
	Name              string `json:"name"`
	AADObjectID       string `json:"aadObjectId"`
	Email             string `json:"email"`
	UserPrincipalName string `json:"userPrincipalName"`
	GivenName         string `json:"givenName"`
	Surname           string `json:"surname"`
}

// Members lists the members of a conversation the bot is in.
func (c *Client) Members(ctx context.Context, serviceURL, conversationID string) ([]Member, error) {
	var out []Member
	err := c.call(ctx, http.MethodGet, serviceURL, "/v3/conversations/"+url.PathEscape(conversationID)+"/members", nil, &out)
	return out, err
}

// LookupConversations is how many known conversations a look-up searches, newest first: each is
// one call to the connector.
const LookupConversations = 20

// Lookup finds, for the web UI's "Look up value from name", a person by display name, e-mail
// address or user principal name among the members of convs (conversations the bot has heard
// from, so their service URLs are trusted), and returns their Entra object id: the user id
// grants and whoami use on Teams. The Bot Framework lists no channels by name (only per team,
// through Microsoft Graph), so channels are refused with how to find their id.
func Lookup(ctx context.Context, c *Client, convs []ConversationReference, kind, name string) (id, display string, err error) {
	want := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), "@"))
	switch {
	case want == "":
		return "", "", opsgate.Errorf(opsgate.EINVALID, "Type a name to look up.")
	case kind == "channel":
		return "", "", opsgate.Errorf(opsgate.EINVALID, "Teams channels cannot be looked up by name: mention the bot with whoami in the channel, which shows its id.")
	case kind != "user":
		return "", "", opsgate.Errorf(opsgate.EINVALID, "Look up a channel or a user, not %q.", kind)
	case len(convs) == 0:
		return "", "", opsgate.Errorf(opsgate.ENOTFOUND, "No Teams conversation has talked to opsgate yet: people are found among the members of conversations the bot is in.")
	}
	var lastErr error
	for _, conv := range convs[:min(len(convs), LookupConversations)] {
		if err := c.Trust(conv.ServiceURL); err != nil {
			continue
		}
		ms, err := c.Members(ctx, conv.ServiceURL, conv.ConversationID)
		if err != nil {
			if ctx.Err() != nil {
				return "", "", err
			}
			lastErr = err // the bot may have been removed from this one: try the others
			continue
		}
		for _, m := range ms {
			for _, n := range []string{m.Name, m.Email, m.UserPrincipalName, m.AADObjectID} {
				if n != "" && strings.EqualFold(n, want) && m.AADObjectID != "" {
					if m.Email != "" {
						return m.AADObjectID, m.Name + " <" + m.Email + ">", nil
					}
					return m.AADObjectID, m.Name, nil
				}
			}
		}
	}
	if lastErr != nil {
		return "", "", opsgate.Errorf(opsgate.ENOTFOUND, "No member %q found; some conversations could not be read: %s.", name, lastErr.Error())
	}
	return "", "", opsgate.Errorf(opsgate.ENOTFOUND, "No member %q in the Teams conversations the bot is in.", name)
}
