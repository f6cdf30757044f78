package http

import "github.com/opsgate/opsgate/kit"

// The admin API's callers are command tokens of platform "admin".
var _ = kit.Register(kit.Platform{Name: AdminPlatform, Kind: kit.TokenOnly})
