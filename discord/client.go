package discord

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/opsgate/opsgate/kit"
)

// call sends body as JSON to path under the API URL, decoding a 2xx answer into out. bot
// authenticates with the bot token; interaction webhooks are authenticated by the token in their
// path instead.
func (h *Handler) call(ctx context.Context, method, path string, body, out any, bot bool) error {
	hdr := http.Header{"User-Agent": {"DiscordBot (https://github.com/opsgate/opsgate, 1)"}}
	if bot {
		hdr.Set("Authorization", "Bot "+h.BotToken)
	}
	r := kit.Retry{Attempts: h.Attempts, Sleep: h.Sleep, Read: func(err error) (kit.Failure, bool) { return readError(method, err) }}
	return r.Do(ctx, func(ctx context.Context) error {
		return h.CallJSON(ctx, "discord", method, h.APIURL+path, hdr, body, out)
	})
}

// readError reads a failed call for the kit's retries. A 429 was not carried out and is retried
// after Discord's retry_after. A POST or PATCH that failed otherwise (5xx, a timeout) may have
// been, and is not retried: a message posted twice is worse than a delivery failure said once.
func readError(method string, err error) (kit.Failure, bool) {
	idempotent := method == http.MethodPut || method == http.MethodDelete || method == http.MethodGet
	var ae *kit.APIError
	if !errors.As(err, &ae) {
		if idempotent {
			return kit.Failure{}, false // the kit retries timeouts
		}
		return kit.Failure{Final: true}, true
	}
	f := kit.Failure{Status: ae.Status, RetryAfter: ae.RetryAfter, Final: !idempotent && ae.Status != http.StatusTooManyRequests}
	var body struct {
		RetryAfter float64 `json:"retry_after"`
	}
	if json.Unmarshal(ae.Body, &body) == nil && body.RetryAfter > 0 {
		f.RetryAfter = time.Duration(body.RetryAfter * float64(time.Second))
	}
	return f, true
}
