package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/slack-go/slack"

	"github.com/opsgate/opsgate"
)

// ServeSlashCommand handles a slash command: verify, parse, hand to the pipeline, answer an empty
// 200 at once. Output arrives later through the Web API or response_url.
func (h *Handler) ServeSlashCommand(w http.ResponseWriter, r *http.Request) {
	body, sig, ok := h.readVerified(w, r)
	if !ok {
		return
	}
	var sc slack.SlashCommand
	if !parseSlash(string(body), &sc) {
		refusals.Reject(w, http.StatusBadRequest, "malformed", "slash command body is not a valid form")
		return
	}
	if sc.UserID == "" || sc.ChannelID == "" || sc.Command == "" {
		refusals.Reject(w, http.StatusBadRequest, "malformed", "slash command lacks user_id, channel_id or command")
		return
	}
	if !h.firstDelivery(r.Context(), w, sig, true) {
		return
	}
	if refusal := h.slashCommand(context.WithoutCancel(r.Context()), &sc); refusal != "" {
		ephemeral(w, refusal)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// maxFormFields is url.ParseQuery's bound on a form's fields.
const maxFormFields = 10_000

// parseSlash reads a slash command's form into sc as url.ParseQuery and Values.Get would (the first value
// of each field; a form ParseQuery refuses is refused), keeping only the fields opsgate reads:
// the map and a slice per field were a tenth of a command's allocations.
func parseSlash(form string, sc *slack.SlashCommand) bool {
	if strings.Count(form, "&") >= maxFormFields {
		return false
	}
	var seen uint16
	for form != "" {
		var kv string
		kv, form, _ = strings.Cut(form, "&")
		if strings.Contains(kv, ";") {
			return false
		}
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		k, err := url.QueryUnescape(k)
		if err != nil {
			return false
		}
		dst, bit := slashField(sc, k)
		if dst == nil || seen&bit != 0 {
			if !validEscapes(v) {
				return false
			}
			continue
		}
		if *dst, err = url.QueryUnescape(v); err != nil {
			return false
		}
		seen |= bit
	}
	return true
}

// slashField is where the form field key goes in sc, and its bit in parseSlash's record of
// fields seen; nil for a field opsgate does not read.
func slashField(sc *slack.SlashCommand, key string) (*string, uint16) {
	switch key {
	case "team_id":
		return &sc.TeamID, 1 << 0
	case "team_domain":
		return &sc.TeamDomain, 1 << 1
	case "enterprise_id":
		return &sc.EnterpriseID, 1 << 2
	case "enterprise_name":
		return &sc.EnterpriseName, 1 << 3
	case "channel_id":
		return &sc.ChannelID, 1 << 4
	case "channel_name":
		return &sc.ChannelName, 1 << 5
	case "user_id":
		return &sc.UserID, 1 << 6
	case "user_name":
		return &sc.UserName, 1 << 7
	case "command":
		return &sc.Command, 1 << 8
	case "text":
		return &sc.Text, 1 << 9
	case "response_url":
		return &sc.ResponseURL, 1 << 10
	case "trigger_id":
		return &sc.TriggerID, 1 << 11
	case "api_app_id":
		return &sc.APIAppID, 1 << 12
	}
	return nil, 0
}

// validEscapes reports whether url.QueryUnescape would accept s: each % starts two hex digits.
func validEscapes(s string) bool {
	for i := strings.IndexByte(s, '%'); i >= 0; i = strings.IndexByte(s, '%') {
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return false
		}
		s = s[i+3:]
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// ephemeral answers a slash command with a message only its sender sees: no API call needed.
func ephemeral(w http.ResponseWriter, text string) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"response_type": "ephemeral", "text": text})
}

// slashCommand runs a verified slash command (HTTP or Socket Mode) and returns the pipeline's refusal, if any.
func (h *Handler) slashCommand(ctx context.Context, sc *slack.SlashCommand) string {
	now := h.Now()
	// The request and its conversation live as long as each other: one allocation for both.
	run := &struct {
		req  opsgate.Request
		conv conversation
	}{
		req: opsgate.Request{
			Platform: "slack", OrgID: sc.TeamID, OrgName: sc.TeamDomain,
			ChannelID: sc.ChannelID, ChannelName: sc.ChannelName,
			UserID: sc.UserID, UserName: sc.UserName,
			Direct: sc.ChannelName == "directmessage" || strings.HasPrefix(sc.ChannelID, "D"),
			Text:   h.commandText(sc.Command, sc.Text),
		},
		conv: conversation{h: h, channel: sc.ChannelID, user: sc.UserID,
			responseURL: sc.ResponseURL, responseAt: now, triggerID: sc.TriggerID, triggerAt: now},
	}
	if sc.TriggerID != "" { // unique per invocation: the queue stores and runs it once
		run.req.ID = "slack-trigger:" + sc.TriggerID
	}
	return h.Handle(ctx, &run.req, &run.conv)
}

// commandText turns "/network" + "status nyc" into "network status nyc": the slash command names
// the command (Nautobot's convention), after the configured prefix.
func (h *Handler) commandText(command, text string) string {
	name, ok := strings.CutPrefix(command, h.CommandPrefix)
	if !ok {
		name = strings.TrimPrefix(command, "/")
	}
	if text = strings.TrimSpace(text); text == "" {
		return name
	}
	return name + " " + text
}
