package opsgate

import (
	"context"
	"slices"
)

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
func RedactDispatcher(d Dispatcher, r Redactor) Dispatcher { return (*Redacting)(nil).Wrap(d, r) }

// Redacting is the Dispatcher RedactDispatcher makes: d, scrubbed by r.
type Redacting struct {
	Dispatcher
	r Redactor
}

// Wrap is RedactDispatcher, using rd (when not nil) for the wrapper it needs: a caller making one
// per request can hold a Redacting in a struct it allocates anyway and save an allocation.
func (rd *Redacting) Wrap(d Dispatcher, r Redactor) Dispatcher {
	if r == nil || d == nil {
		return d
	}
	if _, nop := r.(NopRedactor); nop {
		return d
	}
	if was, ok := d.(*Redacting); ok && was.r == r {
		return d // already scrubbed by the same redactor
	}
	if rd == nil {
		rd = new(Redacting)
	}
	*rd = Redacting{Dispatcher: d, r: r}
	return rd
}

// RedactorOf returns the redactor d scrubs with (NopRedactor when none). A caller that cuts a text
// into several posts redacts with it first: a value cut in two is no longer recognisable.
func RedactorOf(d Dispatcher) Redactor {
	if rd, ok := d.(*Redacting); ok {
		return rd.r
	}
	return NopRedactor{}
}

// Send sends m with its texts scrubbed.
func (d *Redacting) Send(ctx context.Context, m Message) (MessageRef, error) {
	return d.Dispatcher.Send(ctx, RedactMessage(m, d.r))
}

// RedactMessage returns m with r applied to every human-visible text. Values that only travel
// back to opsgate (button commands, menu and dialog prefixes, choice values, field names) and a
// local image path are kept: scrubbing them would break the prompt, not hide anything shown. An
// image URL is scrubbed: a broken image is better than a key in a link. m itself is never
// changed: a block, or a slice, is copied where a text in it changes, and shared where nothing
// does (most replies hold no secret, and copying them was most of redaction's cost).
func RedactMessage(m Message, r Redactor) Message {
	s := &scrub{r: r}
	each(s, &m.Blocks, s.block)
	return m
}

// scrub redacts texts in copies of a message's parts, noting whether anything changed.
type scrub struct {
	r       Redactor
	changed bool
}

// str redacts *p.
func (s *scrub) str(p *string) {
	if out := s.r.Redact(*p); out != *p {
		*p, s.changed = out, true
	}
}

func (s *scrub) text(v string) string { s.str(&v); return v }

func (s *scrub) strs(p *[]string) { each(s, p, s.text) }

// each redacts every element of *p through f, which returns a redacted copy; *p is replaced by a
// copy of itself at the first element that changes, so the caller's slice is never written.
func each[T any](s *scrub, p *[]T, f func(T) T) {
	outer, copied := s.changed, false
	for i, v := range *p {
		s.changed = false
		v = f(v)
		if s.changed {
			if !copied {
				*p, copied = slices.Clone(*p), true
			}
			(*p)[i] = v
		}
	}
	s.changed = outer || copied
}

// block returns b redacted: b itself when no text in it changed.
func (s *scrub) block(b Block) Block {
	switch v := b.(type) {
	case Text:
		s.str(&v.Markdown)
		if s.changed {
			return v
		}
	case Header:
		s.str(&v.Text)
		if s.changed {
			return v
		}
	case Fields:
		each(s, &v.Fields, func(f Field) Field { s.str(&f.Name); s.str(&f.Value); return f })
		if s.changed {
			return v
		}
	case Table:
		s.str(&v.Title)
		s.strs(&v.Header)
		each(s, &v.Rows, func(row []string) []string { s.strs(&row); return row })
		if s.changed {
			return v
		}
	case Snippet:
		s.str(&v.Title)
		s.str(&v.Filename)
		s.str(&v.Content)
		if s.changed {
			return v
		}
	case Image:
		s.str(&v.URL)
		s.str(&v.Alt)
		if s.changed {
			return v
		}
	case Actions:
		each(s, &v.Buttons, func(btn Button) Button { s.str(&btn.Label); return btn })
		if s.changed {
			return v
		}
	case Menu:
		s.str(&v.Prompt)
		each(s, &v.Choices, s.choice)
		if s.changed {
			return v
		}
	case Dialog:
		s.str(&v.Title)
		each(s, &v.Fields, func(f DialogField) DialogField {
			s.str(&f.Label)
			s.str(&f.Default)
			each(s, &f.Choices, s.choice)
			return f
		})
		if s.changed {
			return v
		}
	case TextPrompt:
		s.str(&v.Prompt)
		if s.changed {
			return v
		}
	}
	return b
}

func (s *scrub) choice(c Choice) Choice { s.str(&c.Label); return c }
