package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opsgate/opsgate/callback"
	"github.com/opsgate/opsgate/mattermost"
	oslack "github.com/opsgate/opsgate/slack"
)

// A copy of a signed Slack slash command, or of a Mattermost button's token, posted to another
// replica sharing the database, does not run the command again.
func TestReplayRefusedAcrossReplicas(t *testing.T) {
	dsn := sqliteDSN(t)
	addGrants(t, dsn, [][]string{{"*", "*", "organization", "T1", "acme"}, {"*", "*", "channel", "*", "any"}, {"ping", "*", "user", "U1", "alice"},
		{"*", "*", "organization", "team1", "acme"}, {"ping", "*", "user", "u1", "alice"}})
	rec := &recorder{}
	fs := newFakeSlackAPI(t, rec)
	mm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		io.WriteString(w, `{"id":"p1"}`)
	}))
	t.Cleanup(mm.Close)
	env := []string{"OPSGATE_SLACK_ENABLED=true", "OPSGATE_SLACK_SIGNING_SECRET=" + e2eSecret, "OPSGATE_SLACK_BOT_TOKEN=xoxb-test",
		"OPSGATE_SLACK_API_URL=" + fs.GetAPIURL(), "OPSGATE_SLACK_BOT_USER_ID=" + testBotUser,
		"OPSGATE_MATTERMOST_ENABLED=true", "OPSGATE_MATTERMOST_URL=" + mm.URL, "OPSGATE_MATTERMOST_API_TOKEN=mm-bot-token"}
	env = append(env, sharedSQLite) // replicas on one SQLite file
	a, _ := startServer(t, dsn, env...)
	b, _ := startServer(t, dsn, env...)

	// Slack: the same signed bytes, first to a, then (a copy) to b and a.
	body := url.Values{"team_id": {"T1"}, "team_domain": {"acme"}, "channel_id": {"C1"}, "channel_name": {"ops"},
		"user_id": {"U1"}, "user_name": {"alice"}, "command": {"/ping"}, "trigger_id": {"1.2.3"}}.Encode()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	post := func(base string) (int, string) { return slackPostAt(t, base, oslack.PathSlashCommand, ts, body) }
	if code, out := post(a); code != 200 {
		t.Fatalf("first delivery: %d %q", code, out)
	}
	rec.wait(t, "/chat.postMessage", 1)
	for _, base := range []string{b, a} {
		if code, out := post(base); code != http.StatusConflict || !strings.Contains(out, "already handled") {
			t.Fatalf("replay to %s: %d %q", base, code, out)
		}
	}

	// Mattermost: a button's token, used on a, then replayed to b.
	tok := callback.New([]byte("mm-bot-token"), "mattermost").Sign(callback.Payload{Kind: callback.KindButton, Prefix: "ping",
		UserID: "u1", UserName: "alice", OrgID: "team1", ChannelID: "ch1", ChannelName: "town-square"})
	click := func(base string) map[string]any {
		in, _ := json.Marshal(map[string]any{"user_id": "u1", "channel_id": "ch1", "post_id": "p0", "context": map[string]any{"t": tok}})
		resp, err := http.Post(base+mattermost.PathInteraction, "application/json", bytes.NewReader(in))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("click: %v %v", resp, err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return out
	}
	if out := click(a); out["ephemeral_text"] != nil {
		t.Fatalf("first click: %v", out)
	}
	rec.wait(t, "/api/v4/posts", 1)
	if out := click(b); !strings.Contains(out["ephemeral_text"].(string), "already answered") {
		t.Fatalf("replayed click: %v", out)
	}

	time.Sleep(300 * time.Millisecond) // a second run, if there were one, would have posted by now
	if n, m := len(rec.wait(t, "/chat.postMessage", 1)), len(rec.wait(t, "/api/v4/posts", 1)); n != 1 || m != 1 {
		t.Fatalf("ran %d times on Slack and %d on Mattermost, want once each", n, m)
	}
	_, metrics := get(t, b+"/metrics")
	if metricValue(metrics, `opsgate_requests_rejected_total{platform="slack",reason="replay"}`) < 1 {
		t.Fatal("replay not counted")
	}
}
