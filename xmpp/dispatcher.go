package xmpp

import (
	"context"
	"fmt"
	"strings"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

// maxBody bounds one message: servers refuse large stanzas (Prosody's default limit is 256 KiB)
// and clients show long ones badly, so long output goes in several messages.
const maxBody = 16 * 1024

// conversation is a Dispatcher into a 1:1 chat or a room.
type conversation struct {
	c   *Client
	to  string
	typ stanza.MessageType
	// asker is the room occupant who asked; ephemeral messages go to them privately.
	asker  string
	prompt *kit.Pending
}

var _ opsgate.Dispatcher = (*conversation)(nil)

// Send posts m as plain text (XMPP clients render *bold*, `code` and ``` blocks as styling,
// XEP-0393); menus become numbered choices answered in the next message.
func (d *conversation) Send(ctx context.Context, m opsgate.Message) (opsgate.MessageRef, error) {
	to, typ := d.to, d.typ
	if m.Ephemeral && typ == stanza.GroupChatMessage && d.asker != "" {
		to, typ = d.asker, stanza.ChatMessage
	}
	if d.prompt != nil {
		d.prompt.Asked(m)
	}
	for _, part := range kit.SplitMarkdown(strings.TrimRight(kit.PlainText(m), "\n"), maxBody) {
		if err := d.c.send(ctx, to, typ, part); err != nil {
			return "", err
		}
	}
	return "", nil
}

// Delete does nothing: message retraction (XEP-0424) is not widely supported.
func (d *conversation) Delete(context.Context, opsgate.MessageRef) error { return nil }

// Busy does nothing: commands answer quickly enough, and rooms would see every chat state.
func (d *conversation) Busy(context.Context) error { return nil }

func (d *conversation) reply(ctx context.Context, text string) {
	if _, err := d.Send(ctx, opsgate.Textf("%s", text)); err != nil {
		d.c.o.Logger.Warn("xmpp: reply failed", "to", d.to, "err", err)
	}
}

// Conversation returns a dispatcher for a message nobody asked for in a request (a StackStorm
// announcement, a webhook post): into channel (a configured room, or a person's JID), or, when
// private, to user's JID.
func (c *Client) Conversation(_ context.Context, channel, user string, private bool) (opsgate.Dispatcher, error) {
	to, typ := channel, stanza.ChatMessage
	if private {
		to = user
	} else if isRoomJID(c, channel) {
		typ = stanza.GroupChatMessage
	}
	if _, err := jid.Parse(to); err != nil || to == "" {
		return nil, opsgate.Errorf(opsgate.EINVALID, "%q is not an XMPP address (a room or a person's JID).", to)
	}
	return &conversation{c: c, to: to, typ: typ}, nil
}

// send sends one message through the session. A replica that does not hold the connection
// (another one holds the lease) posts through a short session of its own, joining the room
// for the time of one message.
func (c *Client) send(ctx context.Context, to string, typ stanza.MessageType, body string) error {
	addr, err := jid.Parse(to)
	if err != nil {
		return fmt.Errorf("xmpp: %q is not a JID", to)
	}
	msg := message{Message: stanza.Message{To: addr, Type: typ}, Body: body}
	if s := c.live(); s != nil {
		return s.Encode(ctx, msg)
	}
	s, err := c.connect(ctx)
	if err != nil {
		return fmt.Errorf("xmpp: not connected, and a connection to send failed: %w", err)
	}
	defer func() { s.Close(); s.Conn().Close() }()
	if typ == stanza.GroupChatMessage {
		if err := c.join(ctx, s, addr.Bare().String()); err != nil {
			return err
		}
	}
	return s.Encode(ctx, msg)
}
