// Package webex speaks Webex's messaging protocol: it verifies webhook signatures, fetches the
// content a webhook only points at, turns it into an opsgate.Request, renders an opsgate.Message
// as Webex messages (markdown and Adaptive Cards 1.3) and keeps the bot's webhooks registered.
// It holds no HTTP handler: the platform kit serves the endpoint and calls into this package.
package webex
