package mattermost

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/kit/kittest"
)

const cmdToken = "x0xb5hj5ga5tge"

type env struct {
	t      *testing.T
	mm     *fakeMattermost
	srv    *httptest.Server
	h      *Handler
	tokens *tokens

	imagePath string

	*kittest.Clock
	*kittest.Pipeline
}

func newEnv(t *testing.T, deleteInput bool) *env {
	e := &env{t: t, mm: newFakeMattermost(t), Clock: kittest.NewClock(), tokens: &tokens{hashes: map[string]bool{}}}
	e.Pipeline = kittest.NewPipeline(t, e.reply)
	e.tokens.CreateToken(context.Background(), &opsgate.CommandToken{Platform: "mattermost"}, cmdToken)
	cb := callback.New([]byte(apiToken), "mattermost")
	cb.Now = e.Now
	e.h = New(Options{
		URL: e.mm.srv.URL, APIToken: apiToken, Tokens: e.tokens, Handle: e.Handle, Callbacks: cb,
		DeleteInput: deleteInput, Plumbing: kit.Plumbing{Now: e.Now, Sleep: func(context.Context, time.Duration) error { return nil }},
	})
	e.srv = kittest.Serve(t, e.h.Register)
	return e
}

var sites = kittest.Sites

// reply stands in for the pipeline's answers (cmd/opsgate's tests use the real one);
// kittest.Pipeline refuses "busy" and denies "udenied".
func (e *env) reply(req *opsgate.Request, words []string) opsgate.Message {
	switch {
	case len(words) == 1 && words[0] == "site":
		return opsgate.Message{Blocks: []opsgate.Block{opsgate.Menu{Prompt: "Which site?", Prefix: "site", Choices: sites}}, Ephemeral: true}
	case len(words) == 1 && words[0] == "form":
		return kittest.Form
	case len(words) == 1 && words[0] == "ask":
		return opsgate.Message{Blocks: []opsgate.Block{opsgate.TextPrompt{Prompt: "Ticket?", Prefix: "ask"}}, Ephemeral: true}
	case len(words) == 1 && words[0] == "graph":
		return opsgate.Message{Blocks: []opsgate.Block{opsgate.Text{Markdown: "CPU last hour:"}, opsgate.Image{Path: e.imagePath, Alt: "cpu"}}}
	case len(words) == 1 && words[0] == "long":
		return opsgate.Message{Blocks: []opsgate.Block{opsgate.Snippet{Title: "log", Content: strings.Repeat("0123456789abcdefghi\n", 2000)}}}
	}
	return opsgate.Textf("ran: %s", req.Text)
}

func (e *env) send(path, contentType, body string, header http.Header) (int, string) {
	e.t.Helper()
	return kittest.Post(e.t, e.srv.URL+path, contentType, body, header)
}

// slash posts a slash command as Mattermost does: form-encoded with Authorization: Token.
func (e *env) slash(user, command, text string) (int, string) {
	f := slashForm(user, command, text, e.mm.responseURL())
	return e.send(PathSlashCommand, "application/x-www-form-urlencoded", f.Encode(), http.Header{"Authorization": {"Token " + cmdToken}})
}

func slashForm(user, command, text, responseURL string) url.Values {
	return url.Values{"channel_id": {"ch1"}, "channel_name": {"town-square"}, "command": {command}, "response_url": {responseURL},
		"team_domain": {"acme"}, "team_id": {"team1"}, "text": {text}, "token": {cmdToken},
		"trigger_id": {"dHJpZ2dlcg=="}, "user_id": {user}, "user_name": {"alice"}}
}

// act posts an action as Mattermost does for a button or menu: JSON with our context.
func (e *env) act(user string, actx map[string]any) (int, map[string]any) {
	b, _ := json.Marshal(map[string]any{"user_id": user, "user_name": "mallory", "channel_id": "ch-other", "channel_name": "x",
		"team_id": "team-other", "team_domain": "x", "post_id": "post1", "trigger_id": "trig2", "type": "", "data_source": "", "context": actx})
	code, body := e.send(PathInteraction, "application/json", string(b), nil)
	var out map[string]any
	json.Unmarshal([]byte(body), &out)
	if code == 200 && out == nil {
		e.t.Fatalf("interaction answer is not JSON: %q", body)
	}
	return code, out
}

// A request the pipeline refuses (overloaded) is answered in the HTTP response itself, with no API call.
func TestRefusalInAck(t *testing.T) {
	e := newEnv(t, false)
	code, body := e.slash("ubusy", "/network", "status")
	if code != 200 || body != `{"response_type":"ephemeral","text":"opsgate is overloaded; please try again shortly."}`+"\n" {
		t.Fatalf("ack = %d %q", code, body)
	}
	e.Next()
	if calls := e.mm.find("POST", "/api/v4/posts"); len(calls) != 0 {
		t.Fatalf("%d posts for a refused request", len(calls))
	}
}

func TestSlashCommand(t *testing.T) {
	e := newEnv(t, false)
	code, body := e.slash("u1", "/network", "status nyc")
	if code != 200 || body != "{}" {
		t.Fatalf("ack = %d %q", code, body)
	}
	r := e.Next()
	want := opsgate.Request{Platform: "mattermost", OrgID: "team1", OrgName: "acme", ChannelID: "ch1", ChannelName: "town-square",
		UserID: "u1", UserName: "alice", Text: "network status nyc"}
	if *r != want {
		t.Fatalf("request = %+v", *r)
	}
	p := e.mm.waitCalls(t, "POST", "/api/v4/posts", 1)[0]
	if p.Body["channel_id"] != "ch1" || p.Body["message"] != "ran: network status nyc" {
		t.Fatalf("post = %v", p.Body)
	}

	// JSON slash commands work too.
	b, _ := json.Marshal(map[string]string{"channel_id": "ch1", "command": "/network", "team_id": "team1", "user_id": "u1", "text": "x"})
	if code, _ := e.send(PathSlashCommand, "application/json", string(b), http.Header{"Authorization": {"Token " + cmdToken}}); code != 200 {
		t.Fatal(code)
	}
	if r := e.Next(); r.Text != "network x" {
		t.Fatal(r.Text)
	}
}

func TestRejectedRequests(t *testing.T) {
	e := newEnv(t, false)
	good := slashForm("u1", "/network", "status", "").Encode()
	auth := http.Header{"Authorization": {"Token " + cmdToken}}
	forged := callback.New([]byte("another key"), "mattermost").Sign(callback.Payload{Kind: callback.KindButton, Prefix: "rm -rf", UserID: "u1"})
	actJSON := func(ctx map[string]any) string {
		b, _ := json.Marshal(map[string]any{"user_id": "u1", "channel_id": "ch1", "team_id": "team1", "context": ctx})
		return string(b)
	}
	cases := []struct {
		name, path, ctype, body string
		h                       http.Header
		code                    int
		reason, msg             string
	}{
		{"missing authorization", PathSlashCommand, "application/x-www-form-urlencoded", good, nil, 401, "missing_token", "missing Authorization"},
		{"bearer instead of token", PathSlashCommand, "application/x-www-form-urlencoded", good, http.Header{"Authorization": {"Bearer " + cmdToken}}, 401, "missing_token", "missing Authorization"},
		{"unknown token", PathSlashCommand, "application/x-www-form-urlencoded", good, http.Header{"Authorization": {"Token nope"}}, 401, "unknown_token", "unknown command token"},
		{"oversized body", PathSlashCommand, "application/x-www-form-urlencoded", good + "&x=" + strings.Repeat("a", DefaultMaxBody), auth, 400, "body_too_large", "too large"},
		{"malformed form", PathSlashCommand, "application/x-www-form-urlencoded", "text=%zz", auth, 400, "malformed", "not a valid form"},
		{"malformed JSON", PathSlashCommand, "application/json", `{"user_id":`, auth, 400, "malformed", "not valid JSON"},
		{"missing fields", PathSlashCommand, "application/x-www-form-urlencoded", "text=hi", auth, 400, "malformed", "lacks user_id"},
		{"interaction bad JSON", PathInteraction, "application/json", `[1,`, nil, 400, "malformed", "not valid JSON"},
		{"interaction without context", PathInteraction, "application/json", actJSON(nil), nil, 400, "malformed", "no opsgate context"},
		{"forged context", PathInteraction, "application/json", actJSON(map[string]any{"t": forged}), nil, 401, "forged_callback", "callback token is not valid"},
		{"raw command token as context", PathInteraction, "application/json", actJSON(map[string]any{"t": cmdToken}), nil, 401, "forged_callback", "callback token is not valid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := testutil.ToFloat64(rejected.WithLabelValues(c.reason))
			code, body := e.send(c.path, c.ctype, c.body, c.h)
			if code != c.code || !strings.Contains(body, c.msg) || strings.Count(body, "\n") != 1 {
				t.Fatalf("got %d %q, want %d with %q on one line", code, body, c.code, c.msg)
			}
			if got := testutil.ToFloat64(rejected.WithLabelValues(c.reason)); got != before+1 {
				t.Fatalf("rejected{reason=%q} = %v, want %v", c.reason, got, before+1)
			}
			e.None()
		})
	}
}

func TestTokenCacheForgetsDeletedTokens(t *testing.T) {
	e := newEnv(t, false)
	e.slash("u1", "/network", "a")
	e.Next()
	e.slash("u1", "/network", "b")
	e.Next()
	if e.tokens.verifies != 1 {
		t.Fatalf("token verified %d times for 2 commands, want 1 (cached)", e.tokens.verifies)
	}
	e.tokens.DeleteToken(context.Background(), 1)
	e.Advance(5 * time.Second)
	if code, body := e.slash("u1", "/network", "c"); code != 401 || !strings.Contains(body, "unknown command token") {
		t.Fatalf("deleted token after 5s: %d %q", code, body)
	}
	e.None()
}

func TestDeniedUserSeesIDs(t *testing.T) {
	e := newEnv(t, false)
	e.slash("udenied", "/network", "status")
	e.Next()
	p := e.mm.waitCalls(t, "POST", "/api/v4/posts/ephemeral", 1)[0]
	msg := p.Body["post"].(map[string]any)["message"].(string)
	if p.Body["user_id"] != "udenied" || !strings.Contains(msg, "by user udenied (alice)") {
		t.Fatalf("denial = %v", p.Body)
	}
	if len(e.mm.find("POST", "/api/v4/posts")) != 0 {
		t.Fatal("denial was posted in the channel")
	}
}

// menuOf returns the select action of an ephemeral post.
func menuOf(t *testing.T, c call) (ctx map[string]any, options []string) {
	t.Helper()
	props := c.Body["post"].(map[string]any)["props"].(map[string]any)
	for _, a := range props["attachments"].([]any) {
		for _, act := range a.(map[string]any)["actions"].([]any) {
			act := act.(map[string]any)
			if act["type"] == "select" {
				for _, o := range act["options"].([]any) {
					options = append(options, o.(map[string]any)["value"].(string))
				}
				return act["integration"].(map[string]any)["context"].(map[string]any), options
			}
		}
	}
	t.Fatalf("no menu in %v", c.Body)
	return
}

func with(ctx map[string]any, k, v string) map[string]any {
	out := map[string]any{}
	for a, b := range ctx {
		out[a] = b
	}
	out[k] = v
	return out
}

func TestMenuPromptRoundTrip(t *testing.T) {
	e := newEnv(t, false)
	e.slash("u1", "/site", "")
	e.Next()
	ctx1, opts := menuOf(t, e.mm.waitCalls(t, "POST", "/api/v4/posts/ephemeral", 1)[0])
	if len(opts) != 100 || opts[99] != nextValue || opts[0] != "site-1" {
		t.Fatalf("first page %d options", len(opts))
	}
	if strings.Contains(fmt.Sprint(ctx1), cmdToken) {
		t.Fatal("the command token leaked into the callback context")
	}
	if code, _ := e.act("u1", with(ctx1, "selected_option", nextValue)); code != 200 {
		t.Fatal(code)
	}
	if r := e.Next(); r.Text != "site" {
		t.Fatalf("next re-ran %q", r.Text)
	}
	ctx2, opts2 := menuOf(t, e.mm.waitCalls(t, "POST", "/api/v4/posts/ephemeral", 2)[1])
	if len(opts2) != 51 || opts2[0] != "site-100" {
		t.Fatalf("second page %d options from %s", len(opts2), opts2[0])
	}

	// Another user cannot answer.
	code, out := e.act("u2", with(ctx2, "selected_option", "site-120"))
	if code != 200 || !strings.Contains(fmt.Sprint(out["ephemeral_text"]), "This prompt is for @alice") {
		t.Fatalf("wrong user: %d %v", code, out)
	}
	e.None()

	// The answer re-runs with the identity the prompt was shown to (not the unauthenticated body's).
	code, out = e.act("u1", with(ctx2, "selected_option", "site 120"))
	r := e.Next()
	if r.Text != "site 'site 120'" || r.UserID != "u1" || r.ChannelID != "ch1" || r.OrgID != "team1" || r.UserName != "alice" {
		t.Fatalf("answer re-ran %+v", r)
	}
	if upd, ok := out["update"].(map[string]any); code != 200 || !ok || !strings.Contains(fmt.Sprint(upd["message"]), "chose") {
		t.Fatalf("prompt not closed: %v", out)
	}

	// Stale callback: a clear refusal, nothing runs.
	e.Advance(callback.DefaultTTL)
	code, out = e.act("u1", with(ctx2, "selected_option", "site-1"))
	if code != 200 || !strings.Contains(fmt.Sprint(out["ephemeral_text"]), "expired") {
		t.Fatalf("expired: %d %v", code, out)
	}
	e.None()
}

// An answer the pipeline refuses (overloaded) is told to the user who picked it.
func TestRefusedAnswerIsShown(t *testing.T) {
	e := newEnv(t, false)
	e.slash("u1", "/site", "")
	e.Next()
	actx, _ := menuOf(t, e.mm.waitCalls(t, "POST", "/api/v4/posts/ephemeral", 1)[0])
	code, out := e.act("u1", with(actx, "selected_option", "busy"))
	e.Next()
	if code != 200 || out["ephemeral_text"] != "opsgate is overloaded; please try again shortly." {
		t.Fatalf("refused answer: %d %v", code, out)
	}
}

func TestDialogRoundTrip(t *testing.T) {
	e := newEnv(t, false)
	e.slash("u1", "/form", "")
	e.Next()
	d := e.mm.waitCalls(t, "POST", "/api/v4/actions/dialogs/open", 1)[0].Body
	if d["trigger_id"] != "dHJpZ2dlcg==" || d["url"] != e.srv.URL+PathInteraction {
		t.Fatalf("dialog open = %v", d)
	}
	dlg := d["dialog"].(map[string]any)
	state := dlg["state"].(string)
	if els := dlg["elements"].([]any); len(els) != 2 || els[1].(map[string]any)["type"] != "select" {
		t.Fatalf("elements = %v", els)
	}
	submit := func(user, state string) (int, string) {
		b, _ := json.Marshal(map[string]any{"type": "dialog_submission", "callback_id": "opsgate", "state": state,
			"user_id": user, "channel_id": "ch1", "team_id": "team1",
			"submission": map[string]any{"f0": "leaf 01", "f1": "spine"}, "cancelled": false})
		return e.send(PathInteraction, "application/json", string(b), nil)
	}
	if code, body := submit("u1", state); code != 200 || strings.TrimSpace(body) != "{}" {
		t.Fatalf("submission ack %d %q", code, body)
	}
	if r := e.Next(); r.Text != "form 'leaf 01' spine" || r.UserID != "u1" || r.ChannelID != "ch1" {
		t.Fatalf("dialog re-ran %+v", r)
	}
	if code, body := submit("u2", state); code != 200 || !strings.Contains(body, `"error":"This prompt is for @alice`) {
		t.Fatalf("wrong user: %d %q", code, body)
	}
	// A menu token is not a dialog state.
	menuTok := e.h.Callbacks.Sign(callback.Payload{Kind: callback.KindMenu, Prefix: "form", UserID: "u1"})
	if code, _ := submit("u1", menuTok); code != 401 {
		t.Fatalf("menu token as dialog state: %d", code)
	}
	e.None()

	// A text prompt's button opens a one-field dialog; its answer re-runs prefix + value.
	e.slash("u1", "/ask", "")
	e.Next()
	p := e.mm.waitCalls(t, "POST", "/api/v4/posts/ephemeral", 1)[0]
	props := p.Body["post"].(map[string]any)["props"].(map[string]any)
	btn := props["attachments"].([]any)[0].(map[string]any)["actions"].([]any)[0].(map[string]any)
	e.act("u1", btn["integration"].(map[string]any)["context"].(map[string]any))
	d2 := e.mm.waitCalls(t, "POST", "/api/v4/actions/dialogs/open", 2)[1].Body
	if d2["trigger_id"] != "trig2" {
		t.Fatalf("text dialog = %v", d2)
	}
	b, _ := json.Marshal(map[string]any{"type": "dialog_submission", "state": d2["dialog"].(map[string]any)["state"], "user_id": "u1",
		"submission": map[string]any{"f0": "INC-42"}})
	e.send(PathInteraction, "application/json", string(b), nil)
	if r := e.Next(); r.Text != "ask INC-42" {
		t.Fatalf("text prompt re-ran %q", r.Text)
	}
}

func TestLongOutputSplit(t *testing.T) {
	e := newEnv(t, false)
	e.slash("u1", "/long", "")
	e.Next()
	posts := e.mm.waitCalls(t, "POST", "/api/v4/posts", 3)
	lines := 0
	for _, p := range posts {
		m := p.Body["message"].(string)
		if len([]rune(m)) > postLimit {
			t.Fatalf("post of %d characters", len([]rune(m)))
		}
		if strings.Count(m, "```")%2 != 0 {
			t.Fatalf("post with an unclosed code block")
		}
		lines += strings.Count(m, "0123456789abcdefghi")
	}
	if lines != 2000 {
		t.Fatalf("delivered %d of 2000 lines", lines)
	}
}

func TestRetryAndUndeliverable(t *testing.T) {
	e := newEnv(t, false)
	sleeps := &kittest.Sleeps{}
	e.h.Sleep = sleeps.Sleep
	e.mm.mu.Lock()
	e.mm.fail["/api/v4/posts"] = []int{429, 502}
	e.mm.mu.Unlock()
	e.slash("u1", "/network", "x")
	e.Next()
	e.mm.waitCalls(t, "POST", "/api/v4/posts", 3)
	if slept := sleeps.All(); len(slept) != 2 || slept[0] != 3*time.Second {
		t.Fatalf("slept %v, want Retry-After 3s then a backoff", slept)
	}

	e.mm.mu.Lock()
	e.mm.fail["/api/v4/posts"] = []int{500, 500, 500, 500}
	e.mm.mu.Unlock()
	e.slash("u1", "/network", "y")
	e.Next()
	hook := e.mm.waitCalls(t, "POST", "/hooks/commands/abc", 1)[0]
	if hook.Body["response_type"] != "ephemeral" || !strings.Contains(hook.Body["text"].(string), "could not deliver") {
		t.Fatalf("undeliverable notice = %v", hook.Body)
	}

	// A bot that is not a system admin cannot post ephemeral messages: response_url still works.
	e.mm.mu.Lock()
	e.mm.fail["/api/v4/posts/ephemeral"] = []int{403}
	e.mm.mu.Unlock()
	e.slash("udenied", "/network", "z")
	e.Next()
	hooks := e.mm.waitCalls(t, "POST", "/hooks/commands/abc", 2)
	if !strings.Contains(hooks[1].Body["text"].(string), "udenied") {
		t.Fatalf("ephemeral fallback = %v", hooks[1].Body)
	}
}

func TestImageUpload(t *testing.T) {
	e := newEnv(t, false)
	e.imagePath = filepath.Join(t.TempDir(), "graph.png")
	os.WriteFile(e.imagePath, []byte("\x89PNG fake"), 0o600)
	e.slash("u1", "/graph", "")
	e.Next()
	up := e.mm.waitCalls(t, "POST", "/api/v4/files", 1)[0]
	if up.Body["channel_id"] != "ch1" || up.Body["filename"] != "graph.png" || up.Body["content"] != "\x89PNG fake" {
		t.Fatalf("upload = %v", up.Body)
	}
	p := e.mm.waitCalls(t, "POST", "/api/v4/posts", 1)[0]
	if ids, _ := p.Body["file_ids"].([]any); len(ids) != 1 || ids[0] != "file1" || p.Body["message"] != "CPU last hour:" {
		t.Fatalf("post = %v", p.Body)
	}
}
