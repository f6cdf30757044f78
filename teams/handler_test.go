package teams_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/kit/kittest"
	"github.com/opsgate/opsgate/teams"
	"github.com/opsgate/opsgate/teamsfake"
)

// env is a Handler behind a test server, the fake Bot Framework and a stand-in pipeline that
// answers "site" with a menu and anything else with an echo.
type env struct {
	t    *testing.T
	f    *teamsfake.Server
	h    *teams.Handler
	p    *kittest.Pipeline
	srv  *httptest.Server
	next int
	// refuse makes the next request refused as an overloaded pipeline does, before the stand-in sees it.
	refuse atomic.Bool
}

func newEnv(t *testing.T, deleteInput bool) *env {
	f, c := newFake(t)
	p := kittest.NewPipeline(t, func(req *opsgate.Request, words []string) opsgate.Message {
		if len(words) == 1 && words[0] == "site" {
			return opsgate.Message{Blocks: []opsgate.Block{opsgate.Menu{Prompt: "Site?", Prefix: "site", Choices: kittest.Sites}}}
		}
		return opsgate.Textf("echo: %s", req.Text)
	})
	signer := callback.New([]byte(password), "teams")
	signer.Now = c.Now
	e := &env{t: t, f: f, p: p}
	e.h = teams.New(teams.Options{
		Verifier: newVerifier(f, c),
		Client:   teams.NewClient(newTokens(f, c, password), f.Client()),
		Handle: func(ctx context.Context, req *opsgate.Request, out opsgate.Dispatcher) string {
			if e.refuse.Swap(false) {
				return kittest.Overloaded
			}
			return p.Handle(ctx, req, out)
		},
		Callbacks:   signer,
		DeleteInput: deleteInput,
		Plumbing:    kit.Plumbing{Now: c.Now},
	})
	e.srv = kittest.Serve(t, e.h.Register)
	return e
}

func (e *env) activity(text string) map[string]any {
	a := e.f.Message(text)
	e.next++
	a["id"] = strconv.Itoa(1900000000000 + e.next)
	return a
}

func (e *env) post(a map[string]any) int {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(e.f.Request(e.srv.URL+teams.PathMessages, teamsfake.Marshal(a)))
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitPosted waits for n activities at the connector.
func (e *env) waitPosted(n int) []teamsfake.Posted {
	e.t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if p := e.f.Posted(); len(p) >= n {
			return p
		}
	}
	e.t.Fatalf("fewer than %d activities posted: %v", n, e.f.Posted())
	return nil
}

// answer is the submission of the menu card p with choice, sent by the user with Entra id aad.
func (e *env) answer(p teamsfake.Posted, choice, aad string) map[string]any {
	a := e.activity("")
	delete(a, "text")
	a["replyToId"] = e.f.IDOf(p)
	a["from"].(map[string]any)["aadObjectId"] = aad
	a["value"] = map[string]any{"ogToken": submitToken(e.t, p), "ogChoice": choice}
	return a
}

func submitToken(t *testing.T, p teamsfake.Posted) string {
	t.Helper()
	raw := string(p.Raw)
	i := strings.Index(raw, `"ogToken":"`)
	if i < 0 {
		t.Fatalf("no token in %s", raw)
	}
	raw = raw[i+len(`"ogToken":"`):]
	return raw[:strings.IndexByte(raw, '"')]
}

// A message becomes a request with Teams' identities and the bot's mention stripped, and the
// reply goes to the thread it came from.
func TestMessageReachesPipelineAndRepliesInThread(t *testing.T) {
	e := newEnv(t, false)
	if code := e.post(e.activity("ping now")); code != 200 {
		t.Fatalf("status %d", code)
	}
	r := e.p.Next()
	if r.Platform != "teams" || r.Text != "ping now" || r.UserID != teamsfake.UserAAD || r.ChannelID != teamsfake.ChannelConv || r.OrgID != tenant {
		t.Fatalf("request %+v", r)
	}
	p := e.waitPosted(1)
	if p[0].ConversationID != teamsfake.ChannelConv+";messageid=1700000000001" || p[0].Activity["text"] != "echo: ping now" {
		t.Fatalf("posted %+v", p[0])
	}
}

// Activities that carry no command (the bot added to a team, a bare mention) reach nothing.
func TestNonCommandActivitiesAreAcknowledgedOnly(t *testing.T) {
	e := newEnv(t, false)
	update := e.activity("")
	update["type"] = "conversationUpdate"
	if code := e.post(update); code != 200 {
		t.Fatalf("conversationUpdate: %d", code)
	}
	if code := e.post(e.activity("")); code != 200 {
		t.Fatalf("bare mention: %d", code)
	}
	e.p.None()
}

// Someone else's prompt is refused and stays answerable by its owner; a pipeline refusal gives
// the Submit back; an answered card is deleted under delete_input_on_submission.
func TestMenuAnswerOwnerRefusalAndDelete(t *testing.T) {
	e := newEnv(t, true)
	e.post(e.activity("site"))
	e.p.Next()
	menu := e.waitPosted(1)[0]

	e.post(e.answer(menu, "site-3", "00000000-0000-0000-0000-0000000000b0b"))
	if p := e.waitPosted(2)[1]; !strings.Contains(string(p.Raw), "This prompt is for") || !strings.HasPrefix(p.ConversationID, "a:1personal") {
		t.Fatalf("wrong user told %+v", p)
	}
	e.p.None()

	e.refuse.Store(true)
	e.post(e.answer(menu, "site-3", teamsfake.UserAAD))
	if p := e.waitPosted(3)[2]; !strings.Contains(string(p.Raw), kittest.Overloaded) {
		t.Fatalf("refusal not told: %s", p.Raw)
	}
	e.post(e.answer(menu, "site-3", teamsfake.UserAAD))
	if r := e.p.Next(); r.Text != "site site-3" || r.UserID != teamsfake.UserAAD {
		t.Fatalf("answer ran %+v", r)
	}
	for deadline := time.Now().Add(5 * time.Second); len(e.f.Deleted()) == 0 && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
	}
	if d := e.f.Deleted(); len(d) != 1 || !strings.HasSuffix(d[0], "/"+e.f.IDOf(menu)) {
		t.Fatalf("deleted %v", d)
	}
}

// BenchmarkActivityAck is the whole acknowledgement path of a genuine activity: body read, JSON,
// token verification with a cached key, dedupe, request and hand-off to the pipeline.
func BenchmarkActivityAck(b *testing.B) {
	f, c := newFake(b)
	h := teams.New(teams.Options{
		Verifier:  newVerifier(f, c),
		Client:    teams.NewClient(newTokens(f, c, password), f.Client()),
		Handle:    func(context.Context, *opsgate.Request, opsgate.Dispatcher) string { return "" },
		Callbacks: callback.New([]byte(password), "teams"),
		Plumbing:  kit.Plumbing{Now: c.Now},
	})
	a := f.Message("uptime")
	auth := f.Token(f.ServiceURL())
	bodies := make([][]byte, b.N)
	for i := range bodies {
		a["id"] = strconv.Itoa(i)
		bodies[i] = teamsfake.Marshal(a)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		req := httptest.NewRequest(http.MethodPost, teams.PathMessages, strings.NewReader(string(bodies[i])))
		req.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// "Next..." re-runs the command and shows the next page of choices; the old card says so.
func TestMenuNextPage(t *testing.T) {
	e := newEnv(t, false)
	e.post(e.activity("site"))
	e.p.Next()
	menu := e.waitPosted(1)[0]
	e.post(e.answer(menu, teams.NextValue, teamsfake.UserAAD))
	if r := e.p.Next(); r.Text != "site" {
		t.Fatalf("next page ran %q", r.Text)
	}
	if p := e.waitPosted(2)[1]; !strings.Contains(string(p.Raw), "choices 101-150 of 150") || !strings.Contains(string(p.Raw), "site-150") {
		t.Fatalf("second page: %s", p.Raw)
	}
	for deadline := time.Now().Add(5 * time.Second); len(e.f.Updated()) == 0 && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
	}
	if u := e.f.Updated(); len(u) != 1 || u[0].Activity["text"] != "Showing more choices..." {
		t.Fatalf("first page closed with %v", u)
	}
}
