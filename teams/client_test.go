package teams_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/teams"
	"github.com/opsgate/opsgate/teamsfake"
)

func newClient(t *testing.T) (*teams.Client, *teamsfake.Server, *clock) {
	f, c := newFake(t)
	cl := teams.NewClient(newTokens(f, c, password), f.Client())
	cl.Sleep = func(context.Context, time.Duration) error { return nil }
	if err := cl.Trust(f.ServiceURL()); err != nil {
		t.Fatal(err)
	}
	return cl, f, c
}

func TestClientSendsToConversation(t *testing.T) {
	cl, f, _ := newClient(t)
	ctx := context.Background()
	conv := teamsfake.ChannelConv + ";messageid=1700000000001"
	for i := range 5 {
		id, err := cl.Send(ctx, f.ServiceURL(), conv, &teams.Activity{Type: teams.TypeMessage, Text: "hello"})
		if err != nil || id == "" {
			t.Fatalf("send %d: id %q, %v", i, id, err)
		}
	}
	if err := cl.Typing(ctx, f.ServiceURL(), conv); err != nil {
		t.Fatal(err)
	}
	p := f.Posted()
	if len(p) != 6 || p[0].ConversationID != conv || p[0].Activity["text"] != "hello" || p[5].Activity["type"] != "typing" {
		t.Fatalf("posted %+v", p)
	}
	if n := f.TokenRequests(); n != 1 {
		t.Fatalf("6 sends made %d token requests, want 1", n)
	}
}

func TestClientNeverSendsTokenToUntrustedServiceURL(t *testing.T) {
	cl, _, _ := newClient(t)
	var seen atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			seen.Add(1)
		}
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(other.Close)
	_, err := cl.Send(context.Background(), other.URL+"/amer/", "19:x", &teams.Activity{Type: teams.TypeMessage, Text: "hi"})
	if opsgate.ErrorCode(err) != opsgate.EFORBIDDEN {
		t.Fatalf("untrusted service URL: %v", err)
	}
	if _, err := cl.CreateConversation(context.Background(), other.URL, teams.ConversationParameters{}); opsgate.ErrorCode(err) != opsgate.EFORBIDDEN {
		t.Fatalf("untrusted create: %v", err)
	}
	if seen.Load() != 0 {
		t.Fatal("the bot token reached an untrusted service URL")
	}
	for _, u := range []string{"http://smba.trafficmanager.net/amer/", "ftp://127.0.0.1/", "https://user:pw@smba.example/", "not a url"} {
		if err := cl.Trust(u); opsgate.ErrorCode(err) != opsgate.EFORBIDDEN {
			t.Errorf("Trust(%q) = %v, want EFORBIDDEN", u, err)
		}
		if cl.Trusted(u) {
			t.Errorf("%q trusted", u)
		}
	}
	for _, u := range []string{"https://smba.trafficmanager.net/amer/", "http://127.0.0.1:9/x", "http://[::1]:9/", "http://localhost:9/"} {
		if err := cl.Trust(u); err != nil {
			t.Errorf("Trust(%q) = %v", u, err)
		}
	}
	if !cl.Trusted("https://SMBA.trafficmanager.net/amer") {
		t.Error("trailing slash or host case made a trusted service URL untrusted")
	}
}

func TestClientHonoursRetryAfter(t *testing.T) {
	cl, f, _ := newClient(t)
	var waited []time.Duration
	cl.Sleep = func(_ context.Context, d time.Duration) error { waited = append(waited, d); return nil }
	f.Throttle(1, "3")
	if _, err := cl.Send(context.Background(), f.ServiceURL(), "19:x", &teams.Activity{Type: teams.TypeMessage, Text: "a"}); err != nil {
		t.Fatal(err)
	}
	if len(waited) != 1 || waited[0] != 3*time.Second || len(f.Posted()) != 1 {
		t.Fatalf("waited %v, posted %d", waited, len(f.Posted()))
	}
	f.Throttle(10, "1")
	if _, err := cl.Send(context.Background(), f.ServiceURL(), "19:x", &teams.Activity{Type: teams.TypeMessage, Text: "b"}); err == nil {
		t.Fatal("endless 429 reported success")
	}
	if len(waited) != 3 {
		t.Fatalf("retries not bounded: waited %d times", len(waited))
	}
}

func TestClientRefreshesTokenTheConnectorRefuses(t *testing.T) {
	cl, f, c := newClient(t)
	ctx := context.Background()
	if _, err := cl.Send(ctx, f.ServiceURL(), "19:x", &teams.Activity{Type: teams.TypeMessage, Text: "a"}); err != nil {
		t.Fatal(err)
	}
	// The fake's clock moves past the token's expiry; ours does not (clock drift).
	fc := &clock{now: c.Now().Add(2 * time.Hour)}
	f.Now = fc.Now
	if _, err := cl.Send(ctx, f.ServiceURL(), "19:x", &teams.Activity{Type: teams.TypeMessage, Text: "b"}); err != nil {
		t.Fatalf("send after the connector refused the token: %v", err)
	}
	if n := f.TokenRequests(); n != 2 {
		t.Fatalf("%d token requests, want 2", n)
	}
}

func TestCreatePersonalConversationForEphemeral(t *testing.T) {
	cl, f, _ := newClient(t)
	a, err := teams.ParseActivity(teamsfake.Marshal(f.Message("secret stuff")))
	if err != nil {
		t.Fatal(err)
	}
	id, err := cl.CreateConversation(context.Background(), a.ServiceURL, teams.Personal(a))
	if err != nil || id == "" {
		t.Fatalf("id %q: %v", id, err)
	}
	if _, err := cl.Send(context.Background(), a.ServiceURL, id, &teams.Activity{Type: teams.TypeMessage, Text: "only you"}); err != nil {
		t.Fatal(err)
	}
	cv := f.Conversations()
	members, _ := cv[0]["members"].([]any)
	bot, _ := cv[0]["bot"].(map[string]any)
	if len(members) != 1 || members[0].(map[string]any)["id"] != teamsfake.UserID || cv[0]["tenantId"] != tenant ||
		bot["id"] != teamsfake.BotID+appID || cv[0]["isGroup"] != false {
		t.Fatalf("conversation parameters %v", cv[0])
	}
	if p := f.Posted(); p[0].ConversationID != id {
		t.Fatalf("ephemeral went to %q", p[0].ConversationID)
	}
}

// An answered prompt is closed in place (PUT) or deleted (DELETE), through the same trusted,
// token-carrying path as a post.
func TestClientUpdatesAndDeletesActivities(t *testing.T) {
	cl, f, _ := newClient(t)
	ctx := context.Background()
	conv := teamsfake.ChannelConv
	first, _ := cl.Send(ctx, f.ServiceURL(), conv, &teams.Activity{Type: teams.TypeMessage, Text: "prompt"})
	second, _ := cl.Send(ctx, f.ServiceURL(), conv, &teams.Activity{Type: teams.TypeMessage, Text: "another prompt"})
	if err := cl.Update(ctx, f.ServiceURL(), conv, first, &teams.Activity{Type: teams.TypeMessage, Text: "Cancelled."}); err != nil {
		t.Fatal(err)
	}
	if err := cl.Delete(ctx, f.ServiceURL(), conv, second); err != nil {
		t.Fatal(err)
	}
	if u := f.Updated(); len(u) != 1 || u[0].Activity["id"] != first || u[0].Activity["text"] != "Cancelled." {
		t.Fatalf("updated %+v", u)
	}
	if d := f.Deleted(); len(d) != 1 || d[0] != conv+"/"+second {
		t.Fatalf("deleted %v", d)
	}
	if err := cl.Delete(ctx, f.ServiceURL(), conv, "1234"); err == nil {
		t.Fatal("deleting an activity the bot never posted succeeded")
	}
	if err := cl.Delete(ctx, "https://attacker.example/", conv, first); opsgate.ErrorCode(err) != opsgate.EFORBIDDEN {
		t.Fatalf("delete at an untrusted service URL: %v", err)
	}
}
