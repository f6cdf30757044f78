// Package discord connects opsgate to Discord through its interactions endpoint: requests signed
// with Ed25519, slash commands registered at start-up by bulk overwrite, answers within Discord's
// 3 seconds (the result itself, or a deferred answer followed up through the interaction's
// webhook), buttons and paged select menus, modals for dialogs, and channel and direct messages
// for announcements through the REST API. The gateway is not used.
package discord

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/kit"
)

// PathInteractions is the Interactions Endpoint URL's path (Nautobot ChatOps' layout).
const PathInteractions = "/api/plugins/chatops/discord/interactions/"

// DefaultAPIURL is Discord's REST API, version 10.
const DefaultAPIURL = "https://discord.com/api/v10"

// DefaultMaxBody bounds an interaction's body; they are a few KB.
const DefaultMaxBody = 256 << 10

// DefaultAnswerWithin is how long an interaction waits for the command's first message before
// answering "deferred": Discord drops an interaction not answered within 3 seconds.
const DefaultAnswerWithin = 2 * time.Second

// refusals answers and counts requests refused before reaching the pipeline, by reason.
var refusals = kit.NewRefusals("discord")

// Options configure a Handler.
type Options struct {
	ApplicationID string
	// PublicKey verifies the interactions' signatures (the Developer Portal's "Public Key").
	PublicKey ed25519.PublicKey
	// BotToken authenticates REST calls (command registration, channel and direct messages).
	BotToken string
	// APIURL is the REST API base (DefaultAPIURL); tests point it at a stand-in.
	APIURL string
	// GuildID, when set, registers the slash commands in that guild only (instant) instead of globally.
	GuildID string
	Handle  opsgate.RequestHandler
	// Callbacks signs the custom ids of buttons, menus and modals.
	Callbacks *callback.Signer
	// Window bounds the age of X-Signature-Timestamp, either way (DefaultWindow).
	Window time.Duration
	// AnswerWithin is how long to wait for the first message before deferring (DefaultAnswerWithin).
	AnswerWithin time.Duration
	// Claim, when set, makes "handled once" (an interaction id, an answered prompt) hold across
	// replicas sharing a database; Unclaim releases a prompt answer the pipeline refused.
	Claim   func(ctx context.Context, key string) (bool, error)
	Unclaim func(ctx context.Context, key string) error
	// Redactor scrubs what is echoed outside a dispatcher (the choice in a closed prompt).
	Redactor opsgate.Redactor
	kit.Plumbing
}

// Handler serves Discord's interactions. Create it with New.
type Handler struct {
	Options
	once *kit.Once // interaction ids and answered prompt tokens (hashed)
}

// New returns a Handler with defaults filled in.
func New(o Options) *Handler {
	o.Defaults(DefaultMaxBody)
	if o.APIURL == "" {
		o.APIURL = DefaultAPIURL
	}
	o.APIURL = strings.TrimRight(o.APIURL, "/")
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.AnswerWithin <= 0 {
		o.AnswerWithin = DefaultAnswerWithin
	}
	h := &Handler{Options: o}
	h.once = kit.NewOnce(kit.OnceOptions{Name: "discord: interaction", Size: 100_000, TTL: max(callback.DefaultTTL, 2*o.Window),
		Now: o.Now, Logger: o.Logger, Claim: o.Claim, Unclaim: o.Unclaim})
	return h
}

// Register adds the interactions endpoint to mux.
func (h *Handler) Register(mux kit.Mux) {
	mux.Handle("POST "+PathInteractions, http.HandlerFunc(h.ServeInteraction))
}

// Interaction types and response types (Discord's numbers).
const (
	typePing        = 1
	typeCommand     = 2
	typeComponent   = 3
	typeModalSubmit = 5

	respPong     = 1
	respMessage  = 4
	respDeferred = 5
	respUpdate   = 7
	respModal    = 9

	flagEphemeral = 64
)

type user struct {
	ID         string `json:"id"`
	Username   string `json:"username"`
	GlobalName string `json:"global_name"`
}

// interaction is the part of Discord's interaction object opsgate reads.
type interaction struct {
	ID        string `json:"id"`
	Type      int    `json:"type"`
	Token     string `json:"token"`
	GuildID   string `json:"guild_id"`
	ChannelID string `json:"channel_id"`
	Channel   *struct {
		Name string `json:"name"`
	} `json:"channel"`
	Member *struct {
		User user `json:"user"`
	} `json:"member"`
	User    *user           `json:"user"`
	Data    json.RawMessage `json:"data"`
	Message *struct {
		ID      string `json:"id"`
		Content string `json:"content"`
	} `json:"message"`
}

// who is the person who interacted: member.user in a guild, user in a direct message.
func (in *interaction) who() user {
	if in.Member != nil {
		return in.Member.User
	}
	if in.User != nil {
		return *in.User
	}
	return user{}
}

// request is the opsgate request of in with text: organization = guild, channel = channel,
// user = the interacting user.
func (in *interaction) request(text string) *opsgate.Request {
	u := in.who()
	r := &opsgate.Request{Platform: "discord", OrgID: in.GuildID, ChannelID: in.ChannelID, UserID: u.ID,
		UserName: u.Username, Direct: in.GuildID == "", Text: text, ID: kit.Prefixed("discord-interaction:", in.ID)}
	if in.Channel != nil {
		r.ChannelName = in.Channel.Name
	}
	return r
}

// ServeInteraction verifies and answers one interaction.
func (h *Handler) ServeInteraction(w http.ResponseWriter, r *http.Request) {
	body, ok := refusals.ReadBody(w, r, h.MaxBody)
	if !ok {
		return
	}
	if reason := h.verify(r.Header.Get("X-Signature-Ed25519"), r.Header.Get("X-Signature-Timestamp"), body); reason != "" {
		// Discord checks that a bad signature gets a 401, and removes the endpoint of an app that accepts one.
		h.Logger.Warn("discord: interaction refused", "reason", reason)
		refusals.Reject(w, http.StatusUnauthorized, reason, "invalid request signature")
		return
	}
	var in interaction
	if err := json.Unmarshal(body, &in); err != nil {
		refusals.Reject(w, http.StatusBadRequest, "malformed", "interaction body is not valid JSON")
		return
	}
	if in.Type == typePing {
		writeJSON(w, map[string]int{"type": respPong})
		return
	}
	if in.ID == "" || in.Token == "" || in.ChannelID == "" || in.who().ID == "" {
		refusals.Reject(w, http.StatusBadRequest, "malformed", "interaction lacks id, token, channel_id or user")
		return
	}
	ctx := context.WithoutCancel(r.Context())
	// A signed request replayed within the window must not run the command again.
	if !h.once.First(ctx, "i:"+in.ID) {
		refusals.Reject(w, http.StatusConflict, "replayed", "interaction already handled")
		return
	}
	switch in.Type {
	case typeCommand:
		h.command(ctx, w, &in)
	case typeComponent:
		h.component(ctx, w, &in)
	case typeModalSubmit:
		h.modalSubmit(ctx, w, &in)
	default:
		refusals.Reject(w, http.StatusBadRequest, "unsupported", "interaction type not handled by opsgate")
	}
}

// command runs a slash command: "/name text:rest" is the command "name rest".
func (h *Handler) command(ctx context.Context, w http.ResponseWriter, in *interaction) {
	var data struct {
		Name    string `json:"name"`
		Options []struct {
			Name  string `json:"name"`
			Value any    `json:"value"`
		} `json:"options"`
	}
	if err := json.Unmarshal(in.Data, &data); err != nil || data.Name == "" {
		refusals.Reject(w, http.StatusBadRequest, "malformed", "application command without a name")
		return
	}
	text := data.Name
	for _, o := range data.Options {
		if s, ok := o.Value.(string); ok && o.Name == optionText && strings.TrimSpace(s) != "" {
			text += " " + strings.TrimSpace(s)
		}
	}
	h.run(ctx, w, in, in.request(text), true, 0)
}

// run hands req to the pipeline and answers the interaction with its first message when it comes
// within AnswerWithin (a modal when modalOK and it is a dialog), else deferred.
func (h *Handler) run(ctx context.Context, w http.ResponseWriter, in *interaction, req *opsgate.Request, modalOK bool, menuOffset int) (refused bool) {
	conv := h.interactionConversation(in, *req)
	conv.waiting, conv.modalOK, conv.menuOffset = true, modalOK, menuOffset
	if refusal := h.Handle(ctx, req, conv); refusal != "" {
		writeJSON(w, response{Type: respMessage, Data: &message{Content: refusal, Flags: flagEphemeral}})
		return true
	}
	timer := time.NewTimer(h.AnswerWithin)
	defer timer.Stop()
	var first *handoff
	select {
	case first = <-conv.handoff:
	case <-timer.C:
		conv.mu.Lock()
		if conv.waiting {
			conv.waiting, conv.loading = false, true
			conv.mu.Unlock()
			// Deferred answers are private: Discord fixes the visibility here, before we know
			// whether the result is, and an ephemeral denial must not become public.
			writeJSON(w, response{Type: respDeferred, Data: &message{Flags: flagEphemeral}})
			return false
		}
		conv.mu.Unlock()
		first = <-conv.handoff // Send took the hand-off as the timer fired
	}
	resp, rest := conv.answer(first)
	writeJSON(w, resp)
	if f, ok := w.(http.Flusher); ok {
		f.Flush() // the follow-ups must reach Discord after the answer
	}
	first.rest <- rest
	return false
}

// response is an interaction response.
type response struct {
	Type int `json:"type"`
	Data any `json:"data,omitempty"`
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// promptKey is what is remembered of an answered prompt: its token's hash.
func promptKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "p:" + hex.EncodeToString(sum[:])
}
