package mattermost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"

	"github.com/opsgate/opsgate"
)

// spentMax bounds the answered tokens remembered; only tokens this opsgate signed get in, so it
// is reached only by an unusual burst of answers within a token's lifetime.
const spentMax = 100_000

// errAnswered is shown to whoever posts an answered prompt's token again.
var errAnswered = opsgate.Errorf(opsgate.EFORBIDDEN, "This prompt was already answered. Run the command again.")

// spent remembers answered prompt tokens until they expire. Mattermost does not authenticate
// interaction requests, so a prompt's token is a bearer credential: without this, a copy of it
// (a log, a proxy, a Mattermost bug leaking integration context) could answer again, as the
// prompt's user and with any value, until the token expires.
type spent struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte]time.Time // token hash -> token expiry
}

// first records token as answered and reports whether it was not answered before.
func (s *spent) first(token string, expires, now time.Time) bool {
	key := sha256.Sum256([]byte(token))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[[sha256.Size]byte]time.Time{}
	}
	if exp, ok := s.m[key]; ok && now.Before(exp) {
		return false
	}
	if len(s.m) >= spentMax {
		for k, exp := range s.m {
			if !now.Before(exp) {
				delete(s.m, k)
			}
		}
		for k := range s.m {
			if len(s.m) < spentMax {
				break
			}
			delete(s.m, k)
		}
	}
	s.m[key] = expires
	return true
}

// forget removes token, so it may be answered again.
func (s *spent) forget(token string) {
	key := sha256.Sum256([]byte(token))
	s.mu.Lock()
	delete(s.m, key)
	s.mu.Unlock()
}

// answerOnce reports whether the prompt token may be answered now: not answered before on this
// replica, nor (with Claim) on any replica sharing the database.
func (h *Handler) answerOnce(ctx context.Context, token string, expires time.Time) bool {
	if !h.spent.first(token, expires, h.Now()) {
		return false
	}
	if h.Claim == nil {
		return true
	}
	first, err := h.Claim(ctx, tokenKey(token))
	if err != nil {
		// This replica's memory still holds; a database outage must not block every answer.
		h.Logger.Warn("mattermost: callback claim failed; answering on this replica's record", "err", err)
		return true
	}
	return first
}

// unspend undoes answerOnce for an answer the pipeline refused before running anything
// (overloaded, stopping): the person is told to try again, and the same click must then work.
func (h *Handler) unspend(ctx context.Context, token string) {
	h.spent.forget(token)
	if h.Unclaim == nil {
		return
	}
	if err := h.Unclaim(ctx, tokenKey(token)); err != nil {
		h.Logger.Warn("mattermost: could not release a refused answer's claim", "err", err)
	}
}

func tokenKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
