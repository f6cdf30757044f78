package rocketchat

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/kit/kittest"
	"github.com/opsgate/opsgate/metrics"
	"github.com/opsgate/opsgate/rocketchatfake"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

var rejected = metrics.RequestsRejected.MustCurryWith(prometheus.Labels{"platform": "rocketchat"})

const hookToken = "Zk3bQx9pLm2vR7tY"

type env struct {
	t  *testing.T
	rc *rocketchatfake.Server
	h  *Handler
	u  string
	*kittest.Pipeline
}

func newEnv(t *testing.T) *env {
	e := &env{t: t, rc: rocketchatfake.New("botid", "bot-auth")}
	t.Cleanup(e.rc.Close)
	tokens := store.NewTokenService(storetest.Open(t, store.SQLite))
	if _, err := tokens.CreateToken(context.Background(), &opsgate.CommandToken{Platform: "rocketchat", Comment: "hook"}, hookToken); err != nil {
		t.Fatal(err)
	}
	e.Pipeline = kittest.NewPipeline(t, func(req *opsgate.Request, words []string) opsgate.Message {
		if len(words) == 1 && words[0] == "site" {
			return opsgate.Message{Blocks: []opsgate.Block{opsgate.Menu{Prompt: "Which site?", Prefix: "site", Choices: kittest.Sites}}}
		}
		if len(words) == 1 && words[0] == "whoami" {
			m := opsgate.Textf("you are %s", req.UserID)
			m.Ephemeral = true
			return m
		}
		return opsgate.Textf("ran: %s", req.Text)
	})
	e.h = New(Options{URL: e.rc.URL, UserID: "botid", AuthToken: "bot-auth", Tokens: tokens, Handle: e.Handle,
		Plumbing: kit.Plumbing{Sleep: (&kittest.Sleeps{}).Sleep}})
	e.u = kittest.Serve(t, e.h.Register).URL + PathOutgoing
	return e
}

func (e *env) say(id string, m rocketchatfake.Message) (int, string) {
	e.t.Helper()
	code, body, err := e.rc.Outgoing(e.u, id, m)
	if err != nil {
		e.t.Fatal(err)
	}
	return code, body
}

var alice = rocketchatfake.Message{Token: hookToken, ChannelID: "GENERAL", ChannelName: "general", UserID: "aliceid", UserName: "alice", TriggerWord: "!"}

func with(m rocketchatfake.Message, text string) rocketchatfake.Message { m.Text = text; return m }

// A message with the trigger word runs as the command after it, from the server (organization),
// room and user; the answer is posted in the room through chat.postMessage.
func TestOutgoingWebhookRunsAndReplies(t *testing.T) {
	e := newEnv(t)
	code, body := e.say("m1", with(alice, "!nautobot get-devices"))
	if code != 200 || strings.TrimSpace(body) != "{}" {
		t.Fatalf("answer: %d %q", code, body)
	}
	req := e.Next()
	if req.Platform != "rocketchat" || req.OrgID != "127.0.0.1" || req.ChannelID != "GENERAL" || req.UserID != "aliceid" ||
		req.UserName != "alice" || req.Direct || req.Text != "nautobot get-devices" {
		t.Fatalf("request: %+v", req)
	}
	if p := e.rc.WaitPosted(1); len(p) != 1 || p[0].Room != "GENERAL" || p[0].Text != "ran: nautobot get-devices" {
		t.Fatalf("posted %+v", p)
	}
	// An ephemeral answer goes to the asker's direct room: Rocket.Chat's REST API has no ephemeral posts.
	e.say("m2", with(alice, "!whoami"))
	e.Next()
	if p := e.rc.WaitPosted(2); p[1].Room != "dm-alice" || p[1].Text != "you are aliceid" {
		t.Fatalf("private answer %+v", p[1])
	}
	// A menu says what to send.
	e.say("m3", with(alice, "!site"))
	e.Next()
	if p := e.rc.WaitPosted(3); !strings.Contains(p[2].Text, "Send `site <choice>`") || !strings.Contains(p[2].Text, "site-25") {
		t.Fatalf("menu as text %q", p[2].Text)
	}
	// In a direct room (its id holds the user's) the request is direct.
	dm := alice
	dm.ChannelID = "aliceid" + "botid"
	e.say("m4", with(dm, "!whoami"))
	if req := e.Next(); !req.Direct {
		t.Fatalf("direct room not direct: %+v", req)
	}
}

// Missing and unknown tokens are refused (401) and counted, as are malformed bodies; the bot's own
// messages and a retried message id run nothing.
func TestOutgoingWebhookRefusals(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		m      rocketchatfake.Message
		code   int
		reason string
	}{
		{with(rocketchatfake.Message{ChannelID: "GENERAL", UserID: "aliceid"}, "!whoami"), 401, "missing_token"},
		{with(rocketchatfake.Message{Token: "wrong-token-123", ChannelID: "GENERAL", UserID: "aliceid"}, "!whoami"), 401, "unknown_token"},
		{with(rocketchatfake.Message{Token: hookToken, UserID: "aliceid"}, "!whoami"), 400, "malformed"},
	} {
		before := testutil.ToFloat64(rejected.WithLabelValues(c.reason))
		if code, body := e.say("x", c.m); code != c.code || strings.Count(body, "\n") != 1 {
			t.Errorf("%s: %d %q", c.reason, code, body)
		}
		if testutil.ToFloat64(rejected.WithLabelValues(c.reason))-before != 1 {
			t.Errorf("%s not counted", c.reason)
		}
	}
	bot := with(alice, "!whoami")
	bot.Bot = true
	e.say("b1", bot)
	self := with(alice, "!whoami")
	self.UserID = "botid"
	e.say("b2", self)
	e.None()
	e.say("m1", with(alice, "!whoami"))
	e.Next()
	before := testutil.ToFloat64(rejected.WithLabelValues("replayed"))
	if code, _ := e.say("m1", with(alice, "!whoami")); code != 200 {
		t.Fatalf("retried message: %d", code)
	}
	e.None()
	if testutil.ToFloat64(rejected.WithLabelValues("replayed"))-before != 1 {
		t.Fatal("retry not counted")
	}
	// An overloaded pipeline's refusal is the webhook's answer, which Rocket.Chat posts.
	if _, body := e.say("m9", with(alice, "!deploy busy")); !strings.Contains(body, "overloaded") {
		t.Fatalf("busy: %q", body)
	}
	e.Next()
}

// Announcements go to a room by id or "#name", and privately to the direct room with a username.
func TestAnnouncements(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, c := range []struct {
		channel, user string
		private       bool
	}{{"GENERAL", "", false}, {"#ops", "", false}, {"", "bob", true}} {
		d, err := e.h.Conversation(ctx, c.channel, c.user, c.private)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Send(ctx, opsgate.Textf("deployed")); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(e.rc.Rooms(), " "); got != "GENERAL dm-bob room-ops" {
		t.Fatalf("rooms %q", got)
	}
	// Wrong credentials: the error says so, without the token.
	e.h.AuthToken = "wrong"
	d, _ := e.h.Conversation(ctx, "GENERAL", "", false)
	if _, err := d.Send(ctx, opsgate.Textf("x")); err == nil || !strings.Contains(err.Error(), "401") || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("wrong credentials: %v", err)
	}
}
