package stackstorm

import "github.com/opsgate/opsgate/kit"

// WebhookPlatform is the command-token platform of the webhook's callers (POST /chatops/message).
const WebhookPlatform = "webhook"

var _ = kit.Register(kit.Platform{Name: WebhookPlatform, Kind: kit.TokenOnly})
