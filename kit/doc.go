// Package kit is the platform plumbing every chat adapter and HTTP endpoint shares, written once
// so that no adapter carries its own copy: today the client address behind trusted proxies and
// the limits that keep token guessing slow without letting one caller lock others out.
//
// It imports only the standard library and field libraries (golang.org/x/time/rate,
// hashicorp/golang-lru/v2), never an adapter: adapters import kit, and kit knows none of them.
package kit
