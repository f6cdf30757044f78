package main

import (
	"net/url"
	"strings"
	"testing"

	oslack "github.com/opsgate/opsgate/slack"
)

// StackStorm through Slack: a slash command runs an st2 alias, the ack and the result announced
// on st2's stream reach the Slack channel, and a whisper reaches the user's DM with the bot.
func TestStackStormThroughSlack(t *testing.T) {
	s := newSt2(t)
	dsn := sqliteDSN(t)
	addGrants(t, dsn, [][]string{{"*", "*", "organization", "T1", "acme"}, {"*", "*", "channel", "*", "any"},
		{"st2", "pack_install", "user", "U1", "alice"}})
	rec := &recorder{}
	fs := newFakeSlackAPI(t, rec)
	cfg := st2Config(t, s, "  default_platform: slack\nslack:\n  enabled: true\n  signing_secret: "+e2eSecret+
		"\n  bot_token: xoxb-test\n  api_url: "+fs.GetAPIURL()+"\n  bot_user_id: "+testBotUser+"\n")
	base := startServerConfig(t, dsn, cfg, freePort(t))
	waitFor(t, "stream", func() bool { return s.Streams() == 1 })

	form := url.Values{"team_id": {"T1"}, "team_domain": {"acme"}, "channel_id": {"C1"}, "channel_name": {"ops"},
		"user_id": {"U1"}, "user_name": {"alice"}, "command": {"/st2"}, "text": {"pack install st2-slack"},
		"response_url": {"http://" + fs.ServerAddr + "/response/1"}, "trigger_id": {"1.2.3"}}
	if code, body := slackPost(t, base, oslack.PathSlashCommand, form.Encode()); code != 200 {
		t.Fatalf("slash command: %d %s", code, body)
	}
	posts := rec.wait(t, "/chat.postMessage", 2)
	var text []string
	for _, p := range posts {
		if p.Form.Get("channel") != "C1" {
			t.Errorf("posted to %q, want the command's channel C1", p.Form.Get("channel"))
		}
		text = append(text, p.Form.Get("blocks")+p.Form.Get("text"))
	}
	all := strings.Join(text, "\n")
	if !strings.Contains(all, "Installing st2-slack.") || !strings.Contains(all, "Installed st2-slack") {
		t.Fatalf("ack and result announcement not in Slack:\n%s", all)
	}
	if call := s.CallsTo("/api/v1/aliasexecution/match_and_execute")[0]; call.Body["source_channel"] != "slack:C1" || call.Body["user"] != "slack:U1" {
		t.Fatalf("match_and_execute body: %v", call.Body)
	}

	s.Announce("opsgate", map[string]any{"message": "maintenance starts at 18:00", "channel": "slack:C9", "whisper": false})
	s.Announce("opsgate", map[string]any{"message": "your token expires soon", "channel": "slack:C9", "user": "slack:U7", "whisper": true})
	posts = rec.wait(t, "/chat.postMessage", 4)
	got := map[string]string{}
	for _, p := range posts[2:] {
		got[p.Form.Get("channel")] = p.Form.Get("blocks") + p.Form.Get("text")
	}
	if !strings.Contains(got["C9"], "maintenance starts at 18:00") || !strings.Contains(got["U7"], "your token expires soon") {
		t.Fatalf("announcement and whisper: %v", got)
	}
}
