package slack

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/kit"
)

// Slack's Block Kit limits, with room to spare.
const (
	sectionLimit   = 3000 // characters of a section's text
	codeLimit      = 2900 // a section holding a code block, fences included
	maxBlocks      = 45   // per message (Slack allows 50)
	maxMessageText = 12000
	menuPage       = 99  // a static_select holds 100 options: 99 choices and "Next..."
	optionValueMax = 150 // bytes of an option value
	idMax          = 255 // action_id and block_id
	buttonValueMax = 2000
	nextValue      = "opsgate:next"
)

// part is one post (or upload, or modal) a Message becomes.
type part struct {
	blocks    []slack.Block
	text      string // notification fallback
	size      int
	upload    *opsgate.Snippet
	imagePath string
	dialog    *opsgate.Dialog
}

type renderer struct {
	c     *conversation
	m     opsgate.Message
	parts []part
	cur   part
	ids   int
}

// render turns m into posts: blocks in order, split where Slack's limits require, long snippets
// uploaded as files (or split into code blocks where a file cannot go, e.g. ephemeral replies).
func (c *conversation) render(m opsgate.Message) []part {
	r := &renderer{c: c, m: m}
	for _, b := range m.Blocks {
		switch b := b.(type) {
		case opsgate.Text:
			if strings.TrimSpace(b.Markdown) == "" {
				continue // Slack refuses a section without text
			}
			for _, s := range opsgate.SplitText(mrkdwn(b.Markdown), sectionLimit) {
				r.add(len(s), section(s))
				r.fallback(b.Markdown)
			}
		case opsgate.Header:
			r.add(len(b.Text), slack.NewHeaderBlock(plain(b.Text, 150)))
			r.fallback(b.Text)
		case opsgate.Fields:
			for i := 0; i < len(b.Fields); i += 10 {
				r.fields(b.Fields[i:min(i+10, len(b.Fields))])
			}
		case opsgate.Table:
			r.code(opsgate.Snippet{Title: b.Title, Filename: "table.txt", Content: b.Text()})
		case opsgate.Snippet:
			r.code(b)
		case opsgate.Image:
			switch {
			case b.URL != "":
				r.add(len(b.URL), slack.NewImageBlock(b.URL, kit.FirstNonEmpty(b.Alt, "image"), "", nil))
			case b.Path != "" && !m.Ephemeral:
				r.flush()
				r.parts = append(r.parts, part{imagePath: b.Path, text: b.Alt})
			default:
				s := "Image: " + escape(kit.FirstNonEmpty(b.Alt, b.Path))
				r.add(len(s), section(s))
			}
		case opsgate.Actions:
			r.buttons(b)
		case opsgate.Menu:
			r.menu(b)
		case opsgate.TextPrompt:
			r.textPrompt(b)
		case opsgate.Dialog:
			r.flush()
			d := b
			r.parts = append(r.parts, part{dialog: &d})
		}
	}
	r.flush()
	return r.parts
}

// fields adds one section of fields (at most 10, Slack's limit), each "*name*\nvalue" in mrkdwn. The texts are
// written into one string and the text objects into one array: three allocations for the
// section instead of three per field (whoami is such a section).
func (r *renderer) fields(fields []opsgate.Field) {
	size := 0
	for _, f := range fields {
		size += len(f.Name) + len(f.Value) + 3
	}
	var all strings.Builder
	all.Grow(size) // once more only if escaping lengthens the text
	var ends [10]int
	for i, f := range fields {
		all.WriteString("*")
		all.WriteString(escape(f.Name))
		all.WriteString("*\n")
		all.WriteString(mrkdwn(f.Value))
		ends[i] = all.Len()
	}
	texts := all.String()
	objs := make([]slack.TextBlockObject, len(fields))
	fs := make([]*slack.TextBlockObject, len(fields))
	n, start := 0, 0
	for i, end := range ends[:len(fields)] {
		s := kit.Truncate(texts[start:end], 2000)
		start = end
		n += len(s)
		objs[i] = slack.TextBlockObject{Type: slack.MarkdownType, Text: s} // as NewTextBlockObject makes mrkdwn
		fs[i] = &objs[i]
	}
	r.add(n, slack.NewSectionBlock(nil, fs, nil))
}

func (r *renderer) add(size int, b slack.Block) {
	if len(r.cur.blocks) >= maxBlocks || (r.cur.size > 0 && r.cur.size+size > maxMessageText) {
		r.flush()
	}
	r.cur.blocks = append(r.cur.blocks, b)
	r.cur.size += size
}

func (r *renderer) fallback(s string) {
	if r.cur.text == "" {
		r.cur.text = kit.Truncate(s, 300)
	}
}

func (r *renderer) flush() {
	if len(r.cur.blocks) > 0 {
		if r.cur.text == "" {
			r.cur.text = "opsgate"
		}
		r.parts = append(r.parts, r.cur)
	}
	r.cur = part{}
}

// code shows preformatted text: inline when short, as an uploaded file when long, split into
// several code blocks when it cannot be a file (ephemeral: a file would be visible to everyone).
func (r *renderer) code(s opsgate.Snippet) {
	title := ""
	if s.Title != "" {
		title = "*" + escape(s.Title) + "*\n"
	}
	if len(s.Content)+len(title)+8 <= codeLimit {
		t := title + "```" + escape(s.Content) + "```"
		r.add(len(t), section(t))
		r.fallback(kit.FirstNonEmpty(s.Title, "snippet"))
		return
	}
	if !r.m.Ephemeral {
		r.flush()
		sn := s
		r.parts = append(r.parts, part{upload: &sn, text: s.Title})
		return
	}
	r.codeChunks(s)
}

func (r *renderer) codeChunks(s opsgate.Snippet) {
	if s.Title != "" {
		t := "*" + escape(s.Title) + "*"
		r.add(len(t), section(t))
	}
	for _, c := range opsgate.SplitText(escapeCode(s.Content), codeLimit-8) {
		t := "```" + c + "```"
		r.add(len(t), section(t))
	}
}

func (r *renderer) id() int { r.ids++; return r.ids }

func (r *renderer) buttons(a opsgate.Actions) {
	var els []slack.BlockElement
	for i, b := range a.Buttons {
		tok := r.c.sign(callback.KindButton, b.Command, 0)
		if a.Anyone { // bound to no user: the presser's own request, access checked as them
			tok = r.c.h.Callbacks.Sign(callback.Payload{Kind: callback.KindButton, Prefix: b.Command, ChannelID: r.c.channel, ThreadID: r.c.thread})
		}
		if len(tok) > buttonValueMax {
			t := "Run: `" + escape(b.Command) + "`"
			r.add(len(t), section(t))
			continue
		}
		btn := slack.NewButtonBlockElement("ogb"+strconv.Itoa(i), tok, plain(b.Label, 75))
		if b.Style == "primary" || b.Style == "danger" {
			btn.Style = slack.Style(b.Style)
		}
		els = append(els, btn)
	}
	for i := 0; i < len(els); i += 25 {
		r.add(100, slack.NewActionBlock("ogb"+strconv.Itoa(r.id()), els[i:min(i+25, len(els))]...))
	}
}

func (r *renderer) cancel() *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement("ogc", r.c.sign(callback.KindCancel, "", 0), plain("Cancel", 75))
}

// menu renders a static_select of one page of choices, "Next..." when more follow, and Cancel.
// The signed token is split across action_id and block_id (255 characters each).
func (r *renderer) menu(mn opsgate.Menu) {
	prompt := kit.FirstNonEmpty(mn.Prompt, "Choose one:")
	off := mn.Offset
	if off == 0 {
		off = r.c.menuOffset
	}
	if off < 0 || off >= len(mn.Choices) {
		off = 0
	}
	if len(mn.Choices) == 0 {
		t := escape(prompt) + "\nThere is nothing to choose from."
		r.add(len(t), section(t))
		return
	}
	var opts []*slack.OptionBlockObject
	skipped := 0
	end := min(off+menuPage, len(mn.Choices))
	for _, ch := range mn.Choices[off:end] {
		if len(ch.Value) > optionValueMax || ch.Value == nextValue {
			skipped++
			continue
		}
		opts = append(opts, slack.NewOptionBlockObject(ch.Value, plain(kit.FirstNonEmpty(ch.Label, ch.Value), 75), nil))
	}
	if end < len(mn.Choices) {
		opts = append(opts, slack.NewOptionBlockObject(nextValue, plain(fmt.Sprintf("Next... (%d more)", len(mn.Choices)-end), 75), nil))
	}
	tok := r.c.sign(callback.KindMenu, mn.Prefix, off)
	actionID, blockID, ok := splitToken("ogm", tok, r.id())
	if !ok || len(opts) == 0 {
		r.typeIt(prompt, mn.Prefix, mn.Choices[off:end])
		return
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose...", 150), actionID, opts...)
	if mn.Confirm {
		sel.Confirm = slack.NewConfirmationBlockObject(plain("Are you sure?", 100),
			slack.NewTextBlockObject(slack.PlainTextType, "Run the command with this choice?", false, false),
			plain("Yes", 30), plain("No", 30))
	}
	t := escape(prompt)
	if off > 0 {
		t += fmt.Sprintf(" (choices %d-%d of %d)", off+1, end, len(mn.Choices))
	}
	if skipped > 0 {
		t += fmt.Sprintf("\n%d choices are too long for a Slack menu; type the command with the value instead.", skipped)
	}
	r.add(len(t), section(t))
	r.add(200, slack.NewActionBlock(blockID, sel, r.cancel()))
}

// textPrompt renders a text input that submits on Enter (dispatch_action), and Cancel.
func (r *renderer) textPrompt(p opsgate.TextPrompt) {
	tok := r.c.sign(callback.KindText, p.Prefix, 0)
	actionID, blockID, ok := splitToken("ogt", tok, r.id())
	prompt := kit.FirstNonEmpty(p.Prompt, "Enter a value:")
	if !ok {
		r.typeIt(prompt, p.Prefix, nil)
		return
	}
	in := slack.NewInputBlock(blockID, plain(prompt, 2000), nil, slack.NewPlainTextInputBlockElement(nil, actionID))
	in.DispatchAction = true
	r.add(len(prompt), in)
	r.add(100, slack.NewActionBlock("ogc"+strconv.Itoa(r.id()), r.cancel()))
}

// typeIt degrades a prompt whose token cannot fit Slack's ids to instructions for typing the answer.
func (r *renderer) typeIt(prompt, prefix string, choices []opsgate.Choice) {
	var b strings.Builder
	b.WriteString(escape(prompt))
	for _, c := range choices {
		b.WriteString("\n• `" + escape(c.Value) + "` " + escape(c.Label))
	}
	b.WriteString("\nReply with: `" + escape(prefix) + " <value>`")
	for _, s := range opsgate.SplitText(b.String(), sectionLimit) {
		r.add(len(s), section(s))
	}
}

// splitToken places tok in action_id (after tag) and the remainder in block_id ("og<n>." + rest).
func splitToken(tag, tok string, n int) (actionID, blockID string, ok bool) {
	cut := min(len(tok), idMax-len(tag))
	bp := "og" + strconv.Itoa(n) + "."
	if len(tok)-cut > idMax-len(bp) {
		return "", "", false
	}
	return tag + tok[:cut], bp + tok[cut:], true
}

// joinToken reverses splitToken.
func joinToken(tag, actionID, blockID string) (string, bool) {
	a, ok := strings.CutPrefix(actionID, tag)
	if !ok {
		return "", false
	}
	_, rest, _ := strings.Cut(blockID, ".")
	return a + rest, true
}

func section(mrk string) *slack.SectionBlock {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, mrk, false, false), nil, nil)
}

func plain(s string, limit int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, kit.Truncate(kit.FirstNonEmpty(s, " "), limit), false, false)
}

var (
	escaper    = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	mdLink     = regexp.MustCompile(`\[([^\]\n]+)\]\((https?://[^)\s]+)\)`)
	mdBold     = regexp.MustCompile(`\*\*([^*\n]+)\*\*`)
	escapeCode = escaper.Replace
)

// escape makes text safe in Slack mrkdwn (Slack requires &, < and > escaped).
func escape(s string) string { return escaper.Replace(s) }

// mrkdwn converts the CommonMark subset of opsgate.Text into Slack's dialect: **bold** to *bold*,
// [text](url) to <url|text>.
func mrkdwn(s string) string {
	s = escape(s)
	if strings.Contains(s, "**") { // most text has neither: no regexp pass (they allocate even on no match)
		s = mdBold.ReplaceAllString(s, "*$1*")
	}
	if strings.Contains(s, "](") {
		s = mdLink.ReplaceAllString(s, "<$2|$1>")
	}
	return s
}
