package webex_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/webex"
	"github.com/opsgate/opsgate/webexfake"
)

func newClient(f *webexfake.Server) (*webex.Client, *[]time.Duration) {
	var waits []time.Duration
	c := &webex.Client{APIURL: f.URL, Token: webexfake.Token, Sleep: func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	}}
	return c, &waits
}

// receiver is a webhook target that verifies, parses and turns deliveries into requests, as the
// platform kit's handler will.
type receiver struct {
	mu       sync.Mutex
	requests []*opsgate.Request
	subs     []*webex.Submission
	refused  []webex.Refusal
}

func (rc *receiver) serve(t *testing.T, c *webex.Client, secret string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if reason, msg := webex.Verify([]byte(secret), r.Header.Get(webex.SignatureHeader), body); reason != "" {
			rc.mu.Lock()
			rc.refused = append(rc.refused, reason)
			rc.mu.Unlock()
			http.Error(w, msg, http.StatusUnauthorized)
			return
		}
		e, err := webex.ParseEnvelope(body)
		if err != nil {
			http.Error(w, opsgate.ErrorMessage(err), http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if e.Resource == "messages" {
			req, err := c.MessageRequest(r.Context(), e)
			if err != nil {
				t.Errorf("MessageRequest: %v", err)
			} else if req != nil {
				rc.requests = append(rc.requests, req)
			}
		} else {
			s, err := c.ActionSubmission(r.Context(), e)
			if err != nil {
				t.Errorf("ActionSubmission: %v", err)
			} else {
				rc.subs = append(rc.subs, s)
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestMessagesBecomeRequests(t *testing.T) {
	ctx := context.Background()
	f := webexfake.New(t)
	c, _ := newClient(f)
	rc := &receiver{}
	target := rc.serve(t, c, "hook-secret")
	if _, err := c.EnsureWebhooks(ctx, target.URL, "hook-secret"); err != nil {
		t.Fatal(err)
	}
	alice := f.AddPerson("Alice Example", "alice@example.com")
	group := f.GroupRoom()
	for _, m := range []webexfake.Message{
		f.Say(group, alice, "whoami"),
		f.Say(f.DirectRoom(alice), alice, "help  me"),
		f.Say(group, alice, "grant list --user 'opsgate bot'"),
	} {
		if _, err := f.Fire(ctx, "messages", "created", alice.ID, webexfake.MessageData(m)); err != nil {
			t.Fatal(err)
		}
	}
	// The bot's own posts reach the webhook too (as Webex delivers them); they are ignored.
	own := f.Store(webexfake.Message{RoomID: group, RoomType: "group", Text: "whoami", PersonID: f.Bot.ID, PersonEmail: f.Bot.Emails[0]})
	for range 5 {
		f.Fire(ctx, "messages", "created", f.Bot.ID, webexfake.MessageData(own))
	}
	// An envelope naming someone else for a message the bot wrote is still the bot's.
	spoof := webexfake.MessageData(own)
	spoof["personId"] = alice.ID
	f.Fire(ctx, "messages", "created", alice.ID, spoof)

	if len(rc.requests) != 3 {
		t.Fatalf("got %d requests, want 3: %+v", len(rc.requests), rc.requests)
	}
	want := []opsgate.Request{
		{Platform: "webex", OrgID: f.OrgID, ChannelID: group, UserID: alice.ID, UserName: "alice@example.com", Text: "whoami"},
		{Platform: "webex", OrgID: f.OrgID, ChannelID: f.DirectRoom(alice), UserID: alice.ID, UserName: "alice@example.com", Direct: true, Text: "help  me"},
		{Platform: "webex", OrgID: f.OrgID, ChannelID: group, UserID: alice.ID, UserName: "alice@example.com", Text: "grant list --user 'opsgate bot'"},
	}
	for i, got := range rc.requests {
		w := want[i]
		w.ThreadID = got.ThreadID
		w.ID = "webex-message:" + got.ThreadID // a top-level message starts its thread; its id is the queue's message id
		if *got != w || got.ThreadID == "" {
			t.Errorf("request %d:\n got %+v\nwant %+v", i, *got, w)
		}
	}
	if n := f.Calls("GET /v1/people/me"); n != 1 {
		t.Errorf("GET /people/me called %d times for 9 events, want 1", n)
	}
	if n := f.Calls("GET /v1/messages/{id}"); n != 4 {
		t.Errorf("GET /messages/{id} called %d times, want 4 (3 users' messages and the spoofed envelope; none for the bot's own)", n)
	}
}

func TestMentionStripping(t *testing.T) {
	ctx := context.Background()
	f := webexfake.New(t)
	c, _ := newClient(f)
	alice := f.AddPerson("Alice Example", "alice@example.com")
	group := f.GroupRoom()
	uuid := func(id string) string { // the uuid Webex writes in data-object-id
		s := mustDecode(t, id)
		return s[strings.LastIndexByte(s, '/')+1:]
	}
	cases := []struct{ name, text, html, roomType, want string }{
		{"shortened mention by uuid", "opsgate status web-1",
			`<p><spark-mention data-object-type="person" data-object-id="` + uuid(f.Bot.ID) + `">opsgate</spark-mention> status web-1</p>`, "group", "status web-1"},
		{"mention by API id, after other words", "please opsgate bot help",
			`<p>please <spark-mention data-object-type="person" data-object-id="` + f.Bot.ID + `">opsgate bot</spark-mention> help</p>`, "group", "please help"},
		{"someone else mentioned stays", "opsgate bot page Alice Example",
			`<p><spark-mention data-object-type="person" data-object-id="` + uuid(f.Bot.ID) + `">opsgate bot</spark-mention> page <spark-mention data-object-type="person" data-object-id="` + uuid(alice.ID) + `">Alice Example</spark-mention></p>`, "group", "page Alice Example"},
		{"no html: display name at the start", "opsgate bot: whoami", "", "group", "whoami"},
		{"no html: a word that only starts like the name stays", "opsgatebot whoami", "", "group", "opsgatebot whoami"},
		{"direct: the name is an argument", "opsgate bot", "", "direct", "opsgate bot"},
		{"html entities", "opsgate bot echo a<b", `<p><spark-mention data-object-type="person" data-object-id="` + uuid(f.Bot.ID) + `">opsgate bot</spark-mention> echo a&lt;b</p>`, "group", "echo a<b"},
	}
	for _, tc := range cases {
		m := f.Store(webexfake.Message{RoomID: group, RoomType: tc.roomType, Text: tc.text, HTML: tc.html, PersonID: alice.ID, PersonEmail: alice.Emails[0]})
		var e webex.Envelope
		e.Resource, e.Event, e.Data.ID, e.Data.PersonID = "messages", "created", m.ID, alice.ID
		req, err := c.MessageRequest(ctx, &e)
		if err != nil || req == nil {
			t.Fatalf("%s: %v %v", tc.name, req, err)
		}
		if req.Text != tc.want {
			t.Errorf("%s: text %q, want %q", tc.name, req.Text, tc.want)
		}
	}
}

func TestForgedDeliveriesRefused(t *testing.T) {
	ctx := context.Background()
	f := webexfake.New(t)
	c, _ := newClient(f)
	rc := &receiver{}
	target := rc.serve(t, c, "right-secret")
	alice := f.AddPerson("Alice", "alice@example.com")
	m := f.Say(f.DirectRoom(alice), alice, "whoami")

	f.AddWebhook(webexfake.Webhook{Name: "no secret", TargetURL: target.URL, Resource: "messages", Event: "created"})
	f.AddWebhook(webexfake.Webhook{Name: "wrong secret", TargetURL: target.URL, Resource: "messages", Event: "created", Secret: "wrong-secret"})
	ds, err := f.Fire(ctx, "messages", "created", alice.ID, webexfake.MessageData(m))
	if err != nil {
		t.Fatal(err)
	}
	// A genuine delivery whose body is changed on the way.
	body := strings.Replace(string(signedBody(t, f, ctx, target.URL)), "whoami", "whoam1", 1)
	req, _ := http.NewRequest("POST", target.URL, strings.NewReader(body))
	req.Header.Set(webex.SignatureHeader, webex.Sign([]byte("right-secret"), []byte(strings.Replace(body, "whoam1", "whoami", 1))))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, d := range ds {
		if d.Status != http.StatusUnauthorized {
			t.Errorf("delivery answered %d, want 401", d.Status)
		}
	}
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("changed body answered %d, want 401", resp.StatusCode)
	}
	want := []webex.Refusal{webex.RefusalMissing, webex.RefusalMismatch}
	if len(rc.refused) != 3 || rc.refused[0] != want[0] || rc.refused[1] != want[1] || rc.refused[2] != webex.RefusalMismatch {
		t.Errorf("refusals %v, want [missing_signature bad_signature bad_signature]", rc.refused)
	}
	if len(rc.requests) != 0 || f.Calls("GET /v1/messages/{id}") != 0 {
		t.Errorf("a refused delivery reached the API: %d requests, %d fetches", len(rc.requests), f.Calls("GET /v1/messages/{id}"))
	}
}

// signedBody returns the body of a delivery, as an envelope naming a message that says "whoami".
func signedBody(t *testing.T, f *webexfake.Server, ctx context.Context, target string) []byte {
	alice := f.AddPerson("Bob", "bob@example.com")
	m := f.Say(f.DirectRoom(alice), alice, "whoami")
	return []byte(`{"id":"W","resource":"messages","event":"created","orgId":"` + f.OrgID + `","data":{"id":"` + m.ID + `","text":"whoami"}}`)
}

func TestRetryAfter(t *testing.T) {
	ctx := context.Background()
	f := webexfake.New(t)
	c, waits := newClient(f)
	room := f.GroupRoom()
	f.RateLimit("POST /v1/messages", 2, 3)
	if _, err := c.Post(ctx, webex.Post{RoomID: room, Markdown: "hello"}); err != nil {
		t.Fatalf("post after two 429s: %v", err)
	}
	if len(*waits) != 2 || (*waits)[0] != 2*time.Second || (*waits)[1] != 3*time.Second {
		t.Errorf("waited %v, want [2s 3s] as Retry-After said", *waits)
	}
	if got := len(f.Posted()); got != 1 {
		t.Errorf("%d messages posted, want 1", got)
	}

	*waits = nil
	f.RateLimit("POST /v1/messages", 1, 1, 1)
	_, err := c.Post(ctx, webex.Post{RoomID: room, Markdown: "hello"})
	var ae *webex.APIError
	if !errors.As(err, &ae) || ae.Status != 429 || len(*waits) != 2 {
		t.Errorf("three 429s: err %v after %d waits, want a 429 APIError after 2 (3 attempts)", err, len(*waits))
	}

	*waits = nil
	f.RateLimit("GET /v1/people/me", 3600)
	if _, err := c.Me(ctx); !errors.As(err, &ae) || len(*waits) != 0 {
		t.Errorf("Retry-After of an hour: err %v after %v, want the 429 at once", err, *waits)
	}
	if _, err := c.Me(ctx); err != nil {
		t.Errorf("a failed /people/me must not be cached: %v", err)
	}
}

func TestServerErrorsRetriedWhenIdempotent(t *testing.T) {
	ctx := context.Background()
	f := webexfake.New(t)
	c, waits := newClient(f)
	alice := f.AddPerson("Alice", "alice@example.com")
	m := f.Say(f.DirectRoom(alice), alice, "hi")
	f.Fail("GET /v1/messages/{id}", 503)
	if _, err := c.Message(ctx, m.ID); err != nil || len(*waits) != 1 {
		t.Errorf("GET after a 503: %v after %d waits, want success after 1", err, len(*waits))
	}
	f.Fail("POST /v1/messages", 502)
	var ae *webex.APIError
	if _, err := c.Post(ctx, webex.Post{RoomID: m.RoomID, Markdown: "x"}); !errors.As(err, &ae) || ae.Status != 502 || f.Calls("POST /v1/messages") != 1 {
		t.Errorf("POST after a 502: %v with %d calls, want the 502 and no second post (it may have been delivered)", err, f.Calls("POST /v1/messages"))
	}
}

func TestTokenNeverInErrors(t *testing.T) {
	f := webexfake.New(t)
	f.SetToken("the-new-token")
	c := &webex.Client{APIURL: f.URL, Token: "the-old-secret-token"}
	_, err := c.Message(context.Background(), "nope")
	var ae *webex.APIError
	if !errors.As(err, &ae) || ae.Status != 401 {
		t.Fatalf("err %v, want 401", err)
	}
	if strings.Contains(err.Error(), "the-old-secret-token") {
		t.Errorf("error %q contains the token", err)
	}
}

func TestPostAndDelete(t *testing.T) {
	ctx := context.Background()
	f := webexfake.New(t)
	c, _ := newClient(f)
	alice := f.AddPerson("Alice", "alice@example.com")
	m, err := c.Post(ctx, webex.Post{ToPersonID: alice.ID, Markdown: "**hi**"})
	if err != nil {
		t.Fatal(err)
	}
	if m.RoomType != "direct" || m.RoomID != f.DirectRoom(alice) {
		t.Errorf("a post to a person went to %s room %s", m.RoomType, m.RoomID)
	}
	if err := c.Delete(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if d := f.Deleted(); len(d) != 1 || d[0] != m.ID {
		t.Errorf("deleted %v, want [%s]", d, m.ID)
	}
	if _, err := c.Post(ctx, webex.Post{Markdown: "nowhere"}); opsgate.ErrorCode(err) != opsgate.EINVALID {
		t.Errorf("a post without a destination: %v, want EINVALID", err)
	}
}
