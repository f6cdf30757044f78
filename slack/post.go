package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/slack-go/slack"
	"github.com/tidwall/gjson"

	"github.com/opsgate/opsgate/kit"
)

// Every reply goes through chat.postEphemeral or chat.postMessage; slack-go's path there (options
// into url.Values, reflection over the blocks, a large response struct) was a fifth of the CPU of
// a busy server. postChat sends the same documented form by hand, through kit.Poster; other
// methods stay slack-go's.

// chatAPI is what postChat needs, made once in New: the two methods' URLs and the
// Authorization header, shared read-only by every reply.
type chatAPI struct {
	ephemeral, message, auth string
}

func newChatAPI(apiURL, token string) *chatAPI {
	return &chatAPI{ephemeral: apiURL + "chat.postEphemeral", message: apiURL + "chat.postMessage", auth: "Bearer " + token}
}

// scratch holds the buffers a reply is written in and its answer read into, pooled: nothing of
// them leaves postChat (kit.Poster is done with the form when Post returns).
type scratch struct{ form, js, ans bytes.Buffer }

var scratches = sync.Pool{New: func() any { return new(scratch) }}

func (s *scratch) free() {
	s.form.Reset()
	s.js.Reset()
	s.ans.Reset()
	scratches.Put(s)
}

// postChat calls method (chat.postEphemeral or chat.postMessage) with the reply's fields, through
// kit.Poster; errors are slack-go's types, so retries and fallbacks read them as before.
func (h *Handler) postChat(ctx context.Context, method, channel, user, thread, text string, blocks []slack.Block) (ch, ts string, err error) {
	api := h.chat
	u := api.message
	if method == "chat.postEphemeral" {
		u = api.ephemeral
	}
	o := scratches.Get().(*scratch)
	defer o.free()
	field(&o.form, "channel", channel)
	if user != "" {
		field(&o.form, "user", user)
	}
	field(&o.form, "text", text)
	if thread != "" {
		field(&o.form, "thread_ts", thread)
	}
	if len(blocks) > 0 {
		// Blocks are JSON in a form field: encode them, then escape that.
		if err := appendBlocks(&o.js, blocks); err != nil {
			return "", "", err
		}
		o.form.WriteString("&blocks=")
		escapeInto(&o.form, o.js.Bytes())
	}
	err = h.Poster.Post(ctx, "slack", method, u, "application/x-www-form-urlencoded", api.auth, o.form.Bytes(), &o.ans)
	if e := (*kit.APIError)(nil); errors.As(err, &e) {
		if e.Status == http.StatusTooManyRequests && e.RetryAfter > 0 {
			return "", "", &slack.RateLimitedError{RetryAfter: e.RetryAfter}
		}
		return "", "", slack.StatusCodeError{Code: e.Status, Status: strconv.Itoa(e.Status) + " " + http.StatusText(e.Status)}
	}
	if err != nil {
		return "", "", err
	}
	// Four fields of a small answer: gjson reads them in place, where encoding/json's decoder
	// made five allocations per reply.
	ans := o.ans.Bytes()
	if !gjson.ValidBytes(ans) {
		return "", "", fmt.Errorf("slack: %s: the answer is not JSON", method)
	}
	if !gjson.GetBytes(ans, "ok").Bool() {
		return "", "", slack.SlackErrorResponse{Err: gjson.GetBytes(ans, "error").String()}
	}
	return gjson.GetBytes(ans, "channel").String(), gjson.GetBytes(ans, "ts").String(), nil
}

// field appends "&name=value", form-escaped.
func field(buf *bytes.Buffer, name, value string) {
	if buf.Len() > 0 {
		buf.WriteByte('&')
	}
	buf.WriteString(name)
	buf.WriteByte('=')
	escapeInto(buf, []byte(value))
}

// escapeInto writes s as url.QueryEscape would, without its intermediate string, appending to
// the buffer's spare room (byte by byte writes were a tenth of a reply's own CPU).
func escapeInto(buf *bytes.Buffer, s []byte) {
	const hex = "0123456789ABCDEF"
	buf.Grow(3 * len(s))
	b := buf.AvailableBuffer()
	for _, c := range s {
		switch {
		case unreserved[c]:
			b = append(b, c)
		case c == ' ':
			b = append(b, '+')
		default:
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	buf.Write(b)
}

// unreserved marks the bytes a query keeps as they are.
var unreserved = func() (t [256]bool) {
	for c := range 256 {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
	}
	return t
}()

// appendBlocks writes blocks as Slack's JSON. The common block, a section of text objects
// without emoji or verbatim flags (text, fields or both), is written directly; any other goes
// through encoding/json as slack-go would send it.
func appendBlocks(buf *bytes.Buffer, blocks []slack.Block) error {
	buf.WriteByte('[')
	for i, b := range blocks {
		if i > 0 {
			buf.WriteByte(',')
		}
		if s, ok := b.(*slack.SectionBlock); ok && plainSection(s) {
			buf.WriteString(`{"type":"section"`)
			if s.Text != nil {
				buf.WriteString(`,"text":`)
				appendText(buf, s.Text)
			}
			if len(s.Fields) > 0 {
				buf.WriteString(`,"fields":[`)
				for i, f := range s.Fields {
					if i > 0 {
						buf.WriteByte(',')
					}
					appendText(buf, f)
				}
				buf.WriteByte(']')
			}
			buf.WriteByte('}')
			continue
		}
		js, err := json.Marshal(b)
		if err != nil {
			return err
		}
		buf.Write(js)
	}
	buf.WriteByte(']')
	return nil
}

// plainSection reports a section holding text objects and nothing else.
func plainSection(s *slack.SectionBlock) bool {
	if s.Type != slack.MBTSection || s.BlockID != "" || s.Accessory != nil || s.Expand || (s.Text != nil && !plainText(s.Text)) {
		return false
	}
	for _, f := range s.Fields {
		if !plainText(f) {
			return false
		}
	}
	return true
}

// plainText reports a text object that is its type and text alone.
func plainText(t *slack.TextBlockObject) bool { return t != nil && t.Emoji == nil && !t.Verbatim }

func appendText(buf *bytes.Buffer, t *slack.TextBlockObject) {
	buf.WriteString(`{"type":`)
	appendJSONString(buf, t.Type)
	buf.WriteString(`,"text":`)
	appendJSONString(buf, t.Text)
	buf.WriteByte('}')
}

// jsonPlain marks the ASCII bytes a JSON string holds as they are (as encoding/json writes it).
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendJSONString writes s as a JSON string, escaping as encoding/json does (HTML characters
// included), with invalid UTF-8 as U+FFFD.
func appendJSONString(buf *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	buf.WriteByte('"')
	for i := 0; i < len(s); {
		// A run of bytes written as they are goes in one write.
		j := i
		for j < len(s) && jsonPlain[s[j]] {
			j++
		}
		buf.WriteString(s[i:j])
		if i = j; i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				buf.WriteByte('\\')
				buf.WriteByte(c)
			case c == '\n':
				buf.WriteString(`\n`)
			case c == '\r':
				buf.WriteString(`\r`)
			case c == '\t':
				buf.WriteString(`\t`)
			case c == '\b':
				buf.WriteString(`\b`)
			case c == '\f':
				buf.WriteString(`\f`)
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				buf.WriteString(`\u00`)
				buf.WriteByte(hex[c>>4])
				buf.WriteByte(hex[c&15])
			default:
				buf.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			buf.WriteString(`\ufffd`)
		case r == '\u2028' || r == '\u2029':
			buf.WriteString(`\u202`)
			buf.WriteByte(hex[r&15])
		default:
			buf.WriteString(s[i : i+size])
		}
		i += size
	}
	buf.WriteByte('"')
}
