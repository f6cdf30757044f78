package matrix

import (
	"fmt"
	"strings"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/format"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

// partLimit bounds the Markdown of one event. The spec caps a whole event at 65536 bytes, and
// the event carries the text twice (body and its HTML, which escapes and tags add to).
const partLimit = 16000

// markdown renders m's blocks as Markdown. Menus and buttons become numbered choices answered
// by the next message; a dialog becomes its fields and the command line to send.
func (b *Bot) markdown(m opsgate.Message) string {
	var parts []string
	add := func(s string) { parts = append(parts, strings.TrimRight(s, "\n")) }
	for _, blk := range m.Blocks {
		switch v := blk.(type) {
		case opsgate.Text:
			add(v.Markdown)
		case opsgate.Header:
			add("### " + v.Text)
		case opsgate.Fields:
			var s strings.Builder
			for _, f := range v.Fields {
				s.WriteString("**" + f.Name + ":** " + f.Value + "  \n")
			}
			add(s.String())
		case opsgate.Table:
			add(kit.CodeBlock(v.Title, v.Text()))
		case opsgate.Snippet:
			add(kit.CodeBlock(kit.FirstNonEmpty(v.Title, v.Filename), v.Content))
		case opsgate.Image:
			// Matrix clients show only mxc:// images inline; a web image is a link.
			if v.URL != "" {
				add("[" + kit.FirstNonEmpty(v.Alt, "image") + "](" + v.URL + ")")
			} else {
				add("Image: " + kit.FirstNonEmpty(v.Alt, v.Path))
			}
		case opsgate.Actions:
			var s strings.Builder
			for i, btn := range v.Buttons {
				fmt.Fprintf(&s, "%d. %s\n", i+1, btn.Label)
			}
			s.WriteString("\nReply with a number, or `cancel`.")
			add(s.String())
		case opsgate.Menu:
			add(menu(v))
		case opsgate.TextPrompt:
			add(kit.FirstNonEmpty(v.Prompt, "Enter a value:") + "\n\nReply with the value, or `cancel`.")
		case opsgate.Dialog:
			add(b.dialog(v))
		}
	}
	return strings.Join(parts, "\n\n")
}

func menu(v opsgate.Menu) string {
	var s strings.Builder
	s.WriteString(kit.FirstNonEmpty(v.Prompt, "Choose one:") + "\n\n")
	if len(v.Choices) == 0 {
		s.WriteString("There is nothing to choose from.")
		return s.String()
	}
	// Every choice is listed: a message holds thousands, and the number answers across pages.
	for i, c := range v.Choices {
		fmt.Fprintf(&s, "%d. %s\n", i+1, kit.FirstNonEmpty(c.Label, c.Value))
	}
	if v.Confirm {
		s.WriteString("\nThe command runs as soon as you reply.")
	}
	s.WriteString("\nReply with a number, or `cancel`.")
	return s.String()
}

// dialog lists the fields and the command that submits them with the prefix.
func (b *Bot) dialog(d opsgate.Dialog) string {
	var s strings.Builder
	s.WriteString("**" + kit.FirstNonEmpty(d.Title, "More input needed") + "**\n\n")
	fields, usage := kit.DialogLines(d, b.Prefix)
	for _, f := range fields {
		s.WriteString("- " + f + "\n")
	}
	s.WriteString("\nReply with: `" + usage + "`")
	return s.String()
}

// notices are the m.notice events (body in Markdown, formatted_body in HTML) that carry md, split
// within partLimit with every code block closed.
func notices(md string) []*event.MessageEventContent {
	var out []*event.MessageEventContent
	for _, part := range kit.SplitMarkdown(md, partLimit) {
		c := format.RenderMarkdown(part, true, false) // raw HTML in the text is escaped, not rendered
		c.MsgType = event.MsgNotice
		out = append(out, &c)
	}
	return out
}
