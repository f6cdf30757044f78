package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

// The hand-written encoder must send what slack-go's (encoding/json) would: Slack reads the
// blocks field, and a difference would show users escaped or broken text.
func TestReplyBlocksEncodeAsSlackGoDoes(t *testing.T) {
	var ascii []byte
	for c := range 128 {
		ascii = append(ascii, byte(c))
	}
	texts := []string{string(ascii), "plain", "quote \" backslash \\ tab\t nl\n cr\r", "<@U1> & <https://x|y>", "nul \x00 bell \x07",
		"bad utf8 \xff\xfe end", "é ü 日本 😀", "sep \u2028 \u2029", ""}
	var blocks []slack.Block
	for _, s := range texts {
		blocks = append(blocks, section(s))
	}
	mrk := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
	}
	verbatim := slack.NewTextBlockObject(slack.MarkdownType, "v", false, true)
	blocks = append(blocks, slack.NewHeaderBlock(plain("head", 150)), slack.NewSectionBlock(nil, []*slack.TextBlockObject{plain("f", 10)}, nil),
		slack.NewSectionBlock(nil, []*slack.TextBlockObject{mrk("*a*\n<b> & \"c\""), mrk("é \xff"), mrk("")}, nil),
		slack.NewSectionBlock(mrk("t"), []*slack.TextBlockObject{mrk("f1"), mrk("f2")}, nil),
		slack.NewSectionBlock(mrk("t"), []*slack.TextBlockObject{mrk("f1"), verbatim}, nil),
		slack.NewSectionBlock(verbatim, nil, nil), slack.NewSectionBlock(nil, []*slack.TextBlockObject{}, nil),
		&slack.SectionBlock{Type: slack.MBTSection, Text: &slack.TextBlockObject{Type: "plain_text", Text: "no emoji flag"}},
		slack.NewSectionBlock(mrk("with id"), nil, nil, slack.SectionBlockOptionBlockID("b1")))
	fields := opsgate.Fields{Fields: []opsgate.Field{{Name: "A & B", Value: "**x** [y](https://z)"}, {Name: "n", Value: ""}, {Name: "long", Value: strings.Repeat("é", 2100)}}}
	for _, p := range (&conversation{h: New(Options{})}).render(opsgate.Message{Blocks: []opsgate.Block{fields}}) {
		blocks = append(blocks, p.blocks...)
	}
	var got bytes.Buffer
	if err := appendBlocks(&got, blocks); err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != string(want) {
		t.Fatalf("blocks differ:\n got %s\nwant %s", got.String(), want)
	}
}

// Form fields are escaped as url.QueryEscape escapes them.
func TestFormEscapesAsQueryEscape(t *testing.T) {
	var all []byte
	for c := range 256 {
		all = append(all, byte(c))
	}
	for _, s := range []string{string(all), "", "plain", "a b&c=d/é 😀", `{"type":"section"}`} {
		var buf bytes.Buffer
		buf.WriteString("x")
		escapeInto(&buf, []byte(s))
		if got, want := buf.String(), "x"+url.QueryEscape(s); got != want {
			t.Fatalf("escaped %q as %q, want %q", s, got, want)
		}
	}
}

// A reply's form carries the fields slack-go's did, and Slack's refusals come back as slack-go's
// error types, which the retries and the response_url fallback read.
func TestReplyFormAndErrors(t *testing.T) {
	var form url.Values
	var auth string
	answer := `{"ok":true,"message_ts":"1.2"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		form, auth = r.PostForm, r.Header.Get("Authorization")
		if strings.Contains(answer, "429") {
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(429)
			return
		}
		w.Write([]byte(answer))
	}))
	t.Cleanup(srv.Close)
	h := New(Options{APIURL: srv.URL + "/", BotToken: "xoxb-t", Plumbing: kit.Plumbing{Attempts: 1}})
	m := opsgate.Textf("hi & <there>")
	m.Ephemeral = true
	if _, err := h.Conversation("C1", "U1", false).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if auth != "Bearer xoxb-t" || form.Get("channel") != "C1" || form.Get("user") != "U1" || form.Get("text") != "hi & <there>" ||
		!strings.Contains(form.Get("blocks"), `"type":"mrkdwn"`) {
		t.Fatalf("form %v auth %q", form, auth)
	}
	answer = `{"ok":false,"error":"invalid_auth"}`
	_, _, err := h.postChat(context.Background(), "chat.postMessage", "C1", "", "", "x", nil)
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "invalid_auth" {
		t.Fatalf("err %v, want SlackErrorResponse invalid_auth", err)
	}
	answer = `{"ok":true,"channel":"C9","ts":"1.5"}`
	if ch, ts, err := h.postChat(context.Background(), "chat.postMessage", "C1", "", "", "x", nil); err != nil || ch != "C9" || ts != "1.5" {
		t.Fatalf("answer read as %q %q %v", ch, ts, err)
	}
	answer = `<html>bad gateway</html>`
	if _, _, err = h.postChat(context.Background(), "chat.postMessage", "C1", "", "", "x", nil); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Fatalf("an answer that is not JSON: %v", err)
	}
	answer = "429"
	_, _, err = h.postChat(context.Background(), "chat.postMessage", "C1", "", "", "x", nil)
	if f, ok := readError(err); !ok || f.Status != 429 || f.RetryAfter.Seconds() != 3 {
		t.Fatalf("err %v read as %+v", err, f)
	}
}

// Replies written at once to different people each reach Slack as written: a pooled buffer
// reused before its post was sent would put one person's message in another's post.
func TestConcurrentRepliesKeepTheirForms(t *testing.T) {
	var mu sync.Mutex
	got := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		got[r.PostForm.Get("user")] = r.PostForm.Get("text")
		mu.Unlock()
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	h := New(Options{APIURL: srv.URL + "/", BotToken: "xoxb-t", Plumbing: kit.Plumbing{Attempts: 1}})
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			u := "U" + strconv.Itoa(i)
			if _, _, err := h.postChat(context.Background(), "chat.postEphemeral", "C1", u, "", "for "+u+strings.Repeat(".", i*50), nil); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i := range n {
		u := "U" + strconv.Itoa(i)
		if got[u] != "for "+u+strings.Repeat(".", i*50) {
			t.Fatalf("%s's reply reached Slack as %q", u, got[u])
		}
	}
}

// The Poster's timeout bounds each attempt at a reply when the command's own time is longer: a
// Slack that never answers costs one timeout per attempt, then the error.
func TestReplyAttemptTimesOut(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		<-release
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	// The notice that the reply was lost goes through slack-go, to a Slack that answers.
	notices := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"ok":true}`) }))
	t.Cleanup(notices.Close)
	poster := kit.NewPoster(nil)
	poster.Timeout = 100 * time.Millisecond
	h := New(Options{APIURL: srv.URL + "/", BotToken: "xoxb-t", Client: slack.New("xoxb-t", slack.OptionAPIURL(notices.URL+"/")), Plumbing: kit.Plumbing{Attempts: 2,
		Sleep: func(context.Context, time.Duration) error { return nil }, Poster: poster}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m := opsgate.Textf("hi")
	m.Ephemeral = true
	_, err := h.Conversation("C1", "U1", false).Send(ctx, m)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || ctx.Err() != nil {
		t.Fatalf("err %v (command context %v), want the attempt's timeout", err, ctx.Err())
	}
	if got := calls.Load(); got != 2 {
		t.Fatalf("%d attempts reached Slack, want 2 (a timeout is retried)", got)
	}
}

// BenchmarkReplyPost measures one ephemeral one-line reply, from the message to Slack's answer.
func BenchmarkReplyPost(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Write([]byte(`{"ok":true,"message_ts":"1700000000.000100"}`))
	}))
	b.Cleanup(srv.Close)
	for _, direct := range []bool{false, true} {
		name := "slack-go"
		o := Options{Client: slack.New("xoxb-t", slack.OptionAPIURL(srv.URL+"/"))}
		if direct {
			name, o.APIURL, o.BotToken = "direct", srv.URL+"/", "xoxb-t"
		}
		h := New(o)
		m := opsgate.Textf("You are *U123* (u1) in #bench, team T0BENCH.")
		m.Ephemeral = true
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.Conversation("C0BENCH", "U123", false).Send(context.Background(), m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
