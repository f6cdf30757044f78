package main

import (
	"net/url"
	"strings"
	"testing"

	oslack "github.com/opsgate/opsgate/slack"
)

// "I don't know the command" is for the asker only on Slack (docs/slack.md: errors are
// ephemeral): a typo must not be posted to the whole channel.
func TestSlackUnknownCommandIsEphemeral(t *testing.T) {
	dsn := sqliteDSN(t)
	rec := &recorder{}
	fs := newFakeSlackAPI(t, rec)
	base, _ := startServer(t, dsn,
		"OPSGATE_SLACK_ENABLED=true", "OPSGATE_SLACK_SIGNING_SECRET="+e2eSecret, "OPSGATE_SLACK_BOT_TOKEN=xoxb-test",
		"OPSGATE_SLACK_API_URL="+fs.GetAPIURL(), "OPSGATE_SLACK_BOT_USER_ID="+testBotUser)
	form := url.Values{"team_id": {"T1"}, "channel_id": {"C1"}, "user_id": {"U1"}, "user_name": {"alice"},
		"command": {"/frobnicate"}, "text": {""}, "response_url": {"http://" + fs.ServerAddr + "/response/1"}, "trigger_id": {"1.2.3"}}
	if code, _ := slackPost(t, base, oslack.PathSlashCommand, form.Encode()); code != 200 {
		t.Fatalf("slack ack %d", code)
	}
	c := rec.wait(t, "/chat.postEphemeral", 1)[0]
	if c.Form.Get("user") != "U1" || !strings.Contains(c.Form.Get("blocks"), `I don't know the command`) {
		t.Fatalf("unknown command answer = %v", c.Form)
	}
}
