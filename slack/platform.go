package slack

import "github.com/opsgate/opsgate/kit"

// Importing this package makes "slack" a platform name grants and chats can use.
var _ = kit.Register(kit.Platform{Name: "slack", Kind: kit.Chat,
	Can: kit.Blocks | kit.Menus | kit.Dialogs | kit.Ephemeral | kit.Delete})
