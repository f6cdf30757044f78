package matrix

import (
	"context"
	"fmt"
	"slices"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/opsgate/opsgate"
)

// Conversation returns a dispatcher for a message nobody asked for in a request (a StackStorm
// announcement, a webhook post): into room channel, or, when private, into the direct room with
// user (created, and recorded in the bot's m.direct, when there is none yet).
func (b *Bot) Conversation(ctx context.Context, channel, user string, private bool) (opsgate.Dispatcher, error) {
	if !private {
		return &conversation{b: b, room: id.RoomID(channel), user: id.UserID(user)}, nil
	}
	dm, err := b.directRoom(ctx, id.UserID(user))
	if err != nil {
		return nil, err
	}
	return &conversation{b: b, room: dm, user: id.UserID(user), direct: true}, nil
}

// isDirect reports whether room is one of the bot's direct rooms (its m.direct account data).
func (b *Bot) isDirect(room id.RoomID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, rooms := range b.direct {
		if slices.Contains(rooms, room) {
			return true
		}
	}
	return false
}

// loadDirect reads the bot's m.direct once; the sync loop keeps it current afterwards.
func (b *Bot) loadDirect(ctx context.Context) error {
	b.mu.Lock()
	loaded := b.direct != nil
	b.mu.Unlock()
	if loaded {
		return nil
	}
	if _, err := b.self(ctx); err != nil {
		return err
	}
	direct := event.DirectChatsEventContent{}
	err := b.retry(ctx, func(ctx context.Context) error {
		return b.cli.GetAccountData(ctx, event.AccountDataDirectChats.Type, &direct)
	})
	if err != nil && errcode(err) != mautrix.MNotFound.ErrCode {
		return fmt.Errorf("matrix: reading m.direct: %w", err)
	}
	b.mu.Lock()
	if b.direct == nil {
		b.direct = direct
	}
	b.mu.Unlock()
	return nil
}

// directRoom returns the bot's direct room with user, creating it when there is none.
func (b *Bot) directRoom(ctx context.Context, user id.UserID) (id.RoomID, error) {
	b.dmMu.Lock()
	defer b.dmMu.Unlock()
	if err := b.loadDirect(ctx); err != nil {
		return "", err
	}
	b.mu.Lock()
	rooms := b.direct[user]
	b.mu.Unlock()
	if len(rooms) > 0 {
		return rooms[len(rooms)-1], nil // the latest, as clients pick
	}
	var resp *mautrix.RespCreateRoom
	err := b.retry(ctx, func(ctx context.Context) (err error) {
		resp, err = b.cli.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "trusted_private_chat", IsDirect: true, Invite: []id.UserID{user}})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("matrix: creating a direct room with %s: %w", user, err)
	}
	return resp.RoomID, b.addDirect(ctx, user, resp.RoomID)
}

// addDirect records room as a direct room with user in the bot's m.direct.
func (b *Bot) addDirect(ctx context.Context, user id.UserID, room id.RoomID) error {
	if err := b.loadDirect(ctx); err != nil {
		return err
	}
	b.mu.Lock()
	if slices.Contains(b.direct[user], room) {
		b.mu.Unlock()
		return nil
	}
	b.direct[user] = append(b.direct[user], room)
	snapshot := make(event.DirectChatsEventContent, len(b.direct))
	for u, r := range b.direct {
		snapshot[u] = slices.Clone(r)
	}
	b.mu.Unlock()
	return b.retry(ctx, func(ctx context.Context) error {
		return b.cli.SetAccountData(ctx, event.AccountDataDirectChats.Type, snapshot)
	})
}
