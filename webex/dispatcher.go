package webex

import (
	"context"
	"strings"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/kit"
)

// conversation is the opsgate.Dispatcher of one request, or of an announcement: it renders with
// Render and posts as the bot.
type conversation struct {
	h   *Handler
	req opsgate.Request // where and for whom
	// toPerson sends every post 1:1 (a private announcement): a person id, or an email.
	toPerson string
	// menuOffset pages a menu re-sent after Next or Previous was pressed.
	menuOffset int
}

var _ opsgate.Dispatcher = (*conversation)(nil)

// Conversation returns a dispatcher for a message nobody asked for in a request (a StackStorm
// announcement, a webhook post): into room channel, or, when private, 1:1 to user (a person id
// or an email address).
func (h *Handler) Conversation(_ context.Context, channel, user string, private bool) (opsgate.Dispatcher, error) {
	c := &conversation{h: h, req: opsgate.Request{Platform: Platform, ChannelID: channel, UserID: user}}
	if private {
		if user == "" {
			return nil, opsgate.Errorf(opsgate.EINVALID, "A private Webex message needs a person id or email.")
		}
		c.toPerson = user
	} else if channel == "" {
		return nil, opsgate.Errorf(opsgate.EINVALID, "A Webex message needs a room id.")
	}
	return c, nil
}

func (c *conversation) sign(k callback.Kind, prefix string, offset int) string {
	r := c.req
	return c.h.Callbacks.Sign(callback.Payload{Kind: k, Prefix: prefix, UserID: r.UserID, UserName: r.UserName,
		OrgID: r.OrgID, OrgName: r.OrgName, ChannelID: r.ChannelID, ChannelName: r.ChannelName, ThreadID: r.ThreadID, Offset: offset})
}

// Send posts m as Render cuts it; the reference is the first message's id. A failure tells the
// person their result was not delivered.
func (c *conversation) Send(ctx context.Context, m opsgate.Message) (opsgate.MessageRef, error) {
	if c.menuOffset > 0 {
		blocks := append([]opsgate.Block(nil), m.Blocks...)
		for i, b := range blocks {
			if mn, ok := b.(opsgate.Menu); ok && mn.Offset == 0 {
				mn.Offset = c.menuOffset
				blocks[i] = mn
			}
		}
		m.Blocks = blocks
	}
	var first opsgate.MessageRef
	for _, p := range Render(m, c.req, c.sign) {
		c.address(&p)
		msg, err := c.h.Client.Post(ctx, p)
		if err != nil {
			c.undeliverable(ctx, err)
			return first, err
		}
		if first == "" {
			first = opsgate.MessageRef(msg.ID)
		}
	}
	return first, nil
}

// address points p at the private announcement's person when there is one.
func (c *conversation) address(p *Post) {
	if c.toPerson == "" {
		return
	}
	p.RoomID, p.ParentID, p.ToPersonID = "", "", ""
	if strings.Contains(c.toPerson, "@") {
		p.ToPersonEmail = c.toPerson
	} else {
		p.ToPersonID = c.toPerson
	}
}

// tell says text to the person of the request only (1:1 in a group space).
func (c *conversation) tell(ctx context.Context, text string) {
	m := opsgate.Textf("%s", text)
	m.Ephemeral = true
	if _, err := c.Send(ctx, m); err != nil {
		c.h.Logger.Warn("webex: could not tell a person", "person", c.req.UserID, "err", err)
	}
}

// undeliverable tells the person their result could not be delivered, and logs it.
func (c *conversation) undeliverable(ctx context.Context, cause error) {
	c.h.Logger.Error("webex: delivery failed", "room", c.req.ChannelID, "person", c.req.UserID, "err", cause)
	if c.req.UserID == "" || c.toPerson != "" {
		return // an announcement: nobody is waiting for it in chat
	}
	// The run's context may be what ran out; the notice gets its own time.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if _, err := c.h.Client.Post(ctx, Post{ToPersonID: c.req.UserID, Markdown: kit.Undeliverable("")}); err != nil {
		c.h.Logger.Error("webex: could not tell the person about a failed delivery", "person", c.req.UserID, "err", err)
	}
}

// Delete removes a message the bot posted.
func (c *conversation) Delete(ctx context.Context, ref opsgate.MessageRef) error {
	if ref == "" {
		return nil
	}
	return c.h.Client.Delete(ctx, string(ref))
}

// Busy does nothing: Webex has no typing indicator for bots.
func (c *conversation) Busy(context.Context) error { return nil }
