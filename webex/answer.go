package webex

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/kit"
)

// errAnswered is shown to whoever presses an answered prompt's button again.
var errAnswered = opsgate.Errorf(opsgate.EFORBIDDEN, "This prompt was already answered. Run the command again.")

// answer handles a card submission. Webex authenticates it (it is fetched with the bot's token,
// and names who pressed), and the action's signed callback token says what it answers; each
// token answers once, on any replica.
func (h *Handler) answer(ctx context.Context, e *Envelope) {
	sub, err := h.Client.ActionSubmission(ctx, e)
	if h.fetchFailed(ctx, e, err, "card submission") {
		return
	}
	// Until the token is read, replies go to the presser in the room of the card.
	presser := &conversation{h: h, req: sub.Request}
	tok, err := h.Callbacks.Verify(sub.Answer.Token)
	switch {
	case errors.Is(err, callback.ErrExpired):
		refusals.Count("expired_callback")
		presser.tell(ctx, opsgate.ErrorMessage(err))
		return
	case err != nil:
		refusals.Count("forged_callback")
		h.Logger.Warn("webex: card submission with a token opsgate did not sign", "person", sub.Request.UserID)
		return
	case !tok.MayAnswer(sub.Request.UserID):
		refusals.Count("wrong_user")
		presser.tell(ctx, "This prompt is for "+kit.FirstNonEmpty(tok.UserName, tok.UserID)+"; run the command yourself to answer it.")
		return
	}
	// Paging only shows the menu again, and its token can equal the next page's Choose: it is
	// not spent.
	key, spend := tokenKey(sub.Answer.Token), !sub.Answer.Page
	if spend && !h.spent.First(ctx, key) {
		refusals.Count("replayed_callback")
		presser.tell(ctx, opsgate.ErrorMessage(errAnswered))
		return
	}
	// The answer runs where the prompt was asked, as the person who pressed.
	conv := &conversation{h: h, req: opsgate.Request{Platform: Platform, OrgID: tok.OrgID, OrgName: tok.OrgName,
		ChannelID: tok.ChannelID, ChannelName: tok.ChannelName, UserID: sub.Request.UserID, UserName: tok.UserName, ThreadID: tok.ThreadID}}
	if tok.UserID == "" {
		conv.req.UserName = ""
	}
	var text string
	switch a := sub.Answer; {
	case tok.Kind == callback.KindCancel:
		h.closePrompt(ctx, sub.MessageID)
		presser.tell(ctx, "Cancelled.")
		return
	case a.Page && tok.Kind == callback.KindMenu:
		conv.menuOffset = tok.Offset
		text = tok.Prefix
	case a.Page:
		refusals.Count("malformed")
		return
	case tok.Kind == callback.KindButton || tok.Kind == callback.KindOpenDialog:
		text = tok.Prefix
	case (tok.Kind == callback.KindMenu || tok.Kind == callback.KindText) && len(a.Values) == 1 && a.Values[0] != "":
		text = tok.Answer(a.Values[0])
	case tok.Kind == callback.KindDialog && len(a.Values) > 0:
		text = tok.Answer(a.Values...)
	default:
		h.spent.Forget(ctx, key) // nothing was chosen (never a page): the card may be answered properly
		refusals.Count("malformed")
		presser.tell(ctx, "Choose or type a value before submitting.")
		return
	}
	conv.req.Text = text
	if refusal := h.Handle(ctx, &conv.req, conv); refusal != "" {
		if spend {
			h.spent.Forget(ctx, key) // nothing ran: the same press must work again
		}
		presser.tell(ctx, refusal)
		return
	}
	h.closePrompt(ctx, sub.MessageID)
}

// closePrompt deletes an answered card when delete_input_on_submission is set. Webex cannot edit
// a card; an answered one left in place refuses a second press.
func (h *Handler) closePrompt(ctx context.Context, messageID string) {
	if !h.DeleteInput || messageID == "" {
		return
	}
	if err := h.Client.Delete(ctx, messageID); err != nil {
		h.Logger.Warn("webex: could not delete an answered card", "message", messageID, "err", err)
	}
}

// tokenKey is what is remembered of a callback token: its hash, never the token.
func tokenKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
