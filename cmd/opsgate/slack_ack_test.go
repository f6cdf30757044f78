package main

import (
	"net/url"
	"os"
	"testing"
	"time"

	oslack "github.com/opsgate/opsgate/slack"
)

// A Slack command that finishes quickly is acknowledged after its reply was posted, as a
// hand-written bot does; one that runs longer is acknowledged within Slack's 3 seconds anyway and
// replies when it is done.
func TestSlackAckFollowsQuickReply(t *testing.T) {
	rec := &recorder{}
	fs := newFakeSlackAPI(t, rec)
	g, gateURL := newGate(t)
	t.Setenv(natsGateEnv, gateURL) // read by the test command's setup in this process
	dsn := sqliteDSN(t)
	addGrants(t, dsn, [][]string{{"*", "*", "organization", "T1", "acme"}, {"*", "*", "channel", "*", "any"}, {"*", "*", "user", "*", "any"}})
	base, _ := startServer(t, dsn, "OPSGATE_SLACK_ENABLED=true", "OPSGATE_SLACK_SIGNING_SECRET="+e2eSecret,
		"OPSGATE_SLACK_BOT_TOKEN=xoxb-test", "OPSGATE_SLACK_API_URL="+fs.GetAPIURL(), "OPSGATE_SLACK_BOT_USER_ID="+natsBotUser)

	// whoami replies at once: its reply is on record when the acknowledgement arrives.
	whoami := url.Values{"team_id": {"T1"}, "team_domain": {"acme"}, "channel_id": {"C1"}, "channel_name": {"ops"},
		"user_id": {"U1"}, "user_name": {"pat"}, "command": {"/whoami"}, "trigger_id": {"trig.quick"}}.Encode()
	if code, body := slackPost(t, base, oslack.PathSlashCommand, whoami); code != 200 || body != "" {
		t.Fatalf("whoami: %d %q", code, body)
	}
	if n := len(rec.count("/chat.postEphemeral")) + len(rec.count("/chat.postMessage")); n != 1 {
		t.Fatalf("acknowledged with %d replies posted, want the one reply first", n)
	}

	// work waits at the gate: acknowledged while it waits, its reply after the gate opens.
	start := time.Now()
	if code, body := slackPost(t, base, oslack.PathSlashCommand, slashCommand("U1", "slow", "trig.slow")); code != 200 || body != "" {
		t.Fatalf("work: %d %q", code, body)
	}
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Fatalf("a long command was acknowledged after %s; Slack gives up after 3 s", d)
	}
	if g.at(os.Getpid()) != 1 || replies(rec)["slow"] != 0 {
		t.Fatal("the long command is not waiting at the gate, or replied before it finished")
	}
	close(g.open)
	waitUntil(t, "the long command's reply", 10*time.Second, func() bool { return replies(rec)["slow"] == 1 })
}
