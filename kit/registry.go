package kit

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/opsgate/opsgate"
)

// Kind tells what a registered name stands for.
type Kind int

const (
	// Chat is a chat platform: people send commands through it and grants may be scoped to it.
	Chat Kind = iota + 1
	// TokenOnly is a caller that only authenticates with command tokens (webhook, admin): no one
	// chats through it, so grants and chats cannot name it.
	TokenOnly
)

// Can is what a platform can show beyond plain text, for code that adapts a message to it.
type Can uint

const (
	Blocks    Can = 1 << iota // rich layout: headers, fields, tables
	Menus                     // buttons and select menus
	Dialogs                   // modal forms
	Ephemeral                 // messages only the asker sees
	Delete                    // deleting a message the bot posted
)

// Platform is one registered name.
type Platform struct {
	Name string
	Kind Kind
	Can  Can
	// Tokens is true when callers of this platform authenticate with command tokens
	// (`opsgate token add --platform NAME`): always for TokenOnly, Mattermost among chats.
	Tokens bool
}

var (
	mu        sync.RWMutex
	platforms = map[string]Platform{}
)

// Register adds p; platform packages call it from a package-level var or init, so importing a
// package is what makes its name known. It panics on a name that is empty or not lower case, a
// missing kind and a name registered twice: programming errors, found at start-up.
// It returns p so that `var _ = kit.Register(...)` works.
func Register(p Platform) Platform {
	if p.Name == "" || p.Name != strings.ToLower(strings.TrimSpace(p.Name)) || (p.Kind != Chat && p.Kind != TokenOnly) {
		panic(fmt.Sprintf("kit.Register: bad platform %+v", p))
	}
	if p.Kind == TokenOnly {
		p.Tokens = true
	}
	mu.Lock()
	defer mu.Unlock()
	if _, dup := platforms[p.Name]; dup {
		panic("kit.Register: platform " + p.Name + " registered twice")
	}
	platforms[p.Name] = p
	return p
}

// Lookup returns the platform registered as name, in any letter case.
func Lookup(name string) (Platform, bool) {
	mu.RLock()
	defer mu.RUnlock()
	p, ok := platforms[strings.ToLower(strings.TrimSpace(name))]
	return p, ok
}

// Names returns the registered names that match, sorted.
func Names(match func(Platform) bool) []string {
	mu.RLock()
	defer mu.RUnlock()
	var names []string
	for _, p := range platforms {
		if match(p) {
			names = append(names, p.Name)
		}
	}
	sort.Strings(names)
	return names
}

// IsChat and TakesTokens select platforms for ChatPlatform, TokenPlatform and Names.
func IsChat(p Platform) bool      { return p.Kind == Chat }
func TakesTokens(p Platform) bool { return p.Tokens }

// ChatPlatform returns the registered chat platform name (lower case) for what a user typed, or
// EINVALID listing the ones opsgate knows.
func ChatPlatform(name string) (string, error) { return check(name, "chat platform", IsChat) }

// TokenPlatform returns the registered name command tokens can be issued for, or EINVALID
// listing them.
func TokenPlatform(name string) (string, error) {
	return check(name, "platform that takes command tokens", TakesTokens)
}

func check(name, what string, match func(Platform) bool) (string, error) {
	if p, ok := Lookup(name); ok && match(p) {
		return p.Name, nil
	}
	return "", opsgate.Errorf(opsgate.EINVALID, "Platform %q is not a %s opsgate knows: use one of %s.",
		name, what, strings.Join(Names(match), ", "))
}
