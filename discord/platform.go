package discord

import "github.com/opsgate/opsgate/kit"

// Importing this package makes "discord" a platform name grants and chats can use. Interactions
// are signed by Discord, so no command tokens.
var _ = kit.Register(kit.Platform{Name: "discord", Kind: kit.Chat,
	Can: kit.Blocks | kit.Menus | kit.Dialogs | kit.Ephemeral | kit.Delete})
