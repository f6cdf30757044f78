package xmpp_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit/kittest"
	"github.com/opsgate/opsgate/metrics"
	"github.com/opsgate/opsgate/prosodytest"
	"github.com/opsgate/opsgate/xmpp"
)

// env is a Prosody with a bot account, alice, and opsgate's client connected as the bot.
type env struct {
	srv      *prosodytest.Server
	bot      string
	alice    *prosodytest.Person
	pipeline *kittest.Pipeline
	client   *xmpp.Client
}

func reply(req *opsgate.Request, words []string) opsgate.Message {
	switch {
	case len(words) > 0 && words[0] == "pick":
		return opsgate.Message{Blocks: []opsgate.Block{opsgate.Menu{Prompt: "Which site?", Prefix: "site show",
			Choices: []opsgate.Choice{{Label: "Paris", Value: "par"}, {Label: "Oslo", Value: "osl"}}}}}
	case len(words) > 0 && words[0] == "secret":
		return opsgate.Message{Ephemeral: true, Blocks: []opsgate.Block{opsgate.Text{Markdown: "for your eyes only"}}}
	}
	return opsgate.Textf("you said %q as %s in %s", req.Text, req.UserID, req.ChannelID)
}

// start connects the bot; configure adjusts its options (rooms, direct TLS) first. Anything
// the test must set up before the bot arrives (a room alice owns) happens in before.
func start(t *testing.T, configure func(e *env, o *xmpp.Options), before func(e *env)) *env {
	t.Helper()
	srv := prosodytest.Start(t)
	e := &env{srv: srv, bot: srv.AddUser(t, "opsbot", "bot-pass-1")}
	srv.AddUser(t, "alice", "alice-pass-1")
	e.alice = srv.Connect(t, "alice@"+srv.Domain, "alice-pass-1")
	if before != nil {
		before(e)
	}
	e.pipeline = kittest.NewPipeline(t, reply)
	o := xmpp.Options{JID: e.bot, Password: "bot-pass-1", Server: srv.Addr, TLS: srv.TLS(), Handle: e.pipeline.Handle}
	if configure != nil {
		configure(e, &o)
	}
	c, err := xmpp.New(o)
	if err != nil {
		t.Fatal(err)
	}
	e.client = c
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return e
}

// A 1:1 chat over STARTTLS with SCRAM: the prefix is optional, the identity is the bare JID,
// the answer comes back to the person, and a menu is answered with a number.
func TestDirectChat(t *testing.T) {
	e := start(t, nil, nil)
	waitConnected(t, e)
	e.alice.Tell(e.bot, "whoami")
	req := e.pipeline.Next()
	want := opsgate.Request{Platform: "xmpp", OrgID: "localhost", OrgName: "localhost", ChannelID: "alice@localhost",
		ChannelName: "alice@localhost", UserID: "alice@localhost", UserName: "alice@localhost", Direct: true, Text: "whoami"}
	if *req != want {
		t.Fatalf("request\n got %+v\nwant %+v", *req, want)
	}
	e.alice.Expect(e.bot, `you said "whoami" as alice@localhost in alice@localhost`)

	e.alice.Tell(e.bot, "!pick")
	e.pipeline.Next()
	m := e.alice.Expect(e.bot, "Which site?")
	if !strings.Contains(m.Body, "[2] Oslo") {
		t.Fatalf("menu: %q", m.Body)
	}
	e.alice.Tell(e.bot, "2")
	if req := e.pipeline.Next(); req.Text != "site show osl" {
		t.Fatalf("menu answer ran %q", req.Text)
	}
}

// Rooms: a command needs the prefix, room chatter is ignored, the person is the real JID when
// the room shows it (ACL files naming room@service/nick still match the user name), an
// ephemeral answer goes privately to the asker, and a too-long command is refused and counted.
func TestRoom(t *testing.T) {
	e := start(t, func(e *env, o *xmpp.Options) {
		o.Rooms, o.Nick = []string{"ops@" + e.srv.Rooms, "lobby@" + e.srv.AnonRooms}, "opsgate"
	}, func(e *env) {
		// alice owns the anonymous room; the bot, a mere participant there, cannot see her JID.
		e.alice.Join("lobby@"+e.srv.AnonRooms, "alice")
	})
	waitConnected(t, e)
	ops, lobby := "ops@"+e.srv.Rooms, "lobby@"+e.srv.AnonRooms
	e.alice.Join(ops, "alice")

	e.alice.Say(ops, "good morning everyone")
	e.pipeline.None()
	e.alice.Say(ops, "!ping now")
	req := e.pipeline.Next()
	if req.ChannelID != ops || req.UserID != "alice@localhost" || req.UserName != ops+"/alice" || req.Direct || req.Text != "ping now" {
		t.Fatalf("room request: %+v", *req)
	}
	e.alice.Expect(ops+"/opsgate", `you said "ping now" as alice@localhost`)

	e.alice.Say(lobby, "!ping")
	if req := e.pipeline.Next(); req.UserID != lobby+"/alice" || req.ChannelID != lobby {
		t.Fatalf("anonymous room request: %+v", *req)
	}
	e.alice.Expect(lobby+"/opsgate", "you said")

	e.alice.Say(ops, "!secret")
	e.pipeline.Next()
	if m := e.alice.Expect(ops+"/opsgate", "for your eyes only"); m.Type != "chat" {
		t.Fatalf("ephemeral answer sent as %q, want a private chat message", m.Type)
	}

	before := testutil.ToFloat64(metrics.RequestsRejected.WithLabelValues("xmpp", "too_long"))
	e.alice.Say(ops, "!echo "+strings.Repeat("x", 5000))
	e.alice.Expect(ops+"/opsgate", "too long for a command")
	e.pipeline.None()
	if got := testutil.ToFloat64(metrics.RequestsRejected.WithLabelValues("xmpp", "too_long")) - before; got != 1 {
		t.Fatalf("too_long refusals counted %v, want 1", got)
	}
}

// Direct TLS (XEP-0368) works as STARTTLS does, and announcements reach a room and, privately,
// a person.
func TestDirectTLSAndAnnouncements(t *testing.T) {
	e := start(t, func(e *env, o *xmpp.Options) {
		o.Server, o.DirectTLS, o.Rooms = e.srv.TLSAddr, true, []string{"ops@" + e.srv.Rooms}
	}, nil)
	waitConnected(t, e)
	ops := "ops@" + e.srv.Rooms
	e.alice.Join(ops, "alice")
	ctx := context.Background()
	room, err := e.client.Conversation(ctx, ops, "", false)
	if err != nil {
		t.Fatal(err)
	}
	room.Send(ctx, opsgate.Textf("maintenance starts at 18:00"))
	e.alice.Expect(ops+"/opsbot", "maintenance starts at 18:00")
	dm, err := e.client.Conversation(ctx, ops, "alice@localhost", true)
	if err != nil {
		t.Fatal(err)
	}
	dm.Send(ctx, opsgate.Textf("your token expires soon"))
	if m := e.alice.Expect(e.bot, "your token expires soon"); m.Type != "chat" {
		t.Fatalf("whisper sent as %q", m.Type)
	}
}

// A client that is not connected (another replica holds the connection) still delivers an
// announcement, through a short connection of its own.
func TestAnnouncementWithoutConnection(t *testing.T) {
	srv := prosodytest.Start(t)
	bot := srv.AddUser(t, "opsbot", "bot-pass-1")
	srv.AddUser(t, "alice", "alice-pass-1")
	alice := srv.Connect(t, "alice@localhost", "alice-pass-1")
	ops := "ops@" + srv.Rooms
	alice.Join(ops, "alice")
	c, err := xmpp.New(xmpp.Options{JID: bot, Password: "bot-pass-1", Server: srv.Addr, TLS: srv.TLS(), Rooms: []string{ops}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	room, _ := c.Conversation(ctx, ops, "", false)
	if _, err := room.Send(ctx, opsgate.Textf("deploy finished")); err != nil {
		t.Fatal(err)
	}
	alice.Expect(ops+"/opsbot", "deploy finished")
	dm, _ := c.Conversation(ctx, "", "alice@localhost", true)
	if _, err := dm.Send(ctx, opsgate.Textf("psst")); err != nil {
		t.Fatal(err)
	}
	alice.Expect(bot, "psst")
}

// A server that refuses the bot (a wrong password) is retried with a doubling backoff, capped,
// until the context ends.
func TestReconnectBackoff(t *testing.T) {
	srv := prosodytest.Start(t)
	bot := srv.AddUser(t, "opsbot", "bot-pass-1")
	ctx, cancel := context.WithCancel(context.Background())
	var waits []time.Duration
	o := xmpp.Options{JID: bot, Password: "wrong", Server: srv.Addr, TLS: srv.TLS()}
	o.Sleep = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		if len(waits) == 8 {
			cancel()
			return errors.New("stopped")
		}
		return nil
	}
	c := mustNew(t, o)
	c.Run(ctx)
	want := []time.Duration{1, 2, 4, 8, 16, 32, 60, 60}
	for i := range want {
		want[i] *= time.Second
	}
	if len(waits) != len(want) {
		t.Fatalf("waits %v, want %v", waits, want)
	}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits %v, want %v", waits, want)
		}
	}
}

func mustNew(t *testing.T, o xmpp.Options) *xmpp.Client {
	c, err := xmpp.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func waitConnected(t *testing.T, e *env) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !e.client.Connected(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the bot did not connect")
		}
	}
}

// When the server goes away (a restart), the client reconnects with its backoff, joins its rooms
// again and answers as before.
func TestReconnectAfterServerRestart(t *testing.T) {
	e := start(t, func(e *env, o *xmpp.Options) { o.Rooms = []string{"ops@" + e.srv.Rooms} }, nil)
	waitConnected(t, e)
	e.srv.Restart(t)
	alice := e.srv.Connect(t, "alice@localhost", "alice-pass-1")
	ops := "ops@" + e.srv.Rooms
	alice.Join(ops, "alice")
	alice.WaitOnline(ops + "/opsbot")
	alice.Say(ops, "!ping")
	e.pipeline.Next()
	alice.Expect(ops+"/opsbot", `you said "ping"`)
}
