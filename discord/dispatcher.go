package discord

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/kit"
)

const (
	// contentLimit is Discord's message content limit (characters; bytes are a safe bound).
	contentLimit = 2000
	// menuPage is 24 choices and "Next..." (select menus hold at most 25 options).
	menuPage  = 24
	nextValue = "opsgate:next"
	// customIDLimit is the length limit of a component's custom_id.
	customIDLimit = 100
	// rowsLimit is the number of action rows a message or modal holds.
	rowsLimit = 5
)

// message is a Discord message as interaction responses, webhooks and channels take it.
type message struct {
	Content    string `json:"content,omitempty"`
	Flags      int    `json:"flags,omitempty"`
	Components []row  `json:"components,omitempty"`
	// AllowedMentions keeps command output from pinging anyone.
	AllowedMentions *struct {
		Parse []string `json:"parse"`
	} `json:"allowed_mentions,omitempty"`
}

type row struct {
	Type       int         `json:"type"` // 1
	Components []component `json:"components"`
}

type component struct {
	Type        int      `json:"type"` // 2 button, 3 string select, 4 text input
	Style       int      `json:"style,omitempty"`
	Label       string   `json:"label,omitempty"`
	CustomID    string   `json:"custom_id"`
	Options     []option `json:"options,omitempty"`
	Placeholder string   `json:"placeholder,omitempty"`
	Required    *bool    `json:"required,omitempty"`
	Value       string   `json:"value,omitempty"`
}

type option struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// modal is the data of a MODAL response.
type modal struct {
	CustomID   string `json:"custom_id"`
	Title      string `json:"title"`
	Components []row  `json:"components"`
}

// handoff carries a command's first message to the handler still waiting to answer the
// interaction; the handler sends back, on rest, what it did not put into its answer.
type handoff struct {
	msgs    []message
	dialogs []opsgate.Dialog
	rest    chan []message
}

// conversation is the opsgate.Dispatcher of one interaction (follow-ups through its webhook) or,
// without an interaction token, of one channel (posts with the bot token).
type conversation struct {
	h          *Handler
	req        opsgate.Request
	itoken     string // the interaction's token; "" for channel posts
	modalOK    bool   // the interaction may still be answered with a modal
	menuOffset int    // pages a menu re-sent after "Next..."
	handoff    chan *handoff

	mu      sync.Mutex
	waiting bool // the handler waits for the first message
	loading bool // answered "deferred": the first message replaces the loading state
}

var _ opsgate.Dispatcher = (*conversation)(nil)

func (h *Handler) interactionConversation(in *interaction, req opsgate.Request) *conversation {
	return &conversation{h: h, req: req, itoken: in.Token, handoff: make(chan *handoff, 1)}
}

// Send posts m: Markdown in messages of at most 2000 characters, buttons and menus as components
// whose custom ids carry signed tokens, dialogs as modals (or a button opening one).
func (c *conversation) Send(ctx context.Context, m opsgate.Message) (opsgate.MessageRef, error) {
	msgs, dialogs := c.render(m)
	c.mu.Lock()
	if c.waiting {
		c.waiting = false
		ho := &handoff{msgs: msgs, dialogs: dialogs, rest: make(chan []message, 1)}
		c.handoff <- ho
		c.mu.Unlock()
		msgs, dialogs = <-ho.rest, nil
	} else {
		c.mu.Unlock()
	}
	for _, d := range dialogs {
		msgs = append(msgs, c.dialogButton(d, m.Ephemeral))
	}
	var first opsgate.MessageRef
	for _, msg := range msgs {
		ref, err := c.post(ctx, msg)
		if err != nil {
			c.h.Logger.Error("discord: delivery failed", "channel", c.req.ChannelID, "user", c.req.UserID, "err", err)
			c.post(context.WithoutCancel(ctx), message{Content: kit.Undeliverable(""), Flags: flagEphemeral})
			return first, err
		}
		if first == "" {
			first = ref
		}
	}
	return first, nil
}

// answer is the interaction response built from the first message, and the messages left to
// follow up.
func (c *conversation) answer(ho *handoff) (response, []message) {
	var rest []message
	if c.modalOK && len(ho.msgs) == 0 && len(ho.dialogs) > 0 {
		for _, d := range ho.dialogs[1:] {
			rest = append(rest, c.dialogButton(d, true))
		}
		if md, ok := c.modal(ho.dialogs[0]); ok {
			return response{Type: respModal, Data: md}, rest
		}
		ho.msgs = append(ho.msgs, c.dialogButton(ho.dialogs[0], true))
		ho.dialogs = nil
	}
	msgs := ho.msgs
	for _, d := range ho.dialogs {
		msgs = append(msgs, c.dialogButton(d, true))
	}
	if len(msgs) == 0 {
		return response{Type: respMessage, Data: &message{Content: "Done.", Flags: flagEphemeral}}, nil
	}
	return response{Type: respMessage, Data: &msgs[0]}, append(rest, msgs[1:]...)
}

// post sends one message: into the interaction (replacing the loading state first, then as
// follow-ups through its webhook, valid 15 minutes) or into the channel.
func (c *conversation) post(ctx context.Context, msg message) (opsgate.MessageRef, error) {
	var created struct {
		ID string `json:"id"`
	}
	if c.itoken == "" {
		msg.Flags &^= flagEphemeral // channel posts are public; private ones go to a DM channel
		err := c.h.call(ctx, "POST", "/channels/"+c.req.ChannelID+"/messages", msg, &created, true)
		return opsgate.MessageRef("c/" + c.req.ChannelID + "/" + created.ID), err
	}
	hook := "/webhooks/" + c.h.ApplicationID + "/" + c.itoken
	c.mu.Lock()
	loading := c.loading
	c.loading = false
	c.mu.Unlock()
	if loading {
		// The deferred answer is private: it takes a private message as is, and says where a
		// public one went.
		edit := msg
		if msg.Flags&flagEphemeral == 0 {
			edit = message{Content: "Done: the answer is in the channel."}
		}
		edit.Flags = 0
		if err := c.h.call(ctx, "PATCH", hook+"/messages/@original", edit, &created, false); err != nil {
			return "", err
		}
		if msg.Flags&flagEphemeral != 0 {
			return "", nil // ephemeral messages cannot be deleted later
		}
	}
	if err := c.h.call(ctx, "POST", hook, msg, &created, false); err != nil {
		return "", err
	}
	if msg.Flags&flagEphemeral != 0 {
		return "", nil
	}
	return opsgate.MessageRef("w/" + c.itoken + "/" + created.ID), nil
}

// Delete removes a message the bot posted.
func (c *conversation) Delete(ctx context.Context, ref opsgate.MessageRef) error {
	kind, rest, _ := strings.Cut(string(ref), "/")
	where, id, _ := strings.Cut(rest, "/")
	switch kind {
	case "c":
		return c.h.call(ctx, "DELETE", "/channels/"+where+"/messages/"+id, nil, nil, true)
	case "w":
		return c.h.call(ctx, "DELETE", "/webhooks/"+c.h.ApplicationID+"/"+where+"/messages/"+id, nil, nil, false)
	}
	return nil
}

// Busy shows "opsgate is typing..." in a channel; an interaction shows its own loading state.
func (c *conversation) Busy(ctx context.Context) error {
	if c.itoken != "" {
		return nil
	}
	return c.h.call(ctx, "POST", "/channels/"+c.req.ChannelID+"/typing", nil, nil, true)
}

// render turns m into messages (text split at the limit, components on the last) and the dialogs
// it holds.
func (c *conversation) render(m opsgate.Message) ([]message, []opsgate.Dialog) {
	var paras []string
	var rows []row
	var dialogs []opsgate.Dialog
	for _, b := range m.Blocks {
		if md, ok := kit.BlockMarkdown(b); ok {
			paras = append(paras, md)
			continue
		}
		var rs []row
		switch b := b.(type) {
		case opsgate.Actions:
			rs = c.buttons(b)
		case opsgate.Menu:
			rs = c.menu(b)
		case opsgate.TextPrompt:
			if id, ok := c.customID(callback.KindText, b.Prefix, 0); ok {
				paras = append(paras, kit.FirstNonEmpty(b.Prompt, "Enter a value:"))
				rs = []row{{Type: 1, Components: []component{{Type: 2, Style: 1, Label: "Answer", CustomID: id}, c.cancel()}}}
			}
		case opsgate.Dialog:
			dialogs = append(dialogs, b)
			continue
		}
		if rs == nil {
			paras = append(paras, kit.PromptText(b)) // its tokens do not fit a custom_id
		}
		rows = append(rows, rs...)
	}
	flags := 0
	if m.Ephemeral {
		flags = flagEphemeral
	}
	noPings := &struct {
		Parse []string `json:"parse"`
	}{Parse: []string{}}
	var msgs []message
	if text := strings.Join(paras, "\n\n"); strings.TrimSpace(text) != "" {
		for _, chunk := range kit.SplitMarkdown(text, contentLimit) {
			msgs = append(msgs, message{Content: chunk, Flags: flags, AllowedMentions: noPings})
		}
	}
	for len(rows) > 0 {
		n := min(len(rows), rowsLimit)
		if len(msgs) == 0 || msgs[len(msgs)-1].Components != nil {
			msgs = append(msgs, message{Content: "\u200b", Flags: flags, AllowedMentions: noPings})
		}
		msgs[len(msgs)-1].Components = rows[:n]
		rows = rows[n:]
	}
	return msgs, dialogs
}

// customID signs a token for a component. It carries the kind, the prefix to re-run, the page and
// who may answer; the answering request's identity comes from Discord's signed interaction. A
// token too long for a custom_id drops the user (anyone may answer; access is checked for them),
// and when even that does not fit, ok is false and the prompt is shown as text.
func (c *conversation) customID(k callback.Kind, prefix string, offset int) (string, bool) {
	p := callback.Payload{Kind: k, Prefix: prefix, UserID: c.req.UserID, Offset: offset}
	if tok := c.h.Callbacks.Sign(p); len(tok) <= customIDLimit {
		return tok, true
	}
	p.UserID = ""
	tok := c.h.Callbacks.Sign(p)
	return tok, len(tok) <= customIDLimit
}

func (c *conversation) cancel() component {
	id, _ := c.customID(callback.KindCancel, "", 0)
	return component{Type: 2, Style: 2, Label: "Cancel", CustomID: id}
}

var buttonStyles = map[string]int{"primary": 1, "danger": 4}

// buttons renders Actions as rows of at most 5 buttons; nil when a token does not fit.
func (c *conversation) buttons(a opsgate.Actions) []row {
	var rows []row
	for i, b := range a.Buttons {
		id, ok := c.customID(callback.KindButton, b.Command, 0)
		if !ok {
			return nil
		}
		if i%5 == 0 {
			rows = append(rows, row{Type: 1})
		}
		style := buttonStyles[b.Style]
		if style == 0 {
			style = 2
		}
		rows[len(rows)-1].Components = append(rows[len(rows)-1].Components, component{Type: 2, Style: style, Label: kit.Truncate(b.Label, 80), CustomID: id})
	}
	return rows
}

// menu renders one page of choices as a select menu ("Next..." when more follow) and a Cancel
// button; nil when the token does not fit a custom_id.
func (c *conversation) menu(mn opsgate.Menu) []row {
	off := mn.Offset
	if off == 0 {
		off = c.menuOffset
	}
	if off < 0 || off >= len(mn.Choices) {
		off = 0
	}
	if len(mn.Choices) == 0 {
		return []row{{Type: 1, Components: []component{c.cancel()}}}
	}
	id, ok := c.customID(callback.KindMenu, mn.Prefix, off)
	if !ok {
		return nil
	}
	end := min(off+menuPage, len(mn.Choices))
	var opts []option
	for _, ch := range mn.Choices[off:end] {
		opts = append(opts, option{Label: kit.Truncate(kit.FirstNonEmpty(ch.Label, ch.Value), 100), Value: ch.Value})
	}
	if end < len(mn.Choices) {
		opts = append(opts, option{Label: fmt.Sprintf("Next... (%d more)", len(mn.Choices)-end), Value: nextValue})
	}
	placeholder := kit.FirstNonEmpty(mn.Prompt, "Choose one")
	if off > 0 {
		placeholder += fmt.Sprintf(" (%d-%d of %d)", off+1, end, len(mn.Choices))
	}
	return []row{
		{Type: 1, Components: []component{{Type: 3, CustomID: id, Options: opts, Placeholder: kit.Truncate(placeholder, 150)}}},
		{Type: 1, Components: []component{c.cancel()}},
	}
}

// modal renders d as a modal of text inputs (a select field lists its choices as the
// placeholder); ok is false when its token does not fit a custom_id.
func (c *conversation) modal(d opsgate.Dialog) (*modal, bool) {
	id, ok := c.customID(callback.KindDialog, d.Prefix, 0)
	if !ok {
		return nil, false
	}
	md := &modal{CustomID: id, Title: kit.Truncate(kit.FirstNonEmpty(d.Title, "opsgate"), 45)}
	for i, f := range d.Fields {
		if i == rowsLimit {
			break
		}
		req := !f.Optional
		in := component{Type: 4, Style: 1, CustomID: fmt.Sprintf("f%d", i), Label: kit.Truncate(kit.FirstNonEmpty(f.Label, f.Name), 45),
			Required: &req, Value: f.Default}
		if len(f.Choices) > 0 {
			var vals []string
			for _, ch := range f.Choices {
				vals = append(vals, ch.Value)
			}
			in.Placeholder = kit.Truncate("One of: "+strings.Join(vals, ", "), 100)
		}
		md.Components = append(md.Components, row{Type: 1, Components: []component{in}})
	}
	return md, true
}

// dialogButton is a message with a button opening d: a modal can only answer an interaction, so
// the click re-runs the command for a fresh one.
func (c *conversation) dialogButton(d opsgate.Dialog, ephemeral bool) message {
	flags := 0
	if ephemeral {
		flags = flagEphemeral
	}
	id, ok := c.customID(callback.KindOpenDialog, d.Prefix, 0)
	if !ok {
		return message{Content: kit.PromptText(d), Flags: flags}
	}
	return message{Content: kit.FirstNonEmpty(d.Title, "More input needed"), Flags: flags, Components: []row{{Type: 1, Components: []component{
		{Type: 2, Style: 1, Label: "Open form", CustomID: id}, c.cancel()}}}}
}
