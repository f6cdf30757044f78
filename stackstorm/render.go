package stackstorm

import (
	"fmt"
	"strings"

	"github.com/opsgate/opsgate"
)

// Messages renders a for platform as one or more chat messages, each within limit characters
// (0: no limit). Pretext comes first; attachments in Extra[platform] (Slack and Mattermost share
// the attachment shape) are rendered as opsgate blocks so every platform shows their content.
// Texts are redacted with r before they are cut (a secret cut in two would be posted in halves);
// pass the redactor of the dispatcher the messages go to, opsgate.RedactorOf(d).
func (a Announcement) Messages(platform string, limit int, r opsgate.Redactor) []opsgate.Message {
	var blocks []opsgate.Block
	if a.Pretext != "" {
		blocks = append(blocks, opsgate.Text{Markdown: a.Pretext})
	}
	if a.Message != "" {
		for _, piece := range SplitText(r.Redact(a.Message), limit) {
			blocks = append(blocks, opsgate.Text{Markdown: piece})
		}
	}
	blocks = append(blocks, attachmentBlocks(a.Extra[platform], limit, r)...)
	return pack(blocks, limit)
}

// pack groups blocks into messages whose text stays within limit; each block already fits.
func pack(blocks []opsgate.Block, limit int) []opsgate.Message {
	if len(blocks) == 0 {
		return nil
	}
	var (
		out  []opsgate.Message
		cur  []opsgate.Block
		size int
	)
	for _, b := range blocks {
		n := blockSize(b)
		if limit > 0 && len(cur) > 0 && size+n > limit {
			out = append(out, opsgate.Message{Blocks: cur})
			cur, size = nil, 0
		}
		cur = append(cur, b)
		size += n
	}
	return append(out, opsgate.Message{Blocks: cur})
}

func blockSize(b opsgate.Block) int {
	switch b := b.(type) {
	case opsgate.Text:
		return len([]rune(b.Markdown))
	case opsgate.Header:
		return len([]rune(b.Text))
	case opsgate.Fields:
		n := 0
		for _, f := range b.Fields {
			n += len([]rune(f.Name)) + len([]rune(f.Value))
		}
		return n
	}
	return 0
}

// attachmentBlocks renders Slack/Mattermost-style {"attachments": [{pretext, title, text, fields}]}.
func attachmentBlocks(extra any, limit int, r opsgate.Redactor) []opsgate.Block {
	m, _ := extra.(map[string]any)
	atts, _ := m["attachments"].([]any)
	var out []opsgate.Block
	for _, x := range atts {
		att, _ := x.(map[string]any)
		if s := str(att["pretext"]); s != "" {
			out = append(out, opsgate.Text{Markdown: s})
		}
		if s := str(att["title"]); s != "" {
			out = append(out, opsgate.Header{Text: s})
		}
		if s := str(att["text"]); s != "" {
			for _, piece := range SplitText(r.Redact(s), limit) {
				out = append(out, opsgate.Text{Markdown: piece})
			}
		}
		if fs, _ := att["fields"].([]any); len(fs) > 0 {
			var fields opsgate.Fields
			for _, f := range fs {
				fm, _ := f.(map[string]any)
				fields.Fields = append(fields.Fields, opsgate.Field{Name: str(fm["title"]), Value: str(fm["value"])})
			}
			out = append(out, fields)
		}
		if s := str(att["footer"]); s != "" {
			out = append(out, opsgate.Text{Markdown: s})
		}
	}
	return out
}

func str(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	}
	return strings.TrimSpace(fmt.Sprint(v))
}
