package matrix

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/kit/kittest"
)

// A command in a room the bot was invited to reaches the pipeline with Matrix's identity, and the
// answer is an m.notice with HTML in the thread under the command.
func TestCommandInRoomAnsweredInThread(t *testing.T) {
	e := newEnv(t, Options{AutoJoin: true})
	e.Reply = func(req *opsgate.Request, _ []string) opsgate.Message {
		m := opsgate.Textf("**ran** `%s` <script>", req.Text)
		m.InThread = true
		return m
	}
	e.run(t)
	room := e.room("ops")
	e.joined(t, room)
	cmd := e.hs.As(aliceToken).Say(room, "!whoami")
	req := e.Next()
	want := opsgate.Request{Platform: "matrix", OrgID: "example.org", OrgName: "example.org", ChannelID: room, ChannelName: "ops",
		UserID: e.alice, UserName: e.alice, ThreadID: cmd, Text: "whoami", ID: "matrix-event:" + cmd} // the queue's message id
	if *req != want {
		t.Fatalf("request\n got %+v\nwant %+v", *req, want)
	}
	n := e.notices(t, room, 1)[0]
	c := n.Content
	if c["msgtype"] != "m.notice" || c["format"] != "org.matrix.custom.html" {
		t.Fatalf("answer is not an HTML notice: %v", c)
	}
	if body := c["formatted_body"].(string); !strings.Contains(body, "<strong>ran</strong> <code>whoami</code>") || strings.Contains(body, "<script>") {
		t.Fatalf("formatted_body %q: want the Markdown as HTML, raw HTML escaped", body)
	}
	rel, _ := c["m.relates_to"].(map[string]any)
	if rel["rel_type"] != "m.thread" || rel["event_id"] != cmd {
		t.Fatalf("m.relates_to %v: want a thread under the command %s", rel, cmd)
	}
}

// Messages without the prefix, notices (other bots) and the bot's own messages are not commands,
// and chatter is not even claimed in the database; a command sent in a thread is answered in that
// thread even when the answer does not ask for one.
func TestOnlyPrefixedTextIsACommand(t *testing.T) {
	shared := &claims{}
	e := newEnv(t, Options{AutoJoin: true, Prefix: "!st2 ", Claim: shared.Claim})
	e.run(t)
	room := e.room("ops")
	e.joined(t, room)
	chatter := e.hs.As(aliceToken).Say(room, "hello everyone")
	e.hs.As(aliceToken).Send(room, map[string]any{"msgtype": "m.notice", "body": "!st2 from another bot"})
	e.hs.As(aliceToken).Send(room, map[string]any{"msgtype": "m.emote", "body": "!st2 dances"})
	root := e.hs.As(aliceToken).Say(room, "a thread")
	cmd := e.hs.As(aliceToken).SayInThread(room, root, "!st2 pack install x")
	if req := e.Next(); req.Text != "pack install x" || req.ThreadID != root {
		t.Fatalf("request %+v: want the threaded command with thread %s", req, root)
	}
	e.None()
	shared.mu.Lock()
	if shared.seen[chatter] || !shared.seen[cmd] {
		t.Errorf("claimed %v: want the command claimed, the chatter not", shared.seen)
	}
	shared.mu.Unlock()
	n := e.notices(t, room, 1)[0]
	if rel, _ := n.Content["m.relates_to"].(map[string]any); rel["event_id"] != root {
		t.Fatalf("answer to a threaded command relates to %v, want the thread %s", rel, root)
	}
}

// Without auto_join the bot stays out of rooms it is invited to.
func TestNoAutoJoin(t *testing.T) {
	e := newEnv(t, Options{})
	e.run(t)
	room := e.room("ops")
	waitFor(t, "two syncs", func() bool { return e.hs.Syncs() >= 2 })
	e.hs.As(aliceToken).Say(room, "!whoami")
	e.None()
	if m := e.hs.Membership(room, e.botID); m != "invite" {
		t.Fatalf("membership %q, want the invitation left pending", m)
	}
}

// History is not replayed when the loop starts; a command sent moments before is still answered.
func TestStartSkipsHistoryButCatchesUp(t *testing.T) {
	e := newEnv(t, Options{AutoJoin: true})
	room := e.room("ops")
	e.hs.As(botToken).Do("POST", "/rooms/"+room+"/join", map[string]any{})
	e.hs.Now = func() time.Time { return e.Clock.Now().Add(-time.Hour) }
	e.hs.As(aliceToken).Say(room, "!old command")
	e.hs.Now = func() time.Time { return e.Clock.Now().Add(-30 * time.Second) }
	e.hs.As(aliceToken).Say(room, "!recent command")
	e.run(t)
	if req := e.Next(); req.Text != "recent command" {
		t.Fatalf("got %q, want only the recent command", req.Text)
	}
	e.None()
}

// A menu is answered by sending its number, without the prefix; the answer runs the menu's command.
func TestMenuAnsweredByNumber(t *testing.T) {
	e := newEnv(t, Options{AutoJoin: true})
	e.Reply = func(req *opsgate.Request, words []string) opsgate.Message {
		if req.Text == "site" {
			return opsgate.Message{Blocks: []opsgate.Block{opsgate.Menu{Prompt: "Which site?", Prefix: "site", Choices: kittest.Sites}}}
		}
		return opsgate.Textf("ok")
	}
	e.run(t)
	room := e.room("ops")
	e.joined(t, room)
	e.hs.As(aliceToken).Say(room, "!site")
	e.Next()
	n := e.notices(t, room, 1)[0]
	if body := n.Content["body"].(string); !strings.Contains(body, "150. Site 150") || !strings.Contains(body, "Reply with a number") {
		t.Fatalf("menu body %q: want every choice numbered", body)
	}
	e.hs.As(aliceToken).Say(room, "42")
	if req := e.Next(); req.Text != "site site-42" {
		t.Fatalf("answer ran %q, want %q", req.Text, "site site-42")
	}
}

// A prompt only the asker sees is shown in the direct room and answered there, but the answer runs
// as a command in the room it was asked in: that room's grants decide, and results go there.
func TestEphemeralMenuAnswerRunsInTheRoom(t *testing.T) {
	e := newEnv(t, Options{AutoJoin: true})
	e.Reply = func(req *opsgate.Request, _ []string) opsgate.Message {
		if req.Text == "site" {
			return opsgate.Message{Ephemeral: true, Blocks: []opsgate.Block{opsgate.Menu{Prefix: "site", Choices: kittest.Sites}}}
		}
		return opsgate.Textf("chose %s", req.Text)
	}
	e.run(t)
	room := e.room("ops")
	e.joined(t, room)
	cmd := e.hs.As(aliceToken).Say(room, "!site")
	e.Next()
	var dm string
	waitFor(t, "a direct room", func() bool {
		for _, r := range e.hs.Rooms(e.alice) {
			if r != room {
				dm = r
			}
		}
		return dm != ""
	})
	e.notices(t, dm, 1)
	e.hs.As(aliceToken).Join(dm)
	e.hs.As(aliceToken).Say(dm, "7")
	req := e.Next()
	if req.Text != "site site-7" || req.ChannelID != room || req.ChannelName != "ops" || req.Direct || req.ThreadID != cmd {
		t.Fatalf("answer ran as %+v: want site site-7 from the room %s, thread %s", req, room, cmd)
	}
	if n := e.notices(t, room, 1)[0]; n.Content["body"] != "chose site site-7" {
		t.Fatalf("result in the room: %v", n.Content)
	}
}

// An ephemeral answer goes to a direct room with the asker, created once and recorded in the
// bot's m.direct; the asker then talks there without the prefix.
func TestEphemeralGoesToDirectRoom(t *testing.T) {
	e := newEnv(t, Options{AutoJoin: true})
	e.Reply = func(req *opsgate.Request, _ []string) opsgate.Message {
		m := opsgate.Textf("only for %s", req.UserID)
		m.Ephemeral = true
		return m
	}
	e.run(t)
	room := e.room("ops")
	e.joined(t, room)
	e.hs.As(aliceToken).Say(room, "!secret")
	e.Next()
	var dm string
	waitFor(t, "a direct room", func() bool {
		direct, _ := e.hs.AccountData(e.botID, "m.direct").(map[string]any)
		rooms, _ := direct[e.alice].([]any)
		if len(rooms) == 1 {
			dm = rooms[0].(string)
		}
		return dm != ""
	})
	if m := e.hs.Membership(dm, e.alice); m != "invite" {
		t.Fatalf("alice's membership of the direct room: %q", m)
	}
	if n := e.notices(t, dm, 1)[0]; n.Content["body"] != "only for "+e.alice {
		t.Fatalf("direct notice %v", n.Content)
	}
	for _, ev := range e.hs.Events(room) {
		if ev.Sender == e.botID && ev.Type == "m.room.message" {
			t.Fatalf("ephemeral answer posted in the room: %v", ev.Content)
		}
	}
	e.hs.As(aliceToken).Do("POST", "/rooms/"+dm+"/join", map[string]any{})
	e.hs.As(aliceToken).Say(dm, "whoami")
	if req := e.Next(); req.Text != "whoami" || !req.Direct || req.ChannelID != dm {
		t.Fatalf("request in the direct room: %+v", req)
	}
	e.hs.As(aliceToken).Say(room, "!again")
	e.Next()
	e.notices(t, dm, 3)
	if rooms := e.hs.Rooms(e.alice); len(rooms) != 2 {
		t.Fatalf("alice is in %d rooms, want the room and one direct room", len(rooms))
	}
}

// A direct chat the bot is invited to is joined and recorded; commands there need no prefix.
func TestInvitedToDirectChat(t *testing.T) {
	e := newEnv(t, Options{AutoJoin: true})
	e.run(t)
	_, out := e.hs.As(aliceToken).Do("POST", "/createRoom", map[string]any{"is_direct": true, "invite": []string{e.botID}, "preset": "trusted_private_chat"})
	dm := out["room_id"].(string)
	e.joined(t, dm)
	waitFor(t, "m.direct", func() bool { return e.hs.AccountData(e.botID, "m.direct") != nil })
	e.hs.As(aliceToken).Say(dm, "whoami")
	if req := e.Next(); !req.Direct || req.Text != "whoami" {
		t.Fatalf("request %+v: want a direct whoami", req)
	}
}

// A whisper from an announcement reaches the user's direct room; a room announcement the room.
func TestConversationForAnnouncements(t *testing.T) {
	e := newEnv(t, Options{})
	room := e.room("ops")
	e.hs.As(botToken).Do("POST", "/rooms/"+room+"/join", map[string]any{})
	ctx := context.Background()
	d, err := e.bot.Conversation(ctx, room, "", false)
	if err != nil {
		t.Fatal(err)
	}
	d.Send(ctx, opsgate.Textf("maintenance at 18:00"))
	if n := e.notices(t, room, 1)[0]; n.Content["body"] != "maintenance at 18:00" || n.Content["m.relates_to"] != nil {
		t.Fatalf("room announcement: %v", n.Content)
	}
	d, err = e.bot.Conversation(ctx, "", e.alice, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Send(ctx, opsgate.Textf("your token expires")); err != nil {
		t.Fatal(err)
	}
	direct, _ := e.hs.AccountData(e.botID, "m.direct").(map[string]any)
	rooms, _ := direct[e.alice].([]any)
	if len(rooms) != 1 {
		t.Fatalf("m.direct %v: want one direct room with alice", direct)
	}
	if n := e.notices(t, rooms[0].(string), 1)[0]; n.Content["body"] != "your token expires" {
		t.Fatalf("whisper: %v", n.Content)
	}
}

// A homeserver unreachable at start and failing syncs are tried again (honouring
// M_LIMIT_EXCEEDED's retry_after_ms), nothing is lost, and the token never reaches the log.
func TestSyncRetried(t *testing.T) {
	var logs kittest.LogBuffer
	e := newEnv(t, Options{AutoJoin: true, Plumbing: kit.Plumbing{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Attempts: 1}})
	e.hs.Fail("whoami", 503)
	e.hs.Fail("sync", 429, 502, 502)
	e.run(t)
	room := e.room("ops")
	e.joined(t, room)
	e.hs.As(aliceToken).Say(room, "!whoami")
	if req := e.Next(); req.Text != "whoami" {
		t.Fatalf("got %q", req.Text)
	}
	got := e.sleeps.All()
	want := []time.Duration{time.Second, 20 * time.Millisecond, 2 * time.Second, 4 * time.Second}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("waits %v, want %v: 1s after whoami failed, then 20ms (retry_after_ms), then a backoff doubling per failure in a row", got, want)
	}
	if l := logs.String(); !strings.Contains(l, "matrix: sync failed; retrying") || strings.Contains(l, botToken) {
		t.Fatalf("log: want the outage once, never the token:\n%s", l)
	}
}

// A revoked access token, or another user's than the configured one, stops the loop with an error
// saying so: trying again cannot help.
func TestRunStopsOnWrongToken(t *testing.T) {
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{AccessToken: "syt_revoked"}, "M_UNKNOWN_TOKEN"},
		{Options{UserID: "@someone:example.org"}, "@opsgate:example.org, not @someone:example.org"},
	} {
		e := newEnv(t, c.o)
		select {
		case err := <-e.run(t):
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Run: %v, want %q", err, c.want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("Run kept going (%q)", c.want)
		}
	}
}

// A command too long to be one is refused with one line, counted, and nothing else breaks.
func TestTooLongRefused(t *testing.T) {
	e := newEnv(t, Options{AutoJoin: true, MaxText: 100})
	e.run(t)
	room := e.room("ops")
	e.joined(t, room)
	before := testutil.ToFloat64(rejected.WithLabelValues("too_long"))
	e.hs.As(aliceToken).Say(room, "!"+strings.Repeat("x", 101))
	n := e.notices(t, room, 1)[0]
	if body := n.Content["body"].(string); !strings.Contains(body, "too long") || strings.Contains(body, "\n") {
		t.Fatalf("refusal %q: want one line saying the message is too long", body)
	}
	if got := testutil.ToFloat64(rejected.WithLabelValues("too_long")); got != before+1 {
		t.Fatalf("too_long counted %v times, want once", got-before)
	}
	e.hs.As(aliceToken).Say(room, "!whoami")
	if req := e.Next(); req.Text != "whoami" {
		t.Fatalf("next command: %q", req.Text)
	}
}

// Two loops on one account (a lease handing over) answer each message once, thanks to claims.
func TestTwoLoopsAnswerOnce(t *testing.T) {
	shared := &claims{}
	e := newEnv(t, Options{AutoJoin: true, Claim: shared.Claim})
	other, err := New(Options{Homeserver: e.hs.URL, AccessToken: botToken, Handle: e.Pipeline.Handle, Claim: shared.Claim,
		SyncTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	other.Now = e.Clock.Now
	e.run(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- other.Run(ctx) }()
	defer func() { cancel(); <-done }()
	room := e.room("ops")
	e.joined(t, room)
	e.hs.As(aliceToken).Say(room, "!whoami")
	e.Next()
	e.None()
}
