package webex

import (
	"context"
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
				h.Logger.Info("webex: webhooks deliver to public_url", "url", targetURL)
				return
			}
			h.Logger.Error("webex: could not register the webhooks; retrying", "url", targetURL, "in", wait.String(), "err", err)
			if h.Sleep(ctx, wait) != nil {
				return
			}
			wait = min(2*wait, webhooksMaxWait)
		}
	}()
}
