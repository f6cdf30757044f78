package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/opsgate/opsgate/kit/kittest"
	"github.com/opsgate/opsgate/st2fake"
)

// announceTag finds the tags the tests below post ("note n07").
var announceTag = regexp.MustCompile(`note ([a-z]\d+)`)

// posted counts the Slack posts by tag.
func posted(rec *recorder) map[string]int {
	got := map[string]int{}
	for _, c := range rec.count("/chat.postMessage") {
		for _, m := range announceTag.FindAllStringSubmatch(c.Form.Get("text"), -1) {
			got[m[1]]++
		}
	}
	return got
}

// postsPrefix is testNATSPrefix, deleting the posts stream too.
func postsPrefix(t *testing.T, natsURL string) string {
	p := testNATSPrefix(t, natsURL)
	t.Cleanup(func() {
		if nc, err := nats.Connect(natsURL); err == nil {
			js, _ := nc.JetStream()
			js.DeleteStream(p + "_POSTS")
			nc.Close()
		}
	})
	return p
}

// postsDrained reports whether the posts stream on natsURL is empty: every post was acked (or
// given up), so none can be posted again.
func postsDrained(natsURL, stream string) bool {
	nc, err := nats.Connect(natsURL)
	if err != nil {
		return false
	}
	defer nc.Close()
	js, _ := nc.JetStream()
	info, err := js.StreamInfo(stream)
	return err == nil && info.State.Msgs == 0
}

// webhookPost sends body to POST /chatops/message with token and, when key is not "", an
// Idempotency-Key.
func webhookPost(t *testing.T, base, token, key, body string) (int, string) {
	t.Helper()
	h := http.Header{"Authorization": {"Bearer " + token}}
	if key != "" {
		h.Set("Idempotency-Key", key)
	}
	return kittest.Post(t, base+"/chatops/message", "application/json", body, h)
}

// streamPublished is how many announcements a replica's st2 stream handed on (with NATS: stored
// in the post queue), from its health endpoint.
func streamPublished(t *testing.T, base string) int {
	_, body := get(t, base+"/stackstorm/health")
	var h struct{ Delivered int }
	json.Unmarshal([]byte(body), &h)
	return h.Delivered
}

// announceSetup is what the tests below share: st2's stand-in, a SQLite database with a webhook
// token (tok), a Slack stand-in recording posts (rec), and the configuration for both (cfg).
func announceSetup(t *testing.T) (s *st2fake.Server, dsn string, rec *recorder, cfg, tok string) {
	s = newSt2(t)
	dsn = sqliteDSN(t)
	rec = &recorder{}
	fs := newFakeSlackAPI(t, rec)
	cfg = st2Config(t, s, "  default_platform: slack\nslack:\n  enabled: true\n  signing_secret: "+e2eSecret+
		"\n  bot_token: xoxb-test\n  api_url: "+fs.GetAPIURL()+"\n  bot_user_id: "+testBotUser+"\n")
	tok = strings.TrimSpace(lastLine(mustRun(t, dsn, "token", "add", "--platform", "webhook", "--comment", "st2")))
	return s, dsn, rec, cfg, tok
}

// Two replicas on one database and one NATS read st2's stream, each every announcement: each is
// posted to Slack exactly once. Webhook posts sent to both with one Idempotency-Key are posted
// once; another key is another post; a malformed key is refused.
func TestNATSAnnouncementsPostedOnce(t *testing.T) {
	natsURL := testNATS(t)
	prefix := postsPrefix(t, natsURL)
	s, dsn, rec, cfg, tok := announceSetup(t)
	env := []string{"OPSGATE_NATS_URL=" + natsURL, "OPSGATE_NATS_STREAM_PREFIX=" + prefix}
	reps := []string{startServerConfig(t, dsn, cfg, freePort(t), env...), startServerConfig(t, dsn, cfg, freePort(t), env...)}
	for _, base := range reps {
		waitUntil(t, "replica ready", 30*time.Second, func() bool { c, _ := getQuiet(base + "/readyz"); return c == 200 })
	}
	waitUntil(t, "both replicas on st2's stream", 30*time.Second, func() bool { return s.Streams() == 2 })

	const n = 30
	for i := range n {
		s.Announce("opsgate", map[string]any{"message": fmt.Sprintf("note a%02d", i), "channel": "slack:C9"})
	}
	// Both replicas queued every announcement, and the queue is empty: nothing more can be posted.
	waitUntil(t, "both replicas to queue every announcement", 30*time.Second, func() bool {
		return streamPublished(t, reps[0]) == n && streamPublished(t, reps[1]) == n
	})
	waitUntil(t, "every announcement posted", 30*time.Second, func() bool {
		return len(posted(rec)) == n && postsDrained(natsURL, prefix+"_POSTS")
	})

	body := `{"channel": "slack:C5", "message": "note w1"}`
	for _, base := range []string{reps[0], reps[1], reps[0]} { // the client retries, through the load balancer
		if code, resp := webhookPost(t, base, tok, "deploy-42", body); code != 200 || strings.TrimSpace(resp) != `{"ok":true}` {
			t.Fatalf("webhook with Idempotency-Key: %d %s", code, resp)
		}
	}
	if code, resp := webhookPost(t, reps[1], tok, "deploy-43", `{"channel": "slack:C5", "message": "note w2"}`); code != 200 {
		t.Fatalf("webhook with another key: %d %s", code, resp)
	}
	if code, resp := webhookPost(t, reps[1], tok, "clé-42", body); code != 400 || !strings.Contains(resp, "Idempotency-Key must be printable") {
		t.Fatalf("malformed Idempotency-Key: %d %s", code, resp)
	}
	waitUntil(t, "the webhook posts", 30*time.Second, func() bool {
		got := posted(rec)
		return got["w1"] > 0 && got["w2"] > 0 && postsDrained(natsURL, prefix+"_POSTS")
	})

	got := posted(rec)
	for i := range n {
		if tag := fmt.Sprintf("a%02d", i); got[tag] != 1 {
			t.Errorf("announcement %s: posted %d times, want once", tag, got[tag])
		}
	}
	if got["w1"] != 1 || got["w2"] != 1 {
		t.Errorf("webhook posts: w1 %d times (three requests, one key), w2 %d times; want once each", got["w1"], got["w2"])
	}
	if _, m := getQuiet(reps[0] + "/metrics"); !strings.Contains(m, `opsgate_queue_posts_total{outcome="duplicate"}`) {
		t.Error("posts stored once are not counted in opsgate_queue_posts_total")
	}
}

// While NATS is away the webhook answers 503 with a clear line, and st2's announcements are held,
// not lost: once NATS is back they are posted, once.
func TestNATSAnnouncementsHeldWhileNATSIsAway(t *testing.T) {
	addr := freePort(t)
	dir := t.TempDir()
	ns := startNATSServer(t, addr, dir)
	s, dsn, rec, cfg, tok := announceSetup(t)
	base := startServerConfig(t, dsn, cfg, freePort(t), "OPSGATE_NATS_URL=nats://"+addr)
	waitUntil(t, "ready", 30*time.Second, func() bool { c, _ := getQuiet(base + "/readyz"); return c == 200 })
	waitUntil(t, "st2's stream", 30*time.Second, func() bool { return s.Streams() == 1 })
	s.Announce("opsgate", map[string]any{"message": "note b0", "channel": "slack:C9"})
	waitUntil(t, "the announcement before the outage", 30*time.Second, func() bool { return posted(rec)["b0"] == 1 })

	ns.stop()
	waitUntil(t, "/readyz to say NATS is down", 30*time.Second, func() bool { c, _ := getQuiet(base + "/readyz"); return c == 503 })
	code, resp := webhookPost(t, base, tok, "", `{"channel": "slack:C5", "message": "note w0"}`)
	if code != 503 || !strings.Contains(resp, "opsgate cannot take posts right now: its message queue is unreachable") || strings.Count(strings.TrimSpace(resp), "\n") != 0 {
		t.Fatalf("webhook while NATS is away: %d %q, want 503 and one line", code, resp)
	}
	if _, m := getQuiet(base + "/metrics"); !strings.Contains(m, `opsgate_requests_rejected_total{platform="webhook",reason="unavailable"}`) {
		t.Error("the refusal is not counted")
	}
	for i := 1; i <= 3; i++ {
		s.Announce("opsgate", map[string]any{"message": fmt.Sprintf("note b%d", i), "channel": "slack:C9"})
	}

	startNATSServer(t, addr, dir)
	waitUntil(t, "the held announcements", 60*time.Second, func() bool {
		return len(posted(rec)) == 4 && postsDrained("nats://"+addr, "OPSGATE_POSTS")
	})
	got := posted(rec)
	for _, tag := range []string{"b0", "b1", "b2", "b3"} {
		if got[tag] != 1 {
			t.Errorf("%s: posted %d times, want once", tag, got[tag])
		}
	}
	if got["w0"] != 0 {
		t.Error("the refused webhook post was posted")
	}
}

// Without NATS, a webhook post retried with the same Idempotency-Key is posted once too (claimed
// in the database).
func TestWebhookIdempotencyKeyWithoutNATS(t *testing.T) {
	_, dsn, rec, cfg, tok := announceSetup(t)
	base := startServerConfig(t, dsn, cfg, freePort(t))
	for range 3 {
		if code, resp := webhookPost(t, base, tok, "k-1", `{"channel": "slack:C5", "message": "note k1"}`); code != 200 {
			t.Fatalf("webhook: %d %s", code, resp)
		}
	}
	if code, resp := webhookPost(t, base, tok, "", `{"channel": "slack:C5", "message": "note k1"}`); code != 200 {
		t.Fatalf("webhook without a key: %d %s", code, resp)
	}
	if code, resp := webhookPost(t, base, tok, strings.Repeat("x", 256), `{"channel": "slack:C5", "message": "note k1"}`); code != 400 || !strings.Contains(resp, "1 to 255 characters") {
		t.Fatalf("a key too long: %d %s", code, resp)
	}
	// Posting is synchronous without NATS: what was answered 200 was posted.
	if got := posted(rec)["k1"]; got != 2 {
		t.Fatalf("posted %d times, want twice (once for the key, once without one)", got)
	}
}
