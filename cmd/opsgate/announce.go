package main

import (
	"context"
	"sort"
	"sync"

	"github.com/opsgate/opsgate"
)

// announceTarget opens a conversation for a message on one platform: the channel, or a private
// conversation with userID when private (st2's whisper).
type announceTarget func(ctx context.Context, channelID, userID string, private bool) (opsgate.Dispatcher, error)

// announcers maps platform names to their announceTarget. One per Main, so two opsgates in one
// process (replicas in a test) never post through each other's platforms.
type announcers struct {
	mu      sync.RWMutex
	targets map[string]announceTarget
	red     opsgate.Redactor // Main's; read at each post, so setting it after register still counts
}

// setRedactor sets what scrubs secrets from every announcement and webhook post.
func (a *announcers) setRedactor(r opsgate.Redactor) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.red = r
}

// register makes platform reachable for announcements; modules call it during setup. The stored
// target hands out only redacting dispatchers: no caller can reach the platform's own.
func (a *announcers) register(platform string, f announceTarget) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.targets == nil {
		a.targets = map[string]announceTarget{}
	}
	a.targets[platform] = func(ctx context.Context, channelID, userID string, private bool) (opsgate.Dispatcher, error) {
		d, err := f(ctx, channelID, userID, private)
		if err != nil {
			return nil, err
		}
		a.mu.RLock()
		r := a.red
		a.mu.RUnlock()
		return opsgate.RedactDispatcher(d, r), nil
	}
}

// target returns platform's target (nil when none) and the names of all registered platforms.
func (a *announcers) target(platform string) (announceTarget, []string) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	names := make([]string, 0, len(a.targets))
	for n := range a.targets {
		names = append(names, n)
	}
	sort.Strings(names)
	return a.targets[platform], names
}
