package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

// The hand-written encoder must send what slack-go's (encoding/json) would: Slack reads the
// blocks field, and a difference would show users escaped or broken text.
func TestReplyBlocksEncodeAsSlackGoDoes(t *testing.T) {
	texts := []string{"plain", "quote \" backslash \\ tab\t nl\n cr\r", "<@U1> & <https://x|y>", "nul \x00 bell \x07",
		"bad utf8 \xff\xfe end", "é ü 日本 😀", "sep \u2028 \u2029", ""}
	var blocks []slack.Block
	for _, s := range texts {
		blocks = append(blocks, section(s))
	}
	blocks = append(blocks, slack.NewHeaderBlock(plain("head", 150)), slack.NewSectionBlock(nil, []*slack.TextBlockObject{plain("f", 10)}, nil))
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
	answer = "429"
	_, _, err = h.postChat(context.Background(), "chat.postMessage", "C1", "", "", "x", nil)
	if f, ok := readError(err); !ok || f.Status != 429 || f.RetryAfter.Seconds() != 3 {
		t.Fatalf("err %v read as %+v", err, f)
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
