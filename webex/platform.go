package webex

import "github.com/opsgate/opsgate/kit"

// Importing this package makes "webex" a platform name grants and chats can use. Webex has no
// ephemeral messages (they go 1:1) and no modal dialogs (forms are inline cards).
var _ = kit.Register(kit.Platform{Name: Platform, Kind: kit.Chat, Can: kit.Blocks | kit.Menus | kit.Dialogs | kit.Delete})
