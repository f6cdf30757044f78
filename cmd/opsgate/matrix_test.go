package main

import (
	"strings"
	"testing"

	"github.com/opsgate/opsgate/matrixfake"
)

// matrixNotices waits until the bot has sent at least n messages in room containing all of want
// (together), and returns the bodies of all it sent there.
func matrixNotices(t *testing.T, hs *matrixfake.Server, bot, room string, want ...string) string {
	t.Helper()
	var all string
	waitFor(t, "Matrix notices with "+strings.Join(want, ", "), func() bool {
		var bodies []string
		for _, ev := range hs.Events(room) {
			if ev.Sender == bot && ev.Type == "m.room.message" && ev.Content["msgtype"] == "m.notice" {
				bodies = append(bodies, ev.Content["body"].(string))
			}
		}
		all = strings.Join(bodies, "\n")
		for _, w := range want {
			if !strings.Contains(all, w) {
				return false
			}
		}
		return true
	})
	return all
}

// Matrix end to end through `opsgate serve`: the bot joins the room it is invited to, answers
// whoami, runs an opsgate alias and a StackStorm alias, and StackStorm's announcements and webhook
// posts reach the room and, whispered, a direct room with the user.
func TestMatrixThroughServe(t *testing.T) {
	s := newSt2(t)
	hs := matrixfake.New("example.org")
	t.Cleanup(hs.Close)
	bot, alice := hs.AddUser("opsgate", "syt_bot_token"), hs.AddUser("alice", "syt_alice_token")
	dsn := sqliteDSN(t)
	addGrants(t, dsn, [][]string{{"*", "*", "organization", "example.org", "example.org"}, {"*", "*", "channel", "*", "any"},
		{"*", "*", "user", alice, "alice"}})
	dir := t.TempDir()
	writeAliasFile(t, dir, "hi/aliases/greet.yaml", `
name: greet
pack: hi
action_ref: hi.greet
formats: ["greet {{ name }}"]
opsgate:
  runner: exec
  command: ["printf", "hello %s", "{{ name }}"]
`)
	cfg := st2Config(t, s, "  default_platform: matrix\naliases:\n  dir: "+dir+"\nmatrix:\n  enabled: true\n  homeserver: "+hs.URL+
		"\n  user_id: \""+bot+"\"\n  auto_join: true\n")
	base := startServerConfig(t, dsn, cfg, freePort(t), "OPSGATE_MATRIX_ACCESS_TOKEN=syt_bot_token")
	waitFor(t, "stream", func() bool { return s.Streams() == 1 })

	room := hs.As("syt_alice_token").CreateRoom("ops", bot)
	waitFor(t, "the bot to join", func() bool { return hs.Membership(room, bot) == "join" })
	// whoami answers only the asker: Matrix has no ephemeral messages, so a direct room it is.
	hs.As("syt_alice_token").Say(room, "!whoami")
	var dm string
	waitFor(t, "a direct room with alice", func() bool {
		for _, r := range hs.Rooms(alice) {
			if r != room {
				dm = r
			}
		}
		return dm != ""
	})
	matrixNotices(t, hs, bot, dm, alice, room, "example.org")
	hs.As("syt_alice_token").Say(room, "!greet bob")
	matrixNotices(t, hs, bot, room, "hello bob")
	hs.As("syt_alice_token").Say(room, "!st2 pack install st2-matrix")
	matrixNotices(t, hs, bot, room, "Installing st2-matrix.", "Installed st2-matrix")
	if call := s.CallsTo("/api/v1/aliasexecution/match_and_execute")[0]; call.Body["source_channel"] != "matrix:"+room || call.Body["user"] != "matrix:"+alice {
		t.Fatalf("match_and_execute body: %v", call.Body)
	}

	s.Announce("opsgate", map[string]any{"message": "maintenance starts at 18:00", "channel": "matrix:" + room, "whisper": false})
	s.Announce("opsgate", map[string]any{"message": "your token expires soon", "channel": "matrix:" + room, "user": "matrix:" + alice, "whisper": true})
	matrixNotices(t, hs, bot, room, "maintenance starts at 18:00")
	matrixNotices(t, hs, bot, dm, "your token expires soon")

	// Any system's webhook post, to a room and whispered.
	tok := strings.TrimSpace(lastLine(mustRun(t, dsn, "token", "add", "--platform", "webhook")))
	for _, body := range []string{`{"channel": "matrix:` + room + `", "message": "deploy finished"}`,
		`{"channel": "matrix:` + room + `", "message": "your deploy failed", "user": "matrix:` + alice + `", "whisper": true}`} {
		if code := postWebhook(t, base, tok, body); code != 200 {
			t.Fatalf("webhook %s: %d", body, code)
		}
	}
	matrixNotices(t, hs, bot, room, "deploy finished")
	matrixNotices(t, hs, bot, dm, "your deploy failed")
	if rooms := hs.Rooms(alice); len(rooms) != 2 {
		t.Fatalf("alice is in %d rooms, want the room and one direct room", len(rooms))
	}
	if body := matrixNotices(t, hs, bot, room); strings.Contains(body, "your token expires soon") {
		t.Fatalf("the whisper was posted in the room:\n%s", body)
	}
}
