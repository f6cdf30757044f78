package teams

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/kit"
)

// PathMessages is Nautobot ChatOps' messaging endpoint for Teams.
const PathMessages = "/api/plugins/chatops/ms_teams/messages/"

// Claim scopes, and how long each is remembered.
const (
	scopeActivity = "teams-activity"
	scopeAnswer   = "teams-callback"
	// activityWindow outlasts the Bot Connector's redeliveries of an activity.
	activityWindow = time.Hour
	onceMax        = 100_000
)

// Options configure a Handler.
type Options struct {
	// Verifier checks the Bot Connector's token on every activity.
	Verifier *Verifier
	// Client sends replies; the handler trusts the service URL of each verified activity for it.
	Client *Client
	Handle opsgate.RequestHandler
	// Callbacks signs the tokens that cards' Action.Submit data carries.
	Callbacks *callback.Signer
	// References keeps conversation references for proactive messages (Conversation); nil: none
	// are kept and announcements cannot reach Teams.
	References References
	// DeleteInput deletes an answered prompt's card instead of replacing it with a note.
	DeleteInput bool
	// Claim and Unclaim (store.DB's) make "an activity runs once" and "a prompt is answered once"
	// hold across replicas sharing a database; nil: this replica's memory only.
	Claim   func(ctx context.Context, scope, key string, at time.Time, window time.Duration) (bool, error)
	Unclaim func(ctx context.Context, scope, key string) error
	// Redactor scrubs what the adapter echoes outside a dispatcher (the chosen value in the note
	// closing a prompt); nil: nothing scrubbed.
	Redactor opsgate.Redactor
	kit.Plumbing
}

// Handler serves the Teams messaging endpoint. Create it with New.
type Handler struct {
	Options
	seen  *kit.Once   // activities handled, by conversation and id
	spent *kit.Once   // answered prompt tokens, by hash
	saved *kit.Memory // references saved recently, so a busy conversation is not written each message
}

// New returns a Handler with defaults filled in.
func New(o Options) *Handler {
	o.Defaults(MaxActivityBytes)
	h := &Handler{Options: o}
	h.seen = h.once("teams: activity", scopeActivity, activityWindow)
	h.spent = h.once("teams: answer", scopeAnswer, callback.DefaultTTL)
	h.saved = kit.NewMemory(kit.DefaultMemoryKeys, time.Hour, o.Now)
	return h
}

func (h *Handler) once(name, scope string, window time.Duration) *kit.Once {
	o := kit.OnceOptions{Name: name, Size: onceMax, TTL: window, Now: h.Now, Logger: h.Logger}
	if h.Claim != nil {
		o.Claim = func(ctx context.Context, key string) (bool, error) { return h.Claim(ctx, scope, key, h.Now(), window) }
	}
	if h.Unclaim != nil {
		o.Unclaim = func(ctx context.Context, key string) error { return h.Unclaim(ctx, scope, key) }
	}
	return kit.NewOnce(o)
}

// Register adds the endpoint to mux.
func (h *Handler) Register(mux kit.Mux) { mux.Handle("POST "+PathMessages, h) }

// ServeHTTP verifies an activity and answers 200 at once (the Bot Framework wants an answer
// within 15 s); commands run in the pipeline and reply through the Bot Connector.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, ok := refusals.ReadBody(w, r, h.MaxBody)
	if !ok {
		return
	}
	a, err := ParseActivity(body)
	if err != nil {
		refusals.Reject(w, http.StatusBadRequest, "malformed", opsgate.ErrorMessage(err))
		return
	}
	if err := h.Verifier.Verify(r.Context(), r.Header.Get("Authorization"), a); err != nil {
		var ve *VerifyError
		errors.As(err, &ve) // Verify returns only these, counted
		h.Logger.Warn("teams: activity refused", "reason", ve.Reason, "client", r.RemoteAddr)
		kit.AnswerLine(w, ve.Status, ve.Message)
		return
	}
	// Only now is the service URL known to be Microsoft's: replies may carry the bot's token there.
	if err := h.Client.Trust(a.ServiceURL); err != nil {
		refusals.Reject(w, http.StatusForbidden, "untrusted_service_url", opsgate.ErrorMessage(err))
		return
	}
	ctx := context.WithoutCancel(r.Context())
	h.remember(ctx, a)
	if a.Type != TypeMessage {
		w.WriteHeader(http.StatusOK) // conversationUpdate and the like: the reference is all we need
		return
	}
	key := a.Conversation.ID + "\x00" + a.ID
	if a.ID != "" && !h.seen.First(ctx, key) {
		refusals.Count("duplicate")
		w.WriteHeader(http.StatusOK)
		return
	}
	sub, isSub, err := DecodeSubmission(a)
	switch {
	case err != nil:
		refusals.Reject(w, http.StatusBadRequest, "malformed", opsgate.ErrorMessage(err))
	case isSub:
		if h.answer(ctx, w, a, sub) {
			w.WriteHeader(http.StatusOK)
		}
	default:
		if status, reason, msg := h.message(ctx, a); status != http.StatusOK {
			refusals.Reject(w, status, reason, msg)
			if a.ID != "" {
				h.seen.Forget(ctx, key)
			}
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

// message hands a typed command to the pipeline.
func (h *Handler) message(ctx context.Context, a *Activity) (status int, reason, msg string) {
	req, err := Request(a)
	if err != nil {
		return http.StatusBadRequest, "malformed", opsgate.ErrorMessage(err)
	}
	if req.Text == "" {
		return http.StatusOK, "", "" // a bare mention or an image: nothing to run
	}
	conv := h.conversationOf(a, *req)
	if refusal := h.Handle(ctx, req, conv); refusal != "" {
		// The HTTP answer is not shown in Teams: the person reads the refusal in the chat.
		go conv.note(ctx, refusal)
	}
	return http.StatusOK, "", ""
}
