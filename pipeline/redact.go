package pipeline

import (
	"context"

	"github.com/opsgate/opsgate"
)

// redactingDispatcher scrubs secret values from every text a command sends to chat.
type redactingDispatcher struct {
	opsgate.Dispatcher
	r opsgate.Redactor
}

func (d *redactingDispatcher) Send(ctx context.Context, m opsgate.Message) (opsgate.MessageRef, error) {
	if _, nop := d.r.(opsgate.NopRedactor); nop {
		return d.Dispatcher.Send(ctx, m)
	}
	blocks := make([]opsgate.Block, len(m.Blocks))
	for i, b := range m.Blocks {
		blocks[i] = redactBlock(d.r, b)
	}
	m.Blocks = blocks
	return d.Dispatcher.Send(ctx, m)
}

func redactBlock(r opsgate.Redactor, b opsgate.Block) opsgate.Block {
	switch v := b.(type) {
	case opsgate.Text:
		v.Markdown = r.Redact(v.Markdown)
		return v
	case opsgate.Header:
		v.Text = r.Redact(v.Text)
		return v
	case opsgate.Snippet:
		v.Title, v.Content = r.Redact(v.Title), r.Redact(v.Content)
		return v
	case opsgate.Fields:
		fs := make([]opsgate.Field, len(v.Fields))
		for i, f := range v.Fields {
			fs[i] = opsgate.Field{Name: r.Redact(f.Name), Value: r.Redact(f.Value)}
		}
		v.Fields = fs
		return v
	case opsgate.Table:
		rows := make([][]string, len(v.Rows))
		for i, row := range v.Rows {
			rows[i] = make([]string, len(row))
			for j, c := range row {
				rows[i][j] = r.Redact(c)
			}
		}
		v.Rows = rows
		return v
	case opsgate.Image:
		v.Alt = r.Redact(v.Alt)
		return v
	}
	return b
}
