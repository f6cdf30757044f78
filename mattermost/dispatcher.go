package mattermost

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/kit"
)

const (
	// postLimit is Mattermost's maximum post length (16383 characters).
	postLimit = 16383
	// menuPage keeps menus usable: 99 choices and "Next...".
	menuPage   = 99
	nextValue  = "opsgate:next"
	triggerTTL = 2500 * time.Millisecond
)

// conversation is the opsgate.Dispatcher of one request: posts in its channel (thread) as the bot.
type conversation struct {
	h   *Handler
	req opsgate.Request // where and for whom
	// menuOffset pages a menu re-sent after "Next..." was picked.
	menuOffset int

	mu          sync.Mutex
	responseURL string
	triggerID   string
	triggerAt   time.Time
}

var _ opsgate.Dispatcher = (*conversation)(nil)

// post is a Mattermost post as REST v4 takes it.
type post struct {
	ID        string         `json:"id,omitempty"`
	ChannelID string         `json:"channel_id"`
	Message   string         `json:"message"`
	RootID    string         `json:"root_id,omitempty"`
	Props     map[string]any `json:"props,omitempty"`
	FileIDs   []string       `json:"file_ids,omitempty"`
}

type attachment struct {
	Fallback string    `json:"fallback,omitempty"`
	Title    string    `json:"title,omitempty"`
	Text     string    `json:"text,omitempty"`
	Color    string    `json:"color,omitempty"`
	Actions  []*action `json:"actions,omitempty"`
}

type action struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Type        string       `json:"type"` // "button" or "select"
	Style       string       `json:"style,omitempty"`
	Options     []option     `json:"options,omitempty"`
	Integration *integration `json:"integration"`
}

type option struct {
	Text  string `json:"text"`
	Value string `json:"value"`
}

type integration struct {
	URL     string         `json:"url"`
	Context map[string]any `json:"context"`
}

func (c *conversation) sign(k callback.Kind, prefix string, offset int) string {
	r := c.req
	return c.h.Callbacks.Sign(callback.Payload{Kind: k, Prefix: prefix, UserID: r.UserID, UserName: r.UserName,
		OrgID: r.OrgID, OrgName: r.OrgName, ChannelID: r.ChannelID, ChannelName: r.ChannelName, ThreadID: r.ThreadID, Offset: offset})
}

func (c *conversation) integration(tok string, ephemeral bool, extra ...string) *integration {
	ctx := map[string]any{"t": tok, "e": ephemeral}
	for i := 0; i+1 < len(extra); i += 2 {
		ctx[extra[i]] = extra[i+1]
	}
	return &integration{URL: c.h.interactionURL(), Context: ctx}
}

// Send posts m: markdown in as many posts as the 16383-character limit needs, interactive
// elements as message attachments whose integration context carries a signed token.
func (c *conversation) Send(ctx context.Context, m opsgate.Message) (opsgate.MessageRef, error) {
	var text strings.Builder
	var atts []attachment
	var dialogs []*opsgate.Dialog
	var files []string
	para := func(s string) {
		if text.Len() > 0 {
			text.WriteString("\n")
		}
		text.WriteString(s)
		text.WriteString("\n")
	}
	for _, b := range m.Blocks {
		switch b := b.(type) {
		case opsgate.Text:
			para(b.Markdown)
		case opsgate.Header:
			para("#### " + b.Text)
		case opsgate.Fields:
			var s strings.Builder
			for _, f := range b.Fields {
				s.WriteString("**" + f.Name + ":** " + f.Value + "\n")
			}
			para(strings.TrimRight(s.String(), "\n"))
		case opsgate.Table:
			para(kit.CodeBlock(b.Title, b.Text()))
		case opsgate.Snippet:
			para(kit.CodeBlock(b.Title, b.Content))
		case opsgate.Image:
			switch {
			case b.URL != "":
				para("![" + b.Alt + "](" + b.URL + ")")
			case b.Path != "" && !m.Ephemeral:
				files = append(files, b.Path)
			default:
				para("Image: " + kit.FirstNonEmpty(b.Alt, b.Path))
			}
		case opsgate.Actions:
			a := attachment{}
			for i, btn := range b.Buttons {
				a.Actions = append(a.Actions, &action{ID: fmt.Sprintf("ogb%d", i), Name: btn.Label, Type: "button", Style: btn.Style,
					Integration: c.integration(c.sign(callback.KindButton, btn.Command, 0), m.Ephemeral)})
			}
			atts = append(atts, a)
		case opsgate.Menu:
			atts = append(atts, c.menu(b, m.Ephemeral))
		case opsgate.TextPrompt:
			prompt := kit.FirstNonEmpty(b.Prompt, "Enter a value:")
			atts = append(atts, attachment{Text: prompt, Actions: []*action{
				{ID: "ogtext", Name: "Answer", Type: "button", Style: "primary",
					Integration: c.integration(c.sign(callback.KindText, b.Prefix, 0), m.Ephemeral, "p", prompt)},
				c.cancel(m.Ephemeral),
			}})
		case opsgate.Dialog:
			d := b
			dialogs = append(dialogs, &d)
		}
	}
	var first opsgate.MessageRef
	var fileIDs []string
	for _, f := range files {
		id, err := c.upload(ctx, f)
		if err != nil {
			c.h.Logger.Warn("mattermost: image upload failed", "path", f, "err", err)
			para("Image: " + filepath.Base(f))
			continue
		}
		fileIDs = append(fileIDs, id)
	}
	chunks := splitPostText(text.String())
	for i, chunk := range chunks {
		p := post{ChannelID: c.req.ChannelID, Message: chunk}
		if i == len(chunks)-1 {
			if len(atts) > 0 {
				p.Props = map[string]any{"attachments": atts}
			}
			p.FileIDs = fileIDs
		}
		if p.Message == "" && p.Props == nil && len(p.FileIDs) == 0 {
			continue
		}
		ref, err := c.post(ctx, m, p)
		if err != nil {
			c.undeliverable(ctx, err)
			return first, err
		}
		if first == "" {
			first = ref
		}
	}
	for _, d := range dialogs {
		if err := c.openDialog(ctx, m, d); err != nil {
			c.undeliverable(ctx, err)
			return first, err
		}
	}
	return first, nil
}

func (c *conversation) cancel(ephemeral bool) *action {
	return &action{ID: "ogcancel", Name: "Cancel", Type: "button", Integration: c.integration(c.sign(callback.KindCancel, "", 0), ephemeral)}
}

// menu renders a select of one page of choices, "Next..." when more follow, and Cancel.
func (c *conversation) menu(mn opsgate.Menu, ephemeral bool) attachment {
	off := mn.Offset
	if off == 0 {
		off = c.menuOffset
	}
	if off < 0 || off >= len(mn.Choices) {
		off = 0
	}
	prompt := kit.FirstNonEmpty(mn.Prompt, "Choose one:")
	if len(mn.Choices) == 0 {
		return attachment{Text: prompt + "\nThere is nothing to choose from."}
	}
	end := min(off+menuPage, len(mn.Choices))
	var opts []option
	for _, ch := range mn.Choices[off:end] {
		opts = append(opts, option{Text: kit.FirstNonEmpty(ch.Label, ch.Value), Value: ch.Value})
	}
	if end < len(mn.Choices) {
		opts = append(opts, option{Text: fmt.Sprintf("Next... (%d more)", len(mn.Choices)-end), Value: nextValue})
	}
	if off > 0 {
		prompt += fmt.Sprintf(" (choices %d-%d of %d)", off+1, end, len(mn.Choices))
	}
	// Mattermost has no confirm step on selects: Confirm degrades to a note.
	if mn.Confirm {
		prompt += "\nThe command runs as soon as you choose."
	}
	return attachment{Text: prompt, Actions: []*action{
		{ID: "ogmenu", Name: "Choose...", Type: "select", Options: opts, Integration: c.integration(c.sign(callback.KindMenu, mn.Prefix, off), ephemeral)},
		c.cancel(ephemeral),
	}}
}

// post creates p in the channel, or for the user only when m is ephemeral. Ephemeral posts need a
// system-admin bot (Nautobot #164); without one, the slash command's response_url still works.
func (c *conversation) post(ctx context.Context, m opsgate.Message, p post) (opsgate.MessageRef, error) {
	if m.InThread {
		p.RootID = c.req.ThreadID
	}
	var created post
	var err error
	if m.Ephemeral {
		err = c.h.call(ctx, "POST", c.h.api("/posts/ephemeral"), map[string]any{"user_id": c.req.UserID, "post": p}, &created, true)
		var ae *apiError
		if errors.As(err, &ae) && (ae.Status == http.StatusForbidden || ae.Status == http.StatusUnauthorized) {
			if err2 := c.respond(ctx, "ephemeral", p); err2 == nil {
				return "", nil
			}
		}
		return "", err // ephemeral posts cannot be deleted through the API: no reference
	}
	err = c.h.call(ctx, "POST", c.h.api("/posts"), p, &created, true)
	return opsgate.MessageRef(created.ID), err
}

// respond posts to the slash command's response_url.
func (c *conversation) respond(ctx context.Context, responseType string, p post) error {
	c.mu.Lock()
	u := c.responseURL
	c.mu.Unlock()
	if u == "" {
		return errors.New("mattermost: no response_url")
	}
	body := map[string]any{"response_type": responseType, "text": p.Message}
	if atts, ok := p.Props["attachments"]; ok {
		body["attachments"] = atts
	}
	return c.h.call(ctx, "POST", u, body, nil, false)
}

// undeliverable tells the user their result could not be delivered, and logs it.
func (c *conversation) undeliverable(ctx context.Context, cause error) {
	// The run's context may be what ran out; the notice gets its own time.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	c.h.Logger.Error("mattermost: delivery failed", "channel", c.req.ChannelID, "user", c.req.UserID, "err", cause)
	p := post{ChannelID: c.req.ChannelID, Message: kit.Undeliverable("")}
	if err := c.respond(ctx, "ephemeral", p); err == nil {
		return
	}
	if err := c.h.call(ctx, "POST", c.h.api("/posts/ephemeral"), map[string]any{"user_id": c.req.UserID, "post": p}, nil, true); err != nil {
		c.h.Logger.Error("mattermost: could not tell the user about a failed delivery", "user", c.req.UserID, "err", err)
	}
}

// openDialog opens an interactive dialog while the trigger_id is fresh (Mattermost gives ~3 s);
// otherwise posts a button whose click re-runs the command with a fresh trigger_id (Nautobot #5).
func (c *conversation) openDialog(ctx context.Context, m opsgate.Message, d *opsgate.Dialog) error {
	c.mu.Lock()
	trigger := c.triggerID
	fresh := trigger != "" && c.h.Now().Sub(c.triggerAt) < triggerTTL
	c.triggerID = ""
	c.mu.Unlock()
	if fresh {
		err := c.h.call(ctx, "POST", c.h.api("/actions/dialogs/open"), c.dialog(trigger, d), nil, true)
		if err == nil {
			return nil
		}
		c.h.Logger.Warn("mattermost: dialogs/open failed, offering a button", "err", err)
	}
	m.Ephemeral = true
	_, err := c.post(ctx, m, post{ChannelID: c.req.ChannelID, Props: map[string]any{"attachments": []attachment{{
		Text: kit.FirstNonEmpty(d.Title, "More input needed"),
		Actions: []*action{
			{ID: "ogopen", Name: "Open form", Type: "button", Style: "primary", Integration: c.integration(c.sign(callback.KindOpenDialog, d.Prefix, 0), true)},
			c.cancel(true),
		}}}}})
	return err
}

// dialog is the dialogs/open request for d; element names f0, f1... keep the field order and
// state carries the signed token.
func (c *conversation) dialog(trigger string, d *opsgate.Dialog) map[string]any {
	var els []map[string]any
	for i, f := range d.Fields {
		el := map[string]any{"display_name": kit.Truncate(kit.FirstNonEmpty(f.Label, f.Name), 24), "name": fmt.Sprintf("f%d", i),
			"type": "text", "optional": f.Optional, "default": f.Default}
		if f.Type == "select" && len(f.Choices) > 0 {
			var opts []option
			for _, ch := range f.Choices {
				opts = append(opts, option{Text: kit.FirstNonEmpty(ch.Label, ch.Value), Value: ch.Value})
			}
			el["type"], el["options"] = "select", opts
		}
		els = append(els, el)
	}
	return map[string]any{
		"trigger_id": trigger,
		"url":        c.h.interactionURL(),
		"dialog": map[string]any{
			"callback_id": "opsgate", "title": kit.Truncate(kit.FirstNonEmpty(d.Title, "opsgate"), 24), "submit_label": "Submit",
			"elements": els, "state": c.sign(callback.KindDialog, d.Prefix, 0),
		},
	}
}

// upload sends a local file to the channel (POST /api/v4/files) and returns its id for a post.
func (c *conversation) upload(ctx context.Context, path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var out struct {
		FileInfos []struct {
			ID string `json:"id"`
		} `json:"file_infos"`
	}
	err = c.h.retry(ctx, func(ctx context.Context) error {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("channel_id", c.req.ChannelID)
		fw, _ := mw.CreateFormFile("files", filepath.Base(path))
		fw.Write(data)
		mw.Close()
		return c.h.send(ctx, "POST", c.h.api("/files"), mw.FormDataContentType(), body.Bytes(), &out, true)
	})
	if err != nil {
		return "", err
	}
	if len(out.FileInfos) == 0 {
		return "", errors.New("mattermost: upload returned no file")
	}
	return out.FileInfos[0].ID, nil
}

// Delete removes a post the bot made.
func (c *conversation) Delete(ctx context.Context, ref opsgate.MessageRef) error {
	if ref == "" {
		return nil
	}
	return c.h.call(ctx, "DELETE", c.h.api("/posts/"+string(ref)), nil, nil, true)
}

// Busy shows "opsgate is typing..." in the channel.
func (c *conversation) Busy(ctx context.Context) error {
	return c.h.call(ctx, "POST", c.h.api("/users/me/typing"), map[string]string{"channel_id": c.req.ChannelID, "parent_id": c.req.ThreadID}, nil, true)
}

// splitPostText splits text into posts within Mattermost's limit, every code block closed.
func splitPostText(s string) []string {
	return kit.SplitMarkdown(strings.TrimRight(s, "\n"), postLimit)
}
