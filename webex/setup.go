package webex

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// webhooksOK is 1 once the bot's webhooks are known to deliver to public_url, 0 while opsgate
// is still trying (a metric, not a /readyz check: see KeepWebhooks).
var webhooksOK = promauto.NewGauge(prometheus.GaugeOpts{
	Name: "opsgate_webex_webhooks_ok",
	Help: "1 when opsgate's Webex webhooks were created or found in order at start-up, 0 while it keeps trying.",
})

// Backoff bounds for KeepWebhooks' retries.
const (
	webhooksFirstWait = 5 * time.Second
	webhooksMaxWait   = 5 * time.Minute
)

// KeepWebhooks makes the bot's webhooks deliver to targetURL (EnsureWebhooks), retrying in the
// background with growing waits until it succeeds or ctx ends; it returns at once. Each change
// and each failure is logged. Failing is not a readiness failure: webhooks made before keep
// delivering, and the replica's other platforms must not be taken out of a load balancer.
func (h *Handler) KeepWebhooks(ctx context.Context, targetURL string) {
	webhooksOK.Set(0)
	h.hooks.set(false, "registering the webhooks for "+targetURL)
	h.work.Add(1)
	go func() {
		defer h.work.Done()
		wait := webhooksFirstWait
		for {
			changes, err := h.Client.EnsureWebhooks(ctx, targetURL, h.WebhookSecret)
			for _, c := range changes {
				h.Logger.Info("webex: " + c)
			}
			if err == nil {
				webhooksOK.Set(1)
				h.hooks.set(true, "webhooks deliver to "+targetURL)
				h.Logger.Info("webex: webhooks deliver to public_url", "url", targetURL)
				return
			}
			h.Logger.Error("webex: could not register the webhooks; retrying", "url", targetURL, "in", wait.String(), "err", err)
			h.hooks.set(false, "could not register the webhooks for "+targetURL+" (retrying): "+err.Error())
			if h.Sleep(ctx, wait) != nil {
				return
			}
			wait = min(2*wait, webhooksMaxWait)
		}
	}()
}

// webhookState is what KeepWebhooks last knew, for the status page.
type webhookState struct {
	mu     sync.Mutex
	ok     bool
	detail string
}

func (w *webhookState) set(ok bool, detail string) {
	w.mu.Lock()
	w.ok, w.detail = ok, detail
	w.mu.Unlock()
}

// Webhooks tells whether the bot's webhooks deliver to public_url, and why not: what the status
// page shows (it calls no Webex API). Without KeepWebhooks, opsgate does not manage them.
func (h *Handler) Webhooks() (ok bool, detail string) {
	h.hooks.mu.Lock()
	defer h.hooks.mu.Unlock()
	if h.hooks.detail == "" {
		return true, "webhooks managed outside opsgate (webex.public_url is not set)"
	}
	return h.hooks.ok, h.hooks.detail
}
