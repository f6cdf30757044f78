package teams

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/kit"
)

// Limits, with room to spare under Teams' documented ~100 KB per message (413 MessageSizeTooBig).
const (
	// MaxActivitySize is the budget of one outgoing activity's JSON.
	MaxActivitySize = 80 << 10
	textChunk       = 20 << 10 // one TextBlock or text message: JSON escaping may grow it
	menuPage        = 100      // choices shown at once; "Next..." pages past them
	cellMax         = 4 << 10  // a fact or table cell: longer is truncated, so one element always fits an activity
	labelMax        = 200      // a choice or button title
	// CardContentType is the attachment type of an Adaptive Card.
	CardContentType = "application/vnd.microsoft.card.adaptive"
	cardVersion     = "1.5" // Table, CodeBlock and input labels; Teams renders 1.5
)

// Sign returns the signed callback token a card's action carries: what the answer re-runs
// (prefix), of which kind, and the first menu choice shown. The caller signs (package callback),
// so this package holds no key.
type Sign func(kind callback.Kind, prefix string, offset int) string

// Card is an Adaptive Card.
type Card struct {
	Type    string `json:"type"`
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Body    []any  `json:"body"`
	// MSTeams widens the card to the message width (tables need it).
	MSTeams map[string]string `json:"msteams,omitempty"`
}

// Element is one Adaptive Card element or action; fields are those of its type.
type Element map[string]any

// Render turns m into activities, each under MaxActivitySize: a message of only text becomes
// markdown text messages; anything else becomes Adaptive Cards. Ephemeral messages render the
// same; the caller sends them to a 1:1 conversation (Personal, CreateConversation).
func Render(m opsgate.Message, sign Sign) []*Activity {
	r := &renderer{sign: sign}
	if onlyText(m) {
		var all []string
		for _, b := range m.Blocks {
			if t := strings.TrimSpace(b.(opsgate.Text).Markdown); t != "" {
				all = append(all, b.(opsgate.Text).Markdown)
			}
		}
		if len(all) == 0 {
			return nil // Teams refuses an empty message
		}
		for _, s := range opsgate.SplitText(strings.Join(all, "\n\n"), textChunk) {
			r.out = append(r.out, &Activity{Type: TypeMessage, TextFormat: "markdown", Text: s})
		}
		return r.out
	}
	for _, b := range m.Blocks {
		r.block(b)
	}
	r.flush()
	return r.out
}

func onlyText(m opsgate.Message) bool {
	for _, b := range m.Blocks {
		if _, ok := b.(opsgate.Text); !ok {
			return false
		}
	}
	return true
}

type renderer struct {
	sign    Sign
	out     []*Activity
	body    []any
	size    int
	summary string
	wide    bool
}

func (r *renderer) block(b opsgate.Block) {
	switch b := b.(type) {
	case opsgate.Text:
		r.text(b.Markdown, nil)
	case opsgate.Header:
		r.add(Element{"type": "TextBlock", "text": b.Text, "size": "Large", "weight": "Bolder", "wrap": true})
		r.note(b.Text)
	case opsgate.Fields:
		facts := make([]Element, 0, len(b.Fields))
		for _, f := range b.Fields {
			facts = append(facts, Element{"title": kit.TruncateBytes(f.Name, cellMax), "value": kit.TruncateBytes(f.Value, cellMax)})
		}
		r.factSets(facts)
	case opsgate.Table:
		r.table(b)
	case opsgate.Snippet:
		r.snippet(b)
	case opsgate.Image:
		if b.URL != "" {
			r.add(Element{"type": "Image", "url": b.URL, "altText": kit.FirstNonEmpty(b.Alt, "image")})
		} else {
			// A local file would need an upload the Bot Connector does not offer for cards.
			r.text("Image: "+kit.FirstNonEmpty(b.Alt, b.Path), nil)
		}
	case opsgate.Actions:
		var acts []Element
		for _, btn := range b.Buttons {
			a := submit(kit.TruncateBytes(btn.Label, labelMax), r.sign(callback.KindButton, btn.Command, 0))
			switch btn.Style {
			case "primary":
				a["style"] = "positive"
			case "danger":
				a["style"] = "destructive"
			}
			acts = append(acts, a)
		}
		if len(acts) > 0 {
			r.add(Element{"type": "ActionSet", "actions": acts})
		}
	case opsgate.Menu:
		r.menu(b)
	case opsgate.TextPrompt:
		r.add(r.form(kit.FirstNonEmpty(b.Prompt, "Your answer:"),
			[]Element{{"type": "Input.Text", "id": inputText, "isRequired": true, "errorMessage": "Type an answer."}},
			submit("Send", r.sign(callback.KindText, b.Prefix, 0)))...)
	case opsgate.Dialog:
		r.dialog(b)
	}
}

// size returns the JSON size of v: the budget is about the bytes Teams receives.
func size(v any) int {
	b, _ := json.Marshal(v)
	return len(b)
}

// add appends elements that must stay on one card (a prompt and its inputs).
func (r *renderer) add(els ...any) {
	n := size(els)
	if r.size > 0 && r.size+n > MaxActivitySize-1024 {
		r.flush()
	}
	r.body = append(r.body, els...)
	r.size += n
}

func (r *renderer) note(s string) {
	if r.summary == "" {
		r.summary = kit.TruncateBytes(s, 200)
	}
}

func (r *renderer) flush() {
	if len(r.body) == 0 {
		return
	}
	card := Card{Type: "AdaptiveCard", Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Version: cardVersion, Body: r.body}
	if r.wide {
		card.MSTeams = map[string]string{"width": "Full"}
	}
	r.out = append(r.out, &Activity{Type: TypeMessage, Summary: r.summary,
		Attachments: []Attachment{{ContentType: CardContentType, Content: card}}})
	r.body, r.size, r.summary, r.wide = nil, 0, "", false
}

// text adds markdown as TextBlocks, split so that each fits; extra sets extra fields (monospace).
func (r *renderer) text(s string, extra Element) {
	if strings.TrimSpace(s) == "" {
		return
	}
	r.note(s)
	for _, c := range opsgate.SplitText(s, textChunk) {
		e := Element{"type": "TextBlock", "text": c, "wrap": true}
		for k, v := range extra {
			e[k] = v
		}
		r.add(e)
	}
}

func (r *renderer) factSets(facts []Element) {
	var cur []Element
	n := 0
	for _, f := range facts {
		fs := size(f)
		if len(cur) > 0 && n+fs > textChunk {
			r.add(Element{"type": "FactSet", "facts": cur})
			cur, n = nil, 0
		}
		cur, n = append(cur, f), n+fs
	}
	if len(cur) > 0 {
		r.add(Element{"type": "FactSet", "facts": cur})
	}
}

// table renders an Adaptive Card Table (header row first), split into several tables (each
// repeating the header) when it does not fit one activity.
func (r *renderer) table(t opsgate.Table) {
	if t.Title != "" {
		r.add(Element{"type": "TextBlock", "text": t.Title, "weight": "Bolder", "wrap": true})
		r.note(t.Title)
	}
	cols := len(t.Header)
	for _, row := range t.Rows {
		cols = max(cols, len(row))
	}
	if cols == 0 {
		return
	}
	row := func(cells []string, header bool) Element {
		out := make([]Element, cols)
		for i := range out {
			c := ""
			if i < len(cells) {
				c = cells[i]
			}
			tb := Element{"type": "TextBlock", "text": kit.TruncateBytes(c, cellMax), "wrap": true}
			if header {
				tb["weight"] = "Bolder"
			}
			out[i] = Element{"type": "TableCell", "items": []Element{tb}}
		}
		return Element{"type": "TableRow", "cells": out}
	}
	columns := make([]Element, cols)
	for i := range columns {
		columns[i] = Element{"width": 1}
	}
	var head []Element
	if len(t.Header) > 0 {
		head = []Element{row(t.Header, true)}
	}
	emit := func(rows []Element) {
		r.add(Element{"type": "Table", "columns": columns, "rows": rows, "firstRowAsHeader": head != nil, "gridStyle": "accent"})
		r.wide = true
	}
	rows, n := append([]Element(nil), head...), size(head)
	budget := MaxActivitySize / 2
	for _, cells := range t.Rows {
		e := row(cells, false)
		es := size(e)
		if len(rows) > len(head) && n+es > budget {
			emit(rows)
			r.flush()
			rows, n = append([]Element(nil), head...), size(head)
		}
		rows, n = append(rows, e), n+es
	}
	if len(rows) > len(head) || len(t.Rows) == 0 {
		emit(rows)
	}
}

// snippet renders preformatted text as Teams' CodeBlock, falling back to a monospace TextBlock
// where a client does not know CodeBlock.
func (r *renderer) snippet(s opsgate.Snippet) {
	if s.Title != "" {
		r.add(Element{"type": "TextBlock", "text": s.Title, "weight": "Bolder", "wrap": true})
		r.note(s.Title)
	}
	for _, c := range opsgate.SplitText(s.Content, textChunk/2) {
		r.add(Element{"type": "CodeBlock", "codeSnippet": c, "language": "PlainText",
			"fallback": Element{"type": "TextBlock", "text": c, "fontType": "Monospace", "wrap": true}})
	}
	r.note(kit.FirstNonEmpty(s.Title, "snippet"))
}

// menu renders one page of choices as a ChoiceSet with Send and Cancel; "Next..." pages on.
func (r *renderer) menu(mn opsgate.Menu) {
	prompt := kit.FirstNonEmpty(mn.Prompt, "Choose one:")
	if len(mn.Choices) == 0 {
		r.text(prompt+"\n\nThere is nothing to choose from.", nil)
		return
	}
	off := mn.Offset
	if off < 0 || off >= len(mn.Choices) {
		off = 0
	}
	end := min(off+menuPage, len(mn.Choices))
	var choices []Element
	for _, c := range mn.Choices[off:end] {
		choices = append(choices, Element{"title": kit.TruncateBytes(kit.FirstNonEmpty(c.Label, c.Value), labelMax), "value": c.Value})
	}
	if end < len(mn.Choices) {
		choices = append(choices, Element{"title": fmt.Sprintf("Next... (%d more)", len(mn.Choices)-end), "value": NextValue})
	}
	if off > 0 {
		prompt += fmt.Sprintf(" (choices %d-%d of %d)", off+1, end, len(mn.Choices))
	}
	label := "Send"
	if mn.Confirm {
		// Adaptive Cards have no confirmation dialog: the button says what it does.
		label = "Run with this choice"
	}
	r.add(r.form(prompt,
		[]Element{{"type": "Input.ChoiceSet", "id": inputMenu, "style": "compact", "isRequired": true,
			"errorMessage": "Choose one.", "placeholder": "Choose...", "choices": choices}},
		submit(label, r.sign(callback.KindMenu, mn.Prefix, off)))...)
}

// dialog renders a form: one input per field, submitted together.
func (r *renderer) dialog(d opsgate.Dialog) {
	var inputs []Element
	for i, f := range d.Fields {
		in := Element{"id": inputField + strconv.Itoa(i), "label": kit.FirstNonEmpty(f.Label, f.Name), "isRequired": !f.Optional}
		if !f.Optional {
			in["errorMessage"] = kit.FirstNonEmpty(f.Label, f.Name) + " is required."
		}
		if f.Default != "" {
			in["value"] = f.Default
		}
		if f.Type == "select" {
			in["type"], in["style"] = "Input.ChoiceSet", "compact"
			var cs []Element
			for _, c := range f.Choices {
				cs = append(cs, Element{"title": kit.FirstNonEmpty(c.Label, c.Value), "value": c.Value})
			}
			in["choices"] = cs
		} else {
			in["type"] = "Input.Text"
		}
		inputs = append(inputs, in)
	}
	send := submit("Submit", r.sign(callback.KindDialog, d.Prefix, 0))
	send["data"].(Element)[dataFields] = len(d.Fields)
	r.add(r.form(kit.FirstNonEmpty(d.Title, "Please fill in:"), inputs, send)...)
}

// form is a prompt, its inputs and a Send and a Cancel action, kept on one card.
func (r *renderer) form(prompt string, inputs []Element, send Element) []any {
	r.note(prompt)
	cancel := submit("Cancel", r.sign(callback.KindCancel, "", 0))
	cancel["associatedInputs"] = "none" // Cancel must not demand the required inputs
	els := []any{Element{"type": "TextBlock", "text": prompt, "wrap": true}}
	for _, in := range inputs {
		els = append(els, in)
	}
	return append(els, Element{"type": "ActionSet", "actions": []Element{send, cancel}})
}

func submit(title, token string) Element {
	return Element{"type": "Action.Submit", "title": title, "data": Element{dataToken: token}}
}
