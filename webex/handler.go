package webex

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/kit"
)

// Path is Nautobot ChatOps' webhook path for Webex.
const Path = "/api/plugins/chatops/webex/"

// DefaultMaxBody bounds a webhook body; Webex's carry ids only and are about 1 KB.
const DefaultMaxBody = 64 << 10

// DeliveryTTL is how long a delivery's data.id is remembered. Messages and card submissions
// older than this are refused (Client.MaxAge), so a replay is refused at any age.
const DeliveryTTL = time.Hour

// refusals answers and counts requests refused before reaching the pipeline, by reason.
var refusals = kit.NewRefusals(Platform)

// Options configure a Handler.
type Options struct {
	// Client calls Webex's API as the bot.
	Client *Client
	// WebhookSecret verifies X-Spark-Signature on every delivery.
	WebhookSecret string
	Handle        opsgate.RequestHandler
	// Callbacks signs the tokens card actions carry.
	Callbacks *callback.Signer
	// DeleteInput deletes a card once answered (delete_input_on_submission).
	DeleteInput bool
	// Claim, when set, makes "a delivery is handled once" and "a prompt is answered once" hold
	// across replicas sharing a database: false when key was claimed within ttl.
	Claim func(ctx context.Context, key string, ttl time.Duration) (bool, error)
	// Unclaim releases a key Claim took, for an answer the pipeline refused without running it.
	Unclaim func(ctx context.Context, key string) error
	// Plumbing: the clock, logger and body limit (the Client holds its own HTTP client and retries).
	kit.Plumbing
}

// Handler serves Webex's webhook deliveries. Create it with New.
type Handler struct {
	Options
	secret []byte
	seen   *kit.Once // data.id of deliveries handled
	spent  *kit.Once // answered card tokens, by hash
	work   sync.WaitGroup
	hooks  webhookState
}

// New returns a Handler with defaults filled in.
func New(o Options) *Handler {
	o.Defaults(DefaultMaxBody)
	if o.Client.MaxAge == 0 {
		o.Client.MaxAge = DeliveryTTL
	}
	if o.Client.Now == nil {
		o.Client.Now = o.Now
	}
	h := &Handler{Options: o, secret: []byte(o.WebhookSecret)}
	h.seen = kit.NewOnce(kit.OnceOptions{Name: "webex: delivery", TTL: DeliveryTTL, Now: o.Now, Logger: o.Logger,
		Claim: h.claim("webex-delivery", DeliveryTTL), Unclaim: h.unclaim("webex-delivery")})
	// Only tokens this opsgate signed get in; the bound matters only for an unusual burst.
	h.spent = kit.NewOnce(kit.OnceOptions{Name: "webex: answer", Size: 100_000, TTL: callback.DefaultTTL, Now: o.Now, Logger: o.Logger,
		Claim: h.claim("webex-callback", callback.DefaultTTL), Unclaim: h.unclaim("webex-callback")})
	return h
}

// claim and unclaim read Options at each use, so wiring and tests may set them after New.
func (h *Handler) claim(scope string, ttl time.Duration) func(context.Context, string) (bool, error) {
	return func(ctx context.Context, key string) (bool, error) {
		if h.Claim == nil {
			return true, nil
		}
		return h.Claim(ctx, scope+":"+key, ttl)
	}
}

func (h *Handler) unclaim(scope string) func(context.Context, string) error {
	return func(ctx context.Context, key string) error {
		if h.Unclaim == nil {
			return nil
		}
		return h.Unclaim(ctx, scope+":"+key)
	}
}

// Register adds the endpoint to mux.
func (h *Handler) Register(mux kit.Mux) { mux.Handle("POST "+Path, h) }

// ServeHTTP acknowledges a verified delivery at once and handles it in the background: Webex
// waits for nothing, and the content still has to be fetched.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e, ok := h.accept(w, r)
	if !ok {
		return
	}
	w.WriteHeader(http.StatusOK)
	h.work.Add(1)
	go func() {
		defer h.work.Done()
		h.deliver(context.WithoutCancel(r.Context()), e)
	}()
}

// accept reads, verifies and parses a delivery; on failure it has answered with one line.
func (h *Handler) accept(w http.ResponseWriter, r *http.Request) (*Envelope, bool) {
	body, ok := refusals.ReadBody(w, r, h.MaxBody)
	if !ok {
		return nil, false
	}
	if reason, msg := Verify(h.secret, r.Header.Get(SignatureHeader), body); reason != "" {
		refusals.Reject(w, http.StatusUnauthorized, string(reason), msg)
		return nil, false
	}
	e, err := ParseEnvelope(body)
	if err != nil {
		refusals.Reject(w, http.StatusBadRequest, "malformed", opsgate.ErrorMessage(err))
		return nil, false
	}
	return e, true
}

// Close waits for the deliveries being handled, or until ctx ends.
func (h *Handler) Close(ctx context.Context) error {
	done := make(chan struct{})
	go func() { h.work.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fetchFailed handles a failed fetch of what e points at, and reports whether there was one.
func (h *Handler) fetchFailed(ctx context.Context, e *Envelope, err error, what string) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, ErrStale):
		refusals.Count("stale")
		h.Logger.Warn("webex: refused the delivery of an old "+what+" (a replay?)", "id", e.Data.ID)
	case opsgate.ErrorCode(err) == opsgate.EINVALID:
		// Not one of opsgate's cards, or inputs it cannot read.
		refusals.Count("malformed")
		h.Logger.Warn("webex: refused a "+what, "id", e.Data.ID, "err", err)
	default:
		h.seen.Forget(ctx, e.Data.ID) // nothing ran: a redelivery may try again
		h.Logger.Error("webex: could not fetch a "+what, "id", e.Data.ID, "err", err)
	}
	return true
}

// deliver handles a verified delivery once per data.id, on whichever replica it reaches first.
func (h *Handler) deliver(ctx context.Context, e *Envelope) {
	me, err := h.Client.Me(ctx)
	if err != nil {
		h.Logger.Error("webex: cannot learn the bot's identity (GET /people/me); delivery dropped", "err", err)
		return
	}
	// Webex delivers the bot's own messages too: one per reply. They cost no claim and no fetch.
	if e.Data.PersonID == me.ID {
		return
	}
	if !h.seen.First(ctx, e.Data.ID) {
		refusals.Count("duplicate_delivery")
		return
	}
	if e.Resource == "attachmentActions" {
		h.answer(ctx, e)
		return
	}
	req, err := h.Client.MessageRequest(ctx, e)
	switch {
	case h.fetchFailed(ctx, e, err, "message"):
		return
	case req == nil || req.Text == "":
		return
	}
	conv := &conversation{h: h, req: *req}
	if refusal := h.Handle(ctx, req, conv); refusal != "" {
		conv.tell(ctx, refusal)
	}
}
