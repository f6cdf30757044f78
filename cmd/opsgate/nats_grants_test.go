package main

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	oslack "github.com/opsgate/opsgate/slack"
)

// With NATS, a grant added through one replica's API reaches another replica through a NATS
// subject, not the database poll (set to an hour here, so only the notification can do it).
func TestNATSGrantChangeReachesReplicas(t *testing.T) {
	natsURL := testNATS(t)
	dsn := sqliteDSN(t)
	addGrants(t, dsn, [][]string{{"work", "*", "organization", "T1", "acme"}, {"work", "*", "channel", "*", "any"}})
	token := regexp.MustCompile(`ogt_\S+`).FindString(mustRun(t, dsn, "token", "add", "--platform", "admin"))
	rec := &recorder{}
	fs := newFakeSlackAPI(t, rec)
	env := []string{"OPSGATE_SLACK_ENABLED=true", "OPSGATE_SLACK_SIGNING_SECRET=" + e2eSecret, "OPSGATE_SLACK_BOT_TOKEN=xoxb-test",
		"OPSGATE_SLACK_API_URL=" + fs.GetAPIURL(), "OPSGATE_SLACK_BOT_USER_ID=" + natsBotUser, "OPSGATE_GRANT_RELOAD_INTERVAL=1h",
		"OPSGATE_NATS_URL=" + natsURL, "OPSGATE_NATS_STREAM_PREFIX=" + testNATSPrefix(t, natsURL)}
	a, _ := startServer(t, dsn, env...)
	b, _ := startServer(t, dsn, env...)
	for _, base := range []string{a, b} {
		waitUntil(t, "ready", 30*time.Second, func() bool { c, _ := getQuiet(base + "/readyz"); return c == 200 })
	}

	req, _ := http.NewRequest("POST", a+"/api/v1/grants", strings.NewReader(`{"command":"work","type":"user","value":"U7"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("grant through replica a: %v %v", resp, err)
	}
	resp.Body.Close()
	// Replica b allows U7 now (the reply is "done g1", not a denial), well before any poll.
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; ; i++ {
		tag := "g" + string(rune('a'+i%26))
		if code, body, err := slackPostQuiet(b, oslack.PathSlashCommand, slashCommand("U7", tag, "trig-g-"+tag+time.Now().String())); err != nil || code != 200 || body != "" {
			t.Fatalf("slash: %d %q %v", code, body, err)
		}
		waitUntil(t, "an answer", 10*time.Second, func() bool {
			return len(rec.count("/chat.postMessage"))+len(rec.count("/chat.postEphemeral")) > i
		})
		if len(replies(rec)) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the grant added through replica a never reached replica b")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
