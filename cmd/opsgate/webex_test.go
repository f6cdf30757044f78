package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/kit/kittest"
	"github.com/opsgate/opsgate/webex"
	"github.com/opsgate/opsgate/webexfake"
)

func init() {
	// Commands for the Webex end-to-end test only: switched on by the stand-in's bot token, which no
	// real deployment has.
	registerModule(module{Name: "webex-test-commands", Order: 60, Setup: func(ctx context.Context, m *Main) error {
		if m.Config.Webex.Token != webexfake.Token {
			return nil
		}
		m.Pipeline.Register(&opsgate.Command{Name: "zone", Help: "show a zone",
			Params: []opsgate.Param{{Name: "zone", Help: "a zone", Choices: func(context.Context, *opsgate.Invocation) ([]opsgate.Choice, error) {
				return kittest.Sites[:60], nil
			}}},
			Run: func(ctx context.Context, inv *opsgate.Invocation) error {
				_, err := inv.Out.Send(ctx, opsgate.Textf("zone %s is up", inv.Route.Params["zone"]))
				return err
			}})
		m.Pipeline.Register(&opsgate.Command{Name: "device", Help: "add a device",
			Params: []opsgate.Param{{Name: "name", Help: "Name"}, {Name: "role", Help: "Role"}},
			Run: func(ctx context.Context, inv *opsgate.Invocation) error {
				_, err := inv.Out.Send(ctx, opsgate.Textf("device %s added as %s", inv.Route.Params["name"], inv.Route.Params["role"]))
				return err
			}})
		return nil
	}})
}

const webexTestSecret = "webex-e2e-webhook-secret"

// waitPosted returns the first message the bot posted after skip that match accepts, or fails.
func waitPosted(t *testing.T, f *webexfake.Server, skip int, what string, match func(webexfake.Message) bool) webexfake.Message {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		posted := f.Posted()
		for _, m := range posted[min(skip, len(posted)):] {
			if match(m) {
				return m
			}
		}
	}
	var texts []string
	for _, m := range f.Posted()[skip:] {
		texts = append(texts, kit.TruncateBytes(m.Markdown, 80))
	}
	t.Fatalf("the bot did not post %s; it posted %q", what, texts)
	return webexfake.Message{}
}

func hasText(s string) func(webexfake.Message) bool {
	return func(m webexfake.Message) bool { return strings.Contains(m.Markdown+m.Text, s) }
}

// TestWebexEndToEnd runs `opsgate serve` with Webex enabled against the Webex stand-in, which
// fires signed webhooks as Webex does: through the real pipeline, grants, aliases and database.
func TestWebexEndToEnd(t *testing.T) {
	ctx := context.Background()
	f := webexfake.New(t)
	alice := f.AddPerson("Alice", "alice@example.com")
	bob := f.AddPerson("Bob", "bob@example.com")
	room := f.GroupRoom()

	dsn := sqliteDSN(t)
	addGrants(t, dsn, [][]string{
		{"*", "*", "organization", f.OrgID, "acme"}, {"*", "*", "channel", "*", "any"},
		{"zone", "*", "user", alice.ID, "alice"}, {"device", "*", "user", alice.ID, "alice"}, {"svc", "*", "user", alice.ID, "alice"},
	})
	aliases := t.TempDir()
	writeAliasFile(t, aliases, "svc/aliases/restart.yaml", `
name: restart
pack: svc
action_ref: svc.restart
formats: ["restart {{ service }}"]
result:
  format: "{{ execution.result.stdout }}"
opsgate:
  runner: exec
  command: ["printf", "%s restarted", "{{ service }}"]
`)
	// Webex reaches opsgate at public_url; opsgate's own port is known only once it listens.
	var target atomic.Pointer[url.URL]
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httputil.NewSingleHostReverseProxy(target.Load()).ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	st2 := newSt2(t)
	base := startServerConfig(t, dsn, st2Config(t, st2, ""), "127.0.0.1:0",
		"OPSGATE_WEBEX_ENABLED=true", "OPSGATE_WEBEX_TOKEN="+webexfake.Token, "OPSGATE_WEBEX_WEBHOOK_SECRET="+webexTestSecret,
		"OPSGATE_WEBEX_API_URL="+f.URL, "OPSGATE_WEBEX_PUBLIC_URL="+front.URL+webex.Path, "OPSGATE_ALIASES_DIR="+aliases)
	u, _ := url.Parse(base)
	target.Store(u)

	// Start-up registered both webhooks, signed with the secret, at public_url.
	for deadline := time.Now().Add(5 * time.Second); len(f.Webhooks()) < 2 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
	}
	if hooks := f.Webhooks(); len(hooks) != 2 || hooks[0].TargetURL != front.URL+webex.Path || hooks[0].Secret != webexTestSecret {
		t.Fatalf("webhooks = %+v", hooks)
	}

	say := func(p webexfake.Person, text string) []webexfake.Delivery {
		t.Helper()
		m := f.Say(room, p, text)
		d, err := f.Fire(ctx, "messages", "created", p.ID, webexfake.MessageData(m))
		if err != nil || len(d) != 1 || d[0].Status != 200 {
			t.Fatalf("delivering %q: %+v %v", text, d, err)
		}
		return d
	}
	press := func(card webexfake.Message, index int, p webexfake.Person, values map[string]string) []webexfake.Delivery {
		t.Helper()
		a, err := f.Press(card.ID, index, p, values)
		if err != nil {
			t.Fatal(err)
		}
		d, err := f.Fire(ctx, "attachmentActions", "created", p.ID, webexfake.ActionData(a))
		if err != nil || len(d) != 1 || d[0].Status != 200 {
			t.Fatalf("delivering a press: %+v %v", d, err)
		}
		return d
	}

	// whoami (exempt from grants) shows the ids to grant, to the person alone (1:1).
	n := len(f.Posted())
	whoami := say(bob, "whoami")
	got := waitPosted(t, f, n, "whoami's answer", hasText(bob.ID))
	if got.ToPersonID != bob.ID || !strings.Contains(got.Markdown, f.OrgID) || !strings.Contains(got.Markdown, room) {
		t.Fatalf("whoami = %+v", got)
	}
	// An alias runs through grants and the exec runner.
	n = len(f.Posted())
	say(alice, "restart nginx")
	waitPosted(t, f, n, "the alias's result", hasText("nginx restarted"))
	// Without a grant, the denial goes to the person alone, naming their id.
	n = len(f.Posted())
	say(bob, "zone site-1")
	if d := waitPosted(t, f, n, "a denial", hasText("not permitted by user "+bob.ID)); d.ToPersonID != bob.ID {
		t.Fatalf("denial posted to %+v", d)
	}

	// A menu of 60 zones: page 1 is a drop-down of 50 with Choose, Next and Cancel.
	isCard := func(m webexfake.Message) bool { return len(m.Attachments) == 1 }
	n = len(f.Posted())
	say(alice, "zone")
	card := waitPosted(t, f, n, "a menu card", isCard)
	if card.ToPersonID != alice.ID || !strings.Contains(string(card.Attachments[0].Content), `"title":"Next"`) {
		t.Fatalf("menu card = %+v %s", card, card.Attachments[0].Content)
	}
	n = len(f.Posted())
	press(card, 1, alice, nil) // Next
	page2 := waitPosted(t, f, n, "the menu's second page", isCard)
	if !strings.Contains(string(page2.Attachments[0].Content), "site-55") {
		t.Fatalf("page 2 = %s", page2.Attachments[0].Content)
	}
	n = len(f.Posted())
	choose := press(page2, 0, alice, map[string]string{"v": "site-55"})
	waitPosted(t, f, n, "the chosen zone", hasText("zone site-55 is up"))
	// The same card pressed again (a new submission with the same token) is refused, and said so.
	n = len(f.Posted())
	press(page2, 0, alice, map[string]string{"v": "site-56"})
	waitPosted(t, f, n, "the already-answered notice", hasText("already answered"))

	// Two missing parameters: one inline form; its submission runs the command.
	n = len(f.Posted())
	say(alice, "device")
	form := waitPosted(t, f, n, "a form card", isCard)
	if c := string(form.Attachments[0].Content); !strings.Contains(c, `"id":"f0"`) || !strings.Contains(c, `"id":"f1"`) {
		t.Fatalf("form = %s", c)
	}
	n = len(f.Posted())
	press(form, 0, alice, map[string]string{"f0": "leaf1", "f1": "spine"})
	waitPosted(t, f, n, "the form's result", hasText("device leaf1 added as spine"))

	// An announcement through POST /chatops/message reaches the room.
	tok := strings.TrimSpace(lastLine(mustRun(t, dsn, "token", "add", "--platform", "webhook")))
	n = len(f.Posted())
	body, _ := json.Marshal(map[string]any{"channel": "webex:" + room, "message": "deploy finished"})
	if code, out := kittest.Post(t, base+"/chatops/message", "application/json", string(body), http.Header{"Authorization": {"Bearer " + tok}}); code/100 != 2 {
		t.Fatalf("chatops/message: %d %s", code, out)
	}
	if a := waitPosted(t, f, n, "the announcement", hasText("deploy finished")); a.RoomID != room {
		t.Fatalf("announcement = %+v", a)
	}

	// Forgeries are refused with one line, counted, and reach neither the API nor the pipeline.
	_, metrics := get(t, base+"/metrics")
	series := func(reason string) string {
		return `opsgate_requests_rejected_total{platform="webex",reason="` + reason + `"}`
	}
	before := map[string]float64{}
	for _, r := range []string{"missing_signature", "bad_signature", "duplicate_delivery"} {
		before[r] = metricValue(metrics, series(r))
	}
	fetches, n := f.Calls("GET /v1/messages/{id}"), len(f.Posted())
	signed := whoami[0].Body
	changed := strings.Replace(string(signed), `"created"`, `"created" `, 1)
	for _, c := range []struct {
		name, body, sig, reason string
	}{
		{"missing signature", string(signed), "", "missing_signature"},
		{"wrong signature", string(signed), webex.Sign([]byte("not-the-webhook-secret"), signed), "bad_signature"},
		{"body changed after signing", changed, webex.Sign([]byte(webexTestSecret), signed), "bad_signature"},
	} {
		h := http.Header{}
		if c.sig != "" {
			h.Set(webex.SignatureHeader, c.sig)
		}
		code, out := kittest.Post(t, base+webex.Path, "application/json", c.body, h)
		if code != 401 || strings.Count(out, "\n") != 1 {
			t.Errorf("%s: %d %q, want 401 and one line", c.name, code, out)
		}
	}
	// A replayed delivery (Webex's own bytes and signature, sent again) is acknowledged and dropped.
	replayHeader := http.Header{webex.SignatureHeader: {webex.Sign([]byte(webexTestSecret), signed)}}
	if code, _ := kittest.Post(t, base+webex.Path, "application/json", string(signed), replayHeader); code != 200 {
		t.Fatalf("replay: %d", code)
	}
	replayHeader.Set(webex.SignatureHeader, webex.Sign([]byte(webexTestSecret), choose[0].Body))
	if code, _ := kittest.Post(t, base+webex.Path, "application/json", string(choose[0].Body), replayHeader); code != 200 {
		t.Fatalf("replayed press: %d", code)
	}
	want := map[string]float64{"missing_signature": 1, "bad_signature": 2, "duplicate_delivery": 2}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		_, metrics = get(t, base+"/metrics")
		ok := true
		for r, d := range want {
			ok = ok && metricValue(metrics, series(r))-before[r] == d
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			for r, d := range want {
				t.Errorf("%s counted %v times, want %v", r, metricValue(metrics, series(r))-before[r], d)
			}
			t.FailNow()
		}
	}
	if got := f.Calls("GET /v1/messages/{id}"); got != fetches {
		t.Errorf("refused deliveries fetched %d messages", got-fetches)
	}
	if p := f.Posted(); len(p) != n {
		t.Errorf("refused deliveries posted %+v", p[n:])
	}
	if metricValue(metrics, "opsgate_webex_webhooks_ok") != 1 {
		t.Error("opsgate_webex_webhooks_ok is not 1")
	}
}

// A delivery sent again to another replica sharing the database (a copy of Webex's bytes and
// signature) is dropped there: the claim decides, not each replica's memory.
func TestWebexDeliveryOnceAcrossReplicas(t *testing.T) {
	f := webexfake.New(t)
	alice := f.AddPerson("Alice", "alice@example.com")
	room := f.GroupRoom()
	dsn := sqliteDSN(t)
	env := []string{"OPSGATE_WEBEX_ENABLED=true", "OPSGATE_WEBEX_TOKEN=" + webexfake.Token, "OPSGATE_WEBEX_WEBHOOK_SECRET=" + webexTestSecret,
		"OPSGATE_WEBEX_API_URL=" + f.URL}
	env = append(env, sharedSQLite) // replicas on one SQLite file
	a, _ := startServer(t, dsn, env...)
	b, _ := startServer(t, dsn, env...)
	f.AddWebhook(webexfake.Webhook{Name: "opsgate messages", TargetURL: a + webex.Path, Resource: "messages", Event: "created", Secret: webexTestSecret})
	d, err := f.Fire(context.Background(), "messages", "created", alice.ID, webexfake.MessageData(f.Say(room, alice, "whoami")))
	if err != nil || len(d) != 1 || d[0].Status != 200 {
		t.Fatalf("delivery: %+v %v", d, err)
	}
	waitPosted(t, f, 0, "whoami's answer", hasText(alice.ID))
	series := `opsgate_requests_rejected_total{platform="webex",reason="duplicate_delivery"}`
	_, metrics := get(t, b+"/metrics")
	before := metricValue(metrics, series)
	sig := http.Header{webex.SignatureHeader: {webex.Sign([]byte(webexTestSecret), d[0].Body)}}
	if code, out := kittest.Post(t, b+webex.Path, "application/json", string(d[0].Body), sig); code != 200 {
		t.Fatalf("copy to b: %d %q", code, out)
	}
	for deadline := time.Now().Add(5 * time.Second); metricValue(metrics, series) == before && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		_, metrics = get(t, b+"/metrics")
	}
	if metricValue(metrics, series) != before+1 {
		t.Fatal("the copy was not refused as a duplicate")
	}
	if n := len(f.Posted()); n != 1 {
		t.Fatalf("the command ran %d times", n)
	}
}
