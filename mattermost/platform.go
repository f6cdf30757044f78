package mattermost

import "github.com/opsgate/opsgate/kit"

// Importing this package makes "mattermost" a platform name grants, chats and command tokens
// (its slash commands carry one) can use.
var _ = kit.Register(kit.Platform{Name: "mattermost", Kind: kit.Chat, Tokens: true,
	Can: kit.Blocks | kit.Menus | kit.Dialogs | kit.Ephemeral | kit.Delete})
