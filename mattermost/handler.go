// Package mattermost connects opsgate to Mattermost: the slash command and interaction endpoints
// (at Nautobot ChatOps' paths) and replies through the REST v4 API. Mattermost's Go client is not
// served by the module proxy, and the few calls needed are plain JSON over HTTP.
package mattermost

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/kit"
)

// Paths are Nautobot ChatOps'.
const (
	PathSlashCommand = "/api/plugins/chatops/mattermost/slash_command/"
	PathInteraction  = "/api/plugins/chatops/mattermost/interaction/"
)

// DefaultMaxBody bounds a request body; Mattermost's requests are a few KB.
const DefaultMaxBody = 256 << 10

// refusals answers and counts requests refused before reaching the pipeline, by reason.
var refusals = kit.NewRefusals("mattermost")

// Options configure a Handler.
type Options struct {
	// URL is the Mattermost server's base URL, scheme and port included.
	URL string
	// APIToken is the bot's access token for REST v4.
	APIToken string
	// Tokens verifies slash command tokens (platform "mattermost").
	Tokens opsgate.TokenService
	Handle opsgate.RequestHandler
	// Callbacks signs the context of buttons and menus and the state of dialogs.
	Callbacks *callback.Signer
	// PublicURL is opsgate's own base URL as Mattermost reaches it, for the integration URLs of
	// buttons and dialogs. When empty it is learnt from the first authenticated slash command.
	PublicURL string
	// DeleteInput deletes a prompt once answered (delete_input_on_submission).
	DeleteInput bool
	// TokenCacheTTL is how long a verified command token is trusted without asking Tokens again:
	// a deleted token stops working within it. Default 5 s; negative disables the cache.
	TokenCacheTTL time.Duration
	// Claim, when set, makes "a prompt is answered once" hold across replicas sharing a database:
	// it returns false when key (a hash of an answered prompt's token) was claimed within the
	// token's lifetime (callback.DefaultTTL).
	Claim func(ctx context.Context, key string) (bool, error)
	// Unclaim releases a key Claim took, for an answer the pipeline refused without running it.
	Unclaim func(ctx context.Context, key string) error
	// Guard limits refused slash command tokens per client address; nil: kit's defaults.
	Guard *kit.Guard
	// Redactor scrubs what the adapter echoes outside a dispatcher (the chosen value in the note
	// closing a prompt); nil: nothing scrubbed.
	Redactor opsgate.Redactor
	// Plumbing: the clock, logger, body limit, API client and its retries.
	kit.Plumbing
}

// Handler serves Mattermost's requests. Create it with New.
type Handler struct {
	Options
	learnedURL atomic.Pointer[string]
	botUserID  atomic.Pointer[string] // learned from /users/me on the first private announcement

	tokens *kit.Memory // hashes of verified command tokens; nil when the cache is off
	spent  *kit.Once   // answered prompt tokens, by hash
}

// New returns a Handler with defaults filled in.
func New(o Options) *Handler {
	o.URL = strings.TrimRight(o.URL, "/")
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	o.Defaults(DefaultMaxBody)
	if o.Guard == nil {
		o.Guard = kit.NewGuard(kit.GuardOptions{Now: o.Now})
	}
	if o.TokenCacheTTL == 0 {
		o.TokenCacheTTL = 5 * time.Second
	}
	h := &Handler{Options: o}
	if o.TokenCacheTTL > 0 {
		// A handful of slash commands in practice; the bound keeps a flood of tokens from growing it.
		h.tokens = kit.NewMemory(1024, o.TokenCacheTTL, o.Now)
	}
	// Claims are read at each use, so wiring or tests may set them after New.
	h.spent = kit.NewOnce(kit.OnceOptions{Name: "mattermost: answer", Size: spentMax, TTL: callback.DefaultTTL, Now: o.Now, Logger: o.Logger,
		Claim: func(ctx context.Context, key string) (bool, error) {
			if h.Claim == nil {
				return true, nil
			}
			return h.Claim(ctx, key)
		},
		Unclaim: func(ctx context.Context, key string) error {
			if h.Unclaim == nil {
				return nil
			}
			return h.Unclaim(ctx, key)
		}})
	return h
}

// Register adds the endpoints to mux.
func (h *Handler) Register(mux kit.Mux) {
	mux.Handle("POST "+PathSlashCommand, http.HandlerFunc(h.ServeSlashCommand))
	mux.Handle("POST "+PathInteraction, http.HandlerFunc(h.ServeInteraction))
}

// readBody reads the body within limit; on failure it has answered the request.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	return refusals.ReadBody(w, r, h.MaxBody)
}

// verifyToken checks a slash command token, trusting a recent positive answer for TokenCacheTTL
// so the database is not asked on every command. Only hashes are kept in memory.
func (h *Handler) verifyToken(ctx context.Context, token string) error {
	key := tokenKey(token)
	if h.tokens != nil && h.tokens.Has(key) {
		return nil
	}
	if _, err := h.Tokens.VerifyToken(ctx, "mattermost", token); err != nil {
		return err
	}
	if h.tokens != nil {
		h.tokens.Add(key)
	}
	return nil
}
