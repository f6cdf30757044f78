package discord

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/kit"
)

// errAnswered is shown to whoever answers a prompt again.
var errAnswered = opsgate.Errorf(opsgate.EFORBIDDEN, "This prompt was already answered. Run the command again.")

// component handles a button click or a menu pick. The clicker's identity is Discord's (the
// interaction is signed); the custom_id's token says what to re-run and for whom.
func (h *Handler) component(ctx context.Context, w http.ResponseWriter, in *interaction) {
	var data struct {
		CustomID string   `json:"custom_id"`
		Values   []string `json:"values"`
	}
	json.Unmarshal(in.Data, &data)
	tok, ok := h.checkToken(w, in, data.CustomID, false)
	if !ok {
		return
	}
	switch tok.Kind {
	case callback.KindText:
		// A text prompt opens a one-field modal; nothing is answered until it is submitted.
		conv := h.interactionConversation(in, *in.request(""))
		md, _ := conv.modal(opsgate.Dialog{Title: "opsgate", Prefix: tok.Prefix, Fields: []opsgate.DialogField{{Name: "value", Label: "Value"}}})
		writeJSON(w, response{Type: respModal, Data: md})
		return
	case callback.KindCancel, callback.KindButton, callback.KindOpenDialog, callback.KindMenu:
	default:
		refusals.Reject(w, http.StatusUnauthorized, "forged_callback", "callback token is not valid")
		return
	}
	if tok.Kind == callback.KindMenu && len(data.Values) != 1 {
		refusals.Reject(w, http.StatusBadRequest, "malformed", "menu pick without one value")
		return
	}
	key, ok := h.answerOnce(ctx, w, data.CustomID)
	if !ok {
		return
	}
	if tok.Kind == callback.KindOpenDialog {
		if h.run(ctx, w, in, in.request(tok.Prefix), true, 0) {
			h.once.Forget(ctx, key) // nothing ran: the click may be tried again
		}
		return
	}
	text, note, offset := tok.Prefix, "", 0
	switch tok.Kind {
	case callback.KindCancel:
		writeJSON(w, h.closePrompt(in, "Cancelled."))
		return
	case callback.KindButton:
		note = "<@" + in.who().ID + "> pressed a button."
	case callback.KindMenu:
		if v := data.Values[0]; v == nextValue {
			offset, note = tok.Offset+menuPage, "Showing more choices..."
		} else {
			text, note = tok.Answer(v), "<@"+in.who().ID+"> chose `"+kit.Echo(h.Redactor, v)+"`."
		}
	}
	// The prompt is closed in the answer (type 7); what the command says follows up.
	conv := h.interactionConversation(in, *in.request(text))
	conv.menuOffset = offset
	if refusal := h.Handle(ctx, conv.reqCopy(), conv); refusal != "" {
		h.once.Forget(ctx, key)
		writeJSON(w, response{Type: respMessage, Data: &message{Content: refusal, Flags: flagEphemeral}})
		return
	}
	writeJSON(w, h.closePrompt(in, note))
}

// answerOnce claims a prompt's token, here and (with Claim) on every replica. A token answered
// before is refused with a note the person sees; nothing runs.
func (h *Handler) answerOnce(ctx context.Context, w http.ResponseWriter, token string) (key string, ok bool) {
	key = promptKey(token)
	if !h.once.First(ctx, key) {
		refusals.Count("replayed_callback")
		writeJSON(w, response{Type: respMessage, Data: &message{Content: opsgate.ErrorMessage(errAnswered), Flags: flagEphemeral}})
		return "", false
	}
	return key, true
}

func (c *conversation) reqCopy() *opsgate.Request { r := c.req; return &r }

// closePrompt updates the prompt's message: its components removed, a note added.
func (h *Handler) closePrompt(in *interaction, note string) response {
	content := note
	if in.Message != nil && in.Message.Content != "" && in.Message.Content != "\u200b" {
		content = in.Message.Content + "\n" + note
	}
	return response{Type: respUpdate, Data: map[string]any{"content": kit.Truncate(content, contentLimit), "components": []row{}}}
}

// modalSubmit runs a dialog's command with the submitted values, in field order.
func (h *Handler) modalSubmit(ctx context.Context, w http.ResponseWriter, in *interaction) {
	var data struct {
		CustomID   string            `json:"custom_id"`
		Components []json.RawMessage `json:"components"`
	}
	json.Unmarshal(in.Data, &data)
	tok, ok := h.checkToken(w, in, data.CustomID, true)
	if !ok {
		return
	}
	key, ok := h.answerOnce(ctx, w, data.CustomID)
	if !ok {
		return
	}
	byID := map[string]string{}
	for _, c := range data.Components {
		collectInputs(c, byID)
	}
	var values []string
	for i := 0; ; i++ {
		v, ok := byID["f"+strconv.Itoa(i)]
		if !ok {
			break
		}
		values = append(values, v)
	}
	if h.run(ctx, w, in, in.request(tok.Answer(values...)), false, 0) {
		h.once.Forget(ctx, key)
	}
}

// collectInputs finds the text inputs (custom_id and value) in a modal's components: in action
// rows, or in the newer label components that wrap one.
func collectInputs(raw json.RawMessage, into map[string]string) {
	var c struct {
		CustomID   *string           `json:"custom_id"`
		Value      *string           `json:"value"`
		Components []json.RawMessage `json:"components"`
		Component  json.RawMessage   `json:"component"`
	}
	if json.Unmarshal(raw, &c) != nil {
		return
	}
	if c.CustomID != nil && c.Value != nil {
		into[*c.CustomID] = *c.Value
	}
	for _, sub := range c.Components {
		collectInputs(sub, into)
	}
	if len(c.Component) > 0 {
		collectInputs(c.Component, into)
	}
}

// checkToken verifies a custom_id's token and that the interacting user may answer. Refusals a
// person should read (expired, someone else's prompt) are shown to them; forgeries get a 401.
func (h *Handler) checkToken(w http.ResponseWriter, in *interaction, token string, dialog bool) (*callback.Payload, bool) {
	tok, err := h.Callbacks.Verify(token)
	reason := ""
	switch {
	case err == callback.ErrExpired:
		reason = "expired_callback"
	case err != nil || dialog != (tok.Kind == callback.KindDialog):
		refusals.Reject(w, http.StatusUnauthorized, "forged_callback", "callback token is not valid")
		return nil, false
	case !tok.MayAnswer(in.who().ID):
		reason = "wrong_user"
		err = opsgate.Errorf(opsgate.EFORBIDDEN, "This prompt is for <@%s>; run the command yourself to answer it.", tok.UserID)
	default:
		return tok, true
	}
	refusals.Count(reason)
	writeJSON(w, response{Type: respMessage, Data: &message{Content: opsgate.ErrorMessage(err), Flags: flagEphemeral}})
	return nil, false
}
