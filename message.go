package opsgate

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Message is what a command shows, independent of any platform. Each platform renders the blocks
// it can and degrades the rest to text, so a command written once runs everywhere.
type Message struct {
	Blocks []Block
	// Ephemeral messages are shown only to the caller (a private 1:1 message where the platform has no ephemeral posts).
	Ephemeral bool
	// InThread replies in the request's thread when the platform has threads.
	InThread bool
}

// Block is one element of a Message. The set is closed: the types in this file.
type Block interface{ block() }

// Text is markdown (CommonMark subset: *bold*, `code`, links) rendered in the platform's dialect.
type Text struct{ Markdown string }

// Header is a short title line.
type Header struct{ Text string }

// Fields is a list of name/value pairs (Slack section fields, a Teams FactSet).
type Fields struct{ Fields []Field }

// Field is one name/value pair.
type Field struct{ Name, Value string }

// Table is tabular data; large tables are sent as a snippet or chunked where a platform needs it.
type Table struct {
	Title  string
	Header []string
	Rows   [][]string
}

// Snippet is preformatted text, uploaded as a file where the platform allows and it is long.
type Snippet struct {
	Title    string
	Filename string
	Content  string
}

// Image is a picture by URL (or a local file path the platform uploads).
type Image struct {
	URL  string
	Path string
	Alt  string
}

// Actions is a row of buttons; pressing one runs Button.Command through the pipeline again
// (with the access check), as if the user had typed it. Only the user the message answers may
// press them, unless Anyone: then whoever presses runs the command as themselves (approvals).
type Actions struct {
	Buttons []Button
	Anyone  bool
}

// Button runs Command when pressed.
type Button struct {
	Label   string
	Command string
	Style   string // "", "primary", "danger"
}

// Menu asks the user to pick one choice; the answer runs Prefix + " " + quoted value.
// Platforms page long menus (Offset is the first choice shown) and offer Cancel.
type Menu struct {
	Prompt  string
	Prefix  string
	Choices []Choice
	Confirm bool
	Offset  int
}

// Choice is one menu entry.
type Choice struct{ Label, Value string }

// Dialog asks for several values at once; submitting runs Prefix followed by each value, quoted, in field order.
type Dialog struct {
	Title  string
	Prefix string
	Fields []DialogField
}

// DialogField is one input of a Dialog.
type DialogField struct {
	Type     string // "text" or "select"
	Name     string
	Label    string
	Choices  []Choice
	Default  string
	Optional bool
}

// TextPrompt asks for one free-text value; the answer runs Prefix + " " + quoted value.
type TextPrompt struct {
	Prompt string
	Prefix string
}

func (Text) block()       {}
func (Header) block()     {}
func (Fields) block()     {}
func (Table) block()      {}
func (Snippet) block()    {}
func (Image) block()      {}
func (Actions) block()    {}
func (Menu) block()       {}
func (Dialog) block()     {}
func (TextPrompt) block() {}

// Textf returns a message with one markdown block.
func Textf(format string, args ...any) Message {
	return Message{Blocks: []Block{Text{Markdown: fmt.Sprintf(format, args...)}}}
}

// MessageRef identifies a posted message so it can be deleted or updated; opaque to callers.
type MessageRef string

// Dispatcher sends messages into one conversation: the one a request came from.
// Platform adapters create one per request.
type Dispatcher interface {
	// Send posts m and returns a reference to it ("" when the platform gives none).
	Send(ctx context.Context, m Message) (MessageRef, error)
	// Delete removes a message the bot posted (used for delete_input_on_submission).
	Delete(ctx context.Context, ref MessageRef) error
	// Busy shows a typing/busy indicator where the platform has one.
	Busy(ctx context.Context) error
}

// Text returns the table as plain text in aligned columns, for code blocks and snippets.
// Widths count runes so accented names do not shift the columns.
func (t Table) Text() string {
	width := make([]int, len(t.Header))
	grow := func(row []string) {
		for i, c := range row {
			if i >= len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	grow(t.Header)
	for _, r := range t.Rows {
		grow(r)
	}
	var b strings.Builder
	line := func(row []string) {
		for i, c := range row {
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(c)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", width[i]-utf8.RuneCountInString(c)))
			}
		}
		b.WriteByte('\n')
	}
	if len(t.Header) > 0 {
		line(t.Header)
		sep := make([]string, len(t.Header))
		for i := range sep {
			sep[i] = strings.Repeat("-", width[i])
		}
		line(sep)
	}
	for _, r := range t.Rows {
		line(r)
	}
	return strings.TrimRight(b.String(), "\n")
}

// SplitText splits s into chunks of at most limit bytes, breaking after a newline where it can,
// else after a space, else between runes. Platforms use it to send long output in several posts
// rather than reject it.
func SplitText(s string, limit int) []string {
	if limit < utf8.UTFMax {
		limit = utf8.UTFMax
	}
	var out []string
	for len(s) > limit {
		cut := strings.LastIndexByte(s[:limit], '\n') + 1
		if cut < limit/2 {
			if sp := strings.LastIndexByte(s[:limit], ' ') + 1; sp > cut {
				cut = sp
			}
		}
		if cut < limit/2 {
			cut = limit
			for cut > 0 && !utf8.RuneStart(s[cut]) {
				cut--
			}
		}
		out = append(out, s[:cut])
		s = s[cut:]
	}
	if s != "" || len(out) == 0 {
		out = append(out, s)
	}
	return out
}
