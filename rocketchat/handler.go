// Package rocketchat connects opsgate to Rocket.Chat: an outgoing-webhook integration posts the
// messages that start with its trigger words, authenticated by the integration's token (a command
// token of platform "rocketchat"), and opsgate answers through the REST API as a bot user
// (chat.postMessage with X-Auth-Token and X-User-Id). There is no maintained Go SDK; the calls
// are plain JSON.
package rocketchat

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

// PathOutgoing is the outgoing webhook's URL path.
const PathOutgoing = "/api/plugins/chatops/rocketchat/"

// DefaultMaxBody bounds a webhook's body; they are a few KB.
const DefaultMaxBody = 256 << 10

// refusals answers and counts requests refused before reaching the pipeline, by reason.
var refusals = kit.NewRefusals("rocketchat")

// Options configure a Handler.
type Options struct {
	// URL is the Rocket.Chat server's base URL (https://chat.example.com).
	URL string
	// UserID and AuthToken are the bot user's REST credentials (X-User-Id, X-Auth-Token).
	UserID, AuthToken string
	// Tokens verifies the outgoing webhooks' tokens (platform "rocketchat").
	Tokens opsgate.TokenService
	Handle opsgate.RequestHandler
	// Guard limits refused tokens per client address; nil: kit's defaults.
	Guard *kit.Guard
	// Claim, when set, makes "a message is handled once" hold across replicas sharing a database
	// (Rocket.Chat retries a webhook whose call failed, possibly to another replica).
	Claim func(ctx context.Context, key string) (bool, error)
	kit.Plumbing
}

// Handler serves Rocket.Chat's outgoing webhooks. Create it with New.
type Handler struct {
	Options
	org  string    // the organization: the server's host name
	once *kit.Once // message ids handled
}

// New returns a Handler with defaults filled in.
func New(o Options) *Handler {
	o.URL = strings.TrimRight(o.URL, "/")
	o.Defaults(DefaultMaxBody)
	if o.Guard == nil {
		o.Guard = kit.NewGuard(kit.GuardOptions{Now: o.Now})
	}
	h := &Handler{Options: o}
	if u, err := url.Parse(o.URL); err == nil {
		h.org = u.Hostname()
	}
	h.once = kit.NewOnce(kit.OnceOptions{Name: "rocketchat: message", TTL: time.Hour, Now: o.Now, Logger: o.Logger, Claim: o.Claim})
	return h
}

// Register adds the endpoint to mux.
func (h *Handler) Register(mux kit.Mux) {
	mux.Handle("POST "+PathOutgoing, http.HandlerFunc(h.ServeOutgoing))
}

// outgoing is what an outgoing-webhook integration posts.
type outgoing struct {
	Token       string          `json:"token"`
	Bot         json.RawMessage `json:"bot"` // false, or the bot's details
	ChannelID   string          `json:"channel_id"`
	ChannelName string          `json:"channel_name"`
	MessageID   string          `json:"message_id"`
	UserID      string          `json:"user_id"`
	UserName    string          `json:"user_name"`
	Text        string          `json:"text"`
	TriggerWord string          `json:"trigger_word"`
	ThreadID    string          `json:"tmid"`
}

// ServeOutgoing authenticates the webhook's token, hands the message to the pipeline and answers
// "{}" at once (or the pipeline's refusal as text, which Rocket.Chat posts); output follows
// through the REST API.
func (h *Handler) ServeOutgoing(w http.ResponseWriter, r *http.Request) {
	body, ok := refusals.ReadBody(w, r, h.MaxBody)
	if !ok {
		return
	}
	var in outgoing
	if err := json.Unmarshal(body, &in); err != nil {
		refusals.Reject(w, http.StatusBadRequest, "malformed", "webhook body is not valid JSON")
		return
	}
	if !refusals.CheckToken(w, r, h.Tokens, "rocketchat", in.Token, h.Guard, h.Logger) {
		return
	}
	if in.UserID == "" || in.ChannelID == "" || in.MessageID == "" {
		refusals.Reject(w, http.StatusBadRequest, "malformed", "webhook lacks user_id, channel_id or message_id")
		return
	}
	// The bot's own messages (its answers) must never run as commands.
	if bot := strings.TrimSpace(string(in.Bot)); (bot != "" && bot != "false" && bot != "null") || in.UserID == h.UserID {
		writeJSON(w, map[string]any{})
		return
	}
	ctx := context.WithoutCancel(r.Context())
	if !h.once.First(ctx, in.MessageID) {
		refusals.Count("replayed")
		writeJSON(w, map[string]any{}) // a retry of a message already running: nothing more to say
		return
	}
	req := &opsgate.Request{Platform: "rocketchat", OrgID: h.org, OrgName: h.org, ChannelID: in.ChannelID, ChannelName: in.ChannelName,
		UserID: in.UserID, UserName: in.UserName, ThreadID: in.ThreadID, Text: commandText(in.Text, in.TriggerWord),
		ID: kit.Prefixed("rocketchat-message:", in.MessageID),
		// A direct room's id is the two members' ids joined; rooms have ids of their own.
		Direct: len(in.ChannelID) > len(in.UserID) && strings.Contains(in.ChannelID, in.UserID)}
	if refusal := h.Handle(ctx, req, &conversation{h: h, req: *req}); refusal != "" {
		h.once.Forget(ctx, in.MessageID) // nothing ran: the same message may be tried again
		writeJSON(w, map[string]any{"text": refusal})
		return
	}
	writeJSON(w, map[string]any{})
}

// commandText is the message without its trigger word ("!st2 pack install x" with trigger "!" is
// "st2 pack install x"; "opsgate whoami" with trigger "opsgate" is "whoami").
func commandText(text, trigger string) string {
	text = strings.TrimSpace(text)
	if trigger != "" {
		text = strings.TrimSpace(strings.TrimPrefix(text, trigger))
	}
	return text
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
