package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/slack-go/slack"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/kit/kittest"
)

const secret = "8f742231b10e8888abcd99yyyzzz85a5"

// env is opsgate's real Slack handlers on a real HTTP server, a fake Slack API, and a small
// in-test pipeline standing in for the real one (which the cmd/opsgate tests use).
type env struct {
	t     *testing.T
	slack *fakeSlack
	srv   *httptest.Server
	h     *Handler

	*kittest.Clock
	*kittest.Pipeline
}

func newEnv(t *testing.T, deleteInput bool) *env {
	e := &env{t: t, slack: newFakeSlack(t), Clock: kittest.NewClock(), Pipeline: kittest.NewPipeline(t, reply)}
	cb := callback.New([]byte(secret), "slack")
	cb.Now = e.Now
	e.h = New(Options{
		SigningSecret: secret,
		Client:        slack.New("xoxb-test", slack.OptionAPIURL(e.slack.GetAPIURL())),
		APIURL:        e.slack.GetAPIURL(),
		BotToken:      "xoxb-test",
		Handle:        e.Handle,
		Callbacks:     cb,
		BotUserID:     "UBOT",
		DeleteInput:   deleteInput,
		Plumbing:      kit.Plumbing{Now: e.Now, Sleep: func(context.Context, time.Duration) error { return nil }},
	})
	e.srv = kittest.Serve(t, e.h.Register)
	return e
}

var sites = kittest.Sites

// reply is the in-test pipeline's answers: a menu prompt, a dialog prompt and output of every
// kind (kittest.Pipeline refuses "busy" and denies "UDENIED").
func reply(req *opsgate.Request, words []string) opsgate.Message {
	switch strings.Join(words, " ") {
	case "site":
		return opsgate.Message{Blocks: []opsgate.Block{opsgate.Menu{Prompt: "Which site?", Prefix: "site", Choices: sites, Confirm: true}}, Ephemeral: true}
	case "form":
		return kittest.Form
	case "ask":
		return opsgate.Message{Blocks: []opsgate.Block{opsgate.TextPrompt{Prompt: "Ticket number?", Prefix: "ask"}}}
	case "long":
		return opsgate.Textf("%s", strings.Repeat("0123456789 abcdefghi\n", 1500))
	case "snippet":
		return opsgate.Message{Blocks: []opsgate.Block{opsgate.Snippet{Title: "log", Filename: "log.txt", Content: strings.Repeat("x", 10000)}}}
	case "esnippet":
		return opsgate.Message{Blocks: []opsgate.Block{opsgate.Snippet{Title: "log", Content: strings.Repeat("line\n", 2000)}}, Ephemeral: true}
	}
	m := opsgate.Textf("ran: %s", req.Text)
	m.InThread = true
	return m
}

// send posts body to path as Slack does: form-encoded, signed with ts.
func (e *env) send(path, contentType, body string, header http.Header) (int, string) {
	e.t.Helper()
	return kittest.Post(e.t, e.srv.URL+path, contentType, body, header)
}

func (e *env) signedHeader(body string, at time.Time) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	return http.Header{"X-Slack-Request-Timestamp": {ts}, "X-Slack-Signature": {Sign(secret, ts, []byte(body))}}
}

func (e *env) slash(form url.Values) (int, string) {
	body := form.Encode()
	return e.send(PathSlashCommand, "application/x-www-form-urlencoded", body, e.signedHeader(body, e.Now()))
}

func (e *env) interact(payload any) (int, string) {
	b, _ := json.Marshal(payload)
	body := url.Values{"payload": {string(b)}}.Encode()
	return e.send(PathInteraction, "application/x-www-form-urlencoded", body, e.signedHeader(body, e.Now()))
}

func (e *env) event(payload string, extra http.Header) (int, string) {
	h := e.signedHeader(payload, e.Now())
	for k, v := range extra {
		h[k] = v
	}
	return e.send(PathEvent, "application/json", payload, h)
}

func slashForm(user, command, text string) url.Values {
	return url.Values{
		"token": {"deprecated"}, "team_id": {"T1"}, "team_domain": {"acme"}, "channel_id": {"C1"}, "channel_name": {"ops"},
		"user_id": {user}, "user_name": {"alice"}, "command": {command}, "text": {text}, "api_app_id": {"A1"},
		"response_url": {""}, "trigger_id": {"13345224609.738474920.8088930838d88f008e0"},
	}
}

func TestSlashCommand(t *testing.T) {
	e := newEnv(t, false)
	form := slashForm("U1", "/network", "status  “new york”")
	form.Set("response_url", e.slack.responseURL())
	code, body := e.slash(form)
	if code != 200 || body != "" {
		t.Fatalf("ack = %d %q", code, body)
	}
	r := e.Next()
	want := opsgate.Request{Platform: "slack", OrgID: "T1", OrgName: "acme", ChannelID: "C1", ChannelName: "ops",
		UserID: "U1", UserName: "alice", Text: "network status  “new york”",
		ID: "slack-trigger:13345224609.738474920.8088930838d88f008e0"} // the queue's message id
	if *r != want {
		t.Fatalf("request = %+v", *r)
	}
	c := e.slack.waitCalls(t, "chat.postMessage", 1)[0]
	if c.Form.Get("channel") != "C1" || !strings.Contains(c.text(t), "ran: network status") {
		t.Fatalf("posted %v", c.Form)
	}
}

// A request the pipeline refuses (overloaded) is answered in the HTTP response itself, with no API call.
func TestRefusalInAck(t *testing.T) {
	e := newEnv(t, false)
	code, body := e.slash(slashForm("UBUSY", "/network", "status"))
	if code != 200 || body != `{"response_type":"ephemeral","text":"opsgate is overloaded; please try again shortly."}`+"\n" {
		t.Fatalf("ack = %d %q", code, body)
	}
	e.Next()
	if n := e.slack.n(); n != 0 {
		t.Fatalf("%d Slack API calls for a refused request", n)
	}
}

func TestRejectedRequests(t *testing.T) {
	e := newEnv(t, false)
	good := slashForm("U1", "/network", "status").Encode()
	now := e.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	hdr := func(ts, sig string) http.Header {
		h := http.Header{}
		if ts != "" {
			h.Set("X-Slack-Request-Timestamp", ts)
		}
		if sig != "" {
			h.Set("X-Slack-Signature", sig)
		}
		return h
	}
	stale := strconv.FormatInt(now.Add(-5*time.Minute-time.Second).Unix(), 10)
	future := strconv.FormatInt(now.Add(5*time.Minute+time.Second).Unix(), 10)
	big := good + "&x=" + strings.Repeat("a", DefaultMaxBody)
	cases := []struct {
		name, path, body string
		h                http.Header
		code             int
		reason, msg      string
	}{
		{"wrong signature", PathSlashCommand, good, hdr(ts, Sign("other-secret", ts, []byte(good))), 401, "bad_signature", "signature does not match"},
		{"tampered body", PathSlashCommand, good + "&text=rm", hdr(ts, Sign(secret, ts, []byte(good))), 401, "bad_signature", "signature does not match"},
		{"not hex", PathSlashCommand, good, hdr(ts, "v0=zz"), 401, "bad_signature", "signature does not match"},
		{"stale timestamp", PathSlashCommand, good, hdr(stale, Sign(secret, stale, []byte(good))), 401, "stale_timestamp", "more than 5 minutes"},
		{"future timestamp", PathSlashCommand, good, hdr(future, Sign(secret, future, []byte(good))), 401, "stale_timestamp", "more than 5 minutes"},
		{"missing signature", PathSlashCommand, good, hdr(ts, ""), 401, "missing_headers", "missing X-Slack-Signature"},
		{"missing timestamp", PathSlashCommand, good, hdr("", Sign(secret, ts, []byte(good))), 401, "missing_headers", "missing X-Slack-Signature"},
		{"oversized body", PathSlashCommand, big, hdr(ts, Sign(secret, ts, []byte(big))), 400, "body_too_large", "too large"},
		{"malformed form", PathSlashCommand, "text=%zz&user_id=U1", hdr(ts, Sign(secret, ts, []byte("text=%zz&user_id=U1"))), 400, "malformed", "not a valid form"},
		{"form without user", PathSlashCommand, "command=%2Fx", hdr(ts, Sign(secret, ts, []byte("command=%2Fx"))), 400, "malformed", "lacks user_id"},
		{"interaction without payload", PathInteraction, "x=1", hdr(ts, Sign(secret, ts, []byte("x=1"))), 400, "malformed", "no payload"},
		{"interaction bad JSON", PathInteraction, "payload=%7Bnope", hdr(ts, Sign(secret, ts, []byte("payload=%7Bnope"))), 400, "malformed", "not valid JSON"},
		{"event bad JSON", PathEvent, `{"type":`, hdr(ts, Sign(secret, ts, []byte(`{"type":`))), 400, "malformed", "not a valid Events API"},
		{"event wrong signature", PathEvent, `{"type":"url_verification","challenge":"c"}`, hdr(ts, "v0="+strings.Repeat("0", 64)), 401, "bad_signature", "signature does not match"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := testutil.ToFloat64(rejected.WithLabelValues(c.reason))
			code, body := e.send(c.path, "application/x-www-form-urlencoded", c.body, c.h)
			if code != c.code || !strings.Contains(body, c.msg) || strings.Count(body, "\n") != 1 {
				t.Fatalf("got %d %q, want %d with %q on one line", code, body, c.code, c.msg)
			}
			if got := testutil.ToFloat64(rejected.WithLabelValues(c.reason)); got != before+1 {
				t.Fatalf("rejected{reason=%q} = %v, want %v", c.reason, got, before+1)
			}
			e.None()
		})
	}
	// The window's edges are inside: exactly 5 minutes old passes.
	edge := strconv.FormatInt(now.Add(-5*time.Minute).Unix(), 10)
	if code, _ := e.send(PathSlashCommand, "application/x-www-form-urlencoded", good, hdr(edge, Sign(secret, edge, []byte(good)))); code != 200 {
		t.Fatalf("5-minute-old request: %d", code)
	}
	e.Next()
}

func TestDeniedUserSeesIDs(t *testing.T) {
	e := newEnv(t, false)
	if code, _ := e.slash(slashForm("UDENIED", "/network", "status")); code != 200 {
		t.Fatal(code)
	}
	e.Next()
	c := e.slack.waitCalls(t, "chat.postEphemeral", 1)[0]
	if c.Form.Get("user") != "UDENIED" || !strings.Contains(c.text(t), "by user UDENIED (alice)") {
		t.Fatalf("denial = %v %q", c.Form, c.text(t))
	}
	if e.slack.count("chat.postMessage") != 0 {
		t.Fatal("denial was posted in the channel")
	}
}

func eventBody(id, typ, user, botID, text string) string {
	inner := map[string]any{"type": typ, "user": user, "text": text, "ts": "1700000000.000100", "channel": "C1", "event_ts": "1700000000.000100"}
	if typ == "message" {
		inner["channel"], inner["channel_type"] = "D1", "im"
	}
	if botID != "" {
		inner["bot_id"] = botID
	}
	b, _ := json.Marshal(map[string]any{"token": "x", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
		"event_id": id, "event_time": 1700000000, "event": inner})
	return string(b)
}

func TestEvents(t *testing.T) {
	e := newEnv(t, false)
	code, body := e.event(`{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`, nil)
	if code != 200 || body != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Fatalf("url_verification = %d %q", code, body)
	}

	mention := eventBody("Ev1", "app_mention", "U1", "", "<@UBOT> network status &lt;nyc&gt;")
	if code, _ := e.event(mention, nil); code != 200 {
		t.Fatal(code)
	}
	r := e.Next()
	if r.Text != "network status <nyc>" || r.ThreadID != "1700000000.000100" || r.UserID != "U1" || r.OrgID != "T1" {
		t.Fatalf("mention request = %+v", r)
	}
	// Slack retries the same event: acknowledged, never run again.
	if code, _ := e.event(mention, http.Header{"X-Slack-Retry-Num": {"1"}, "X-Slack-Retry-Reason": {"http_timeout"}}); code != 200 {
		t.Fatal(code)
	}
	e.None()
	// The reply goes in the mention's thread.
	c := e.slack.waitCalls(t, "chat.postMessage", 1)[0]
	if c.Form.Get("thread_ts") != "1700000000.000100" {
		t.Fatalf("reply not in thread: %v", c.Form)
	}

	// Direct messages run; the bot's own and other bots' messages do not.
	e.event(eventBody("Ev2", "message", "U1", "", "whoami"), nil)
	if r := e.Next(); !r.Direct || r.Text != "whoami" || r.ChannelID != "D1" {
		t.Fatalf("DM request = %+v", r)
	}
	e.event(eventBody("Ev3", "message", "UBOT", "", "ran: whoami"), nil)
	e.event(eventBody("Ev4", "message", "U2", "B9", "hello"), nil)
	e.None()
}

// menuOf returns the action_id, block_id and options of the static_select in a posted message.
func menuOf(t *testing.T, c call) (actionID, blockID string, options []string) {
	t.Helper()
	for _, b := range c.blocks(t) {
		if b["type"] != "actions" {
			continue
		}
		for _, el := range b["elements"].([]any) {
			el := el.(map[string]any)
			if el["type"] == "static_select" {
				for _, o := range el["options"].([]any) {
					options = append(options, o.(map[string]any)["value"].(string))
				}
				return el["action_id"].(string), b["block_id"].(string), options
			}
		}
	}
	t.Fatalf("no menu in %s", c.Form.Get("blocks"))
	return
}

func blockActions(user, responseURL, actionID, blockID string, action map[string]any) map[string]any {
	action["action_id"], action["block_id"], action["action_ts"] = actionID, blockID, "1700000001.0002"
	return map[string]any{
		"type": "block_actions", "api_app_id": "A1", "token": "x", "trigger_id": "1.2.3",
		"user":         map[string]any{"id": user, "username": "alice", "name": "alice", "team_id": "T1"},
		"team":         map[string]any{"id": "T1", "domain": "acme"},
		"channel":      map[string]any{"id": "C1", "name": "ops"},
		"container":    map[string]any{"type": "message", "message_ts": "1700000000.000001", "channel_id": "C1", "is_ephemeral": true},
		"response_url": responseURL,
		"actions":      []any{action},
	}
}

func selected(v string) map[string]any {
	return map[string]any{"type": "static_select", "selected_option": map[string]any{"text": map[string]any{"type": "plain_text", "text": v}, "value": v}}
}

func TestMenuPromptRoundTrip(t *testing.T) {
	e := newEnv(t, true)
	e.slash(slashForm("U1", "/site", ""))
	e.Next()
	first := e.slack.waitCalls(t, "chat.postEphemeral", 1)[0]
	aid, bid, opts := menuOf(t, first)
	if len(opts) != 100 || opts[0] != "site-1" || opts[98] != "site-99" || opts[99] != nextValue {
		t.Fatalf("first page: %d options, %v...%v", len(opts), opts[:2], opts[len(opts)-2:])
	}
	if !strings.Contains(first.Form.Get("blocks"), `"confirm"`) {
		t.Fatal("menu with Confirm has no confirm dialog")
	}

	// "Next..." re-runs the prefix and shows the next page.
	if code, body := e.interact(blockActions("U1", e.slack.responseURL(), aid, bid, selected(nextValue))); code != 200 {
		t.Fatalf("next: %d %q", code, body)
	}
	if r := e.Next(); r.Text != "site" || r.UserID != "U1" {
		t.Fatalf("next re-ran %q", r.Text)
	}
	second := e.slack.waitCalls(t, "chat.postEphemeral", 2)[1]
	aid2, bid2, opts2 := menuOf(t, second)
	if len(opts2) != 51 || opts2[0] != "site-100" || opts2[50] != "site-150" {
		t.Fatalf("second page: %d options from %v", len(opts2), opts2[0])
	}

	// Someone else cannot answer the prompt.
	e.interact(blockActions("U2", e.slack.responseURL(), aid2, bid2, selected("site-120")))
	e.None()
	refusal := e.slack.waitCalls(t, "response/1", 2)
	if txt, _ := refusalText(refusal); !strings.Contains(txt, "This prompt is for <@U1>") {
		t.Fatalf("wrong-user refusal = %q", txt)
	}

	// The answer re-runs prefix + quoted value as the answering user; the prompt is deleted.
	e.interact(blockActions("U1", e.slack.responseURL(), aid2, bid2, selected("site-120")))
	if r := e.Next(); r.Text != "site site-120" || r.UserID != "U1" || r.ChannelID != "C1" || r.OrgID != "T1" {
		t.Fatalf("answer re-ran %+v", r)
	}
	deleted := false
	for _, c := range e.slack.waitCalls(t, "response/1", 3) {
		if c.JSON["delete_original"] == true {
			deleted = true
		}
	}
	if !deleted {
		t.Fatal("prompt not deleted with delete_input_on_submission")
	}

	// Forged and stale callbacks are refused and run nothing.
	forged := []byte(aid2)
	forged[10] ^= 1
	if code, body := e.interact(blockActions("U1", e.slack.responseURL(), string(forged), bid2, selected("site-1"))); code != 400 || !strings.Contains(body, "callback token is not valid") {
		t.Fatalf("forged: %d %q", code, body)
	}
	e.None()
	e.Advance(callback.DefaultTTL + time.Second)
	before := testutil.ToFloat64(rejected.WithLabelValues("expired_callback"))
	if code, _ := e.interact(blockActions("U1", e.slack.responseURL(), aid2, bid2, selected("site-1"))); code != 200 {
		t.Fatal(code)
	}
	e.None()
	if testutil.ToFloat64(rejected.WithLabelValues("expired_callback")) != before+1 {
		t.Fatal("expired callback not counted")
	}
	calls := e.slack.waitCalls(t, "response/1", 5)
	if txt := calls[len(calls)-1].JSON["text"]; txt == nil || !strings.Contains(txt.(string), "expired") {
		t.Fatalf("expired refusal = %v", calls[len(calls)-1].JSON)
	}
}

func refusalText(calls []call) (string, bool) {
	for _, c := range calls {
		if c.JSON["response_type"] == "ephemeral" {
			return c.JSON["text"].(string), true
		}
	}
	return "", false
}

// An answer the pipeline refuses (overloaded) is told to the user who clicked.
func TestRefusedAnswerIsShown(t *testing.T) {
	e := newEnv(t, false)
	e.slash(slashForm("U1", "/ask", ""))
	e.Next()
	var input map[string]any
	for _, b := range e.slack.waitCalls(t, "chat.postMessage", 1)[0].blocks(t) {
		if b["type"] == "input" {
			input = b
		}
	}
	el := input["element"].(map[string]any)
	e.interact(blockActions("U1", e.slack.responseURL(), el["action_id"].(string), input["block_id"].(string),
		map[string]any{"type": "plain_text_input", "value": "busy"}))
	e.Next()
	c := e.slack.waitCalls(t, "chat.postEphemeral", 1)[0]
	if c.Form.Get("user") != "U1" || !strings.Contains(c.text(t), "opsgate is overloaded") {
		t.Fatalf("refusal not shown: %v", c.Form)
	}
}

func TestCancelAndTextPrompt(t *testing.T) {
	e := newEnv(t, false)
	e.slash(slashForm("U1", "/ask", ""))
	e.Next()
	c := e.slack.waitCalls(t, "chat.postMessage", 1)[0]
	var input, cancel map[string]any
	for _, b := range c.blocks(t) {
		if b["type"] == "input" {
			input = b
		}
		if b["type"] == "actions" {
			cancel = b["elements"].([]any)[0].(map[string]any)
		}
	}
	if input == nil || input["dispatch_action"] != true || cancel == nil {
		t.Fatalf("text prompt blocks: %s", c.Form.Get("blocks"))
	}
	el := input["element"].(map[string]any)
	e.interact(blockActions("U1", e.slack.responseURL(), el["action_id"].(string), input["block_id"].(string),
		map[string]any{"type": "plain_text_input", "value": "INC 42"}))
	if r := e.Next(); r.Text != "ask 'INC 42'" {
		t.Fatalf("text answer re-ran %q", r.Text)
	}
	// Cancel closes the prompt and runs nothing.
	e.interact(blockActions("U1", e.slack.responseURL(), "ogc", cancel["action_id"].(string), map[string]any{"type": "button", "value": cancel["value"]}))
	e.None()
	found := false
	for _, c := range e.slack.waitCalls(t, "response/1", 2) {
		if c.JSON["replace_original"] == true && strings.Contains(fmt.Sprint(c.JSON["text"]), "Cancelled") {
			found = true
		}
	}
	if !found {
		t.Fatal("cancel did not close the prompt")
	}
}

func viewSubmission(user, metadata string, values map[string]any) map[string]any {
	return map[string]any{
		"type": "view_submission", "team": map[string]any{"id": "T1", "domain": "acme"},
		"user":       map[string]any{"id": user, "username": "alice", "name": "alice", "team_id": "T1"},
		"api_app_id": "A1", "token": "x", "trigger_id": "4.5.6",
		"view": map[string]any{"id": "V1", "type": "modal", "callback_id": "opsgate_dialog", "private_metadata": metadata,
			"state": map[string]any{"values": values}},
	}
}

func TestDialogRoundTrip(t *testing.T) {
	e := newEnv(t, false)
	form := slashForm("U1", "/form", "")
	e.slash(form)
	e.Next()
	v := e.slack.waitCalls(t, "views.open", 1)[0]
	if v.JSON["trigger_id"] != form.Get("trigger_id") {
		t.Fatalf("views.open = %v", v.JSON)
	}
	view := v.JSON["view"].(map[string]any)
	meta := view["private_metadata"].(string)
	if len(view["blocks"].([]any)) != 2 || view["callback_id"] != "opsgate_dialog" {
		t.Fatalf("modal = %v", view)
	}
	code, body := e.interact(viewSubmission("U1", meta, map[string]any{
		"f0": map[string]any{"v": map[string]any{"type": "plain_text_input", "value": "leaf 01"}},
		"f1": map[string]any{"v": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "spine"}}},
	}))
	if code != 200 || body != "" {
		t.Fatalf("submission ack = %d %q", code, body)
	}
	r := e.Next()
	if r.Text != "form 'leaf 01' spine" || r.ChannelID != "C1" || r.UserID != "U1" {
		t.Fatalf("dialog re-ran %+v", r)
	}
	// The result lands in the channel the command came from.
	if c := e.slack.waitCalls(t, "chat.postMessage", 1)[0]; c.Form.Get("channel") != "C1" {
		t.Fatalf("result posted to %v", c.Form)
	}

	// Another user submitting (a forwarded modal) sees the refusal in the modal.
	code, body = e.interact(viewSubmission("U2", meta, map[string]any{}))
	if code != 200 || !strings.Contains(body, `"response_action":"errors"`) || !strings.Contains(body, "This form is for") {
		t.Fatalf("wrong user: %d %q", code, body)
	}
	e.None()

	// Past the trigger_id's 3 s the dialog becomes a button; clicking it opens the modal.
	e.Advance(time.Second) // a new request from Slack carries a new timestamp
	e.slash(form)
	e.Next()
	e.slack.waitCalls(t, "views.open", 2)
	// (the in-test pipeline answers at once; simulate a slow run by a stale conversation)
	conv := &conversation{h: e.h, channel: "C1", user: "U1", triggerID: "old", triggerAt: e.Now().Add(-4 * time.Second)}
	conv.Send(context.Background(), opsgate.Message{Blocks: []opsgate.Block{opsgate.Dialog{Title: "New device", Prefix: "form"}}})
	btn := e.slack.waitCalls(t, "chat.postEphemeral", 1)[0]
	if !strings.Contains(btn.Form.Get("blocks"), `"action_id":"ogo"`) {
		t.Fatalf("no open-form button: %s", btn.Form.Get("blocks"))
	}
	if e.slack.count("views.open") != 2 {
		t.Fatalf("views.open calls = %d, want 2 (stale trigger must not be used)", e.slack.count("views.open"))
	}
}

func TestLongOutput(t *testing.T) {
	e := newEnv(t, false)
	e.slash(slashForm("U1", "/long", ""))
	e.Next()
	// 31,500 characters: split across sections and posts, nothing lost.
	deadline := time.Now().Add(5 * time.Second)
	var total int
	for time.Now().Before(deadline) {
		total = 0
		e.slack.mu.Lock()
		calls := append([]call(nil), e.slack.calls...)
		e.slack.mu.Unlock()
		for _, c := range calls {
			if c.Method == "chat.postMessage" {
				for _, b := range c.blocks(t) {
					if s, ok := b["text"].(map[string]any)["text"].(string); ok {
						if len(s) > sectionLimit {
							t.Fatalf("section of %d chars", len(s))
						}
						total += len(s)
					}
				}
			}
		}
		if total == 1500*21 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if total != 1500*21 || e.slack.count("chat.postMessage") < 3 {
		t.Fatalf("long text: %d chars in %d posts", total, e.slack.count("chat.postMessage"))
	}

	e.slash(slashForm("U1", "/snippet", ""))
	e.Next()
	e.slack.waitCalls(t, "files.completeUploadExternal", 1)
	if up := e.slack.waitCalls(t, "files.getUploadURLExternal", 1)[0]; up.Form.Get("length") != "10000" || up.Form.Get("filename") != "log.txt" {
		t.Fatalf("upload = %v", up.Form)
	}

	// Ephemeral output cannot be a file: split into code blocks, all of it delivered.
	e.slash(slashForm("U1", "/esnippet", ""))
	e.Next()
	time.Sleep(100 * time.Millisecond)
	got := 0
	for _, c := range e.slack.waitCalls(t, "chat.postEphemeral", 1) {
		got += strings.Count(c.Form.Get("blocks"), `line\n`)
	}
	if got != 2000 {
		t.Fatalf("ephemeral snippet delivered %d of 2000 lines", got)
	}
}

func TestRetryAndUndeliverable(t *testing.T) {
	e := newEnv(t, false)
	sleeps := &kittest.Sleeps{}
	e.h.Sleep = sleeps.Sleep
	e.slack.mu.Lock()
	e.slack.fail["chat.postMessage"] = []int{429, 503}
	e.slack.mu.Unlock()
	e.slash(slashForm("U1", "/network", "status"))
	e.Next()
	e.slack.waitCalls(t, "chat.postMessage", 3)
	time.Sleep(50 * time.Millisecond)
	if slept := sleeps.All(); len(slept) != 2 || slept[0] != 2*time.Second {
		t.Fatalf("slept %v, want Retry-After 2s then a backoff", slept)
	}

	// Slack down for good: the user hears about it through response_url.
	e.slack.mu.Lock()
	e.slack.fail["chat.postMessage"] = []int{500, 500, 500, 500}
	e.slack.mu.Unlock()
	form := slashForm("U1", "/network", "status")
	form.Set("response_url", e.slack.responseURL())
	e.slash(form)
	e.Next()
	c := e.slack.waitCalls(t, "response/1", 1)[0]
	if c.JSON["response_type"] != "ephemeral" || !strings.Contains(c.JSON["text"].(string), "could not deliver") {
		t.Fatalf("undeliverable notice = %v", c.JSON)
	}
}
