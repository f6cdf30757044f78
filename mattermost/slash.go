package mattermost

import (
	"context"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

// slashCommand is what Mattermost posts for a slash command (form-encoded by default, JSON when
// the command is configured so).
type slashCommand struct {
	Token       string `json:"token"`
	TeamID      string `json:"team_id"`
	TeamDomain  string `json:"team_domain"`
	ChannelID   string `json:"channel_id"`
	ChannelName string `json:"channel_name"`
	UserID      string `json:"user_id"`
	UserName    string `json:"user_name"`
	Command     string `json:"command"`
	Text        string `json:"text"`
	ResponseURL string `json:"response_url"`
	TriggerID   string `json:"trigger_id"`
	RootID      string `json:"root_id"`
}

// ServeSlashCommand authenticates the command's token (Authorization: Token <t>), hands the
// command to the pipeline and answers "{}" at once (Mattermost requires JSON); output follows
// through REST v4.
func (h *Handler) ServeSlashCommand(w http.ResponseWriter, r *http.Request) {
	// The token is checked first: a valid one is served whatever others behind the same address
	// did; only refusals count against the address, so guessing stays slow.
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Token ")
	if !ok || strings.TrimSpace(token) == "" {
		h.refuseToken(w, r, "missing_token", "missing Authorization: Token header")
		return
	}
	body, ok := h.readBody(w, r)
	if !ok {
		return
	}
	if err := h.verifyToken(r.Context(), strings.TrimSpace(token)); err != nil {
		if opsgate.ErrorCode(err) == opsgate.EUNAUTHORIZED {
			h.refuseToken(w, r, "unknown_token", "unknown command token")
		} else {
			h.Logger.Error("mattermost: token check failed", "err", err)
			refusals.Reject(w, http.StatusServiceUnavailable, "token_check_failed", "cannot check the command token now")
		}
		return
	}
	var sc slashCommand
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" {
		if err := json.Unmarshal(body, &sc); err != nil {
			refusals.Reject(w, http.StatusBadRequest, "malformed", "slash command body is not valid JSON")
			return
		}
	} else {
		f, err := url.ParseQuery(string(body))
		if err != nil {
			refusals.Reject(w, http.StatusBadRequest, "malformed", "slash command body is not a valid form")
			return
		}
		sc = slashCommand{TeamID: f.Get("team_id"), TeamDomain: f.Get("team_domain"), ChannelID: f.Get("channel_id"),
			ChannelName: f.Get("channel_name"), UserID: f.Get("user_id"), UserName: f.Get("user_name"),
			Command: f.Get("command"), Text: f.Get("text"), ResponseURL: f.Get("response_url"),
			TriggerID: f.Get("trigger_id"), RootID: f.Get("root_id")}
	}
	if sc.UserID == "" || sc.ChannelID == "" || sc.Command == "" {
		refusals.Reject(w, http.StatusBadRequest, "malformed", "slash command lacks user_id, channel_id or command")
		return
	}
	if h.PublicURL == "" && h.learnedURL.Load() == nil {
		// Learnt once: a later request with another Host (anyone holding a command token) must
		// not redirect every user's clicks, and the prompt tokens they carry, to another server.
		u := requestBaseURL(r)
		h.learnedURL.CompareAndSwap(nil, &u)
	}
	now := h.Now()
	req := &opsgate.Request{
		Platform: "mattermost", OrgID: sc.TeamID, OrgName: sc.TeamDomain,
		ChannelID: sc.ChannelID, ChannelName: sc.ChannelName, UserID: sc.UserID, UserName: sc.UserName,
		Direct: strings.Contains(sc.ChannelName, "__"), ThreadID: sc.RootID,
		Text: commandText(sc.Command, sc.Text),
	}
	conv := &conversation{h: h, req: *req, responseURL: sc.ResponseURL, triggerID: sc.TriggerID, triggerAt: now}
	refusal := h.Handle(context.WithoutCancel(r.Context()), req, conv)
	w.Header().Set("Content-Type", "application/json")
	if refusal != "" {
		// The slash command's answer may carry an ephemeral message: no API call needed.
		json.NewEncoder(w).Encode(map[string]string{"response_type": "ephemeral", "text": refusal})
		return
	}
	w.Write([]byte("{}"))
}

// refuseToken answers a missing or unknown command token: 401, or 429 once the client address is
// past its limit of refusals.
func (h *Handler) refuseToken(w http.ResponseWriter, r *http.Request, reason, msg string) {
	if ok, wait := h.Guard.Refuse(r); !ok {
		kit.SetRetryAfter(w, wait)
		refusals.Reject(w, http.StatusTooManyRequests, "guess_limited", "too many refused tokens from your address; retry later")
		return
	}
	h.Logger.Warn("mattermost: slash command refused", "reason", reason, "client", h.Guard.ClientIP(r))
	refusals.Reject(w, http.StatusUnauthorized, reason, msg)
}

// commandText turns the trigger word and its text into the command ("/nautobot" + "get-devices"
// is "nautobot get-devices", Nautobot's convention).
func commandText(command, text string) string {
	name := strings.TrimPrefix(command, "/")
	if text = strings.TrimSpace(text); text == "" {
		return name
	}
	return name + " " + text
}

// requestBaseURL is opsgate's base URL as the caller reached it.
func requestBaseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// interactionURL is where Mattermost posts button clicks and dialog submissions.
func (h *Handler) interactionURL() string {
	if h.PublicURL != "" {
		return h.PublicURL + PathInteraction
	}
	if u := h.learnedURL.Load(); u != nil {
		return *u + PathInteraction
	}
	return PathInteraction
}
