package terminal

import "github.com/opsgate/opsgate/kit"

// Importing this package makes "terminal" a platform name; menus become numbered choices.
var _ = kit.Register(kit.Platform{Name: "terminal", Kind: kit.Chat, Can: kit.Menus})
