package teams

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/kit"
)

// conversation is the opsgate.Dispatcher of one Teams conversation: it renders with Render and
// posts through the Bot Connector at a service URL that arrived in a verified activity.
type conversation struct {
	h          *Handler
	req        opsgate.Request // who and where, for the callback tokens
	serviceURL string
	convID     string // where replies go: the thread (";messageid=") when there is one
	tenantID   string
	bot        *ChannelAccount
	user       *ChannelAccount // the person, for their 1:1 conversation
	personal   bool            // convID is the 1:1 conversation with user already
	menuOffset int             // pages a menu re-sent after "Next..." was picked

	mu        sync.Mutex
	privateID string
}

var _ opsgate.Dispatcher = (*conversation)(nil)

// conversationOf is the conversation a verified activity came from, signing for req.
func (h *Handler) conversationOf(a *Activity, req opsgate.Request) *conversation {
	return &conversation{h: h, req: req, serviceURL: a.ServiceURL, convID: a.Conversation.ID, tenantID: a.TenantID(),
		bot: a.Recipient, user: a.From, personal: a.Conversation.ConversationType == "personal"}
}

func (c *conversation) sign(k callback.Kind, prefix string, offset int) string {
	r := c.req
	return c.h.Callbacks.Sign(callback.Payload{Kind: k, Prefix: prefix, UserID: r.UserID, UserName: r.UserName,
		OrgID: r.OrgID, OrgName: r.OrgName, ChannelID: r.ChannelID, ChannelName: r.ChannelName, ThreadID: r.ThreadID, Offset: offset})
}

// Send posts m as Render makes it. Teams has no ephemeral messages: an ephemeral m goes to the
// 1:1 conversation between the bot and the person (created when needed). The reference is the
// first activity's.
func (c *conversation) Send(ctx context.Context, m opsgate.Message) (opsgate.MessageRef, error) {
	target := c.convID
	if m.Ephemeral && !c.personal {
		id, err := c.private(ctx)
		if err != nil {
			c.undeliverable(ctx, err)
			return "", err
		}
		target = id
	}
	if c.menuOffset > 0 {
		m.Blocks = append([]opsgate.Block(nil), m.Blocks...)
		for i, b := range m.Blocks {
			if mn, ok := b.(opsgate.Menu); ok && mn.Offset == 0 {
				mn.Offset = c.menuOffset
				m.Blocks[i] = mn
			}
		}
	}
	var first opsgate.MessageRef
	for _, a := range Render(m, c.sign) {
		id, err := c.h.Client.Send(ctx, c.serviceURL, target, a)
		if err != nil {
			c.undeliverable(ctx, err)
			return first, err
		}
		if first == "" && id != "" {
			first = opsgate.MessageRef(target + "\n" + id)
		}
	}
	return first, nil
}

// Delete removes an activity Send posted.
func (c *conversation) Delete(ctx context.Context, ref opsgate.MessageRef) error {
	conv, id, ok := strings.Cut(string(ref), "\n")
	if !ok {
		return nil
	}
	return c.h.Client.Delete(ctx, c.serviceURL, conv, id)
}

// Busy shows the typing indicator.
func (c *conversation) Busy(ctx context.Context) error {
	return c.h.Client.Typing(ctx, c.serviceURL, c.convID)
}

// note tells the person something outside a command's output (a refusal), privately.
func (c *conversation) note(ctx context.Context, text string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	m := opsgate.Textf("%s", text)
	m.Ephemeral = true
	if _, err := c.Send(ctx, m); err != nil {
		c.h.Logger.Warn("teams: could not post a notice", "err", err)
	}
}

// private returns the 1:1 conversation with the person: stored, or created (the Bot Connector
// returns the existing one when there is one) and stored.
func (c *conversation) private(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.privateID != "" {
		return c.privateID, nil
	}
	if c.user == nil || c.user.ID == "" {
		return "", opsgate.Errorf(opsgate.EINVALID, "No Teams user to write to privately.")
	}
	var stored *UserReference
	if c.h.References != nil && c.user.AADObjectID != "" {
		if u, err := c.h.References.FindUser(ctx, c.user.AADObjectID); err == nil && u.PersonalConversationID != "" && u.ServiceURL == c.serviceURL {
			c.privateID = u.PersonalConversationID
			return c.privateID, nil
		} else if err == nil {
			stored = u
		}
	}
	p := ConversationParameters{Bot: c.bot, Members: []ChannelAccount{{ID: c.user.ID}}, TenantID: c.tenantID}
	if c.tenantID != "" {
		p.ChannelData = &ChannelData{Tenant: &IDName{ID: c.tenantID}}
	}
	id, err := c.h.Client.CreateConversation(ctx, c.serviceURL, p)
	if err != nil {
		return "", err
	}
	c.privateID = id
	if stored != nil {
		stored.PersonalConversationID = id
		if err := c.h.References.SaveUser(ctx, *stored); err != nil {
			c.h.Logger.Warn("teams: could not store a 1:1 conversation", "err", err)
		}
	}
	return id, nil
}

// undeliverable logs a failed delivery and tells the conversation, if it can.
func (c *conversation) undeliverable(ctx context.Context, cause error) {
	c.h.Logger.Error("teams: delivery failed", "conversation", c.convID, "err", cause)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	why := ""
	if opsgate.ErrorCode(cause) != opsgate.EINTERNAL {
		why = opsgate.ErrorMessage(cause)
	}
	notice := &Activity{Type: TypeMessage, TextFormat: "markdown", Text: kit.Undeliverable(why)}
	if _, err := c.h.Client.Send(ctx, c.serviceURL, c.convID, notice); err != nil {
		c.h.Logger.Error("teams: could not tell the conversation about a failed delivery", "err", err)
	}
}
