package slack

import (
	"context"
	"net/http"
	"time"
)

// ReplayWindow is how long a slash command's or interaction's signature is remembered. A
// request's timestamp is accepted from Window before now to Window after, so one signed request
// stays acceptable for 2*Window; the extra minute covers clocks of replicas that differ a little.
const ReplayWindow = 2*Window + time.Minute

// firstDelivery reports whether the verified request with signature sig is seen for the first
// time, on this replica and (with ClaimRequest) on any replica sharing the database; a replay is
// refused and counted. Slack never retries slash commands or interactions (Events API retries are
// deduplicated by event id instead), and a genuine new request always carries a new timestamp and
// so a new signature: only a copy of a request already handled is refused here.
func (h *Handler) firstDelivery(ctx context.Context, w http.ResponseWriter, sig string) bool {
	first := h.signed.first(sig, h.Now())
	if first && h.ClaimRequest != nil {
		var err error
		if first, err = h.ClaimRequest(ctx, sig); err != nil {
			// This replica's memory still holds; a database outage must not drop every command.
			h.Logger.Warn("slack: request claim failed; relying on this replica's record", "err", err)
			first = true
		}
	}
	if !first {
		reject(w, http.StatusConflict, "replay", "this signed request was already handled; a replayed request does not run again")
	}
	return first
}
