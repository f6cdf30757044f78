package slack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/kit"
)

// Slack's documented lifetimes, with margin.
const (
	responseURLUses = 5
	responseURLTTL  = 29 * time.Minute
	triggerTTL      = 2500 * time.Millisecond
)

// conversation is the opsgate.Dispatcher of one request: it posts into the request's channel
// (and thread) as the bot, for the requesting user.
type conversation struct {
	h       *Handler
	channel string
	user    string
	thread  string // replies go here when a message asks for a thread
	// menuOffset pages a menu re-sent after "Next..." was picked.
	menuOffset int

	mu           sync.Mutex
	responseURL  string
	responseAt   time.Time
	responseUses int
	triggerID    string
	triggerAt    time.Time
}

var _ opsgate.Dispatcher = (*conversation)(nil)

func (c *conversation) sign(k callback.Kind, prefix string, offset int) string {
	return c.h.Callbacks.Sign(callback.Payload{Kind: k, Prefix: prefix, UserID: c.user, ChannelID: c.channel, ThreadID: c.thread, Offset: offset})
}

// Send posts m, split into as many posts as Slack's limits need. When delivery finally fails the
// user is told (ephemerally, if even that works) and the error is logged.
func (c *conversation) Send(ctx context.Context, m opsgate.Message) (opsgate.MessageRef, error) {
	var first opsgate.MessageRef
	for _, p := range c.render(m) {
		ref, err := c.sendPart(ctx, m, p)
		if err != nil {
			c.h.Logger.Error("slack: delivery failed", "channel", c.channel, "user", c.user, "err", err)
			c.undeliverable(ctx, err)
			return first, err
		}
		if first == "" {
			first = ref
		}
	}
	return first, nil
}

func (c *conversation) sendPart(ctx context.Context, m opsgate.Message, p part) (opsgate.MessageRef, error) {
	switch {
	case p.dialog != nil:
		return c.openDialog(ctx, m, p.dialog)
	case p.upload != nil:
		err := c.h.retry(ctx, func(ctx context.Context) error {
			_, err := c.h.Client.UploadFileContext(ctx, slack.UploadFileParameters{
				Channel: c.channel, ThreadTimestamp: c.threadFor(m), Content: p.upload.Content,
				FileSize: len(p.upload.Content), Filename: kit.FirstNonEmpty(p.upload.Filename, "output.txt"),
				Title: p.upload.Title,
			})
			return err
		})
		if err == nil {
			return "", nil
		}
		// A workspace may forbid uploads (or the bot lack files:write): never lose the output.
		c.h.Logger.Warn("slack: upload failed, sending as text", "err", err)
		r := &renderer{c: c, m: m}
		r.codeChunks(*p.upload)
		r.flush()
		var first opsgate.MessageRef
		for _, q := range r.parts {
			ref, err := c.post(ctx, m, q.blocks, q.text)
			if err != nil {
				return first, err
			}
			first = cmpOr(first, ref)
		}
		return first, nil
	case p.imagePath != "":
		err := c.h.retry(ctx, func(ctx context.Context) error {
			st, err := os.Stat(p.imagePath)
			if err != nil {
				return err
			}
			_, err = c.h.Client.UploadFileContext(ctx, slack.UploadFileParameters{
				Channel: c.channel, ThreadTimestamp: c.threadFor(m), File: p.imagePath,
				FileSize: int(st.Size()), Filename: filepath.Base(p.imagePath), AltTxt: p.text,
			})
			return err
		})
		if err != nil {
			c.h.Logger.Warn("slack: image upload failed", "err", err)
			return c.post(ctx, m, []slack.Block{section("Image: " + escape(kit.FirstNonEmpty(p.text, filepath.Base(p.imagePath))))}, "image")
		}
		return "", nil
	default:
		return c.post(ctx, m, p.blocks, p.text)
	}
}

func cmpOr(a, b opsgate.MessageRef) opsgate.MessageRef {
	if a != "" {
		return a
	}
	return b
}

func (c *conversation) threadFor(m opsgate.Message) string {
	if m.InThread {
		return c.thread
	}
	return ""
}

// post sends blocks as the bot. Ephemeral posts use chat.postEphemeral; where the bot is not in
// the channel (a slash command can come from anywhere), response_url still reaches the user.
func (c *conversation) post(ctx context.Context, m opsgate.Message, blocks []slack.Block, text string) (opsgate.MessageRef, error) {
	thread := c.threadFor(m)
	var ref opsgate.MessageRef
	if c.h.chat != nil {
		err := c.h.retry(ctx, func(ctx context.Context) error {
			if m.Ephemeral {
				_, _, err := c.h.postChat(ctx, "chat.postEphemeral", c.channel, c.user, thread, text, blocks)
				return err
			}
			ch, ts, err := c.h.postChat(ctx, "chat.postMessage", c.channel, "", thread, text, blocks)
			ref = opsgate.MessageRef(ch + "/" + ts)
			return err
		})
		return c.unreachable(ctx, m, blocks, text, thread, ref, err)
	}
	opts := []slack.MsgOption{slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(text, false)}
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
	}
	err := c.h.retry(ctx, func(ctx context.Context) error {
		if m.Ephemeral {
			_, err := c.h.Client.PostEphemeralContext(ctx, c.channel, c.user, opts...)
			return err
		}
		ch, ts, err := c.h.Client.PostMessageContext(ctx, c.channel, opts...)
		ref = opsgate.MessageRef(ch + "/" + ts)
		return err
	})
	return c.unreachable(ctx, m, blocks, text, thread, ref, err)
}

// unreachable answers through response_url when the post failed because the bot cannot post to
// the channel itself.
func (c *conversation) unreachable(ctx context.Context, m opsgate.Message, blocks []slack.Block, text, thread string, ref opsgate.MessageRef, err error) (opsgate.MessageRef, error) {
	if err != nil && notReachable(err) {
		rt := "in_channel"
		if m.Ephemeral {
			rt = "ephemeral"
		}
		if err2 := c.respond(ctx, &slack.WebhookMessage{ResponseType: rt, Text: text, Blocks: &slack.Blocks{BlockSet: blocks}, ThreadTimestamp: thread}); err2 == nil {
			return "", nil
		}
	}
	return ref, err
}

// notReachable reports Slack errors meaning the bot cannot post to the channel itself.
func notReachable(err error) bool {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "not_in_channel", "channel_not_found", "user_not_in_channel", "is_archived", "restricted_action":
			return true
		}
	}
	return false
}

var errNoResponseURL = errors.New("slack: no usable response_url")

// respond posts to response_url (5 posts within 30 minutes per Slack).
func (c *conversation) respond(ctx context.Context, msg *slack.WebhookMessage) error {
	c.mu.Lock()
	u := c.responseURL
	ok := u != "" && c.responseUses < responseURLUses && c.h.Now().Sub(c.responseAt) < responseURLTTL
	if ok {
		c.responseUses++
	}
	c.mu.Unlock()
	if !ok {
		return errNoResponseURL
	}
	err := c.h.retry(ctx, func(ctx context.Context) error {
		return slack.PostWebhookCustomHTTPContext(ctx, u, c.h.HTTPClient, msg)
	})
	if err != nil {
		// Transport errors quote the URL, and a response_url lets its holder post into the
		// conversation: keep it out of the logs these errors end up in.
		return errors.New(strings.ReplaceAll(err.Error(), u, "<response_url>"))
	}
	return nil
}

// undeliverable tells the user their result could not be delivered.
func (c *conversation) undeliverable(ctx context.Context, cause error) {
	// The run's context may be what ran out; the notice gets its own time.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	text := kit.Undeliverable(describe(cause))
	err := c.respond(ctx, &slack.WebhookMessage{ResponseType: "ephemeral", Text: text})
	if err != nil {
		_, err = c.h.Client.PostEphemeralContext(ctx, c.channel, c.user, slack.MsgOptionText(text, false))
	}
	if err != nil {
		c.h.Logger.Error("slack: could not tell the user about a failed delivery", "user", c.user, "err", err)
	}
}

func describe(err error) string {
	var se slack.SlackErrorResponse
	var rl *slack.RateLimitedError
	var sc slack.StatusCodeError
	switch {
	case errors.As(err, &se):
		return "Slack said " + se.Err
	case errors.As(err, &rl):
		return "Slack rate limit"
	case errors.As(err, &sc):
		return fmt.Sprintf("Slack answered HTTP %d", sc.Code)
	default:
		return "Slack did not answer"
	}
}

// openDialog opens a modal when the request's trigger_id is still fresh (Slack gives 3 s); past
// that it posts a button that re-runs the command, whose click brings a fresh trigger_id.
func (c *conversation) openDialog(ctx context.Context, m opsgate.Message, d *opsgate.Dialog) (opsgate.MessageRef, error) {
	c.mu.Lock()
	trigger := c.triggerID
	fresh := trigger != "" && c.h.Now().Sub(c.triggerAt) < triggerTTL
	c.triggerID = "" // one use
	c.mu.Unlock()
	if fresh {
		_, err := c.h.Client.OpenViewContext(ctx, trigger, c.modal(d))
		if err == nil {
			return "", nil
		}
		c.h.Logger.Warn("slack: views.open failed, offering a button", "err", err)
	}
	tok := c.sign(callback.KindOpenDialog, d.Prefix, 0)
	title := kit.FirstNonEmpty(d.Title, "More input needed")
	blocks := []slack.Block{
		section(escape(title)),
		slack.NewActionBlock("ogo", slack.NewButtonBlockElement("ogo", tok, plain("Open form", 75)).WithStyle(slack.StylePrimary), c.cancelButton()),
	}
	m.Ephemeral = true
	return c.post(ctx, m, blocks, title)
}

func (c *conversation) cancelButton() *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement("ogc", c.sign(callback.KindCancel, "", 0), plain("Cancel", 75))
}

// modal builds the view for a Dialog; private_metadata carries the signed token (and with it the
// channel to answer in, which a view submission does not include).
func (c *conversation) modal(d *opsgate.Dialog) slack.ModalViewRequest {
	var blocks []slack.Block
	for i, f := range d.Fields {
		label := plain(kit.FirstNonEmpty(f.Label, f.Name), 2000)
		bid := fmt.Sprintf("f%d", i)
		var el slack.BlockElement
		if f.Type == "select" && len(f.Choices) > 0 {
			var opts []*slack.OptionBlockObject
			var initial *slack.OptionBlockObject
			for _, ch := range f.Choices[:min(len(f.Choices), 100)] {
				o := slack.NewOptionBlockObject(ch.Value, plain(kit.FirstNonEmpty(ch.Label, ch.Value), 75), nil)
				if ch.Value == f.Default {
					initial = o
				}
				opts = append(opts, o)
			}
			sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose...", 150), "v", opts...)
			sel.InitialOption = initial
			el = sel
		} else {
			in := slack.NewPlainTextInputBlockElement(nil, "v")
			in.InitialValue = f.Default
			el = in
		}
		ib := slack.NewInputBlock(bid, label, nil, el)
		ib.Optional = f.Optional
		blocks = append(blocks, ib)
	}
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      "opsgate_dialog",
		Title:           plain(kit.FirstNonEmpty(d.Title, "opsgate"), 24),
		Submit:          plain("Submit", 24),
		Close:           plain("Cancel", 24),
		PrivateMetadata: c.sign(callback.KindDialog, d.Prefix, 0),
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
}

// Delete removes a message the bot posted ("channel/ts").
func (c *conversation) Delete(ctx context.Context, ref opsgate.MessageRef) error {
	ch, ts, ok := strings.Cut(string(ref), "/")
	if !ok || ts == "" {
		return nil // ephemeral or unknown: nothing Slack lets us delete
	}
	return c.h.retry(ctx, func(ctx context.Context) error {
		_, _, err := c.h.Client.DeleteMessageContext(ctx, ch, ts)
		return err
	})
}

// Busy does nothing: Slack has no typing indicator for bots outside the legacy RTM API.
func (c *conversation) Busy(ctx context.Context) error { return nil }

// retry runs f with the kit's retries: 429 waits Retry-After; 5xx and timeouts back off
// exponentially (0.5 s, 1 s, 2 s ...). Built per call: tests change Sleep after New.
func (h *Handler) retry(ctx context.Context, f func(context.Context) error) error {
	return h.retrier().Do(ctx, f)
}

func (h *Handler) retrier() kit.Retry {
	return kit.Retry{Attempts: h.Attempts, Sleep: h.Sleep, Read: readError}
}

// readError reads slack-go's errors for the kit's retries.
func readError(err error) (kit.Failure, bool) {
	var rl *slack.RateLimitedError
	var sc slack.StatusCodeError
	switch {
	case errors.As(err, &rl):
		return kit.Failure{Status: 429, RetryAfter: rl.RetryAfter}, true
	case errors.As(err, &sc):
		return kit.Failure{Status: sc.Code}, true
	}
	return kit.Failure{}, false
}
