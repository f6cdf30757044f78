// Package kit is the platform plumbing every chat adapter and HTTP endpoint shares, written once
// so that no adapter carries its own copy: refusals counted per reason and bodies read within a
// limit (refusal.go, body.go), retries honouring Retry-After (retry.go), "handled once" memory
// and cross-replica claims (memory.go, once.go), announcement targets that always redact
// (targets.go), small text helpers (text.go), the client address behind trusted proxies and the
// limits that keep token guessing slow without letting one caller lock others out, the lease that
// runs a connection in one replica at a time (lease.go), and plain text with numbered answers for
// chats without buttons (plaintext.go, prompt.go).
//
// It imports the root package, the metrics package and field libraries (golang.org/x/time/rate,
// hashicorp/golang-lru/v2, Prometheus), never an adapter: adapters import kit, and kit knows
// none of them.
package kit
