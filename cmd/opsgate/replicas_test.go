package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	oslack "github.com/opsgate/opsgate/slack"
)

// Two replicas share one database. Slack delivers an event to one of them and retries it to the
// other (as it does when an ack is slow): the command runs once. A grant added through one
// replica's API-backed store is enforced by the other.
func TestReplicasShareEventsAndGrants(t *testing.T) {
	dsn := sqliteDSN(t)
	addGrants(t, dsn, [][]string{{"*", "*", "organization", "T1", "acme"}, {"*", "*", "channel", "*", "any"}, {"ping", "*", "user", "U1", "alice"}})
	rec := &recorder{}
	fs := newFakeSlackAPI(t, rec)
	env := []string{"OPSGATE_SLACK_ENABLED=true", "OPSGATE_SLACK_SIGNING_SECRET=" + e2eSecret, "OPSGATE_SLACK_BOT_TOKEN=xoxb-test",
		"OPSGATE_SLACK_API_URL=" + fs.GetAPIURL(), "OPSGATE_SLACK_BOT_USER_ID=" + testBotUser}
	env = append(env, sharedSQLite) // replicas on one SQLite file
	a, _ := startServer(t, dsn, env...)
	b, _ := startServer(t, dsn, env...)

	event := func(id, user string) string {
		return fmt.Sprintf(`{"token":"x","team_id":"T1","api_app_id":"A1","type":"event_callback","event_id":%q,"event_time":1700000000,
			"event":{"type":"app_mention","user":%q,"text":"<@%s> ping","ts":"1700000000.000100","channel":"C1","event_ts":"1700000000.000100"}}`,
			id, user, testBotUser)
	}
	for _, base := range []string{a, b, a} {
		if code, body := slackPost(t, base, oslack.PathEvent, event("Ev0001", "U1")); code != 200 {
			t.Fatalf("event: %d %s", code, body)
		}
	}
	rec.wait(t, "/chat.postMessage", 1)
	time.Sleep(300 * time.Millisecond) // a second run, if there were one, would have posted by now
	if n := len(rec.wait(t, "/chat.postMessage", 1)); n != 1 {
		t.Fatalf("the event ran %d times across two replicas, want once", n)
	}

	// U2 has no grant; one added with the CLI (another process) reaches both replicas.
	slackPost(t, b, oslack.PathEvent, event("Ev0002", "U2"))
	if c := rec.wait(t, "/chat.postEphemeral", 1)[0]; !strings.Contains(c.Form.Get("blocks"), "by user U2") {
		t.Fatalf("denial: %v", c.Form)
	}
	mustRun(t, dsn, "grant", "add", "--command", "ping", "--type", "user", "--value", "U2")
	for i, base := range []string{a, b} {
		time.Sleep(150 * time.Millisecond) // grant_reload_interval is 50ms in tests
		slackPost(t, base, oslack.PathEvent, event(fmt.Sprintf("Ev01%02d", i), "U2"))
	}
	if n := len(rec.wait(t, "/chat.postMessage", 3)); n != 3 {
		t.Fatalf("want 3 posts after the grant, got %d", n)
	}
}
