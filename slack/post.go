package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Every reply goes through chat.postEphemeral or chat.postMessage; slack-go's path there (options
// into url.Values, reflection over the blocks, a large response struct) was a fifth of the CPU of
// a busy server. postChat sends the same documented form by hand; other methods stay slack-go's.

// chatAPI is what postChat needs, made once in New: the two methods' URLs and the request headers,
// shared read-only by every reply (a RoundTripper must not change a request).
type chatAPI struct {
	ephemeral, message *url.URL
	header             http.Header
	err                error // APIURL does not parse: every post fails with it
}

func newChatAPI(apiURL, token string) *chatAPI {
	c := &chatAPI{header: http.Header{
		"Content-Type":  {"application/x-www-form-urlencoded"},
		"Authorization": {"Bearer " + token},
		// An answer is a few hundred bytes: compressing it saves nothing, and net/http would
		// add "gzip" to a header map of each request's own and unzip with a fresh reader.
		"Accept-Encoding": {"identity"},
	}}
	if c.ephemeral, c.err = url.Parse(apiURL + "chat.postEphemeral"); c.err == nil {
		c.message, c.err = url.Parse(apiURL + "chat.postMessage")
	}
	return c
}

// scratch holds the buffers a reply is written in and its answer read into, pooled: nothing of
// them leaves postChat (the form goes out as a copy, see formBody).
type scratch struct{ form, js, ans bytes.Buffer }

var scratches = sync.Pool{New: func() any { return new(scratch) }}

func (s *scratch) free() {
	s.form.Reset()
	s.js.Reset()
	s.ans.Reset()
	scratches.Put(s)
}

// formBody is a reply's form as its request's body: a copy of its own, for net/http may still
// read a body after RoundTrip returns (it writes it on another goroutine), and a bytes.Reader
// behind io.NopCloser, which net/http recognises as in memory and writes with the headers in
// one system call (any other body type costs a write of its own).
type formBody struct {
	bytes.Reader
	form []byte
}

// rewind is the request's GetBody: the transport sends the form again when the kept-alive
// connection it chose turns out closed.
func (f *formBody) rewind() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(f.form)), nil }

// chatAnswer is what opsgate reads of a chat.postMessage answer; of chat.postEphemeral's, only
// the status (chatStatus) is of use.
type chatAnswer struct {
	OK      bool   `json:"ok"`
	Error   string `json:"error"`
	Channel string `json:"channel"`
	TS      string `json:"ts"`
}

type chatStatus struct {
	OK    bool   `json:"ok"`
	Error string `json:"error"`
}

// maxAnswer bounds what is read of Slack's answer.
const maxAnswer = 1 << 20

// postChat calls method (chat.postEphemeral or chat.postMessage) with the reply's fields; errors
// are slack-go's types, so retries and fallbacks read them as before.
func (h *Handler) postChat(ctx context.Context, method, channel, user, thread, text string, blocks []slack.Block) (ch, ts string, err error) {
	api := h.chat
	if api.err != nil {
		return "", "", api.err
	}
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
	body := &formBody{form: bytes.Clone(o.form.Bytes())}
	body.Reset(body.form)
	resp, cancel, err := h.send(ctx, u, api.header, body)
	if err != nil {
		return "", "", err
	}
	defer cancel()
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") != "" {
		s, perr := strconv.ParseInt(resp.Header.Get("Retry-After"), 10, 64)
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		if perr != nil {
			return "", "", perr
		}
		return "", "", &slack.RateLimitedError{RetryAfter: time.Duration(s) * time.Second}
	}
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return "", "", slack.StatusCodeError{Code: resp.StatusCode, Status: resp.Status}
	}
	if err := readAtMost(&o.ans, resp.Body, maxAnswer); err != nil {
		return "", "", err
	}
	var a chatAnswer
	if err := readAnswer(o.ans.Bytes(), &a, u == api.message); err != nil {
		return "", "", err
	}
	if !a.OK {
		return "", "", slack.SlackErrorResponse{Err: a.Error}
	}
	return a.Channel, a.TS, nil
}

// send POSTs body to u through the handler's client, returning with the response the cancel
// that ends its context (call it once the body is read). It does what http.Client.Do does for
// this request, minus what a chat.post* call never needs: a copy of the headers for redirects
// (Slack's Web API does not redirect) and a second context for Client.Timeout when the caller's
// ends first anyway; together a dozen allocations per reply. A client with a cookie jar or a
// redirect policy of its own goes through Do.
func (h *Handler) send(ctx context.Context, u *url.URL, header http.Header, body *formBody) (*http.Response, context.CancelFunc, error) {
	c := h.HTTPClient
	cancel := context.CancelFunc(nop)
	if c.Jar == nil && c.CheckRedirect == nil && c.Timeout > 0 {
		if d, ok := ctx.Deadline(); !ok || time.Until(d) > c.Timeout {
			ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		}
	}
	req := (&http.Request{Method: http.MethodPost, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: header, Body: io.NopCloser(&body.Reader), GetBody: body.rewind, ContentLength: int64(len(body.form)), Host: u.Host}).WithContext(ctx)
	var resp *http.Response
	var err error
	if c.Jar != nil || c.CheckRedirect != nil {
		resp, err = c.Do(req)
	} else {
		rt := c.Transport
		if rt == nil {
			rt = http.DefaultTransport
		}
		if resp, err = rt.RoundTrip(req); err != nil {
			err = &url.Error{Op: "Post", URL: u.String(), Err: err}
		}
	}
	if err != nil {
		cancel()
		return nil, nil, err
	}
	return resp, cancel, nil
}

func nop() {}

// readAtMost appends what r holds, up to limit bytes, to buf (io.LimitReader would be an
// allocation per reply).
func readAtMost(buf *bytes.Buffer, r io.Reader, limit int) error {
	for buf.Len() < limit {
		buf.Grow(512)
		b := buf.AvailableBuffer()
		n, err := r.Read(b[:min(cap(b), limit-buf.Len())])
		buf.Write(b[:n])
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
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
