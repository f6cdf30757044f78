package teams

import (
	"context"
	"strings"

	"github.com/opsgate/opsgate"
)

// UserReference is what opening a 1:1 conversation with a person needs later: their Teams user
// id (29:...), where their tenant's connector is, and the conversation once it exists.
type UserReference struct {
	AADObjectID            string
	UserID                 string
	ServiceURL             string
	TenantID               string
	BotID                  string
	PersonalConversationID string
}

// References store conversation references (store.TeamsService, adapted in cmd/opsgate). Find
// methods return ENOTFOUND for a conversation or person no verified activity came from. SaveUser
// keeps the stored PersonalConversationID when given "".
type References interface {
	SaveConversation(ctx context.Context, r ConversationReference) error
	FindConversation(ctx context.Context, conversationID string) (*ConversationReference, error)
	SaveUser(ctx context.Context, u UserReference) error
	FindUser(ctx context.Context, aadObjectID string) (*UserReference, error)
}

// remember stores the references of a verified activity: its conversation (without a thread's
// ";messageid=", as grants and announcements name it) and its sender. A failure is logged: the
// command still runs.
func (h *Handler) remember(ctx context.Context, a *Activity) {
	if h.References == nil {
		return
	}
	ref := Reference(a)
	ref.ConversationID = a.ChannelKey()
	if key := "c\x00" + ref.ConversationID + "\x00" + ref.ServiceURL + "\x00" + ref.TenantID + "\x00" + ref.BotID; !h.saved.Has(key) {
		if err := h.References.SaveConversation(ctx, ref); err != nil {
			h.Logger.Warn("teams: could not store a conversation reference", "err", err)
		} else {
			h.saved.Add(key)
		}
	}
	if a.From == nil || a.From.AADObjectID == "" || a.From.ID == "" {
		return
	}
	u := UserReference{AADObjectID: a.From.AADObjectID, UserID: a.From.ID, ServiceURL: a.ServiceURL, TenantID: a.TenantID(), BotID: ref.BotID}
	if a.Conversation.ConversationType == "personal" {
		u.PersonalConversationID = a.Conversation.ID
	}
	if key := "u\x00" + u.AADObjectID + "\x00" + u.UserID + "\x00" + u.ServiceURL + "\x00" + u.PersonalConversationID; !h.saved.Has(key) {
		if err := h.References.SaveUser(ctx, u); err != nil {
			h.Logger.Warn("teams: could not store a user reference", "err", err)
		} else {
			h.saved.Add(key)
		}
	}
}

// Conversation returns a dispatcher for a message nobody asked for in a request (a StackStorm
// announcement, a webhook post): into the channel (conversation id), or, when private, into
// the 1:1 conversation with user (an Entra object id). Both must have talked to the bot before:
// their reference came from a verified activity, so the service URL is trusted again. Returns
// EINVALID otherwise: naming a conversation the bot is not in is the caller's mistake.
func (h *Handler) Conversation(ctx context.Context, channel, user string, private bool) (opsgate.Dispatcher, error) {
	if h.References == nil {
		return nil, opsgate.Errorf(opsgate.EINVALID, "Teams conversation references are not stored; announcements cannot reach Teams.")
	}
	if private {
		u, err := h.References.FindUser(ctx, user)
		if err != nil {
			return nil, callersMistake(err)
		}
		if err := h.Client.Trust(u.ServiceURL); err != nil {
			return nil, err
		}
		c := &conversation{h: h, req: opsgate.Request{Platform: Platform, OrgID: u.TenantID, UserID: u.AADObjectID, Direct: true},
			serviceURL: u.ServiceURL, tenantID: u.TenantID, bot: &ChannelAccount{ID: u.BotID},
			user: &ChannelAccount{ID: u.UserID, AADObjectID: u.AADObjectID}}
		id, err := c.private(ctx)
		if err != nil {
			return nil, err
		}
		c.convID, c.personal, c.req.ChannelID = id, true, id
		return c, nil
	}
	channel = strings.TrimSpace(channel)
	if i := strings.Index(channel, ";messageid="); i >= 0 {
		channel = channel[:i]
	}
	r, err := h.References.FindConversation(ctx, channel)
	if err != nil {
		return nil, callersMistake(err)
	}
	if err := h.Client.Trust(r.ServiceURL); err != nil {
		return nil, err
	}
	return &conversation{h: h, req: opsgate.Request{Platform: Platform, OrgID: r.TenantID, ChannelID: r.ConversationID, UserID: user},
		serviceURL: r.ServiceURL, convID: r.ConversationID, tenantID: r.TenantID, bot: &ChannelAccount{ID: r.BotID}}, nil
}

// callersMistake turns "no such conversation or person" into EINVALID, keeping its message.
func callersMistake(err error) error {
	if opsgate.ErrorCode(err) == opsgate.ENOTFOUND {
		return opsgate.Errorf(opsgate.EINVALID, "%s", opsgate.ErrorMessage(err))
	}
	return err
}
