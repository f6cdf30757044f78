package kit

import (
	"sync"

	"github.com/opsgate/opsgate"
)

// Pending is the question one conversation's next line answers, in chats without buttons or
// menus (a terminal, XMPP): PlainText numbers the choices, and the user replies with a number, a
// value or "cancel". The zero value is ready.
type Pending struct {
	mu sync.Mutex
	p  opsgate.Block
}

// Asked records the question m asks, if any (its last menu, text prompt or row of buttons).
func (q *Pending) Asked(m opsgate.Message) {
	if p := Prompt(m); p != nil {
		q.mu.Lock()
		q.p = p
		q.mu.Unlock()
	}
}

// Answer turns a line into the command to run: the line itself, or the command the pending
// question builds from it (it re-runs through the access check like any command). cancelled is
// true when the line only cancelled the question; a line that is no valid answer is a new command.
func (q *Pending) Answer(line string) (command string, cancelled bool) {
	q.mu.Lock()
	p := q.p
	q.p = nil
	q.mu.Unlock()
	if p == nil {
		return line, false
	}
	cmd, ok, cancelled := Answer(p, line)
	if cancelled {
		return "", true
	}
	if !ok {
		return line, false
	}
	return cmd, false
}

// Pending reports whether a question waits for its answer: in a room, only then is a line
// without the command prefix read at all.
func (q *Pending) Pending() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.p != nil
}
