package kit

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/opsgate/opsgate"
)

// PlainText turns a message into plain text for a line-oriented chat (a terminal, XMPP): every
// block has a text form.
// Menus and buttons become numbered choices the user answers on the next line; a dialog, which a
// line-oriented chat cannot show, becomes its fields and the command to type with the values.
func PlainText(m opsgate.Message) string {
	var b strings.Builder
	if m.Ephemeral {
		b.WriteString("(only you can see this)\n")
	}
	for _, blk := range m.Blocks {
		switch v := blk.(type) {
		case opsgate.Text:
			b.WriteString(strings.TrimRight(v.Markdown, "\n") + "\n")
		case opsgate.Header:
			b.WriteString("== " + v.Text + " ==\n")
		case opsgate.Fields:
			width := 0
			for _, f := range v.Fields {
				width = max(width, utf8.RuneCountInString(f.Name))
			}
			for _, f := range v.Fields {
				pad := strings.Repeat(" ", width-utf8.RuneCountInString(f.Name))
				b.WriteString(f.Name + ":" + pad + "  " + indent(f.Value, width+3) + "\n")
			}
		case opsgate.Table:
			if v.Title != "" {
				b.WriteString(v.Title + "\n")
			}
			if len(v.Header) == 0 && len(v.Rows) == 0 {
				b.WriteString("(no rows)\n")
				break
			}
			b.WriteString(v.Text() + "\n")
			if n := len(v.Rows); n != 1 {
				fmt.Fprintf(&b, "(%d rows)\n", n)
			}
		case opsgate.Snippet:
			title := v.Title
			if title == "" {
				title = v.Filename
			}
			if title != "" {
				b.WriteString("--- " + title + " ---\n")
			} else {
				b.WriteString("---\n")
			}
			b.WriteString(strings.TrimRight(v.Content, "\n") + "\n---\n")
		case opsgate.Image:
			src := v.URL
			if src == "" {
				src = v.Path
			}
			alt := v.Alt
			if alt == "" {
				alt = "image"
			}
			fmt.Fprintf(&b, "[%s] %s\n", alt, src)
		case opsgate.Actions:
			for i, btn := range v.Buttons {
				mark := ""
				switch btn.Style {
				case "danger":
					mark = " (!)"
				case "primary":
					mark = " *"
				}
				fmt.Fprintf(&b, "  [%d] %s%s\n", i+1, btn.Label, mark)
			}
			if len(v.Buttons) > 0 {
				b.WriteString("  (answer with a number, or 'cancel')\n")
			}
		case opsgate.Menu:
			prompt := v.Prompt
			if prompt == "" {
				prompt = "Choose one:"
			}
			b.WriteString(prompt + "\n")
			if len(v.Choices) == 0 {
				b.WriteString("  (nothing to choose from)\n")
				break
			}
			// Plain text has no item limit: every choice is listed, numbered from 1, whatever the Offset.
			for i, c := range v.Choices {
				label := c.Label
				if label == "" {
					label = c.Value
				}
				fmt.Fprintf(&b, "  [%d] %s\n", i+1, label)
			}
			if v.Confirm {
				b.WriteString("  (your choice runs: " + v.Prefix + " <choice>)\n")
			}
			b.WriteString("  (answer with a number, or 'cancel')\n")
		case opsgate.TextPrompt:
			prompt := v.Prompt
			if prompt == "" {
				prompt = "Enter a value:"
			}
			b.WriteString(prompt + " (or 'cancel')\n")
		case opsgate.Dialog:
			renderDialog(&b, v)
		}
	}
	return b.String()
}

// renderDialog lists the fields and the command line that submits them.
func renderDialog(b *strings.Builder, d opsgate.Dialog) {
	b.WriteString(FirstNonEmpty(d.Title, "More input needed") + "\n")
	fields, usage := DialogLines(d, "")
	for _, f := range fields {
		b.WriteString("  " + f + "\n")
	}
	b.WriteString("  Reply with: " + usage + "\n")
}

// indent continues a multi-line value under its first line.
func indent(s string, n int) string {
	if !strings.Contains(s, "\n") {
		return s
	}
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+strings.Repeat(" ", n))
}
