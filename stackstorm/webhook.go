package stackstorm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opsgate/opsgate"
)

// Webhook serves POST /chatops/message {channel, message, user, whisper, extra}: st2's
// chatops.post_message over HTTP, or any system posting to chat. Unlike err-stackstorm's, it
// requires a bearer token (a command token of platform "webhook"), is rate-limited per token and
// per client address, and records every post in the audit log.
type Webhook struct {
	// Verify checks a bearer token (TokenService.VerifyToken with platform "webhook") and returns its id.
	Verify func(ctx context.Context, token string) (id int64, err error)
	// Deliver posts the announcement.
	Deliver func(ctx context.Context, a Announcement) error
	// Audit records an accepted post (actor "webhook:token-<id>"); nil: none.
	Audit func(ctx context.Context, tokenID int64, a Announcement) error
	// Rate is the sustained posts per second allowed per token (and per address for refused
	// requests), Burst the bucket size; defaults 5/s and 20.
	Rate   float64
	Burst  int
	Logger *slog.Logger
	// Platforms are the names recognised as a "platform:" channel prefix.
	Platforms []string
	Now       func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// MaxWebhookBody is the largest accepted body.
const MaxWebhookBody = 1 << 20

func (h *Webhook) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// allow takes a token from key's bucket, or returns how long until one is available.
func (h *Webhook) allow(key string) (bool, time.Duration) { return h.take(key, true) }

// limited reports whether key's bucket is empty (and for how long), without taking from it.
func (h *Webhook) limited(key string) (bool, time.Duration) {
	ok, wait := h.take(key, false)
	return !ok, wait
}

func (h *Webhook) take(key string, consume bool) (bool, time.Duration) {
	rate, burst := h.Rate, float64(h.Burst)
	if rate <= 0 {
		rate = 5
	}
	if burst <= 0 {
		burst = 20
	}
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.buckets == nil {
		h.buckets = map[string]*bucket{}
	}
	b := h.buckets[key]
	if b == nil {
		if !consume {
			return true, 0
		}
		if len(h.buckets) > 10000 {
			h.buckets = map[string]*bucket{} // bounded memory under address churn; forgetting favours callers
		}
		b = &bucket{tokens: burst, last: now}
		h.buckets[key] = b
	}
	b.tokens = math.Min(burst, b.tokens+now.Sub(b.last).Seconds()*rate)
	b.last = now
	if b.tokens >= 1 {
		if consume {
			b.tokens--
		}
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / rate * float64(time.Second))
}

func webhookError(w http.ResponseWriter, status int, msg string) {
	webhookTotal.WithLabelValues(strconv.Itoa(status)).Inc()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	logger := h.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	addr := r.RemoteAddr
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	// An address limited for refused tokens gets no token checked: were a right guess still let
	// through, the limit would not slow guessing at all.
	if limited, wait := h.limited("addr:" + addr); limited {
		tooMany(w, wait)
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	tok = strings.TrimSpace(tok)
	var id int64
	var err error
	if ok && tok != "" {
		id, err = h.Verify(r.Context(), tok)
	}
	if !ok || tok == "" || err != nil {
		// Refusals are limited per address, so guessing tokens is slow.
		if allowed, wait := h.allow("addr:" + addr); !allowed {
			tooMany(w, wait)
			return
		}
		if err != nil && opsgate.ErrorCode(err) != opsgate.EUNAUTHORIZED {
			logger.Error("webhook: verify token", "err", err)
			webhookError(w, http.StatusInternalServerError, "Internal error.")
			return
		}
		logger.Warn("webhook: refused", "remote", addr)
		w.Header().Set("WWW-Authenticate", `Bearer realm="opsgate"`)
		webhookError(w, http.StatusUnauthorized, "A valid bearer token (platform webhook) is required.")
		return
	}
	if allowed, wait := h.allow("token:" + strconv.FormatInt(id, 10)); !allowed {
		tooMany(w, wait)
		return
	}
	var p announcementPayload
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
	if err := dec.Decode(&p); err != nil {
		webhookError(w, http.StatusBadRequest, "The body must be JSON {channel, message, user, whisper, extra}.")
		return
	}
	if p.Channel == "" && !(p.Whisper && p.User != "") {
		webhookError(w, http.StatusBadRequest, "channel is required (or user with whisper: true).")
		return
	}
	if p.Message == "" && len(p.Extra) == 0 {
		webhookError(w, http.StatusBadRequest, "message is required.")
		return
	}
	a := p.announcement(h.Platforms)
	sum := sha256.Sum256([]byte(p.Message))
	a.ID = "webhook:" + hex.EncodeToString(sum[:8])
	ctx := opsgate.NewContextWithActor(r.Context(), "webhook:token-"+strconv.FormatInt(id, 10))
	if h.Audit != nil {
		if err := h.Audit(ctx, id, a); err != nil {
			logger.Error("webhook: audit", "err", err)
			webhookError(w, http.StatusInternalServerError, "Internal error.")
			return
		}
	}
	if err := h.Deliver(ctx, a); err != nil {
		logger.Error("webhook: deliver", "err", err, "channel", p.Channel)
		webhookError(w, http.StatusBadGateway, opsgate.ErrorMessage(err))
		return
	}
	webhookTotal.WithLabelValues("200").Inc()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"ok":true}` + "\n"))
}

func tooMany(w http.ResponseWriter, wait time.Duration) {
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	webhookError(w, http.StatusTooManyRequests, "Too many requests.")
}
