package mattermost

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/opsgate/opsgate"
)

// Lookup finds a Mattermost id for the web UI's "Look up value from name" with the REST v4 API:
// a user by username (GET /api/v4/users/username/{name}) or e-mail address
// (/users/email/{email}); a channel as "team/channel", by the names in its URL
// (/teams/name/{team}/channels/name/{channel}). Returns ENOTFOUND when Mattermost has none.
func Lookup(ctx context.Context, client *http.Client, serverURL, token, kind, name string) (id, display string, err error) {
	name = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(name), "@"), "~")
	if name == "" {
		return "", "", opsgate.Errorf(opsgate.EINVALID, "Type a name to look up.")
	}
	var path string
	switch kind {
	case "user":
		path = "/api/v4/users/username/" + url.PathEscape(strings.ToLower(name))
		if strings.Contains(name, "@") {
			path = "/api/v4/users/email/" + url.PathEscape(name)
		}
	case "channel":
		team, channel, ok := strings.Cut(name, "/")
		if !ok || team == "" || channel == "" {
			return "", "", opsgate.Errorf(opsgate.EINVALID, "On Mattermost, look a channel up as team/channel (the names in its URL).")
		}
		path = "/api/v4/teams/name/" + url.PathEscape(team) + "/channels/name/" + url.PathEscape(strings.TrimPrefix(channel, "~"))
	default:
		return "", "", opsgate.Errorf(opsgate.EINVALID, "Look up a channel or a user, not %q.", kind)
	}
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimRight(serverURL, "/")+path, nil)
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return "", "", opsgate.Errorf(opsgate.EINTERNAL, "Mattermost could not be reached.")
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return "", "", opsgate.Errorf(opsgate.ENOTFOUND, "Mattermost has no %s named %q.", kind, name)
	case resp.StatusCode != http.StatusOK:
		return "", "", opsgate.Errorf(opsgate.EINTERNAL, "Mattermost answered the look-up with HTTP %d.", resp.StatusCode)
	}
	var v struct{ ID, Username, Name, DisplayName string }
	if err := json.Unmarshal(body, &v); err != nil || v.ID == "" {
		return "", "", opsgate.Errorf(opsgate.EINTERNAL, "Mattermost's answer to the look-up holds no id.")
	}
	display = v.Username
	if kind == "channel" {
		display = v.Name
	}
	return v.ID, display, nil
}
