package discord

import (
	"context"
	"fmt"

	"github.com/opsgate/opsgate"
)

// Conversation returns a dispatcher for a message nobody asked for in a request (a StackStorm
// announcement, a webhook post): into channel as the bot, or, when private, into the direct
// message channel with user (Discord returns the existing one or creates it).
func (h *Handler) Conversation(ctx context.Context, channel, userID string, private bool) (opsgate.Dispatcher, error) {
	if !private {
		return &conversation{h: h, req: opsgate.Request{Platform: "discord", ChannelID: channel, UserID: userID}}, nil
	}
	var dm struct {
		ID string `json:"id"`
	}
	if err := h.call(ctx, "POST", "/users/@me/channels", map[string]string{"recipient_id": userID}, &dm, true); err != nil || dm.ID == "" {
		return nil, fmt.Errorf("discord: opening a direct message with %s: %v", userID, err)
	}
	return &conversation{h: h, req: opsgate.Request{Platform: "discord", ChannelID: dm.ID, UserID: userID, Direct: true}}, nil
}
