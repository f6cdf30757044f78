package mattermost

import (
	"context"
	"fmt"

	"github.com/opsgate/opsgate"
)

// Conversation returns a dispatcher for a message nobody asked for in a request (a StackStorm
// announcement, a webhook post): into channel as the bot, or, when private, into the direct
// channel between the bot and user (created by Mattermost if it does not exist yet).
func (h *Handler) Conversation(ctx context.Context, channel, user string, private bool) (opsgate.Dispatcher, error) {
	if !private {
		return &conversation{h: h, req: opsgate.Request{Platform: "mattermost", ChannelID: channel, UserID: user}}, nil
	}
	bot, err := h.botUser(ctx)
	if err != nil {
		return nil, err
	}
	var dm struct {
		ID string `json:"id"`
	}
	if err := h.call(ctx, "POST", h.api("/channels/direct"), []string{bot, user}, &dm, true); err != nil {
		return nil, fmt.Errorf("mattermost: opening a direct channel with %s: %w", user, err)
	}
	return &conversation{h: h, req: opsgate.Request{Platform: "mattermost", ChannelID: dm.ID, UserID: user, Direct: true}}, nil
}

func (h *Handler) botUser(ctx context.Context) (string, error) {
	if id := h.botUserID.Load(); id != nil {
		return *id, nil
	}
	var me struct {
		ID string `json:"id"`
	}
	if err := h.call(ctx, "GET", h.api("/users/me"), nil, &me, true); err != nil || me.ID == "" {
		return "", fmt.Errorf("mattermost: looking up the bot user: %v", err)
	}
	h.botUserID.Store(&me.ID)
	return me.ID, nil
}
