package kit

import (
	"fmt"
	"strings"

	"github.com/opsgate/opsgate"
)

// BlockMarkdown is a non-interactive block as CommonMark for platforms that show Markdown text
// (Discord, Rocket.Chat, Mattermost's message body): ok is false for interactive blocks
// (Actions, Menu, TextPrompt, Dialog), which each platform renders its own way.
func BlockMarkdown(b opsgate.Block) (md string, ok bool) {
	switch b := b.(type) {
	case opsgate.Text:
		return b.Markdown, true
	case opsgate.Header:
		return "**" + b.Text + "**", true
	case opsgate.Fields:
		var s strings.Builder
		for _, f := range b.Fields {
			s.WriteString("**" + f.Name + ":** " + f.Value + "\n")
		}
		return strings.TrimRight(s.String(), "\n"), true
	case opsgate.Table:
		return CodeBlock(b.Title, b.Text()), true
	case opsgate.Snippet:
		return CodeBlock(b.Title, b.Content), true
	case opsgate.Image:
		if b.URL != "" {
			return "![" + b.Alt + "](" + b.URL + ")", true
		}
		return "Image: " + FirstNonEmpty(b.Alt, b.Path), true
	}
	return "", false
}

// PromptText is an interactive block as text for a platform without buttons, menus or forms:
// what to send to answer it. Prompting stays stateless: the answer is the command typed again.
func PromptText(b opsgate.Block) string {
	switch b := b.(type) {
	case opsgate.Actions:
		var cmds []string
		for _, btn := range b.Buttons {
			cmds = append(cmds, fmt.Sprintf("`%s` (%s)", btn.Command, btn.Label))
		}
		return "Send one of: " + strings.Join(cmds, ", ")
	case opsgate.Menu:
		const shown = 25
		var vals []string
		for i, ch := range b.Choices {
			if i == shown {
				vals = append(vals, fmt.Sprintf("… and %d more", len(b.Choices)-shown))
				break
			}
			vals = append(vals, "`"+opsgate.QuoteWord(ch.Value)+"`")
		}
		return FirstNonEmpty(b.Prompt, "Choose one:") + "\nSend `" + b.Prefix + " <choice>` with one of: " + strings.Join(vals, ", ")
	case opsgate.TextPrompt:
		return FirstNonEmpty(b.Prompt, "Enter a value:") + "\nSend `" + b.Prefix + " <value>`"
	case opsgate.Dialog:
		var names []string
		for _, f := range b.Fields {
			names = append(names, "<"+FirstNonEmpty(f.Name, f.Label)+">")
		}
		return FirstNonEmpty(b.Title, "More input needed") + "\nSend `" + b.Prefix + " " + strings.Join(names, " ") + "`"
	}
	return ""
}
