package teamsfake

import "encoding/json"

// Identities of the activities Message builds.
const (
	BotID        = "28:" // + AppID
	UserID       = "29:1user-alice"
	UserAAD      = "00000000-0000-0000-0000-00000000a11c"
	ChannelConv  = "19:general@thread.tacv2"
	PersonalConv = "a:1personal-alice"
)

// Message returns a Teams message activity as Teams sends it for a channel post mentioning the
// bot: "<at>opsgate</at> text", with the mention entity. Change fields before Marshal for
// other shapes (personal chat: conversation.conversationType "personal").
func (s *Server) Message(text string) map[string]any {
	tenant := s.TenantID
	if tenant == "" {
		tenant = "72f988bf-0000-0000-0000-000000000000"
	}
	return map[string]any{
		"type": "message", "id": "1700000000001", "timestamp": "2026-12-01T10:00:00.000Z",
		"serviceUrl": s.ServiceURL(), "channelId": "msteams",
		"from":         map[string]any{"id": UserID, "name": "Alice", "aadObjectId": UserAAD},
		"conversation": map[string]any{"id": ChannelConv + ";messageid=1700000000001", "conversationType": "channel", "tenantId": tenant, "isGroup": true},
		"recipient":    map[string]any{"id": BotID + s.AppID, "name": "opsgate"},
		"textFormat":   "plain",
		"text":         "<at>opsgate</at> " + text,
		"entities": []any{map[string]any{"type": "mention", "text": "<at>opsgate</at>",
			"mentioned": map[string]any{"id": BotID + s.AppID, "name": "opsgate"}}},
		"channelData": map[string]any{"tenant": map[string]any{"id": tenant},
			"team": map[string]any{"id": "19:team@thread.tacv2", "name": "Ops"}, "channel": map[string]any{"id": ChannelConv, "name": "General"}},
	}
}

// Marshal encodes an activity.
func Marshal(a map[string]any) []byte {
	b, err := json.Marshal(a)
	if err != nil {
		panic(err)
	}
	return b
}
