package discord

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/discordfake"
	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/kit/kittest"
	"github.com/opsgate/opsgate/metrics"
)

// rejected reads the refusals the kit counts for this platform.
var rejected = metrics.RequestsRejected.MustCurryWith(prometheus.Labels{"platform": "discord"})

type env struct {
	t      *testing.T
	dc     *discordfake.Server
	srv    *httptest.Server
	h      *Handler
	slow   chan struct{} // "slow" commands answer when this is closed
	sleeps *kittest.Sleeps

	*kittest.Clock
	*kittest.Pipeline
}

var alice = discordfake.Who{Guild: "G1", Channel: "C1", UserID: "111", UserName: "alice"}

func newEnv(t *testing.T) *env {
	e := &env{t: t, dc: discordfake.New("app1", "bot-token"), Clock: kittest.NewClock(), slow: make(chan struct{}), sleeps: &kittest.Sleeps{}}
	t.Cleanup(e.dc.Close)
	e.dc.Now = e.Now
	e.Pipeline = kittest.NewPipeline(t, e.reply)
	cb := callback.New([]byte("bot-token"), "discord")
	cb.Now = e.Now
	e.h = New(Options{ApplicationID: "app1", PublicKey: e.dc.Public, BotToken: "bot-token", APIURL: e.dc.APIURL(),
		Handle: e.Handle, Callbacks: cb, Redactor: kittest.RedactWord("hunter2"),
		// Long enough for an immediate answer on a busy machine; "slow" commands wait for the test.
		AnswerWithin: 10 * time.Second,
		Plumbing:     kit.Plumbing{Now: e.Now, Sleep: e.sleeps.Sleep}})
	e.srv = kittest.Serve(t, e.h.Register)
	return e
}

func (e *env) reply(req *opsgate.Request, words []string) opsgate.Message {
	switch {
	case len(words) == 1 && words[0] == "site":
		return opsgate.Message{Blocks: []opsgate.Block{opsgate.Menu{Prompt: "Which site?", Prefix: "site", Choices: kittest.Sites}}, Ephemeral: true}
	case len(words) == 1 && words[0] == "form":
		return kittest.Form
	case len(words) == 1 && words[0] == "form-intro":
		return opsgate.Message{Blocks: append([]opsgate.Block{opsgate.Text{Markdown: "A few questions:"}}, kittest.Form.Blocks...)}
	case len(words) == 1 && words[0] == "ask":
		return opsgate.Message{Blocks: []opsgate.Block{opsgate.TextPrompt{Prompt: "Ticket?", Prefix: "ask"}}, Ephemeral: true}
	case len(words) >= 1 && words[0] == "slow":
		<-e.slow
		m := opsgate.Textf("slow done: %s", req.Text)
		m.Ephemeral = len(words) > 1 && words[1] == "private"
		return m
	}
	return opsgate.Textf("ran: %s", req.Text)
}

func (e *env) url() string { return e.srv.URL + PathInteractions }

// interact sends in signed and returns the status and the response.
func (e *env) interact(in discordfake.Interaction) (int, map[string]any) {
	e.t.Helper()
	code, resp, err := e.dc.Interact(e.url(), in)
	if err != nil {
		e.t.Fatal(err)
	}
	return code, resp
}

// data returns the response's data as a message.
func data(resp map[string]any) (content string, flags int, components []any) {
	d, _ := resp["data"].(map[string]any)
	content, _ = d["content"].(string)
	f, _ := d["flags"].(float64)
	components, _ = d["components"].([]any)
	return content, int(f), components
}

func remarshal(v any, into any) {
	b, _ := json.Marshal(v)
	json.Unmarshal(b, into)
}

var _ = context.Background
