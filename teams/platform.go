package teams

import "github.com/opsgate/opsgate/kit"

// Importing this package makes "teams" a platform name grants and chats can use. Teams has no
// ephemeral messages (private output goes to a 1:1 conversation) and authenticates its requests
// itself, so it takes no command tokens.
var _ = kit.Register(kit.Platform{Name: Platform, Kind: kit.Chat, Can: kit.Blocks | kit.Menus | kit.Dialogs | kit.Delete})
