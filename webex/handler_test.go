package webex_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/kit/kittest"
	"github.com/opsgate/opsgate/metrics"
	"github.com/opsgate/opsgate/webex"
	"github.com/opsgate/opsgate/webexfake"
)

const hookSecret = "handler-test-webhook-secret"

// env is a Handler serving on port 0, the Webex stand-in delivering to it, and a stand-in pipeline.
type env struct {
	t     *testing.T
	f     *webexfake.Server
	h     *webex.Handler
	p     *kittest.Pipeline
	srv   *httptest.Server
	alice webexfake.Person
	bob   webexfake.Person
	room  string
}

func newEnv(t *testing.T, tweak func(*webex.Options)) *env {
	f := webexfake.New(t)
	p := kittest.NewPipeline(t, func(req *opsgate.Request, words []string) opsgate.Message {
		if len(words) == 1 && words[0] == "menu" {
			return opsgate.Message{Blocks: []opsgate.Block{opsgate.Menu{Prefix: "menu", Choices: kittest.Sites[:3]}}}
		}
		return opsgate.Textf("ran %s", req.Text)
	})
	o := webex.Options{Client: &webex.Client{APIURL: f.URL, Token: webexfake.Token}, WebhookSecret: hookSecret, Handle: p.Handle,
		Callbacks: callback.New([]byte("callback-key"), "webex")}
	if tweak != nil {
		tweak(&o)
	}
	h := webex.New(o)
	srv := kittest.Serve(t, h.Register)
	t.Cleanup(func() { h.Close(context.Background()) })
	for _, r := range []string{"messages", "attachmentActions"} {
		f.AddWebhook(webexfake.Webhook{Name: "opsgate " + r, TargetURL: srv.URL + webex.Path, Resource: r, Event: "created", Secret: hookSecret})
	}
	return &env{t: t, f: f, h: h, p: p, srv: srv, alice: f.AddPerson("Alice", "alice@example.com"), bob: f.AddPerson("Bob", "bob@example.com"), room: f.GroupRoom()}
}

func (e *env) fire(resource, actor string, data map[string]any) {
	e.t.Helper()
	d, err := e.f.Fire(context.Background(), resource, "created", actor, data)
	if err != nil || len(d) != 1 || d[0].Status != http.StatusOK {
		e.t.Fatalf("delivery: %+v %v", d, err)
	}
}

func (e *env) say(p webexfake.Person, text string) {
	e.t.Helper()
	e.fire("messages", p.ID, webexfake.MessageData(e.f.Say(e.room, p, text)))
}

// posted waits for the bot's n-th message (1 for the first).
func (e *env) posted(n int) webexfake.Message {
	e.t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if p := e.f.Posted(); len(p) >= n {
			return p[n-1]
		}
	}
	e.t.Fatalf("the bot posted %d messages, want %d", len(e.f.Posted()), n)
	return webexfake.Message{}
}

func rejected(reason string) float64 {
	return testutil.ToFloat64(metrics.RequestsRejected.WithLabelValues("webex", reason))
}

func TestMentionStrippedAndRepliedInThread(t *testing.T) {
	e := newEnv(t, nil)
	e.say(e.alice, "uptime")
	req := e.p.Next()
	if req.Text != "uptime" || req.UserID != e.alice.ID || req.ChannelID != e.room || req.OrgID != e.f.OrgID || req.Platform != "webex" {
		t.Fatalf("request = %+v", req)
	}
	if m := e.posted(1); m.RoomID != e.room || !strings.Contains(m.Markdown, "ran uptime") {
		t.Fatalf("reply = %+v", m)
	}
}

// Webex delivers the bot's own messages too; they cost no fetch and reach nothing.
func TestOwnMessagesIgnoredWithoutFetch(t *testing.T) {
	e := newEnv(t, nil)
	own := e.f.Store(webexfake.Message{RoomID: e.room, RoomType: "group", Text: "ran uptime", PersonID: e.f.Bot.ID, PersonEmail: e.f.Bot.Emails[0]})
	e.fire("messages", e.f.Bot.ID, webexfake.MessageData(own))
	e.p.None()
	if n := e.f.Calls("GET /v1/messages/{id}"); n != 0 {
		t.Fatalf("fetched %d messages", n)
	}
}

// Webex signs no timestamp: a delivery of a message older than the deduplication memory is a
// replay that memory could no longer catch, and is refused.
func TestStaleMessageRefused(t *testing.T) {
	e := newEnv(t, func(o *webex.Options) {
		o.Now = func() time.Time { return time.Now().Add(webex.DeliveryTTL + time.Minute) }
	})
	before := rejected("stale")
	e.say(e.alice, "uptime")
	e.p.None()
	for deadline := time.Now().Add(5 * time.Second); rejected("stale") == before && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
	}
	if rejected("stale") != before+1 {
		t.Fatal("stale delivery not counted")
	}
}

func TestPrivateAnnouncementByIDOrEmail(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	for i, to := range []string{e.alice.ID, e.alice.Emails[0]} {
		d, err := e.h.Conversation(ctx, "", to, true)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Send(ctx, opsgate.Textf("deployed")); err != nil {
			t.Fatal(err)
		}
		if m := e.posted(i + 1); m.RoomID != e.f.DirectRoom(e.alice) || m.Markdown != "deployed" {
			t.Fatalf("announcement to %s = %+v", to, m)
		}
	}
	if _, err := e.h.Conversation(ctx, "", "", true); err == nil {
		t.Fatal("a private announcement without a person was accepted")
	}
}

func TestCardAnsweredOnlyByItsPersonOnce(t *testing.T) {
	e := newEnv(t, nil)
	e.say(e.alice, "menu")
	e.p.Next()
	card := e.posted(1)
	if card.ToPersonID != "" || len(card.Attachments) != 1 {
		t.Fatalf("menu card = %+v", card)
	}
	press := func(p webexfake.Person) {
		a, err := e.f.Press(card.ID, 1, p, nil) // the second choice
		if err != nil {
			t.Fatal(err)
		}
		e.fire("attachmentActions", p.ID, webexfake.ActionData(a))
	}
	press(e.bob)
	if m := e.posted(2); m.ToPersonID != e.bob.ID || !strings.Contains(m.Markdown, "This prompt is for") {
		t.Fatalf("bob told %+v", m)
	}
	e.p.None()
	press(e.alice)
	if req := e.p.Next(); req.Text != "menu site-2" || req.UserID != e.alice.ID || req.ChannelID != e.room {
		t.Fatalf("answer = %+v", req)
	}
	before := rejected("replayed_callback")
	press(e.alice)
	e.p.None()
	for deadline := time.Now().Add(5 * time.Second); rejected("replayed_callback") == before && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
	}
	if rejected("replayed_callback") != before+1 {
		t.Fatal("second answer not refused")
	}
}

// An answer the pipeline refuses (overloaded) is told to the person, and the same press works later.
func TestRefusedAnswerCanBePressedAgain(t *testing.T) {
	var busy atomic.Bool
	var e *env
	e = newEnv(t, func(o *webex.Options) {
		o.Handle = func(ctx context.Context, req *opsgate.Request, out opsgate.Dispatcher) string {
			if busy.Load() {
				return kittest.Overloaded
			}
			return e.p.Handle(ctx, req, out)
		}
	})
	e.say(e.alice, "menu")
	e.p.Next()
	card := e.posted(1)
	press := func() {
		a, err := e.f.Press(card.ID, 0, e.alice, map[string]string{})
		if err != nil {
			t.Fatal(err)
		}
		e.fire("attachmentActions", e.alice.ID, webexfake.ActionData(a))
	}
	busy.Store(true)
	press()
	if m := e.posted(2); m.ToPersonID != e.alice.ID || m.Markdown != kittest.Overloaded {
		t.Fatalf("refusal = %+v", m)
	}
	busy.Store(false)
	press()
	if req := e.p.Next(); req.Text != "menu site-1" {
		t.Fatalf("answer = %+v", req)
	}
}

// BenchmarkAck is the whole synchronous path of a delivery: body read, signature, parse, 200.
// The deliveries are the bot's own messages (half of real traffic), whose background work is a
// comparison with the cached bot id.
func BenchmarkAck(b *testing.B) {
	f := webexfake.New(b)
	h := webex.New(webex.Options{Client: &webex.Client{APIURL: f.URL, Token: webexfake.Token}, WebhookSecret: hookSecret,
		Callbacks: callback.New([]byte("k"), "webex"), Handle: func(context.Context, *opsgate.Request, opsgate.Dispatcher) string { return "" }})
	if _, err := h.Client.Me(context.Background()); err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"id":"` + webexfake.NewID("WEBHOOK") + `","name":"opsgate messages","targetUrl":"https://opsgate.example.com/api/plugins/chatops/webex/",` +
		`"resource":"messages","event":"created","orgId":"` + f.OrgID + `","createdBy":"` + f.Bot.ID + `","appId":"` + webexfake.NewID("APPLICATION") +
		`","ownedBy":"creator","status":"active","created":"2026-12-01T10:00:00.000Z","actorId":"` + f.Bot.ID + `","data":{"id":"` +
		webexfake.NewID("MESSAGE") + `","roomId":"` + webexfake.NewID("ROOM") + `","roomType":"group","personId":"` + f.Bot.ID +
		`","personEmail":"opsgate@webex.bot","created":"2026-12-01T10:00:00.000Z"}}`)
	sig := webex.Sign([]byte(hookSecret), body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", webex.Path, strings.NewReader(string(body)))
		r.Header.Set(webex.SignatureHeader, sig)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code, w.Body.String())
		}
	}
	b.StopTimer()
	h.Close(context.Background())
}

// Webex unreachable at start-up: the webhooks are registered once it answers, waits growing.
func TestKeepWebhooksRetriesInBackground(t *testing.T) {
	f := webexfake.New(t)
	var sleeps kittest.Sleeps
	h := webex.New(webex.Options{Client: &webex.Client{APIURL: f.URL, Token: webexfake.Token, Sleep: sleeps.Sleep}, WebhookSecret: hookSecret,
		Callbacks: callback.New([]byte("k"), "webex"), Plumbing: kit.Plumbing{Sleep: sleeps.Sleep}})
	f.Fail("GET /v1/webhooks", 503, 503, 503, 503, 503, 503) // two whole attempts of three tries each
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.KeepWebhooks(ctx, "https://opsgate.example.com"+webex.Path)
	for deadline := time.Now().Add(5 * time.Second); len(f.Webhooks()) < 2 && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
	}
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	hooks := f.Webhooks()
	if len(hooks) != 2 || hooks[0].TargetURL != "https://opsgate.example.com"+webex.Path || hooks[1].Secret != hookSecret {
		t.Fatalf("webhooks = %+v", hooks)
	}
	var waits []time.Duration
	for _, d := range sleeps.All() {
		if d >= 5*time.Second {
			waits = append(waits, d)
		}
	}
	if len(waits) != 2 || waits[0] != 5*time.Second || waits[1] != 10*time.Second {
		t.Fatalf("waits between attempts = %v, want 5s then 10s", waits)
	}
	if v := gauge(t, "opsgate_webex_webhooks_ok"); v != 1 {
		t.Fatalf("opsgate_webex_webhooks_ok = %v", v)
	}
}

func gauge(t *testing.T, name string) float64 {
	mfs, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// With delete_input_on_submission an answered card is deleted: Webex cannot edit one.
func TestAnsweredCardDeleted(t *testing.T) {
	e := newEnv(t, func(o *webex.Options) { o.DeleteInput = true })
	e.say(e.alice, "menu")
	e.p.Next()
	card := e.posted(1)
	a, err := e.f.Press(card.ID, 2, e.alice, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.fire("attachmentActions", e.alice.ID, webexfake.ActionData(a))
	if req := e.p.Next(); req.Text != "menu site-3" {
		t.Fatalf("answer = %+v", req)
	}
	for deadline := time.Now().Add(5 * time.Second); len(e.f.Deleted()) == 0 && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
	}
	if d := e.f.Deleted(); len(d) != 1 || d[0] != card.ID {
		t.Fatalf("deleted %v, want the card %s", d, card.ID)
	}
}
