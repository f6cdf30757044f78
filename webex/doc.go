// Package webex connects opsgate to Webex: the webhook endpoint (at Nautobot ChatOps' path),
// signature checks, fetching the content a webhook only points at, turning it into an
// opsgate.Request, rendering an opsgate.Message as Webex messages (markdown and Adaptive Cards
// 1.3), posting them as the bot, and keeping the bot's webhooks registered. Webex's Go SDK is not
// served by the module proxy; the few REST calls needed are plain JSON over HTTP.
package webex
