package webex

import (
	"context"
	"crypto/hmac"
	"net/url"
	"strings"

	"github.com/opsgate/opsgate"
)

// Webhook is a registered webhook as the Webhooks API lists it.
type Webhook struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	TargetURL string `json:"targetUrl"`
	Resource  string `json:"resource"`
	Event     string `json:"event"`
	Filter    string `json:"filter,omitempty"`
	Secret    string `json:"secret,omitempty"`
	Status    string `json:"status,omitempty"`
}

// The webhooks opsgate needs: new messages to the bot, and card submissions.
var wanted = []struct{ name, resource string }{
	{"opsgate messages", "messages"},
	{"opsgate card submissions", "attachmentActions"},
}

// EnsureWebhooks makes the bot's messages/created and attachmentActions/created webhooks deliver
// to targetURL, signed with secret, and active: it creates a missing one and repairs (PUT) one
// whose target URL, secret or status differ, and leaves every other webhook alone. A webhook is
// opsgate's when it has the resource, event "created" and either the target URL or opsgate's name.
// Running it again changes nothing. It returns one line per change, naming no secret.
func (c *Client) EnsureWebhooks(ctx context.Context, targetURL, secret string) ([]string, error) {
	if u, err := url.Parse(targetURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, opsgate.Errorf(opsgate.EINVALID, "webex.public_url %q is not an absolute http(s) URL", targetURL)
	}
	hooks, err := c.Webhooks(ctx)
	if err != nil {
		return nil, err
	}
	var changes []string
	for _, w := range wanted {
		var mine *Webhook
		for i := range hooks {
			h := &hooks[i]
			if h.Resource != w.resource || h.Event != "created" || h.Filter != "" {
				continue
			}
			if h.TargetURL == targetURL {
				mine = h
				break
			}
			if h.Name == w.name && mine == nil {
				mine = h
			}
		}
		if mine == nil {
			nw := Webhook{Name: w.name, TargetURL: targetURL, Resource: w.resource, Event: "created", Secret: secret}
			if _, err := c.call(ctx, "POST", "/webhooks", nw, nil); err != nil {
				return changes, err
			}
			changes = append(changes, "created the "+w.resource+"/created webhook")
			continue
		}
		var diff []string
		if mine.TargetURL != targetURL {
			diff = append(diff, "targetUrl")
		}
		if !hmac.Equal([]byte(mine.Secret), []byte(secret)) {
			diff = append(diff, "secret")
		}
		if mine.Status != "active" {
			diff = append(diff, "status")
		}
		if len(diff) == 0 {
			continue
		}
		// PUT requires name and targetUrl; secret and status are set with them.
		upd := map[string]string{"name": mine.Name, "targetUrl": targetURL, "secret": secret, "status": "active"}
		if _, err := c.call(ctx, "PUT", "/webhooks/"+url.PathEscape(mine.ID), upd, nil); err != nil {
			return changes, err
		}
		changes = append(changes, "repaired the "+w.resource+"/created webhook ("+strings.Join(diff, ", ")+")")
	}
	return changes, nil
}
