package main

import (
	"strings"
	"testing"

	"github.com/opsgate/opsgate/discord"
	"github.com/opsgate/opsgate/discordfake"
	"github.com/opsgate/opsgate/rocketchat"
	"github.com/opsgate/opsgate/rocketchatfake"
)

// Rocket.Chat end to end through `opsgate serve`, with Discord enabled in the same server:
// whoami on both, an opsgate alias and a StackStorm alias from Rocket.Chat, the result announced
// into the room and a whisper into the user's direct room, an unknown webhook token refused and
// counted.
func TestRocketChatThroughServe(t *testing.T) {
	s := newSt2(t)
	dsn := sqliteDSN(t)
	addGrants(t, dsn, [][]string{{"*", "*", "organization", "127.0.0.1", "rocket"}, {"*", "*", "channel", "*", "any"},
		{"st2", "pack_install", "user", "aliceid", "alice"}, {"local", "*", "user", "aliceid", "alice"}})
	hook := strings.TrimSpace(lastLine(mustRun(t, dsn, "token", "add", "--platform", "rocketchat", "--comment", "outgoing webhook")))
	aliases := t.TempDir()
	writeAliasFile(t, aliases, "greet.yaml", "name: greet\npack: local\naction_ref: local.greet\nformats:\n  - \"greet\"\nopsgate:\n  runner: exec\n  command: [echo, hello-from-alias]\n")
	rc := rocketchatfake.New("botid", "bot-auth")
	t.Cleanup(rc.Close)
	dc := discordfake.New("app1", "bot-token")
	t.Cleanup(dc.Close)
	cfg := st2Config(t, s, "aliases:\n  dir: "+aliases+
		"\nrocketchat:\n  enabled: true\n  url: "+rc.URL+"\n  user_id: botid\n  auth_token: bot-auth\n"+
		"discord:\n  enabled: true\n  application_id: app1\n  public_key: "+dc.PublicKeyHex()+"\n  bot_token: bot-token\n  api_url: "+dc.APIURL()+"\n")
	base := startServerConfig(t, dsn, cfg, freePort(t))
	waitFor(t, "stream", func() bool { return s.Streams() == 1 })

	url := base + rocketchat.PathOutgoing
	alice := rocketchatfake.Message{Token: hook, ChannelID: "GENERAL", ChannelName: "general", UserID: "aliceid", UserName: "alice", TriggerWord: "!"}
	n := 0
	say := func(text string) {
		t.Helper()
		n++
		m := alice
		m.Text = text
		if code, body, err := rc.Outgoing(url, "msg-"+strings.Repeat("x", n), m); err != nil || code != 200 {
			t.Fatalf("%s: %d %s %v", text, code, body, err)
		}
	}
	inRoom := func(room, want string) {
		t.Helper()
		waitFor(t, want+" in "+room, func() bool {
			for _, p := range rc.Posted() {
				if p.Room == room && strings.Contains(p.Text, want) {
					return true
				}
			}
			return false
		})
	}
	say("!whoami")
	inRoom("dm-alice", "aliceid (alice)") // whoami is private: the direct room
	say("!greet")
	inRoom("GENERAL", "hello-from-alias")
	say("!st2 pack install st2-rocket")
	inRoom("GENERAL", "Installing st2-rocket.")
	inRoom("GENERAL", "Installed st2-rocket")
	if call := s.CallsTo("/api/v1/aliasexecution/match_and_execute")[0]; call.Body["source_channel"] != "rocketchat:GENERAL" || call.Body["user"] != "rocketchat:aliceid" {
		t.Fatalf("match_and_execute body: %v", call.Body)
	}
	s.Announce("opsgate", map[string]any{"message": "your token expires soon", "channel": "rocketchat:GENERAL", "user": "rocketchat:bob", "whisper": true})
	inRoom("dm-bob", "your token expires soon")

	webhook := strings.TrimSpace(lastLine(mustRun(t, dsn, "token", "add", "--platform", "webhook")))
	if code := postWebhook(t, base, webhook, `{"channel": "rocketchat:#ops", "message": "deployed v2"}`); code != 200 {
		t.Fatalf("webhook: %d", code)
	}
	inRoom("room-ops", "deployed v2")
	if code := postWebhook(t, base, webhook, `{"channel": "rocketchat:GENERAL", "user": "rocketchat:carol", "whisper": true, "message": "done"}`); code != 200 {
		t.Fatalf("webhook whisper: %d", code)
	}
	inRoom("dm-carol", "done")

	// The same server answers Discord.
	in := dc.Command(discordfake.Who{Guild: "G1", Channel: "C1", UserID: "111", UserName: "carol"}, "whoami", "")
	code, resp, err := dc.Interact(base+discord.PathInteractions, in)
	if err != nil || code != 200 || !strings.Contains(discordAnswer(t, dc, in, resp), "111 (carol)") {
		t.Fatalf("discord whoami: %d %v %v", code, resp, err)
	}

	bad := alice
	bad.Token, bad.Text = "not-a-token-at-all", "!whoami"
	if code, _, _ := rc.Outgoing(url, "forged", bad); code != 401 {
		t.Fatalf("unknown token: %d", code)
	}
	_, metrics := get(t, base+"/metrics")
	if metricValue(metrics, `opsgate_requests_rejected_total{platform="rocketchat",reason="unknown_token"}`) < 1 {
		t.Fatal("refusal not counted")
	}
}
