package stackstorm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/metrics"
)

// Webhook serves POST /chatops/message {channel, message, user, whisper, extra}: st2's
// chatops.post_message over HTTP, or any system posting to chat. Unlike err-stackstorm's, it
// requires a bearer token (a command token of platform "webhook"), is rate-limited per token,
// limits refused tokens per client address, and records every post in the audit log.
type Webhook struct {
	// Verify checks a bearer token (TokenService.VerifyToken with platform "webhook") and returns its id.
	Verify func(ctx context.Context, token string) (id int64, err error)
	// Deliver posts the announcement (or queues it to be posted). An EINVALID error (no such
	// platform here) is the caller's mistake and answered 400; one wrapping ErrUnavailable (the
	// post cannot be taken now) 503. a.Key carries the client's Idempotency-Key, "" without one.
	Deliver func(ctx context.Context, a Announcement) error
	// Audit records an accepted post (actor "webhook:token-<id>"); nil: none.
	Audit func(ctx context.Context, tokenID int64, a Announcement) error
	// Rate is the sustained posts per second allowed per token, Burst the bucket size; defaults
	// 5/s and 20.
	Rate   float64
	Burst  int
	Logger *slog.Logger
	// Platforms are the names recognised as a "platform:" channel prefix.
	Platforms []string
	Now       func() time.Time
	// Guard limits refused tokens per client address; nil: kit's defaults, no trusted proxies.
	Guard *kit.Guard

	once   sync.Once
	tokens *kit.Limits
}

// MaxWebhookBody is the largest accepted body.
const MaxWebhookBody = 1 << 20

// MaxIdempotencyKey is the longest Idempotency-Key accepted.
const MaxIdempotencyKey = 255

// ErrUnavailable, wrapped in Deliver's error, means the post cannot be taken now but can be
// later (opsgate's message queue is unreachable): the client is answered 503, to retry.
var ErrUnavailable = errors.New("stackstorm: posts cannot be taken now")

// rejected counts refused posts, by reason, with the chat platforms' refusals.
var rejected = metrics.RequestsRejected.MustCurryWith(prometheus.Labels{"platform": "webhook"})

func (h *Webhook) init() {
	h.once.Do(func() {
		rate, burst := h.Rate, h.Burst
		if rate <= 0 {
			rate = 5
		}
		if burst <= 0 {
			burst = 20
		}
		h.tokens = kit.NewLimits(rate, burst, 0, h.Now)
		if h.Guard == nil {
			h.Guard = kit.NewGuard(kit.GuardOptions{Now: h.Now})
		}
	})
}

func webhookError(w http.ResponseWriter, status int, reason, msg string) {
	webhookTotal.WithLabelValues(strconv.Itoa(status)).Inc()
	rejected.WithLabelValues(reason).Inc()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.init()
	logger := h.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// The token is checked first (a hash lookup): a valid one is served whatever strangers behind
	// the same address did; only refusals count against the address.
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	tok = strings.TrimSpace(tok)
	var id int64
	var err error
	if ok && tok != "" {
		id, err = h.Verify(r.Context(), tok)
	}
	if err != nil && opsgate.ErrorCode(err) != opsgate.EUNAUTHORIZED {
		// The store could not answer: the token may be fine, so this is no refusal of the caller.
		logger.Error("webhook: verify token", "err", err)
		webhookError(w, http.StatusServiceUnavailable, "token_check_failed", "Cannot check the token now; try again later.")
		return
	}
	if !ok || tok == "" || err != nil {
		reason := "unknown_token"
		if !ok || tok == "" {
			reason = "missing_token"
		}
		if allowed, wait := h.Guard.Refuse(r); !allowed {
			tooMany(w, "guess_limited", wait)
			return
		}
		logger.Warn("webhook: refused", "reason", reason, "client", h.Guard.ClientIP(r))
		w.Header().Set("WWW-Authenticate", `Bearer realm="opsgate"`)
		webhookError(w, http.StatusUnauthorized, reason, "A valid bearer token (platform webhook) is required.")
		return
	}
	if allowed, wait := h.tokens.Allow(strconv.FormatInt(id, 10)); !allowed {
		tooMany(w, "rate_limited", wait)
		return
	}
	key, msg := idempotencyKey(r.Header)
	if msg != "" {
		webhookError(w, http.StatusBadRequest, "bad_idempotency_key", msg)
		return
	}
	p, msg := decodeWebhookBody(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
	if msg != "" {
		webhookError(w, http.StatusBadRequest, "malformed", msg)
		return
	}
	if p.Channel == "" && !(p.Whisper && p.User != "") {
		webhookError(w, http.StatusBadRequest, "malformed", "channel is required (or user with whisper: true).")
		return
	}
	if p.Message == "" && len(p.Extra) == 0 {
		webhookError(w, http.StatusBadRequest, "malformed", "message is required.")
		return
	}
	a := p.announcement(h.Platforms)
	if name := unknownPlatform(a, h.Platforms); name != "" {
		webhookError(w, http.StatusBadRequest, "unknown_platform", fmt.Sprintf("Unknown platform %q in channel %q (known: %s).",
			name, p.Channel, strings.Join(h.Platforms, ", ")))
		return
	}
	sum := sha256.Sum256([]byte(p.Message))
	a.ID = "webhook:" + hex.EncodeToString(sum[:8])
	if key != "" { // a key is the client's own: another token's same key is another post
		a.Key = "webhook:token-" + strconv.FormatInt(id, 10) + ":" + key
	}
	ctx := opsgate.NewContextWithActor(r.Context(), "webhook:token-"+strconv.FormatInt(id, 10))
	if h.Audit != nil {
		if err := h.Audit(ctx, id, a); err != nil {
			logger.Error("webhook: audit", "err", err)
			webhookError(w, http.StatusInternalServerError, "internal", "Internal error.")
			return
		}
	}
	if err := h.Deliver(ctx, a); err != nil {
		if opsgate.ErrorCode(err) == opsgate.EINVALID {
			webhookError(w, http.StatusBadRequest, "undeliverable", opsgate.ErrorMessage(err))
			return
		}
		if errors.Is(err, ErrUnavailable) {
			logger.Warn("webhook: post not taken", "err", err)
			webhookError(w, http.StatusServiceUnavailable, "unavailable",
				"opsgate cannot take posts right now: its message queue is unreachable. Send the post again in a minute.")
			return
		}
		logger.Error("webhook: deliver", "err", err, "channel", p.Channel)
		webhookError(w, http.StatusBadGateway, "delivery_failed", opsgate.ErrorMessage(err))
		return
	}
	webhookTotal.WithLabelValues("200").Inc()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"ok":true}` + "\n"))
}

// idempotencyKey returns the request's Idempotency-Key ("" without one); msg says what is wrong
// with a bad one. The key is the client's name for the post, opaque to opsgate.
func idempotencyKey(h http.Header) (key, msg string) {
	vs := h.Values("Idempotency-Key")
	switch {
	case len(vs) == 0:
		return "", ""
	case len(vs) > 1:
		return "", "Send one Idempotency-Key header, not several."
	}
	key = strings.TrimSpace(vs[0])
	if key == "" || len(key) > MaxIdempotencyKey {
		return "", fmt.Sprintf("The Idempotency-Key must be 1 to %d characters.", MaxIdempotencyKey)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return "", "The Idempotency-Key must be printable ASCII (a UUID, say)."
		}
	}
	return key, ""
}

// decodeWebhookBody reads exactly one JSON object with known fields; msg says what is wrong.
func decodeWebhookBody(r io.Reader) (p announcementPayload, msg string) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return p, fmt.Sprintf("The body is larger than %d bytes.", MaxWebhookBody)
		}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return p, fmt.Sprintf("Unknown field %s: the body is JSON {channel, message, user, whisper, extra, context}.", f)
		}
		return p, "The body must be JSON {channel, message, user, whisper, extra, context}."
	}
	// Another value (or garbage) after the object is refused rather than silently dropped.
	if _, err := dec.Token(); err != io.EOF {
		return p, "The body has data after the JSON object; send one object per request."
	}
	return p, ""
}

// unknownPlatform returns the prefix of a channel written as "<platform>:<id>" whose platform is
// not one of platforms. A prefix must look like a platform name (a letter, then letters, digits,
// - or _), so ids that contain a colon themselves ("19:abc@thread.v2") stay channel ids.
func unknownPlatform(a Announcement, platforms []string) string {
	if a.Platform != "" {
		return ""
	}
	name, _, ok := strings.Cut(a.Channel, ":")
	if !ok || len(name) < 2 || !isPlatformName(name) {
		return ""
	}
	return name
}

func isPlatformName(s string) bool {
	for i, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '_'):
		default:
			return false
		}
	}
	return true
}

func tooMany(w http.ResponseWriter, reason string, wait time.Duration) {
	kit.SetRetryAfter(w, wait)
	webhookError(w, http.StatusTooManyRequests, reason, "Too many requests.")
}
