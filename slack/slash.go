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
	form, err := url.ParseQuery(string(body))
	if err != nil {
		refusals.Reject(w, http.StatusBadRequest, "malformed", "slash command body is not a valid form")
		return
	}
	sc := slack.SlashCommand{
		TeamID: form.Get("team_id"), TeamDomain: form.Get("team_domain"),
		EnterpriseID: form.Get("enterprise_id"), EnterpriseName: form.Get("enterprise_name"),
		ChannelID: form.Get("channel_id"), ChannelName: form.Get("channel_name"),
		UserID: form.Get("user_id"), UserName: form.Get("user_name"),
		Command: form.Get("command"), Text: form.Get("text"),
		ResponseURL: form.Get("response_url"), TriggerID: form.Get("trigger_id"), APIAppID: form.Get("api_app_id"),
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

// ephemeral answers a slash command with a message only its sender sees: no API call needed.
func ephemeral(w http.ResponseWriter, text string) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"response_type": "ephemeral", "text": text})
}

// slashCommand runs a verified slash command (HTTP or Socket Mode) and returns the pipeline's refusal, if any.
func (h *Handler) slashCommand(ctx context.Context, sc *slack.SlashCommand) string {
	now := h.Now()
	req := &opsgate.Request{
		Platform: "slack", OrgID: sc.TeamID, OrgName: sc.TeamDomain,
		ChannelID: sc.ChannelID, ChannelName: sc.ChannelName,
		UserID: sc.UserID, UserName: sc.UserName,
		Direct: sc.ChannelName == "directmessage" || strings.HasPrefix(sc.ChannelID, "D"),
		Text:   h.commandText(sc.Command, sc.Text),
	}
	if sc.TriggerID != "" { // unique per invocation: the queue stores and runs it once
		req.ID = "slack-trigger:" + sc.TriggerID
	}
	conv := &conversation{h: h, channel: sc.ChannelID, user: sc.UserID,
		responseURL: sc.ResponseURL, responseAt: now, triggerID: sc.TriggerID, triggerAt: now}
	return h.Handle(ctx, req, conv)
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
