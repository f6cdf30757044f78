package mattermost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"github.com/opsgate/opsgate"
)

// spentMax bounds the answered tokens remembered; only tokens this opsgate signed get in, so it
// is reached only by an unusual burst of answers within a token's lifetime.
const spentMax = 100_000

// errAnswered is shown to whoever posts an answered prompt's token again.
var errAnswered = opsgate.Errorf(opsgate.EFORBIDDEN, "This prompt was already answered. Run the command again.")

// answerOnce reports whether the prompt token may be answered now: not answered before on this
// replica, nor (with Claim) on any replica sharing the database. Mattermost does not
// authenticate interaction requests, so a prompt's token is a bearer credential: without this, a
// copy of it (a log, a proxy, a Mattermost bug leaking integration context) could answer again,
// as the prompt's user and with any value, until the token expires.
func (h *Handler) answerOnce(ctx context.Context, token string) bool {
	return h.spent.First(ctx, tokenKey(token))
}

// unspend undoes answerOnce for an answer the pipeline refused before running anything
// (overloaded, stopping): the person is told to try again, and the same click must then work.
func (h *Handler) unspend(ctx context.Context, token string) {
	h.spent.Forget(ctx, tokenKey(token))
}

// tokenKey is what is remembered of a token: its hash, never the token.
func tokenKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
