package kit

import (
	"strconv"
	"strings"
	"sync"

	"github.com/opsgate/opsgate"
)

// Prompt is the question a conversation's next line answers, in chats without buttons or menus
// (a terminal, XMPP): PlainText numbers the choices, and the user replies with a number, a value
// or "cancel". The zero value is ready.
type Prompt struct {
	mu      sync.Mutex
	pending opsgate.Block
}

// Asked records the question m asks, if any (its last menu, text prompt or row of buttons).
func (p *Prompt) Asked(m opsgate.Message) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, b := range m.Blocks {
		switch b.(type) {
		case opsgate.Menu, opsgate.TextPrompt, opsgate.Actions:
			p.pending = b
		}
	}
}

// Answer turns a line into the command to run: the line itself, or the command the pending
// question builds from it (it re-runs through the access check like any command). cancelled is
// true when the line only cancelled the question; a line that is no valid answer is a new command.
func (p *Prompt) Answer(line string) (command string, cancelled bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	q := p.pending
	if q == nil {
		return line, false
	}
	p.pending = nil
	if strings.EqualFold(line, "cancel") {
		return "", true
	}
	switch v := q.(type) {
	case opsgate.TextPrompt:
		return v.Prefix + " " + opsgate.QuoteWord(line), false
	case opsgate.Menu:
		if i, err := strconv.Atoi(line); err == nil && i >= 1 && i <= len(v.Choices) {
			return v.Prefix + " " + opsgate.QuoteWord(v.Choices[i-1].Value), false
		}
	case opsgate.Actions:
		if i, err := strconv.Atoi(line); err == nil && i >= 1 && i <= len(v.Buttons) {
			return v.Buttons[i-1].Command, false
		}
	}
	return line, false
}

// Pending reports whether a question waits for its answer: in a room, only then is a line
// without the command prefix read at all.
func (p *Prompt) Pending() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pending != nil
}
