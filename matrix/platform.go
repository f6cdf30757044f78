package matrix

import "github.com/opsgate/opsgate/kit"

// Importing this package makes "matrix" a platform name grants and chats can use. Matrix has no
// buttons or ephemeral messages: menus become numbered choices, ephemeral replies a direct room.
var _ = kit.Register(kit.Platform{Name: "matrix", Kind: kit.Chat, Can: kit.Blocks | kit.Menus | kit.Delete})
