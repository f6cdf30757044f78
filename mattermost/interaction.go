package mattermost

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/kit"
)

// interaction is what Mattermost posts to an integration URL: a button or menu action (with the
// context we set, plus selected_option for menus) or a dialog submission.
type interaction struct {
	Type        string         `json:"type"`
	UserID      string         `json:"user_id"`
	UserName    string         `json:"user_name"`
	ChannelID   string         `json:"channel_id"`
	TeamID      string         `json:"team_id"`
	PostID      string         `json:"post_id"`
	TriggerID   string         `json:"trigger_id"`
	Context     map[string]any `json:"context"`
	CallbackID  string         `json:"callback_id"`
	State       string         `json:"state"`
	Submission  map[string]any `json:"submission"`
	Cancelled   bool           `json:"cancelled"`
	ChannelName string         `json:"channel_name"`
}

// ServeInteraction handles button clicks, menu picks and dialog submissions. Mattermost does not
// authenticate these requests, so the signed token in the context (or dialog state) is the only
// credential, and the answering request's identity comes from the token, not from the body.
func (h *Handler) ServeInteraction(w http.ResponseWriter, r *http.Request) {
	body, ok := h.readBody(w, r)
	if !ok {
		return
	}
	var in interaction
	if err := json.Unmarshal(body, &in); err != nil || in.UserID == "" {
		refusals.Reject(w, http.StatusBadRequest, "malformed", "interaction body is not valid JSON from Mattermost")
		return
	}
	ctx := context.WithoutCancel(r.Context())
	if in.Type == "dialog_submission" {
		h.dialogSubmission(ctx, w, &in)
		return
	}
	token, _ := in.Context["t"].(string)
	if token == "" {
		refusals.Reject(w, http.StatusBadRequest, "malformed", "interaction has no opsgate context")
		return
	}
	tok, ok := h.checkToken(w, token, in.UserID, false)
	if !ok {
		return
	}
	now := h.Now()
	conv := &conversation{h: h, req: answerRequest(tok, ""), triggerID: in.TriggerID, triggerAt: now}
	ephemeral, _ := in.Context["e"].(bool)
	switch tok.Kind {
	case callback.KindCancel:
		if !h.answerOnce(ctx, token) {
			h.refuseReplay(w, false)
			return
		}
		writeJSON(w, h.closePrompt(in.PostID, tok.ChannelID, ephemeral, "Cancelled."))
	case callback.KindButton, callback.KindOpenDialog:
		if !h.answerOnce(ctx, token) {
			h.refuseReplay(w, false)
			return
		}
		refusal := h.Handle(ctx, conv.reqWith(tok.Prefix), conv)
		if refusal != "" {
			h.unspend(ctx, token) // nothing ran: the click may be tried again
		}
		writeJSON(w, refused(map[string]any{}, refusal))
	case callback.KindText:
		if !h.answerOnce(ctx, token) {
			h.refuseReplay(w, false)
			return
		}
		// A text prompt has no inline input in Mattermost: the button opens a one-field dialog.
		prompt, _ := in.Context["p"].(string)
		d := &opsgate.Dialog{Title: "opsgate", Prefix: tok.Prefix, Fields: []opsgate.DialogField{{Type: "text", Name: "value", Label: kit.Truncate(kit.FirstNonEmpty(prompt, "Value"), 24)}}}
		if err := h.call(ctx, "POST", h.api("/actions/dialogs/open"), conv.dialog(in.TriggerID, d), nil, true); err != nil {
			h.Logger.Warn("mattermost: dialogs/open failed", "err", err)
			h.unspend(ctx, token)
			writeJSON(w, map[string]any{"ephemeral_text": "Could not open the form; type the command with the value instead: " + tok.Prefix + " <value>"})
			return
		}
		writeJSON(w, map[string]any{})
	case callback.KindMenu:
		value, _ := in.Context["selected_option"].(string)
		if value == "" {
			refusals.Reject(w, http.StatusBadRequest, "malformed", "menu action without selected_option")
			return
		}
		if !h.answerOnce(ctx, token) {
			h.refuseReplay(w, false)
			return
		}
		if value == nextValue {
			conv.menuOffset = tok.Offset + menuPage
			refusal := h.Handle(ctx, conv.reqWith(tok.Prefix), conv)
			if refusal != "" {
				h.unspend(ctx, token)
			}
			writeJSON(w, refused(h.closePrompt(in.PostID, tok.ChannelID, ephemeral, "Showing more choices..."), refusal))
			return
		}
		refusal := h.Handle(ctx, conv.reqWith(tok.Answer(value)), conv)
		if refusal != "" {
			h.unspend(ctx, token)
		}
		writeJSON(w, refused(h.closePrompt(in.PostID, tok.ChannelID, ephemeral, "@"+tok.UserName+" chose `"+kit.Echo(h.Redactor, value)+"`."), refusal))
	default:
		refusals.Reject(w, http.StatusBadRequest, "forged_callback", "callback token is not valid")
	}
}

// checkToken verifies token and that userID may answer. Refusals a person should read (expired,
// someone else's prompt) are shown to them; forgeries get a 401.
func (h *Handler) checkToken(w http.ResponseWriter, token, userID string, dialog bool) (*callback.Payload, bool) {
	tok, err := h.Callbacks.Verify(token)
	reason := ""
	switch {
	case err == callback.ErrExpired:
		reason = "expired_callback"
	case err != nil || (dialog != (tok.Kind == callback.KindDialog)):
		refusals.Reject(w, http.StatusUnauthorized, "forged_callback", "callback token is not valid")
		return nil, false
	case !tok.MayAnswer(userID):
		reason = "wrong_user"
		err = opsgate.Errorf(opsgate.EFORBIDDEN, "This prompt is for @%s; run the command yourself to answer it.", kit.FirstNonEmpty(tok.UserName, tok.UserID))
	default:
		return tok, true
	}
	refusals.Count(reason)
	if dialog {
		writeJSON(w, map[string]any{"error": opsgate.ErrorMessage(err)})
	} else {
		writeJSON(w, map[string]any{"ephemeral_text": opsgate.ErrorMessage(err)})
	}
	return nil, false
}

// refuseReplay answers a prompt token that was already used: the person sees why, nothing runs.
func (h *Handler) refuseReplay(w http.ResponseWriter, dialog bool) {
	refusals.Count("replayed_callback")
	if dialog {
		writeJSON(w, map[string]any{"error": opsgate.ErrorMessage(errAnswered)})
	} else {
		writeJSON(w, map[string]any{"ephemeral_text": opsgate.ErrorMessage(errAnswered)})
	}
}

// closePrompt answers an action so the prompt cannot be answered twice: deleted when
// delete_input_on_submission is set and the post is a real one (ephemeral posts cannot be
// deleted through the API), else replaced by a note.
func (h *Handler) closePrompt(postID, channelID string, ephemeral bool, note string) map[string]any {
	if h.DeleteInput && !ephemeral && postID != "" {
		go func() {
			ctx := context.Background()
			if err := h.isPrompt(ctx, postID, channelID); err != nil {
				h.Logger.Warn("mattermost: not deleting a post that is not the answered prompt", "post", postID, "err", err)
				return
			}
			if err := h.call(ctx, "DELETE", h.api("/posts/"+postID), nil, nil, true); err != nil {
				h.Logger.Warn("mattermost: could not delete a prompt", "post", postID, "err", err)
			}
		}()
		return map[string]any{}
	}
	return map[string]any{"update": map[string]any{"message": note, "props": map[string]any{}}}
}

// isPrompt checks that postID is a prompt of the bot in the channel the answered token was
// issued for. The post id comes from the unauthenticated interaction body: without this check a
// token holder could have the bot delete any post it can (all of them, for a system-admin bot).
func (h *Handler) isPrompt(ctx context.Context, postID, channelID string) error {
	bot, err := h.botUser(ctx)
	if err != nil {
		return err
	}
	var p struct {
		UserID    string `json:"user_id"`
		ChannelID string `json:"channel_id"`
		Props     struct {
			Attachments []json.RawMessage `json:"attachments"`
		} `json:"props"`
	}
	if err := h.call(ctx, "GET", h.api("/posts/"+url.PathEscape(postID)), nil, &p, true); err != nil {
		return err
	}
	if p.UserID != bot || p.ChannelID != channelID || len(p.Props.Attachments) == 0 {
		return fmt.Errorf("post by %s in channel %s, not a prompt of the bot in %s", p.UserID, p.ChannelID, channelID)
	}
	return nil
}

func (h *Handler) dialogSubmission(ctx context.Context, w http.ResponseWriter, in *interaction) {
	if in.Cancelled {
		writeJSON(w, map[string]any{})
		return
	}
	tok, ok := h.checkToken(w, in.State, in.UserID, true)
	if !ok {
		return
	}
	if !h.answerOnce(ctx, in.State) {
		h.refuseReplay(w, true)
		return
	}
	var values []string
	for i := 0; ; i++ {
		v, ok := in.Submission[fmt.Sprintf("f%d", i)]
		if !ok {
			break
		}
		switch v := v.(type) {
		case string:
			values = append(values, v)
		case nil:
			values = append(values, "")
		default:
			values = append(values, fmt.Sprint(v))
		}
	}
	conv := &conversation{h: h, req: answerRequest(tok, "")}
	if refusal := h.Handle(ctx, conv.reqWith(tok.Answer(values...)), conv); refusal != "" {
		h.unspend(ctx, in.State)
		writeJSON(w, map[string]any{"error": refusal}) // shown in the dialog
		return
	}
	writeJSON(w, map[string]any{})
}

// answerRequest rebuilds the request a prompt was shown for from its signed token.
func answerRequest(tok *callback.Payload, text string) opsgate.Request {
	return opsgate.Request{Platform: "mattermost", OrgID: tok.OrgID, OrgName: tok.OrgName,
		ChannelID: tok.ChannelID, ChannelName: tok.ChannelName, UserID: tok.UserID, UserName: tok.UserName,
		Direct: strings.Contains(tok.ChannelName, "__"), ThreadID: tok.ThreadID, Text: text}
}

func (c *conversation) reqWith(text string) *opsgate.Request {
	r := c.req
	r.Text = text
	return &r
}

// refused adds the pipeline's refusal (overloaded, restarting), if any, to an interaction's answer
// as ephemeral_text, so a click never silently does nothing.
func refused(resp map[string]any, refusal string) map[string]any {
	if refusal != "" {
		resp["ephemeral_text"] = refusal
	}
	return resp
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
