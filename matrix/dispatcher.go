package matrix

import (
	"context"
	"strings"
	"sync"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

// conversation is the opsgate.Dispatcher of one request (or announcement): notices in its room,
// in the thread under the command.
type conversation struct {
	b    *Bot
	room id.RoomID
	user id.UserID // the asker: ephemeral messages and prompts are theirs ("" for a room announcement)
	// thread is the root of the thread replies go to when the message asks for one (the command
	// itself, or the root of the thread it was sent in); "" for announcements.
	thread id.EventID
	// threaded: the command came in a thread, so every reply stays there.
	threaded bool
	direct   bool

	mu sync.Mutex
	dm id.RoomID // the direct room with user, for ephemeral messages
}

var _ opsgate.Dispatcher = (*conversation)(nil)

// waiting is a prompt waiting for the asker's reply, wherever it was shown (the direct room, for
// an ephemeral one), and the conversation it was asked in: the answer runs there, so the room's
// grants decide and the results go back to its thread.
type waiting struct {
	p      opsgate.Block
	origin *conversation
}

// Send posts m as one or more m.notice events. Ephemeral messages, which Matrix does not have,
// go to the direct room with the asker.
func (c *conversation) Send(ctx context.Context, m opsgate.Message) (opsgate.MessageRef, error) {
	room, thread := c.room, id.EventID("")
	if m.InThread || c.threaded {
		thread = c.thread
	}
	if m.Ephemeral && !c.direct && c.user != "" {
		dm, err := c.directRoom(ctx)
		if err != nil {
			c.b.Logger.Error("matrix: no direct room for an ephemeral message", "user", c.user, "err", err)
			return "", err
		}
		room, thread = dm, ""
	}
	if p := kit.Prompt(m); p != nil && c.user != "" {
		c.b.prompts.Set(promptKey(room, c.user), waiting{p: p, origin: c})
	}
	var first opsgate.MessageRef
	for _, content := range notices(c.b.markdown(m)) {
		evID, err := c.b.send(ctx, room, thread, content)
		if err != nil {
			c.undeliverable(ctx, room, err)
			return first, err
		}
		if first == "" {
			first = opsgate.MessageRef(string(room) + " " + string(evID))
		}
	}
	return first, nil
}

// notice sends one line to the asker where they wrote, outside the pipeline (a refusal).
func (c *conversation) notice(ctx context.Context, text string) {
	thread := id.EventID("")
	if c.threaded {
		thread = c.thread
	}
	if _, err := c.b.send(ctx, c.room, thread, notices(text)[0]); err != nil {
		c.b.Logger.Error("matrix: could not send a notice", "room", c.room, "err", err)
	}
}

// undeliverable tells the room a result could not be posted (too large, say), and logs why.
func (c *conversation) undeliverable(ctx context.Context, room id.RoomID, cause error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	c.b.Logger.Error("matrix: delivery failed", "room", room, "user", c.user, "err", cause)
	content := notices(kit.Undeliverable(errcode(cause)))[0]
	if _, err := c.b.cli.SendMessageEvent(ctx, room, event.EventMessage, content); err != nil {
		c.b.Logger.Error("matrix: could not tell the room about a failed delivery", "room", room, "err", err)
	}
}

// send posts content in room (in thread when set), retrying with one transaction id so that the
// homeserver stores it once however often it is tried.
func (b *Bot) send(ctx context.Context, room id.RoomID, thread id.EventID, content *event.MessageEventContent) (id.EventID, error) {
	if thread != "" {
		content.RelatesTo = &event.RelatesTo{Type: event.RelThread, EventID: thread, IsFallingBack: true,
			InReplyTo: &event.InReplyTo{EventID: thread}}
	}
	txn := b.cli.TxnID()
	var resp *mautrix.RespSendEvent
	err := b.retry(ctx, func(ctx context.Context) (err error) {
		resp, err = b.cli.SendMessageEvent(ctx, room, event.EventMessage, content, mautrix.ReqSendEvent{TransactionID: txn})
		return err
	})
	if err != nil {
		return "", err
	}
	return resp.EventID, nil
}

// Delete redacts a message the bot sent.
func (c *conversation) Delete(ctx context.Context, ref opsgate.MessageRef) error {
	room, evID, ok := strings.Cut(string(ref), " ")
	if !ok {
		return nil
	}
	return c.b.retry(ctx, func(ctx context.Context) error {
		_, err := c.b.cli.RedactEvent(ctx, id.RoomID(room), id.EventID(evID))
		return err
	})
}

// Busy shows the bot typing in the room.
func (c *conversation) Busy(ctx context.Context) error {
	_, err := c.b.cli.UserTyping(ctx, c.room, true, 30*time.Second)
	return err
}

func (c *conversation) directRoom(ctx context.Context) (id.RoomID, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dm != "" {
		return c.dm, nil
	}
	dm, err := c.b.directRoom(ctx, c.user)
	if err == nil {
		c.dm = dm
	}
	return dm, err
}
