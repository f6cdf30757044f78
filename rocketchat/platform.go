package rocketchat

import "github.com/opsgate/opsgate/kit"

// Importing this package makes "rocketchat" a platform name grants, chats and command tokens
// (its outgoing webhooks carry one) can use.
var _ = kit.Register(kit.Platform{Name: "rocketchat", Kind: kit.Chat, Tokens: true, Can: kit.Ephemeral | kit.Delete})
