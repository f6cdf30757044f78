package slack

import "github.com/opsgate/opsgate"

// Conversation returns a dispatcher for a message nobody asked for in a request (a StackStorm
// announcement, a webhook post): into channel as the bot, or, when private, into the bot's direct
// message with user (chat.postMessage accepts a user id as the channel and opens that DM).
func (h *Handler) Conversation(channel, user string, private bool) opsgate.Dispatcher {
	if private {
		return &conversation{h: h, channel: user, user: user}
	}
	return &conversation{h: h, channel: channel, user: user}
}
