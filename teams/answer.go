package teams

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/kit"
)

// errAnswered is shown to whoever submits an answered prompt again.
var errAnswered = opsgate.Errorf(opsgate.EFORBIDDEN, "This prompt was already answered. Run the command again.")

// answer runs a card submission. The activity is verified, so who answers and from where is
// Microsoft's word; the signed token says what the answer runs and who may give it. A token is
// answered once (a card's Submit can be pressed again, and a copy of the data replayed). It
// returns false when it has answered the request itself.
func (h *Handler) answer(ctx context.Context, w http.ResponseWriter, a *Activity, s *Submission) bool {
	if a.From == nil || a.From.AADObjectID == "" {
		refusals.Reject(w, http.StatusBadRequest, "malformed", "card submission has no from.aadObjectId")
		return false
	}
	user := a.From.AADObjectID
	tok, err := h.Callbacks.Verify(s.Token)
	if err == callback.ErrExpired {
		refusals.Count("expired_callback")
		go h.conversationOf(a, opsgate.Request{}).note(ctx, opsgate.ErrorMessage(err))
		return true
	} else if err != nil {
		refusals.Reject(w, http.StatusUnauthorized, "forged_callback", "callback token is not valid")
		return false
	}
	here := h.conversationOf(a, opsgate.Request{})
	if !tok.MayAnswer(user) {
		refusals.Count("wrong_user")
		go here.note(ctx, opsgate.ErrorMessage(opsgate.Errorf(opsgate.EFORBIDDEN,
			"This prompt is for %s; run the command yourself to answer it.", kit.FirstNonEmpty(tok.UserName, tok.UserID))))
		return true
	}
	key := tokenKey(s.Token)
	if !h.spent.First(ctx, key) {
		refusals.Count("replayed_callback")
		go here.note(ctx, opsgate.ErrorMessage(errAnswered))
		return true
	}
	// Where the prompt was asked decides the grants; the answer's replies go there too.
	req := opsgate.Request{Platform: Platform, OrgID: tok.OrgID, OrgName: tok.OrgName, ChannelID: tok.ChannelID,
		ChannelName: tok.ChannelName, UserID: user, UserName: a.From.Name, ThreadID: tok.ThreadID,
		Direct: a.Conversation.ConversationType == "personal" && a.ChannelKey() == tok.ChannelID}
	conv := h.conversationOf(a, req)
	conv.convID = kit.FirstNonEmpty(tok.ThreadID, tok.ChannelID)
	conv.personal = req.Direct
	text, note := "", ""
	switch tok.Kind {
	case callback.KindCancel:
		go h.closePrompt(ctx, a, "Cancelled.")
		return true
	case callback.KindButton, callback.KindOpenDialog:
		text = tok.Prefix
	case callback.KindMenu:
		if s.Value == NextValue {
			conv.menuOffset = tok.Offset + menuPage
			text, note = tok.Prefix, "Showing more choices..."
			break
		}
		fallthrough
	case callback.KindText:
		if s.Value == "" {
			h.spent.Forget(ctx, key)
			refusals.Reject(w, http.StatusBadRequest, "malformed", "card submission carries no answer")
			return false
		}
		text, note = tok.Answer(s.Value), a.From.Name+" chose `"+kit.Echo(h.Redactor, s.Value)+"`."
	case callback.KindDialog:
		text, note = tok.Answer(s.Fields...), "Submitted."
	default:
		refusals.Reject(w, http.StatusUnauthorized, "forged_callback", "callback token is not valid")
		return false
	}
	r := req
	r.Text = text
	if refusal := h.Handle(ctx, &r, conv); refusal != "" {
		h.spent.Forget(ctx, key) // nothing ran: the same Submit may be pressed again
		go conv.note(ctx, refusal)
		return true
	}
	if note != "" {
		go h.closePrompt(ctx, a, note)
	}
	return true
}

// closePrompt replaces the answered card with note, or deletes it (delete_input_on_submission).
// replyToId names the card; the Bot Connector lets the bot change only its own activities.
func (h *Handler) closePrompt(ctx context.Context, a *Activity, note string) {
	if a.ReplyToID == "" {
		return
	}
	var err error
	if h.DeleteInput {
		err = h.Client.Delete(ctx, a.ServiceURL, a.Conversation.ID, a.ReplyToID)
	} else {
		err = h.Client.Update(ctx, a.ServiceURL, a.Conversation.ID, a.ReplyToID, &Activity{Type: TypeMessage, TextFormat: "markdown", Text: note})
	}
	if err != nil {
		h.Logger.Warn("teams: could not close an answered prompt", "err", err)
	}
}

// tokenKey is what is remembered of a token: its hash, never the token.
func tokenKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
