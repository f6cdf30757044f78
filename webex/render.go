package webex

import (
	"fmt"
	"strings"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/kit"
)

const (
	// MaxMessageBytes is Webex's limit on a message's text and markdown.
	MaxMessageBytes = 7439
	// menuButtons: a menu this short is one button per choice, plus Cancel (five actions).
	menuButtons = MaxCardActions - 1
	// menuPage is how many choices one page of a longer menu's Input.ChoiceSet holds.
	menuPage = 50
)

// Post is one POST /messages body. Webex takes exactly one of RoomID, ToPersonID and
// ToPersonEmail.
type Post struct {
	RoomID        string       `json:"roomId,omitempty"`
	ToPersonID    string       `json:"toPersonId,omitempty"`
	ToPersonEmail string       `json:"toPersonEmail,omitempty"`
	ParentID      string       `json:"parentId,omitempty"`
	Text          string       `json:"text,omitempty"`
	Markdown      string       `json:"markdown,omitempty"`
	Files         []string     `json:"files,omitempty"`
	Attachments   []Attachment `json:"attachments,omitempty"`
}

// Signer returns the signed callback token an interactive element carries: what it answers
// (kind), the command prefix it completes and, for menus, the first choice shown.
type Signer func(kind callback.Kind, prefix string, offset int) string

// Render turns m into the messages to post in reply to req, in order. Markdown blocks share
// messages up to MaxMessageBytes (longer text is split, code fences closed and reopened; tables
// are chunked by rows with their header repeated); each interactive block becomes one message
// with one Adaptive Card, whose markdown is the fallback for clients without cards. Webex has no
// ephemeral messages: an ephemeral reply in a group space goes to the caller 1:1. Threads:
// InThread replies under req.ThreadID.
func Render(m opsgate.Message, req opsgate.Request, sign Signer) []Post {
	r := &renderer{sign: sign}
	for _, b := range m.Blocks {
		switch b := b.(type) {
		case opsgate.Text:
			if strings.TrimSpace(b.Markdown) != "" {
				r.text(b.Markdown)
			}
		case opsgate.Header:
			r.text("**" + b.Text + "**")
		case opsgate.Fields:
			var s strings.Builder
			for _, f := range b.Fields {
				s.WriteString("**" + f.Name + ":** " + f.Value + "\n")
			}
			r.text(strings.TrimRight(s.String(), "\n"))
		case opsgate.Table:
			r.table(b)
		case opsgate.Snippet:
			r.text(kit.CodeBlock(b.Title, b.Content))
		case opsgate.Image:
			switch {
			case b.URL != "":
				// files takes a public URL, one per message.
				r.flush()
				r.posts = append(r.posts, Post{Text: kit.FirstNonEmpty(b.Alt, "image"), Files: []string{b.URL}})
			default:
				r.text("Image: " + kit.FirstNonEmpty(b.Alt, b.Path))
			}
		case opsgate.Actions:
			r.buttons(b)
		case opsgate.Menu:
			r.menu(b)
		case opsgate.TextPrompt:
			r.textPrompt(b)
		case opsgate.Dialog:
			r.dialog(b)
		}
	}
	r.flush()
	for i := range r.posts {
		p := &r.posts[i]
		if m.Ephemeral && !req.Direct {
			p.ToPersonID = req.UserID
			continue
		}
		p.RoomID = req.ChannelID
		if m.InThread {
			p.ParentID = req.ThreadID
		}
	}
	return r.posts
}

type renderer struct {
	sign  Signer
	posts []Post
	cur   strings.Builder
}

// text adds a paragraph to the current message, starting a new one when it would not fit, and
// splitting a paragraph longer than a whole message.
func (r *renderer) text(s string) {
	if r.cur.Len() > 0 && r.cur.Len()+2+len(s) > MaxMessageBytes {
		r.flush()
	}
	if len(s) > MaxMessageBytes {
		parts := kit.SplitMarkdown(s, MaxMessageBytes)
		for _, p := range parts[:len(parts)-1] {
			r.posts = append(r.posts, Post{Markdown: p})
		}
		s = parts[len(parts)-1]
	}
	if r.cur.Len() > 0 {
		r.cur.WriteString("\n\n")
	}
	r.cur.WriteString(s)
}

func (r *renderer) flush() {
	if r.cur.Len() > 0 {
		r.posts = append(r.posts, Post{Markdown: r.cur.String()})
		r.cur.Reset()
	}
}

// card posts c as its own message with fallback markdown.
func (r *renderer) card(c *Card, fallback string) {
	r.flush()
	r.posts = append(r.posts, Post{Markdown: kit.TruncateBytes(fallback, MaxMessageBytes),
		Attachments: []Attachment{{ContentType: CardContentType, Content: c}}})
}

// table sends rows in code blocks of whole rows, each within one message, the header repeated.
func (r *renderer) table(t opsgate.Table) {
	lines := strings.Split(t.Text(), "\n")
	var head []string
	if len(t.Header) > 0 && len(lines) >= 2 {
		head, lines = lines[:2], lines[2:]
	}
	title := ""
	if t.Title != "" {
		title = "**" + t.Title + "**\n"
	}
	start := func() []string { return append([]string(nil), head...) }
	chunk, size := start(), len(title)+8+len(strings.Join(head, "\n"))
	emit := func() {
		r.text(title + "```\n" + strings.Join(chunk, "\n") + "\n```")
		title = ""
		chunk, size = start(), 8+len(strings.Join(head, "\n"))
	}
	for _, l := range lines {
		if len(chunk) > len(head) && size+1+len(l) > MaxMessageBytes {
			emit()
		}
		chunk = append(chunk, l)
		size += 1 + len(l)
	}
	if len(chunk) > len(head) || len(lines) == 0 {
		emit()
	}
}

func (r *renderer) submit(title, style string, data map[string]string) CardAction {
	return CardAction{Type: "Action.Submit", Title: title, Style: style, Data: data}
}

func (r *renderer) cancel() CardAction {
	a := r.submit("Cancel", "", map[string]string{keyToken: r.sign(callback.KindCancel, "", 0)})
	a.AssociatedInputs = "none"
	return a
}

// buttons renders a row of buttons as cards of at most five.
func (r *renderer) buttons(a opsgate.Actions) {
	for i := 0; i < len(a.Buttons); i += MaxCardActions {
		c := newCard()
		var fb strings.Builder
		for _, b := range a.Buttons[i:min(i+MaxCardActions, len(a.Buttons))] {
			style := map[string]string{"primary": "positive", "danger": "destructive"}[b.Style]
			c.Actions = append(c.Actions, r.submit(kit.FirstNonEmpty(b.Label, b.Command), style,
				map[string]string{keyToken: r.sign(callback.KindButton, b.Command, 0)}))
			fb.WriteString("- " + kit.FirstNonEmpty(b.Label, b.Command) + ": `" + b.Command + "`\n")
		}
		r.card(c, strings.TrimRight(fb.String(), "\n"))
	}
}

// menu renders a short menu as one button per choice; a longer one as a page of an
// Input.ChoiceSet with Previous and Next. Cancel always; at most five actions.
func (r *renderer) menu(mn opsgate.Menu) {
	prompt := kit.FirstNonEmpty(mn.Prompt, "Choose one:")
	if len(mn.Choices) == 0 {
		r.text(prompt + "\nThere is nothing to choose from.")
		return
	}
	off := mn.Offset
	if off < 0 || off >= len(mn.Choices) {
		off = 0
	}
	note := ""
	if mn.Confirm { // cards have no confirmation step
		note = "\nThe command runs as soon as you choose."
	}
	fallback := typeIt(prompt, mn.Prefix, mn.Choices)
	c := newCard()
	tok := r.sign(callback.KindMenu, mn.Prefix, off)
	if len(mn.Choices) <= menuButtons {
		c.Body = append(c.Body, Element{Type: "TextBlock", Text: prompt + note, Wrap: true})
		for _, ch := range mn.Choices {
			c.Actions = append(c.Actions, r.submit(kit.FirstNonEmpty(ch.Label, ch.Value), "", map[string]string{keyToken: tok, keyValue: ch.Value}))
		}
		c.Actions = append(c.Actions, r.cancel())
		r.card(c, fallback)
		return
	}
	end := min(off+menuPage, len(mn.Choices))
	head := prompt
	if off > 0 || end < len(mn.Choices) {
		head += fmt.Sprintf(" (choices %d-%d of %d)", off+1, end, len(mn.Choices))
	}
	in := Element{Type: "Input.ChoiceSet", ID: keyValue, Style: "compact", IsRequired: true, ErrorMessage: "Choose one."}
	for _, ch := range mn.Choices[off:end] {
		in.Choices = append(in.Choices, CardChoice{Title: kit.FirstNonEmpty(ch.Label, ch.Value), Value: ch.Value})
	}
	c.Body = append(c.Body, Element{Type: "TextBlock", Text: head + note, Wrap: true}, in)
	c.Actions = append(c.Actions, r.submit("Choose", "positive", map[string]string{keyToken: tok}))
	page := func(title string, at int) {
		a := r.submit(title, "", map[string]string{keyToken: r.sign(callback.KindMenu, mn.Prefix, at), keyPage: "1"})
		a.AssociatedInputs = "none"
		c.Actions = append(c.Actions, a)
	}
	if off > 0 {
		page("Previous", max(0, off-menuPage))
	}
	if end < len(mn.Choices) {
		page("Next", end)
	}
	c.Actions = append(c.Actions, r.cancel())
	r.card(c, fallback)
}

func (r *renderer) textPrompt(p opsgate.TextPrompt) {
	prompt := kit.FirstNonEmpty(p.Prompt, "Enter a value:")
	c := newCard()
	c.Body = append(c.Body, Element{Type: "Input.Text", ID: keyValue, Label: prompt, IsRequired: true, ErrorMessage: "Enter a value."})
	c.Actions = []CardAction{r.submit("Submit", "positive", map[string]string{keyToken: r.sign(callback.KindText, p.Prefix, 0)}), r.cancel()}
	r.card(c, typeIt(prompt, p.Prefix, nil))
}

// dialog renders the fields inline (Webex has no modal dialogs); inputs f0, f1... keep their order.
func (r *renderer) dialog(d opsgate.Dialog) {
	c := newCard()
	title := kit.FirstNonEmpty(d.Title, "More input needed")
	c.Body = append(c.Body, Element{Type: "TextBlock", Text: title, Weight: "bolder", Wrap: true})
	var fb strings.Builder
	fb.WriteString("**" + title + "**\nReply with: `" + d.Prefix)
	for i, f := range d.Fields {
		label := kit.FirstNonEmpty(f.Label, f.Name)
		el := Element{Type: "Input.Text", ID: fmt.Sprintf("%s%d", keyField, i), Label: label, Value: f.Default, IsRequired: !f.Optional}
		if f.Type == "select" && len(f.Choices) > 0 {
			el.Type, el.Style = "Input.ChoiceSet", "compact"
			for _, ch := range f.Choices {
				el.Choices = append(el.Choices, CardChoice{Title: kit.FirstNonEmpty(ch.Label, ch.Value), Value: ch.Value})
			}
		}
		if el.IsRequired {
			el.ErrorMessage = label + " is required."
		}
		c.Body = append(c.Body, el)
		fb.WriteString(" <" + label + ">")
	}
	fb.WriteString("`")
	c.Actions = []CardAction{r.submit("Submit", "positive", map[string]string{keyToken: r.sign(callback.KindDialog, d.Prefix, 0)}), r.cancel()}
	r.card(c, fb.String())
}

// typeIt is the fallback of a prompt for clients that cannot show cards: how to type the answer.
func typeIt(prompt, prefix string, choices []opsgate.Choice) string {
	var b strings.Builder
	b.WriteString(prompt)
	for _, c := range choices {
		b.WriteString("\n- `" + c.Value + "` " + c.Label)
	}
	b.WriteString("\nReply with: `" + prefix + " <value>`")
	return b.String()
}
