package matrix

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

// handleSync acts on one sync response: the bot's direct rooms, invitations, room names and
// messages. initial marks the first sync, whose timelines are history: only messages newer than
// start minus CatchUp are answered.
func (b *Bot) handleSync(ctx context.Context, resp *mautrix.RespSync, initial bool, start time.Time) {
	for _, evt := range resp.AccountData.Events {
		if evt.Type.Type != event.AccountDataDirectChats.Type {
			continue
		}
		var direct event.DirectChatsEventContent
		if err := jsonContent(evt, &direct); err == nil {
			b.mu.Lock()
			b.direct = direct
			b.mu.Unlock()
		}
	}
	for roomID, inv := range resp.Rooms.Invite {
		b.invited(ctx, roomID, inv.State.Events)
	}
	for roomID, room := range resp.Rooms.Join {
		for _, evt := range append(append([]*event.Event(nil), room.State.Events...), room.Timeline.Events...) {
			if evt.Type.Type == event.StateRoomName.Type {
				var c struct {
					Name string `json:"name"`
				}
				if jsonContent(evt, &c) == nil {
					b.mu.Lock()
					b.names[roomID] = c.Name
					b.mu.Unlock()
				}
			}
		}
		for _, evt := range room.Timeline.Events {
			if initial && time.UnixMilli(evt.Timestamp).Before(start.Add(-b.CatchUp)) {
				continue
			}
			b.message(ctx, roomID, evt)
		}
	}
}

// invited joins a room the bot is invited to when AutoJoin is on, and records an invitation to
// a direct chat in the bot's m.direct, so that whispers to its inviter go there.
func (b *Bot) invited(ctx context.Context, roomID id.RoomID, state []*event.Event) {
	me, _ := b.self(ctx)
	var inviter id.UserID
	direct := false
	for _, evt := range state {
		if evt.Type.Type == event.StateMember.Type && evt.StateKey != nil && id.UserID(*evt.StateKey) == me {
			var c struct {
				IsDirect bool `json:"is_direct"`
			}
			jsonContent(evt, &c)
			inviter, direct = evt.Sender, c.IsDirect
		}
	}
	if !b.AutoJoin {
		b.Logger.Info("matrix: invited to a room; not joining (matrix.auto_join is off)", "room", roomID, "inviter", inviter)
		return
	}
	if err := b.retry(ctx, func(ctx context.Context) error { _, err := b.cli.JoinRoomByID(ctx, roomID); return err }); err != nil {
		b.Logger.Warn("matrix: could not join a room it was invited to", "room", roomID, "inviter", inviter, "err", err)
		return
	}
	b.Logger.Info("matrix: joined", "room", roomID, "inviter", inviter, "direct", direct)
	if direct && inviter != "" {
		if err := b.addDirect(ctx, inviter, roomID); err != nil {
			b.Logger.Warn("matrix: could not record a direct room", "room", roomID, "err", err)
		}
	}
}

// message hands an m.text message addressed to the bot to the pipeline, or answers the prompt
// waiting for its sender's reply.
func (b *Bot) message(ctx context.Context, roomID id.RoomID, evt *event.Event) {
	me, _ := b.self(ctx)
	if evt.Type.Type != event.EventMessage.Type || evt.Sender == me {
		return
	}
	var msg event.MessageEventContent
	if err := jsonContent(evt, &msg); err != nil {
		refusals.Count("malformed")
		b.Logger.Warn("matrix: message content unreadable; ignored", "room", roomID, "event", evt.ID, "err", err)
		return
	}
	rel := msg.RelatesTo
	if msg.MsgType != event.MsgText || (rel != nil && rel.Type == event.RelReplace) {
		return // notices (other bots), emotes, files and edits are not commands
	}
	if rel != nil && rel.InReplyTo != nil {
		msg.RemoveReplyFallback()
	}
	direct := b.isDirect(roomID)
	body := strings.TrimSpace(msg.Body)
	text, addressed := strings.CutPrefix(body, b.Prefix)
	text = strings.TrimSpace(text)
	key := promptKey(roomID, evt.Sender)
	if !addressed && !direct && !b.prompts.Waiting(key) {
		return // chatter: not even claimed, so a busy room costs the database nothing
	}
	if !b.once.First(ctx, string(evt.ID)) {
		return // another replica (or an earlier loop) handled it
	}
	c := &conversation{b: b, room: roomID, user: evt.Sender, thread: evt.ID, direct: direct}
	if rel != nil && rel.Type == event.RelThread && rel.EventID != "" {
		c.thread, c.threaded = rel.EventID, true
	}
	if w, ok := b.prompts.Take(key); ok {
		cmd, answered, cancelled := kit.Answer(w.p, text)
		switch {
		case cancelled:
			c.notice(ctx, "Cancelled.")
			return
		case answered:
			text, addressed, c = cmd, true, w.origin
		}
	}
	if !addressed && !direct {
		return
	}
	if len(text) > b.MaxText {
		refusals.Count("too_long")
		c.notice(ctx, fmt.Sprintf("That message is too long for a command (over %d bytes); it was ignored.", b.MaxText))
		return
	}
	if text == "" {
		return
	}
	b.mu.Lock()
	name := b.names[c.room]
	b.mu.Unlock()
	server := serverName(me)
	req := &opsgate.Request{Platform: "matrix", OrgID: server, OrgName: server, ChannelID: string(c.room), ChannelName: name,
		UserID: string(evt.Sender), UserName: string(evt.Sender), Direct: c.direct, ThreadID: string(c.thread), Text: text,
		ID: kit.Prefixed("matrix-event:", string(evt.ID))}
	if refusal := b.Handle(ctx, req, c); refusal != "" {
		refusals.Count("overloaded")
		c.notice(ctx, refusal)
	}
}

// jsonContent decodes evt's raw content into v.
func jsonContent(evt *event.Event, v any) error {
	if len(evt.Content.VeryRaw) == 0 {
		return errors.New("no content")
	}
	return json.Unmarshal(evt.Content.VeryRaw, v)
}

func promptKey(room id.RoomID, user id.UserID) string { return string(room) + "\x00" + string(user) }
