package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	oslack "github.com/opsgate/opsgate/slack"
	"github.com/opsgate/opsgate/store"
)

// serveUntil runs `serve` until the returned stop is called; url delivers its address once it
// listens (it may wait for the serve lock first).
func serveUntil(t *testing.T, dsn string, env ...string) (url <-chan string, logs *syncBuffer, stop func()) {
	t.Helper()
	out, errb := &syncBuffer{}, &syncBuffer{}
	m := &Main{Stdin: strings.NewReader(""), Stdout: out, Stderr: errb,
		Environ: append([]string{"OPSGATE_DATABASE=" + dsn, "OPSGATE_LISTEN=127.0.0.1:0"}, env...)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- m.Run(ctx, []string{"serve"}) }()
	u := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`listening on (https?://\S+)`)
		for ctx.Err() == nil {
			if m := re.FindStringSubmatch(out.String()); m != nil {
				u <- m[1]
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d: %s", code, errb.String())
			}
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop within 10s")
		}
	}
	t.Cleanup(stop)
	return u, errb, stop
}

// On a SQLite file, one serve at a time: a second waits, saying why, and takes over when the
// first stops, refusing a copy of a signed request the first ran (handed over at its stop) and
// running new ones. Neither writes a replay claim to the database.
func TestServeAloneOnSQLiteHandsOverReplays(t *testing.T) {
	dsn := sqliteDSN(t)
	addGrants(t, dsn, [][]string{{"*", "*", "organization", "T1", "acme"}, {"*", "*", "channel", "*", "any"}, {"ping", "*", "user", "U1", "alice"}})
	rec := &recorder{}
	fs := newFakeSlackAPI(t, rec)
	env := []string{"OPSGATE_SLACK_ENABLED=true", "OPSGATE_SLACK_SIGNING_SECRET=" + e2eSecret, "OPSGATE_SLACK_BOT_TOKEN=xoxb-test",
		"OPSGATE_SLACK_API_URL=" + fs.GetAPIURL(), "OPSGATE_SLACK_BOT_USER_ID=" + testBotUser}
	post := func(base, trigger string) (int, string) {
		body := url.Values{"team_id": {"T1"}, "team_domain": {"acme"}, "channel_id": {"C1"}, "channel_name": {"ops"},
			"user_id": {"U1"}, "user_name": {"alice"}, "command": {"/ping"}, "trigger_id": {trigger}}.Encode()
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		return postSigned(t, base, ts, body)
	}

	urlA, _, stopA := serveUntil(t, dsn, env...)
	a := <-urlA
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	body := url.Values{"team_id": {"T1"}, "team_domain": {"acme"}, "channel_id": {"C1"}, "channel_name": {"ops"},
		"user_id": {"U1"}, "user_name": {"alice"}, "command": {"/ping"}, "trigger_id": {"1.2.3"}}.Encode()
	if code, out := postSigned(t, a, ts, body); code != 200 {
		t.Fatalf("first delivery: %d %q", code, out)
	}
	rec.wait(t, "/chat.postMessage", 1)

	urlB, logsB, _ := serveUntil(t, dsn, env...)
	waitFor(t, "the second serve to say it waits", func() bool { return strings.Contains(logsB.String(), "waiting for it to stop") })
	select {
	case <-urlB:
		t.Fatal("a second serve listens while the first holds the database")
	case <-time.After(200 * time.Millisecond):
	}
	stopA()
	var b string
	select {
	case b = <-urlB:
	case <-time.After(10 * time.Second):
		t.Fatalf("the second serve did not take over: %s", logsB.String())
	}
	if code, out := postSigned(t, b, ts, body); code != http.StatusConflict || !strings.Contains(out, "already handled") {
		t.Fatalf("replay after the handover: %d %q", code, out)
	}
	if code, out := post(b, "4.5.6"); code != 200 {
		t.Fatalf("a new request after the handover: %d %q", code, out)
	}
	rec.wait(t, "/chat.postMessage", 2)
	// Signed before b started and never seen by a: b cannot tell it from a replay of something a ran.
	old := strconv.FormatInt(time.Now().Add(-time.Minute).Unix(), 10)
	if code, out := postSigned(t, b, old, body+"&text=x"); code != 200 || !strings.Contains(out, "please send it again") {
		t.Fatalf("request signed before the first serve stopped: %d %q", code, out)
	}
	time.Sleep(300 * time.Millisecond) // a run that should not be would have posted by now
	if n := len(rec.wait(t, "/chat.postMessage", 2)); n != 2 {
		t.Fatalf("%d replies, want 2", n)
	}
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.SQL.QueryRow(`SELECT COUNT(*) FROM claims WHERE scope = 'slack-request'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d replay claims written to the database (%v), want none", n, err)
	}
}

func postSigned(t *testing.T, base, ts, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+oslack.PathSlashCommand, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", oslack.Sign(e2eSecret, ts, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}
