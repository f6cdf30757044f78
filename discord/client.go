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

// readError reads a failed call for the kit's retries (ReadAPIError), with the wait Discord
// puts in a 429's body (retry_after, in seconds) when it says one.
func readError(method string, err error) (kit.Failure, bool) {
	f, ok := kit.ReadAPIError(method, err)
	var ae *kit.APIError
	var body struct {
		RetryAfter float64 `json:"retry_after"`
	}
	if errors.As(err, &ae) && json.Unmarshal(ae.Body, &body) == nil && body.RetryAfter > 0 {
		f.RetryAfter = time.Duration(body.RetryAfter * float64(time.Second))
	}
	return f, ok
}
