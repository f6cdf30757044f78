package rocketchat

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

// messageLimit is Rocket.Chat's default Message_MaxAllowedSize (characters; bytes are a safe bound).
const messageLimit = 5000

// conversation is the opsgate.Dispatcher of one room: posts as the bot user.
type conversation struct {
	h   *Handler
	req opsgate.Request
	// room is "#name" or "@user" for an announcement addressed by name ("" to use req.ChannelID).
	room string
}

var _ opsgate.Dispatcher = (*conversation)(nil)

// call makes one REST call as the bot, with the kit's retries.
func (h *Handler) call(ctx context.Context, path string, body, out any) error {
	hdr := http.Header{"X-Auth-Token": {h.AuthToken}, "X-User-Id": {h.UserID}}
	r := kit.Retry{Attempts: h.Attempts, Sleep: h.Sleep, Read: func(err error) (kit.Failure, bool) { return kit.ReadAPIError("POST", err) }}
	return r.Do(ctx, func(ctx context.Context) error {
		return h.CallJSON(ctx, "rocketchat", "POST", h.URL+"/api/v1/"+path, hdr, body, out)
	})
}

// Send posts m as Markdown in messages of at most 5000 characters. Rocket.Chat's REST API has no
// ephemeral messages: an ephemeral one goes to the direct room with the asker. Menus, text
// prompts and dialogs say what to send (buttons in Rocket.Chat post as the user, which the
// outgoing webhook would then run without its trigger word).
func (c *conversation) Send(ctx context.Context, m opsgate.Message) (opsgate.MessageRef, error) {
	var paras []string
	for _, b := range m.Blocks {
		if md, ok := kit.BlockMarkdown(b); ok {
			paras = append(paras, md)
		} else {
			paras = append(paras, kit.PromptText(b))
		}
	}
	text := strings.Join(paras, "\n\n")
	if strings.TrimSpace(text) == "" {
		return "", nil
	}
	target := map[string]any{}
	switch {
	case m.Ephemeral && !c.req.Direct && c.req.UserName != "":
		id, err := c.h.directRoom(ctx, c.req.UserName)
		if err != nil {
			c.h.Logger.Error("rocketchat: cannot open a direct room for a private answer", "user", c.req.UserName, "err", err)
			return "", err
		}
		target["roomId"] = id
	case c.room != "":
		target["channel"] = c.room
	default:
		target["roomId"] = c.req.ChannelID
		if c.req.ThreadID != "" {
			target["tmid"] = c.req.ThreadID
		}
	}
	var first opsgate.MessageRef
	for _, chunk := range kit.SplitMarkdown(text, messageLimit) {
		body := map[string]any{"text": chunk}
		for k, v := range target {
			body[k] = v
		}
		var out struct {
			Message struct {
				ID     string `json:"_id"`
				RoomID string `json:"rid"`
			} `json:"message"`
		}
		if err := c.h.call(ctx, "chat.postMessage", body, &out); err != nil {
			c.h.Logger.Error("rocketchat: delivery failed", "channel", c.req.ChannelID, "user", c.req.UserID, "err", err)
			return first, err
		}
		if first == "" {
			first = opsgate.MessageRef(out.Message.RoomID + "/" + out.Message.ID)
		}
	}
	return first, nil
}

// directRoom returns the id of the direct room between the bot and username (im.create returns
// the existing one).
func (h *Handler) directRoom(ctx context.Context, username string) (string, error) {
	var out struct {
		Room struct {
			ID  string `json:"_id"`
			RID string `json:"rid"`
		} `json:"room"`
	}
	if err := h.call(ctx, "im.create", map[string]string{"username": username}, &out); err != nil {
		return "", err
	}
	if id := kit.FirstNonEmpty(out.Room.RID, out.Room.ID); id != "" {
		return id, nil
	}
	return "", fmt.Errorf("rocketchat: im.create returned no room")
}

// Delete removes a message the bot posted.
func (c *conversation) Delete(ctx context.Context, ref opsgate.MessageRef) error {
	room, id, ok := strings.Cut(string(ref), "/")
	if !ok || id == "" {
		return nil
	}
	return c.h.call(ctx, "chat.delete", map[string]string{"roomId": room, "msgId": id}, nil)
}

// Busy does nothing: Rocket.Chat shows typing only through its realtime API.
func (c *conversation) Busy(context.Context) error { return nil }

// Conversation returns a dispatcher for a message nobody asked for in a request (a StackStorm
// announcement, a webhook post): into channel — a room id, "#name" or "@username" — or, when
// private, into the direct room with user (a username).
func (h *Handler) Conversation(ctx context.Context, channel, user string, private bool) (opsgate.Dispatcher, error) {
	if private {
		id, err := h.directRoom(ctx, strings.TrimPrefix(user, "@"))
		if err != nil {
			return nil, fmt.Errorf("rocketchat: opening a direct room with %s: %w", user, err)
		}
		return &conversation{h: h, req: opsgate.Request{Platform: "rocketchat", ChannelID: id, UserName: user, Direct: true}}, nil
	}
	c := &conversation{h: h, req: opsgate.Request{Platform: "rocketchat", ChannelID: channel, UserName: user}}
	if strings.HasPrefix(channel, "#") || strings.HasPrefix(channel, "@") {
		c.room = channel
	}
	return c, nil
}
