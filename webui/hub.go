package webui

import (
	"html/template"
	"sync"
	"time"
)

// maxChatMessages is how many messages a conversation keeps (in memory, per user, per replica).
const maxChatMessages = 200

// hub holds each user's web chat conversation.
type hub struct {
	mu    sync.Mutex
	convs map[string]*conversation
}

func newHub() *hub { return &hub{convs: map[string]*conversation{}} }

func (h *hub) conv(user string) *conversation {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.convs[user]
	if !ok {
		c = &conversation{subs: map[chan struct{}]struct{}{}}
		h.convs[user] = c
	}
	return c
}

type chatMsg struct {
	ID   int64
	Me   bool
	Who  string
	At   time.Time
	HTML template.HTML
}

// chatEvent is a new message, or the deletion of message Deleted.
type chatEvent struct {
	Seq     int64
	Msg     chatMsg
	Deleted int64
}

type conversation struct {
	mu     sync.Mutex
	seq    int64
	events []chatEvent
	subs   map[chan struct{}]struct{}
}

func (c *conversation) push(e chatEvent) {
	c.seq++
	e.Seq = c.seq
	if e.Deleted == 0 {
		e.Msg.ID = e.Seq
	}
	c.events = append(c.events, e)
	if len(c.events) > 2*maxChatMessages {
		c.events = append([]chatEvent(nil), c.events[len(c.events)-maxChatMessages:]...)
	}
	for ch := range c.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (c *conversation) add(me bool, html template.HTML, who string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.push(chatEvent{Msg: chatMsg{Me: me, Who: who, At: time.Now(), HTML: html}})
	return c.seq
}

func (c *conversation) remove(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.push(chatEvent{Deleted: id})
}

// snapshot returns the messages still shown and the last event's number.
func (c *conversation) snapshot() ([]chatMsg, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	deleted := map[int64]bool{}
	for _, e := range c.events {
		if e.Deleted != 0 {
			deleted[e.Deleted] = true
		}
	}
	var out []chatMsg
	for _, e := range c.events {
		if e.Deleted == 0 && !deleted[e.Msg.ID] {
			out = append(out, e.Msg)
		}
	}
	return out, c.seq
}

func (c *conversation) since(seq int64) []chatEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []chatEvent
	for _, e := range c.events {
		if e.Seq > seq {
			out = append(out, e)
		}
	}
	return out
}

func (c *conversation) subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	c.mu.Lock()
	c.subs[ch] = struct{}{}
	c.mu.Unlock()
	return ch, func() {
		c.mu.Lock()
		delete(c.subs, ch)
		c.mu.Unlock()
	}
}

func (h *hub) all() []*conversation {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*conversation, 0, len(h.convs))
	for _, c := range h.convs {
		out = append(out, c)
	}
	return out
}
