package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/slack-go/slack"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/kit"
)

// outcome is how an interaction is answered: a status, and either a one-line reason or a JSON body.
type outcome struct {
	status int
	reason string // metric label when refused
	msg    string
	body   any // JSON ack payload (view_submission errors)
}

// ServeInteraction handles buttons, menus, text inputs and modal submissions: a form with one
// field, payload, holding JSON.
func (h *Handler) ServeInteraction(w http.ResponseWriter, r *http.Request) {
	body, sig, ok := h.readVerified(w, r)
	if !ok {
		return
	}
	form, err := url.ParseQuery(string(body))
	payload := form.Get("payload")
	if err != nil || payload == "" {
		refusals.Reject(w, http.StatusBadRequest, "malformed", "interaction body has no payload form field")
		return
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(payload), &cb); err != nil || cb.Type == "" || cb.User.ID == "" {
		refusals.Reject(w, http.StatusBadRequest, "malformed", "interaction payload is not valid JSON from Slack")
		return
	}
	if !h.firstDelivery(r.Context(), w, sig, false) {
		return
	}
	out := h.interaction(context.WithoutCancel(r.Context()), &cb)
	if out.status >= 400 {
		refusals.Reject(w, out.status, out.reason, out.msg)
		return
	}
	if out.reason != "" {
		refusals.Count(out.reason)
	}
	if out.body != nil {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out.body)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// interaction handles a verified interaction (HTTP or Socket Mode).
func (h *Handler) interaction(ctx context.Context, cb *slack.InteractionCallback) outcome {
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		for _, a := range cb.ActionCallback.BlockActions {
			if out, ok := h.blockAction(ctx, cb, a); ok {
				return out
			}
		}
	case slack.InteractionTypeViewSubmission:
		if cb.View.CallbackID == "opsgate_dialog" {
			return h.viewSubmission(ctx, cb)
		}
	}
	return outcome{status: http.StatusOK}
}

func (h *Handler) blockAction(ctx context.Context, cb *slack.InteractionCallback, a *slack.BlockAction) (outcome, bool) {
	var token, value string
	id := a.ActionID
	switch {
	case id == "ogc" || id == "ogo" || strings.HasPrefix(id, "ogb"):
		token = a.Value
	case strings.HasPrefix(id, "ogm"):
		token, _ = joinToken("ogm", id, a.BlockID)
		value = a.SelectedOption.Value
	case strings.HasPrefix(id, "ogt"):
		token, _ = joinToken("ogt", id, a.BlockID)
		value = a.Value
	default:
		return outcome{}, false // not ours
	}
	now := h.Now()
	conv := &conversation{h: h, channel: kit.FirstNonEmpty(cb.Channel.ID, cb.Container.ChannelID), user: cb.User.ID,
		responseURL: cb.ResponseURL, responseAt: now, triggerID: cb.TriggerID, triggerAt: now}
	tok, out, ok := h.checkToken(ctx, conv, cb.User.ID, token)
	if !ok {
		return out, true
	}
	conv.thread = tok.ThreadID
	if conv.channel == "" {
		conv.channel = tok.ChannelID
	}
	switch tok.Kind {
	case callback.KindCancel:
		h.closePrompt(conv, "Cancelled by <@"+cb.User.ID+">.")
	case callback.KindButton, callback.KindOpenDialog:
		h.answer(ctx, cb, conv, tok.Prefix)
	case callback.KindMenu:
		if value == nextValue {
			conv.menuOffset = tok.Offset + menuPage
			h.closePrompt(conv, "")
			h.answer(ctx, cb, conv, tok.Prefix)
			break
		}
		h.closePrompt(conv, "<@"+cb.User.ID+"> chose `"+escape(kit.Echo(h.Redactor, kit.FirstNonEmpty(a.SelectedOption.Text.Text, value)))+"`.")
		h.answer(ctx, cb, conv, tok.Answer(value))
	case callback.KindText:
		h.closePrompt(conv, "<@"+cb.User.ID+"> answered `"+escape(kit.Echo(h.Redactor, value))+"`.")
		h.answer(ctx, cb, conv, tok.Answer(value))
	}
	return outcome{status: http.StatusOK}, true
}

// checkToken verifies a callback token and that user may answer. A refusal is also told to the
// user where a response_url allows, so a click never silently does nothing.
func (h *Handler) checkToken(ctx context.Context, conv *conversation, user, token string) (*callback.Payload, outcome, bool) {
	tok, err := h.Callbacks.Verify(token)
	var out outcome
	switch {
	case err == callback.ErrExpired:
		out = outcome{status: http.StatusOK, reason: "expired_callback", msg: opsgate.ErrorMessage(err)}
	case err != nil:
		out = outcome{status: http.StatusBadRequest, reason: "forged_callback", msg: "callback token is not valid"}
		err = callback.ErrForged
	case !tok.MayAnswer(user):
		out = outcome{status: http.StatusOK, reason: "wrong_user"}
		err = opsgate.Errorf(opsgate.EFORBIDDEN, "This prompt is for <@%s>; run the command yourself to answer it.", tok.UserID)
	default:
		return tok, out, true
	}
	text := opsgate.ErrorMessage(err)
	go func() {
		if err := conv.respond(context.WithoutCancel(ctx), &slack.WebhookMessage{ResponseType: "ephemeral", Text: text}); err != nil {
			h.Logger.Warn("slack: could not send a callback refusal", "err", err)
		}
	}()
	return nil, out, false
}

// closePrompt removes an answered prompt (delete_input_on_submission) or replaces it with a note of
// the answer, so it cannot be answered twice. Off the ack path: Slack wants the ack within 3 s.
func (h *Handler) closePrompt(conv *conversation, note string) {
	msg := &slack.WebhookMessage{DeleteOriginal: true}
	if !h.DeleteInput && note != "" {
		msg = &slack.WebhookMessage{ReplaceOriginal: true, Text: note}
	}
	go func() {
		if err := conv.respond(context.Background(), msg); err != nil && err != errNoResponseURL {
			h.Logger.Warn("slack: could not close a prompt", "err", err)
		}
	}()
}

func (h *Handler) viewSubmission(ctx context.Context, cb *slack.InteractionCallback) outcome {
	now := h.Now()
	conv := &conversation{h: h, user: cb.User.ID, triggerID: cb.TriggerID, triggerAt: now}
	tok, err := h.Callbacks.Verify(cb.View.PrivateMetadata)
	reason := ""
	switch {
	case err == callback.ErrExpired:
		reason = "expired_callback"
	case err != nil:
		reason, err = "forged_callback", callback.ErrForged
	case tok.Kind != callback.KindDialog:
		reason, err = "forged_callback", callback.ErrForged
	case !tok.MayAnswer(cb.User.ID):
		reason = "wrong_user"
		err = opsgate.Errorf(opsgate.EFORBIDDEN, "This form is for <@%s>; run the command yourself.", tok.UserID)
	}
	if err != nil {
		// The modal shows the refusal under its first field.
		return outcome{status: http.StatusOK, reason: reason, body: map[string]any{
			"response_action": "errors", "errors": map[string]string{"f0": opsgate.ErrorMessage(err)}}}
	}
	conv.channel, conv.thread = tok.ChannelID, tok.ThreadID
	var values []string
	for i := 0; cb.View.State != nil; i++ { // state is a pointer: absent in a payload means nil
		fv, ok := cb.View.State.Values[fmt.Sprintf("f%d", i)]
		if !ok {
			break
		}
		a := fv["v"]
		values = append(values, kit.FirstNonEmpty(a.Value, a.SelectedOption.Value))
	}
	h.answer(ctx, cb, conv, tok.Answer(values...))
	return outcome{status: http.StatusOK}
}

// answer re-runs the prompt's command with the answer. A refusal (overloaded, restarting) is
// told to the user, so a click never silently does nothing.
func (h *Handler) answer(ctx context.Context, cb *slack.InteractionCallback, conv *conversation, text string) {
	if refusal := h.Handle(ctx, h.answerRequest(cb, conv, text), conv); refusal != "" {
		go conv.Send(context.WithoutCancel(ctx), opsgate.Message{Ephemeral: true, Blocks: []opsgate.Block{opsgate.Text{Markdown: refusal}}})
	}
}

// answerRequest is the request an answer re-runs: the answering user's, so access is checked
// again for whoever clicked.
func (h *Handler) answerRequest(cb *slack.InteractionCallback, conv *conversation, text string) *opsgate.Request {
	return &opsgate.Request{
		Platform: "slack", OrgID: kit.FirstNonEmpty(cb.Team.ID, cb.User.TeamID), OrgName: cb.Team.Domain,
		ChannelID: conv.channel, ChannelName: cb.Channel.Name,
		UserID: cb.User.ID, UserName: cb.User.Name,
		Direct:   strings.HasPrefix(conv.channel, "D"),
		ThreadID: conv.thread, Text: text,
	}
}
