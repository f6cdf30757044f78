package kit

import (
	"context"
	"sort"
	"sync"

	"github.com/opsgate/opsgate"
)

// Opener opens a conversation for a message nobody asked for in a request (a StackStorm
// announcement, a webhook post): the channel, or a private one with userID when private.
type Opener func(ctx context.Context, channelID, userID string, private bool) (opsgate.Dispatcher, error)

// Targets are the platforms announcements and webhook posts can reach, by name. Hold one per
// server (cmd/opsgate's Main), so two servers in one process never post through each other's
// platforms. Every dispatcher it hands out redacts: no platform or caller can bypass it.
type Targets struct {
	mu      sync.RWMutex
	openers map[string]Opener
	red     opsgate.Redactor // read at each post, so setting it after Register still counts
}

// SetRedactor sets what scrubs secrets from every announcement, webhook post and answer echo.
func (t *Targets) SetRedactor(r opsgate.Redactor) {
	t.mu.Lock()
	t.red = r
	t.mu.Unlock()
}

// Redactor is the redactor set now or later: platforms scrub with it what they post outside a
// dispatcher (the echo of a prompt's answer).
func (t *Targets) Redactor() opsgate.Redactor { return liveRedactor{t} }

func (t *Targets) current() opsgate.Redactor {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.red == nil {
		return opsgate.NopRedactor{}
	}
	return t.red
}

type liveRedactor struct{ t *Targets }

func (l liveRedactor) Redact(s string) string { return l.t.current().Redact(s) }

// Register makes platform reachable; platforms' setup calls it. The stored opener hands out
// only redacting dispatchers.
func (t *Targets) Register(platform string, open Opener) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.openers == nil {
		t.openers = map[string]Opener{}
	}
	t.openers[platform] = func(ctx context.Context, channelID, userID string, private bool) (opsgate.Dispatcher, error) {
		d, err := open(ctx, channelID, userID, private)
		if err != nil {
			return nil, err
		}
		return opsgate.RedactDispatcher(d, t.current()), nil
	}
}

// Target returns platform's opener (nil when none) and the names of all registered platforms.
func (t *Targets) Target(platform string) (Opener, []string) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	names := make([]string, 0, len(t.openers))
	for n := range t.openers {
		names = append(names, n)
	}
	sort.Strings(names)
	return t.openers[platform], names
}
