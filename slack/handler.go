// Package slack connects opsgate to Slack: the slash command, interactivity and Events API
// endpoints (at Nautobot ChatOps' paths), Socket Mode, and replies through the Web API.
package slack

import (
	"context"
	"net/http"
	"time"

	"github.com/slack-go/slack"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/kit"
)

// Paths are Nautobot ChatOps' so that a Slack app configured for Nautobot only needs a new host.
const (
	PathSlashCommand = "/api/plugins/chatops/slack/slash_command/"
	PathInteraction  = "/api/plugins/chatops/slack/interaction/"
	PathEvent        = "/api/plugins/chatops/slack/event/"
)

// DefaultMaxBody bounds what a request may carry; Slack's largest payloads (view submissions)
// are far below it.
const DefaultMaxBody = 1 << 20

// refusals answers and counts requests refused before reaching the pipeline, by reason.
var refusals = kit.NewRefusals("slack")

// Options configure a Handler.
type Options struct {
	SigningSecret string
	// Client is the Web API client with the bot token.
	Client *slack.Client
	// APIURL (ending in "/") and BotToken, when both set, post replies (chat.postEphemeral,
	// chat.postMessage) with a hand-built form instead of through Client; see postChat.
	APIURL, BotToken string
	Handle           opsgate.RequestHandler
	// Callbacks signs the tokens in buttons, menus and dialogs.
	Callbacks *callback.Signer
	// CommandPrefix is stripped from slash command names ("/" turns "/network" into "network").
	CommandPrefix string
	// BotUserID is the bot's own user id, to ignore its own messages and strip its mention.
	BotUserID string
	// DeleteInput deletes a prompt once answered (delete_input_on_submission); otherwise the prompt
	// is replaced by a note of the answer so it cannot be answered twice.
	DeleteInput bool
	// Claim, when set, makes Events API deduplication hold across replicas sharing a database:
	// it returns false when another replica (or this one) already took the event id.
	Claim func(ctx context.Context, eventID string) (bool, error)
	// ClaimRequest, when set, makes "a signed slash command or interaction runs once" hold across
	// replicas: it returns false when signature (a verified request's, in lower-case hex) was
	// claimed within ReplayWindow. Without it each replica remembers what it saw.
	ClaimRequest func(ctx context.Context, signature string) (bool, error)
	// Replays, when set, decides alone (ClaimRequest is not asked) whether a signed slash command
	// or interaction was run: set it only where this process is the one serving its database
	// (store.LockServe), for it remembers in memory.
	Replays *kit.Replays
	// Redactor scrubs what the adapter echoes outside a dispatcher (a typed answer in the note
	// closing its prompt); nil: nothing scrubbed.
	Redactor opsgate.Redactor
	// Plumbing: the clock, logger, body limit, the client posting to response_url, and the Web
	// API's retries (Sleep, Attempts: default 4).
	kit.Plumbing
}

// Handler serves Slack's requests. Create it with New.
type Handler struct {
	Options
	macs   *macs     // keyed with SigningSecret
	chat   *chatAPI  // replies posted by hand (APIURL and BotToken set), else nil
	seen   *kit.Once // Events API event ids handled
	signed *kit.Once // signatures of slash commands and interactions run
}

// New returns a Handler with defaults filled in.
func New(o Options) *Handler {
	if o.CommandPrefix == "" {
		o.CommandPrefix = "/"
	}
	o.Defaults(DefaultMaxBody)
	if o.Poster == nil {
		o.Poster = kit.NewPoster(o.Now)
	}
	h := &Handler{Options: o, macs: newMACs([]byte(o.SigningSecret))}
	if o.APIURL != "" && o.BotToken != "" {
		h.chat = newChatAPI(o.APIURL, o.BotToken)
	}
	// Claims are read at each use: tests and wiring may set them after New.
	h.seen = kit.NewOnce(kit.OnceOptions{Name: "slack: event", Size: 10_000, TTL: time.Hour, Now: o.Now, Logger: o.Logger,
		Claim: func(ctx context.Context, id string) (bool, error) { return claimWith(ctx, h.Claim, id) }})
	// Signatures: with Replays this process decides alone (replay.go), and needs nothing more.
	// Otherwise the database claim (ClaimRequest) decides; this replica's memory only refuses a
	// replay it saw without asking, and decides alone while the database is away. 10,000 cover
	// the replay window up to 15 requests a second; 50,000 were a fifth of the heap under load.
	if o.Replays != nil {
		return h
	}
	h.signed = kit.NewOnce(kit.OnceOptions{Name: "slack: request", Size: 10_000, TTL: ReplayWindow, Now: o.Now, Logger: o.Logger,
		Claim: func(ctx context.Context, sig string) (bool, error) { return claimWith(ctx, h.ClaimRequest, sig) }})
	return h
}

func claimWith(ctx context.Context, claim func(context.Context, string) (bool, error), key string) (bool, error) {
	if claim == nil {
		return true, nil
	}
	return claim(ctx, key)
}

// Register adds the three endpoints to mux.
func (h *Handler) Register(mux kit.Mux) {
	mux.Handle("POST "+PathSlashCommand, http.HandlerFunc(h.ServeSlashCommand))
	mux.Handle("POST "+PathInteraction, http.HandlerFunc(h.ServeInteraction))
	mux.Handle("POST "+PathEvent, http.HandlerFunc(h.ServeEvent))
}

// readVerified reads the body within the size limit and checks Slack's signature over it,
// returning the body and the signature's key for replay checks. On failure it has already
// answered the request.
func (h *Handler) readVerified(w http.ResponseWriter, r *http.Request) ([]byte, signature, bool) {
	body, ok := refusals.ReadBody(w, r, h.MaxBody)
	if !ok {
		return nil, signature{}, false
	}
	sig, reason, msg := verify(h.macs, r.Header, body, h.Now())
	if reason != "" {
		refusals.Reject(w, http.StatusUnauthorized, reason, msg)
		return nil, signature{}, false
	}
	return body, sig, true
}
