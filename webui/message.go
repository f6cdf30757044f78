package webui

import (
	"bytes"
	"html/template"
	"regexp"
	"strings"

	"github.com/opsgate/opsgate"
)

// blockView is one block of a message as the "blocks" template shows it.
type blockView struct {
	Kind  string // the block's type: text, header, fields, table, snippet, image, actions, menu, dialog, prompt
	HTML  template.HTML
	Block any
}

type messageView struct {
	Ephemeral bool
	Blocks    []blockView
}

var (
	mdBold = regexp.MustCompile(`\*([^*\n]+)\*`)
	mdCode = regexp.MustCompile("`([^`\n]+)`")
	mdLink = regexp.MustCompile(`&lt;(https?://[^|&\s]+)\|([^&]+)&gt;|\[([^\]]+)\]\((https?://[^)\s]+)\)`)
)

// markdown renders the commands' markdown subset (```code blocks```, *bold*, `code`, links, line
// breaks) as HTML, everything else escaped.
func markdown(s string) template.HTML {
	parts := strings.Split(s, "```")
	if len(parts)%2 == 0 { // an unclosed fence is text
		parts[len(parts)-2] += "```" + parts[len(parts)-1]
		parts = parts[:len(parts)-1]
	}
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 1 {
			b.WriteString("<pre>" + template.HTMLEscapeString(strings.Trim(p, "\n")) + "</pre>")
			continue
		}
		b.WriteString(string(inline(p)))
	}
	return template.HTML(b.String())
}

func inline(s string) template.HTML {
	h := template.HTMLEscapeString(s)
	h = mdCode.ReplaceAllString(h, "<code>$1</code>")
	h = mdBold.ReplaceAllString(h, "<strong>$1</strong>")
	h = mdLink.ReplaceAllStringFunc(h, func(m string) string {
		p := mdLink.FindStringSubmatch(m)
		if p[1] != "" {
			return `<a href="` + p[1] + `" rel="noopener noreferrer">` + p[2] + `</a>`
		}
		return `<a href="` + p[4] + `" rel="noopener noreferrer">` + p[3] + `</a>`
	})
	return template.HTML(strings.ReplaceAll(h, "\n", "<br>"))
}

// renderMessage turns a message into HTML: every block has a form, so menus, buttons, prompts and
// dialogs are forms that send their command back through the chat.
func (u *UI) renderMessage(m opsgate.Message) (template.HTML, error) {
	v := messageView{Ephemeral: m.Ephemeral}
	for _, b := range m.Blocks {
		bv := blockView{Block: b}
		switch b := b.(type) {
		case opsgate.Text:
			bv.Kind, bv.HTML = "text", markdown(b.Markdown)
		case opsgate.Header:
			bv.Kind = "header"
		case opsgate.Fields:
			bv.Kind = "fields"
		case opsgate.Table:
			bv.Kind = "table"
		case opsgate.Snippet:
			bv.Kind = "snippet"
		case opsgate.Image:
			bv.Kind = "image"
		case opsgate.Actions:
			bv.Kind = "actions"
		case opsgate.Menu:
			bv.Kind = "menu"
			if b.Offset > 0 && b.Offset < len(b.Choices) { // a page of a long menu
				b.Choices = b.Choices[b.Offset:]
				bv.Block = b
			}
		case opsgate.Dialog:
			bv.Kind = "dialog"
		case opsgate.TextPrompt:
			bv.Kind = "prompt"
		default:
			continue
		}
		v.Blocks = append(v.Blocks, bv)
	}
	var buf bytes.Buffer
	if err := u.pages["chat"].ExecuteTemplate(&buf, "blocks", v); err != nil {
		return "", err
	}
	return template.HTML(buf.String()), nil
}
