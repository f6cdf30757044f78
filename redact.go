package opsgate

import "context"

// Redactor scrubs every secret value opsgate has resolved from text before it is logged, stored
// or sent to chat. The zero value of opsgate's services uses NopRedactor.
type Redactor interface {
	Redact(s string) string
}

// NopRedactor redacts nothing.
type NopRedactor struct{}

// Redact returns s unchanged.
func (NopRedactor) Redact(s string) string { return s }

// RedactDispatcher returns d with r applied to every text a person can see in what it sends, in
// every block kind. Whatever posts to chat (command replies, prompts, errors, announcements,
// webhook posts) gets its dispatcher through this, so no platform or caller can skip redaction.
// With a nil or NopRedactor, d itself is returned: nothing to scrub, nothing allocated.
func RedactDispatcher(d Dispatcher, r Redactor) Dispatcher {
	if r == nil || d == nil {
		return d
	}
	if _, nop := r.(NopRedactor); nop {
		return d
	}
	if rd, ok := d.(*redactingDispatcher); ok && rd.r == r {
		return d // already scrubbed by the same redactor
	}
	return &redactingDispatcher{Dispatcher: d, r: r}
}

// RedactorOf returns the redactor d scrubs with (NopRedactor when none). A caller that cuts a text
// into several posts redacts with it first: a value cut in two is no longer recognisable.
func RedactorOf(d Dispatcher) Redactor {
	if rd, ok := d.(*redactingDispatcher); ok {
		return rd.r
	}
	return NopRedactor{}
}

type redactingDispatcher struct {
	Dispatcher
	r Redactor
}

func (d *redactingDispatcher) Send(ctx context.Context, m Message) (MessageRef, error) {
	return d.Dispatcher.Send(ctx, RedactMessage(m, d.r))
}

// RedactMessage returns a copy of m with r applied to every human-visible text. Values that
// only travel back to opsgate (button commands, menu and dialog prefixes, choice values, field
// names) and a local image path are kept: scrubbing them would break the prompt, not hide
// anything shown. An image URL is scrubbed: a broken image is better than a key in a link.
func RedactMessage(m Message, r Redactor) Message {
	blocks := make([]Block, len(m.Blocks))
	for i, b := range m.Blocks {
		blocks[i] = redactBlock(b, r)
	}
	m.Blocks = blocks
	return m
}

func redactBlock(b Block, r Redactor) Block {
	switch v := b.(type) {
	case Text:
		v.Markdown = r.Redact(v.Markdown)
		return v
	case Header:
		v.Text = r.Redact(v.Text)
		return v
	case Fields:
		fs := make([]Field, len(v.Fields))
		for i, f := range v.Fields {
			fs[i] = Field{Name: r.Redact(f.Name), Value: r.Redact(f.Value)}
		}
		v.Fields = fs
		return v
	case Table:
		v.Title = r.Redact(v.Title)
		v.Header = redactAll(v.Header, r)
		rows := make([][]string, len(v.Rows))
		for i, row := range v.Rows {
			rows[i] = redactAll(row, r)
		}
		v.Rows = rows
		return v
	case Snippet:
		v.Title, v.Filename, v.Content = r.Redact(v.Title), r.Redact(v.Filename), r.Redact(v.Content)
		return v
	case Image:
		v.URL, v.Alt = r.Redact(v.URL), r.Redact(v.Alt)
		return v
	case Actions:
		bs := make([]Button, len(v.Buttons))
		for i, btn := range v.Buttons {
			btn.Label = r.Redact(btn.Label)
			bs[i] = btn
		}
		v.Buttons = bs
		return v
	case Menu:
		v.Prompt = r.Redact(v.Prompt)
		v.Choices = redactChoices(v.Choices, r)
		return v
	case Dialog:
		v.Title = r.Redact(v.Title)
		fs := make([]DialogField, len(v.Fields))
		for i, f := range v.Fields {
			f.Label, f.Default = r.Redact(f.Label), r.Redact(f.Default)
			f.Choices = redactChoices(f.Choices, r)
			fs[i] = f
		}
		v.Fields = fs
		return v
	case TextPrompt:
		v.Prompt = r.Redact(v.Prompt)
		return v
	}
	return b
}

func redactAll(ss []string, r Redactor) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = r.Redact(s)
	}
	return out
}

func redactChoices(cs []Choice, r Redactor) []Choice {
	if cs == nil {
		return nil
	}
	out := make([]Choice, len(cs))
	for i, c := range cs {
		out[i] = Choice{Label: r.Redact(c.Label), Value: c.Value}
	}
	return out
}
