package kit

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/opsgate/opsgate"
)

// RefuseCredential answers a missing or unknown credential (a command token): 401 counted as
// reason, or 429 with Retry-After (guess_limited) once the client address is past g's limit of
// refusals. The log line names the reason and the client, never what was presented.
func (f *Refusals) RefuseCredential(w http.ResponseWriter, r *http.Request, g *Guard, logger *slog.Logger, reason, msg string) {
	if ok, wait := g.Refuse(r); !ok {
		SetRetryAfter(w, wait)
		f.Reject(w, http.StatusTooManyRequests, "guess_limited", "too many refused tokens from your address; retry later")
		return
	}
	logger.Warn("request refused", "reason", reason, "client", g.ClientIP(r))
	f.Reject(w, http.StatusUnauthorized, reason, msg)
}

// CheckToken verifies a command token of platform presented with r (an empty one is missing).
// On failure it has answered: missing_token or unknown_token as RefuseCredential does, or 503
// (token_check_failed) when the store cannot answer; ok is false.
func (f *Refusals) CheckToken(w http.ResponseWriter, r *http.Request, tokens opsgate.TokenService, platform, token string, g *Guard, logger *slog.Logger) bool {
	token = strings.TrimSpace(token)
	if token == "" {
		f.RefuseCredential(w, r, g, logger, "missing_token", "no command token")
		return false
	}
	_, err := tokens.VerifyToken(r.Context(), platform, token)
	switch {
	case err == nil:
		return true
	case opsgate.ErrorCode(err) == opsgate.EUNAUTHORIZED:
		f.RefuseCredential(w, r, g, logger, "unknown_token", "unknown command token")
	default:
		logger.Error("token check failed", "err", err)
		f.Reject(w, http.StatusServiceUnavailable, "token_check_failed", "cannot check the command token now")
	}
	return false
}
