package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/opsgate/opsgate/kit"
)

// Every reply goes through chat.postEphemeral or chat.postMessage; slack-go's path there (options
// into url.Values, reflection over the blocks, a large response struct) was a fifth of the CPU of
// a busy server. postChat sends the same documented form by hand, through kit.Poster; other
// methods stay slack-go's.

// bodies holds the form buffers of replies in flight.
var bodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// chatAnswer is what opsgate reads of a chat.post* answer.
type chatAnswer struct {
	OK        bool   `json:"ok"`
	Error     string `json:"error"`
	Channel   string `json:"channel"`
	TS        string `json:"ts"`
	MessageTS string `json:"message_ts"`
}

// postChat calls method (chat.postEphemeral or chat.postMessage) with the reply's fields; errors
// are slack-go's types, so retries and fallbacks read them as before.
func (h *Handler) postChat(ctx context.Context, method, channel, user, thread, text string, blocks []slack.Block) (ch, ts string, err error) {
	buf := bodies.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); bodies.Put(buf) }()
	field(buf, "channel", channel)
	if user != "" {
		field(buf, "user", user)
	}
	field(buf, "text", text)
	if thread != "" {
		field(buf, "thread_ts", thread)
	}
	if len(blocks) > 0 {
		// Blocks are JSON in a form field: encode them, then escape that.
		js := bodies.Get().(*bytes.Buffer)
		defer func() { js.Reset(); bodies.Put(js) }()
		if err := appendBlocks(js, blocks); err != nil {
			return "", "", err
		}
		buf.WriteString("&blocks=")
		escapeInto(buf, js.Bytes())
	}
	ans := bodies.Get().(*bytes.Buffer)
	defer func() { ans.Reset(); bodies.Put(ans) }()
	err = h.Poster.Post(ctx, "slack", method, h.APIURL+method, "application/x-www-form-urlencoded", "Bearer "+h.BotToken, buf.Bytes(), ans)
	if e := (*kit.APIError)(nil); errors.As(err, &e) {
		if e.Status == http.StatusTooManyRequests && e.RetryAfter > 0 {
			return "", "", &slack.RateLimitedError{RetryAfter: e.RetryAfter}
		}
		return "", "", slack.StatusCodeError{Code: e.Status, Status: strconv.Itoa(e.Status) + " " + http.StatusText(e.Status)}
	}
	if err != nil {
		return "", "", err
	}
	var a chatAnswer
	if err := json.Unmarshal(ans.Bytes(), &a); err != nil {
		return "", "", err
	}
	if !a.OK {
		return "", "", slack.SlackErrorResponse{Err: a.Error}
	}
	return a.Channel, a.TS, nil
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

// escapeInto writes s as url.QueryEscape would, without its intermediate string.
func escapeInto(buf *bytes.Buffer, s []byte) {
	const hex = "0123456789ABCDEF"
	for _, c := range s {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			buf.WriteByte(c)
		case c == ' ':
			buf.WriteByte('+')
		default:
			buf.Write([]byte{'%', hex[c>>4], hex[c&15]})
		}
	}
}

// appendBlocks writes blocks as Slack's JSON. The common block, a section holding only mrkdwn
// text, is written directly; any other goes through encoding/json as slack-go would send it.
func appendBlocks(buf *bytes.Buffer, blocks []slack.Block) error {
	buf.WriteByte('[')
	for i, b := range blocks {
		if i > 0 {
			buf.WriteByte(',')
		}
		if s, ok := b.(*slack.SectionBlock); ok && plainSection(s) {
			buf.WriteString(`{"type":"section","text":{"type":"mrkdwn","text":`)
			appendJSONString(buf, s.Text.Text)
			buf.WriteString(`}}`)
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

// plainSection reports a section that is mrkdwn text and nothing else.
func plainSection(s *slack.SectionBlock) bool {
	return s.Text != nil && s.Text.Type == slack.MarkdownType && s.Text.Emoji == nil && !s.Text.Verbatim &&
		s.Type == slack.MBTSection && s.BlockID == "" && s.Fields == nil && s.Accessory == nil && !s.Expand
}

// appendJSONString writes s as a JSON string, escaping as encoding/json does (HTML characters
// included), with invalid UTF-8 as U+FFFD.
func appendJSONString(buf *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	buf.WriteByte('"')
	for i := 0; i < len(s); {
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
