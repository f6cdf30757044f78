package xmpp

import (
	"context"
	"encoding/xml"
	"fmt"
	"strings"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

// maxCommand bounds a command's text: anything longer is a paste, not a command.
const maxCommand = 4096

var refusals = kit.NewRefusals(Platform)

// joinPresence enters a room asking for no history (XEP-0045 §7.2.15).
type joinPresence struct {
	stanza.Presence
	X struct {
		History struct {
			MaxStanzas int `xml:"maxstanzas,attr"`
		} `xml:"history"`
	} `xml:"http://jabber.org/protocol/muc x"`
}

// presence is what a room says about an occupant: the real JID when the room reveals it.
type presence struct {
	stanza.Presence
	X *struct {
		Item struct {
			JID string `xml:"jid,attr"`
		} `xml:"item"`
	} `xml:"http://jabber.org/protocol/muc#user x"`
}

// message is an incoming or outgoing message.
type message struct {
	stanza.Message
	Body  string    `xml:"body,omitempty"`
	Delay *struct{} `xml:"urn:xmpp:delay delay"`
}

// stanza handles one incoming stanza. Errors are answered here, never returned: a returned
// error would end the session for everyone.
func (c *Client) stanza(ctx context.Context, t xmlstream.TokenReadEncoder, start *xml.StartElement) error {
	// The reader holds the stanza's content and end, not its start.
	d := xml.NewTokenDecoder(xmlstream.MultiReader(xmlstream.Token(*start), t))
	switch start.Name.Local {
	case "presence":
		var p presence
		if err := d.Decode(&p); err == nil {
			c.presence(p)
		}
	case "message":
		var m message
		if err := d.Decode(&m); err != nil {
			refusals.Count("malformed")
			c.o.Logger.Warn("xmpp: a message could not be read; ignored", "err", err)
			return nil
		}
		c.message(ctx, m)
	}
	return nil
}

func (c *Client) presence(p presence) {
	if p.X == nil || p.From.Resourcepart() == "" {
		return
	}
	occupant := p.From.String()
	c.mu.Lock()
	defer c.mu.Unlock()
	if p.Type == stanza.UnavailablePresence {
		delete(c.real, occupant)
		return
	}
	if room := p.From.Bare().String(); p.From.Resourcepart() == c.o.Nick && isRoomJID(c, room) && p.Type != stanza.ErrorPresence {
		c.joined[strings.ToLower(room)] = true
	}
	if real, err := jid.Parse(p.X.Item.JID); err == nil && p.X.Item.JID != "" {
		c.real[occupant] = real.Bare().String()
	}
}

// realJID is the bare JID behind a room occupant, "" when the room keeps it hidden.
func (c *Client) realJID(occupant string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.real[occupant]
}

// message turns a message into a request: in a room, a line starting with the prefix (or the
// answer to the sender's pending question); in a 1:1 chat any line, the prefix optional.
func (c *Client) message(ctx context.Context, m message) {
	body := strings.TrimSpace(m.Body)
	if body == "" || m.Type == stanza.ErrorMessage || m.Type == stanza.HeadlineMessage {
		return
	}
	if m.Delay != nil {
		// Room history or offline storage: a command typed while opsgate was away is not run late.
		c.o.Logger.Debug("xmpp: delayed message ignored", "from", m.From.String())
		return
	}
	room := m.From.Bare().String()
	req := opsgate.Request{Platform: Platform, OrgID: c.Domain(), OrgName: c.Domain()}
	var out *conversation
	switch {
	case m.Type == stanza.GroupChatMessage:
		nick := m.From.Resourcepart()
		if nick == "" || nick == c.o.Nick {
			return // the room's own notices, or our own message reflected
		}
		occupant := m.From.String()
		req.ChannelID, req.ChannelName = room, room
		// Errbot's person for an occupant is room@service/nick: ACL files name people so.
		req.UserID, req.UserName = kit.FirstNonEmpty(c.realJID(occupant), occupant), occupant
		out = &conversation{c: c, to: room, typ: stanza.GroupChatMessage, asker: occupant}
	case isRoomJID(c, room) && m.From.Resourcepart() != "":
		// A private message from a room occupant: answered privately, through the room.
		occupant := m.From.String()
		req.ChannelID, req.ChannelName = occupant, occupant
		req.UserID, req.UserName = kit.FirstNonEmpty(c.realJID(occupant), occupant), occupant
		req.Direct = true
		out = &conversation{c: c, to: occupant, typ: stanza.ChatMessage}
	default:
		req.ChannelID, req.ChannelName = room, room
		req.UserID, req.UserName = room, room
		req.Direct = true
		out = &conversation{c: c, to: room, typ: stanza.ChatMessage}
	}
	out.prompt = c.prompt(req.ChannelID, req.UserID)
	text, prefixed := strings.CutPrefix(body, c.o.Prefix)
	if !prefixed && !req.Direct && !out.prompt.Pending() {
		return // room chatter
	}
	text = strings.TrimSpace(text)
	if len(text) > maxCommand {
		refusals.Count("too_long")
		out.reply(ctx, fmt.Sprintf("That message is too long for a command (over %d characters); it was ignored.", maxCommand))
		return
	}
	if prefixed {
		out.prompt.Answer("") // a new command drops any pending question
	} else {
		var cancelled bool
		if text, cancelled = out.prompt.Answer(text); cancelled {
			out.reply(ctx, "Cancelled.")
			return
		}
	}
	if text == "" {
		return
	}
	req.Text = text
	if refusal := c.o.Handle(ctx, &req, out); refusal != "" {
		out.reply(ctx, refusal)
	}
}
