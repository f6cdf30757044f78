// Package terminal is opsgate's built-in chat platform: a line-oriented chat on a terminal
// (like Errbot's Text backend) that goes through the same pipeline as every other platform.
package terminal

import (
	"fmt"
	"strings"

	"github.com/opsgate/opsgate"
)

// Render turns a message into plain text for a terminal. Interactive elements become numbered
// choices the user answers on the next line.
func Render(m opsgate.Message) string {
	var b strings.Builder
	if m.Ephemeral {
		b.WriteString("(only you can see this)\n")
	}
	for _, blk := range m.Blocks {
		switch v := blk.(type) {
		case opsgate.Text:
			b.WriteString(v.Markdown + "\n")
		case opsgate.Header:
			b.WriteString("== " + v.Text + " ==\n")
		case opsgate.Fields:
			width := 0
			for _, f := range v.Fields {
				width = max(width, len(f.Name))
			}
			for _, f := range v.Fields {
				fmt.Fprintf(&b, "%-*s  %s\n", width+1, f.Name+":", f.Value)
			}
		case opsgate.Table:
			renderTable(&b, v)
		case opsgate.Snippet:
			title := v.Title
			if title == "" {
				title = v.Filename
			}
			if title != "" {
				b.WriteString("--- " + title + " ---\n")
			}
			b.WriteString(strings.TrimRight(v.Content, "\n") + "\n---\n")
		case opsgate.Image:
			src := v.URL
			if src == "" {
				src = v.Path
			}
			fmt.Fprintf(&b, "[image: %s] %s\n", v.Alt, src)
		case opsgate.Actions:
			for i, btn := range v.Buttons {
				fmt.Fprintf(&b, "  [%d] %s\n", i+1, btn.Label)
			}
		case opsgate.Menu:
			b.WriteString(v.Prompt + "\n")
			for i, c := range v.Choices {
				fmt.Fprintf(&b, "  [%d] %s\n", i+1, c.Label)
			}
			b.WriteString("  (answer with a number, or 'cancel')\n")
		case opsgate.TextPrompt:
			b.WriteString(v.Prompt + " (or 'cancel')\n")
		case opsgate.Dialog:
			fmt.Fprintf(&b, "%s: answer each field on its own line ('cancel' to stop)\n", v.Title)
		}
	}
	return b.String()
}

func renderTable(b *strings.Builder, t opsgate.Table) {
	if t.Title != "" {
		b.WriteString(t.Title + "\n")
	}
	widths := make([]int, len(t.Header))
	for i, h := range t.Header {
		widths[i] = len(h)
	}
	for _, row := range t.Rows {
		for i, c := range row {
			if i < len(widths) {
				widths[i] = max(widths[i], len(c))
			}
		}
	}
	line := func(cells []string) {
		for i := range widths {
			c := ""
			if i < len(cells) {
				c = cells[i]
			}
			fmt.Fprintf(b, "%-*s", widths[i]+2, c)
		}
		b.WriteString("\n")
	}
	line(t.Header)
	sep := make([]string, len(widths))
	for i, w := range widths {
		sep[i] = strings.Repeat("-", w)
	}
	line(sep)
	for _, row := range t.Rows {
		line(row)
	}
}
