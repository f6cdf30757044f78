package xmpp

import "github.com/opsgate/opsgate/kit"

// Importing this package makes "xmpp" a platform name; menus become numbered choices.
var _ = kit.Register(kit.Platform{Name: Platform, Kind: kit.Chat, Can: kit.Menus | kit.Ephemeral})
