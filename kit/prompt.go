package kit

import (
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/opsgate/opsgate"
)

// Answer turns a reply typed after prompt p (a numbered menu, numbered buttons, a text prompt)
// into the command it runs, for chats without buttons. ok is false when the reply is no answer
// (a number out of range, a word where a number was asked): the caller treats it as a new
// command. cancelled is true for "cancel".
func Answer(p opsgate.Block, reply string) (cmd string, ok, cancelled bool) {
	reply = strings.TrimSpace(reply)
	if strings.EqualFold(reply, "cancel") {
		return "", false, true
	}
	switch v := p.(type) {
	case opsgate.TextPrompt:
		return v.Prefix + " " + opsgate.QuoteWord(reply), true, false
	case opsgate.Menu:
		if i, err := strconv.Atoi(reply); err == nil && i >= 1 && i <= len(v.Choices) {
			return v.Prefix + " " + opsgate.QuoteWord(v.Choices[i-1].Value), true, false
		}
	case opsgate.Actions:
		if i, err := strconv.Atoi(reply); err == nil && i >= 1 && i <= len(v.Buttons) {
			return v.Buttons[i-1].Command, true, false
		}
	}
	return "", false, false
}

// Prompt returns the block of m a reply answers (the last menu, text prompt or row of buttons),
// or nil.
func Prompt(m opsgate.Message) opsgate.Block {
	var p opsgate.Block
	for _, b := range m.Blocks {
		switch b.(type) {
		case opsgate.Menu, opsgate.TextPrompt, opsgate.Actions:
			p = b
		}
	}
	return p
}

// Prompts remembers what waits for each conversation's next reply (a room and a user: the prompt,
// and whatever the platform needs to answer it where it was asked), bounded and expiring: an
// unanswered prompt does not capture a reply hours later. Expiry follows the injected clock, as
// Memory's does.
type Prompts[T any] struct {
	ttl   time.Duration
	now   func() time.Time
	cache *expirable.LRU[string, pending[T]]
}

type pending[T any] struct {
	v     T
	until time.Time
}

// NewPrompts remembers up to size prompts (0: DefaultMemoryKeys) for ttl each; now is the clock
// (nil: time.Now).
func NewPrompts[T any](size int, ttl time.Duration, now func() time.Time) *Prompts[T] {
	if size <= 0 {
		size = DefaultMemoryKeys
	}
	if now == nil {
		now = time.Now
	}
	return &Prompts[T]{ttl: ttl, now: now, cache: expirable.NewLRU[string, pending[T]](size, nil, ttl+time.Minute)}
}

// Set makes v what key's next reply answers.
func (ps *Prompts[T]) Set(key string, v T) { ps.cache.Add(key, pending[T]{v, ps.now().Add(ps.ttl)}) }

// Waiting reports whether a prompt waits for key's reply, without taking it.
func (ps *Prompts[T]) Waiting(key string) bool {
	v, ok := ps.cache.Peek(key)
	return ok && ps.now().Before(v.until)
}

// Take returns and forgets key's prompt.
func (ps *Prompts[T]) Take(key string) (T, bool) {
	v, ok := ps.cache.Get(key)
	if !ok {
		var zero T
		return zero, false
	}
	ps.cache.Remove(key)
	return v.v, ps.now().Before(v.until)
}

// DialogLines describes d for chats without forms: a line per field (its label, whether it is
// optional, its default and choices) and the command that submits the values, commandPrefix
// (what starts a command on the platform, "" for none) before d.Prefix.
func DialogLines(d opsgate.Dialog, commandPrefix string) (fields []string, usage string) {
	words := []string{commandPrefix + d.Prefix}
	for _, f := range d.Fields {
		label := FirstNonEmpty(f.Label, f.Name)
		var notes []string
		if f.Optional {
			notes = append(notes, "optional")
		}
		if f.Default != "" {
			notes = append(notes, "default "+opsgate.QuoteWord(f.Default))
		}
		if len(f.Choices) > 0 {
			vals := make([]string, len(f.Choices))
			for i, c := range f.Choices {
				vals[i] = c.Value
			}
			notes = append(notes, "one of "+strings.Join(vals, ", "))
		}
		if len(notes) > 0 {
			label += " (" + strings.Join(notes, "; ") + ")"
		}
		fields = append(fields, label)
		words = append(words, "<"+strings.ReplaceAll(FirstNonEmpty(f.Name, f.Label), " ", "-")+">")
	}
	return fields, strings.Join(words, " ")
}
