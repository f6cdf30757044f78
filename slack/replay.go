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
	if !h.signed.First(ctx, sig) {
		refusals.Reject(w, http.StatusConflict, "replay", "this signed request was already handled; a replayed request does not run again")
		return false
	}
	return true
}
