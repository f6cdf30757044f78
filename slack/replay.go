package slack

import (
	"context"
	"net/http"
	"time"

	"github.com/opsgate/opsgate/kit"
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
//
// With Replays, this process alone decides. A request signed before this process started (and
// not handed over by the one before), or longer ago than its memory reaches under load, cannot
// be told from a replay: it is refused with a request to send it again, which a slash command
// (slash) shows in Slack as an ephemeral answer.
func (h *Handler) firstDelivery(ctx context.Context, w http.ResponseWriter, sig signature, slash bool) bool {
	const replayed = "this signed request was already handled; a replayed request does not run again"
	if h.Replays == nil {
		if !h.signed.First(ctx, sig.key()) {
			refusals.Reject(w, http.StatusConflict, "replay", replayed)
			return false
		}
		return true
	}
	switch h.Replays.See(sig.at, sig.short()) {
	case kit.Fresh:
		return true
	case kit.Unverifiable:
		if slash {
			refusals.Count("unverifiable")
			ephemeral(w, "opsgate cannot tell this command from a replay (it restarted, or the command was long on its way); please send it again.")
			return false
		}
		refusals.Reject(w, http.StatusConflict, "unverifiable", "this signed request is older than opsgate can tell apart from a replay (it restarted, or the request was long on its way); please send it again")
	default:
		refusals.Reject(w, http.StatusConflict, "replay", replayed)
	}
	return false
}
