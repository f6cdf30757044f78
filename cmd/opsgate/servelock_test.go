package main

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	oslack "github.com/opsgate/opsgate/slack"
	"github.com/opsgate/opsgate/store"
)

// On a SQLite file, one serve at a time: a second waits, saying why, and takes over when the
// first stops, refusing a copy of a signed request the first ran (handed over at its stop) and
// running new ones. Neither writes a replay claim to the database.
func TestServeAloneOnSQLiteHandsOverReplays(t *testing.T) {
	dsn, rec, env := pingOnSQLite(t)
	post := func(base, trigger string) (int, string) {
		return slackPost(t, base, oslack.PathSlashCommand, pingSlash(trigger))
	}

	urlA, _, stopA := serveUntil(t, dsn, nil, env...)
	a := <-urlA
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	body := pingSlash("1.2.3")
	if code, out := slackPostAt(t, a, oslack.PathSlashCommand, ts, body); code != 200 {
		t.Fatalf("first delivery: %d %q", code, out)
	}
	rec.wait(t, "/chat.postMessage", 1)

	urlB, logsB, _ := serveUntil(t, dsn, nil, env...)
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
	if code, out := slackPostAt(t, b, oslack.PathSlashCommand, ts, body); code != http.StatusConflict || !strings.Contains(out, "already handled") {
		t.Fatalf("replay after the handover: %d %q", code, out)
	}
	if code, out := post(b, "4.5.6"); code != 200 {
		t.Fatalf("a new request after the handover: %d %q", code, out)
	}
	rec.wait(t, "/chat.postMessage", 2)
	// Signed before b started and never seen by a: b cannot tell it from a replay of something a ran.
	old := strconv.FormatInt(time.Now().Add(-time.Minute).Unix(), 10)
	if code, out := slackPostAt(t, b, oslack.PathSlashCommand, old, body+"&text=x"); code != 200 || !strings.Contains(out, "please send it again") {
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

// A serve that dies holding its SQLite file (SIGKILL) hands nothing over: the next one refuses,
// once, a request signed before it took over (the dead one may have run it), says why in its
// log, and runs the requests signed after.
func TestServeAfterACrashRefusesWhatItCannotVouchFor(t *testing.T) {
	dsn, rec, env := pingOnSQLite(t)

	dead := startServeChild(t, append([]string{"OPSGATE_DATABASE=" + dsn, "OPSGATE_LISTEN=127.0.0.1:0"}, env...))
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	if code, out := slackPostAt(t, dead.base, oslack.PathSlashCommand, ts, pingSlash("1")); code != 200 {
		t.Fatalf("first delivery: %d %q", code, out)
	}
	rec.wait(t, "/chat.postMessage", 1)
	if err := dead.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	dead.cmd.Wait()

	urlB, logsB, _ := serveUntil(t, dsn, nil, env...)
	var b string
	select {
	case b = <-urlB:
	case <-time.After(10 * time.Second):
		t.Fatalf("serve did not take over from the killed one: %s", logsB.String())
	}
	took := time.Now().Unix()
	if code, out := slackPostAt(t, b, oslack.PathSlashCommand, ts, pingSlash("1")); code != 200 || !strings.Contains(out, "please send it again") {
		t.Fatalf("copy of a request the killed serve ran: %d %q, want it refused as unverifiable", code, out)
	}
	if !strings.Contains(logsB.String(), "stopped without handing over") {
		t.Fatalf("the log does not say the previous serve died: %s", logsB.String())
	}
	for time.Now().Unix() <= took { // signed after the takeover's second: surely new
		time.Sleep(20 * time.Millisecond)
	}
	if code, out := slackPost(t, b, oslack.PathSlashCommand, pingSlash("2")); code != 200 || out != "" {
		t.Fatalf("a new request: %d %q", code, out)
	}
	if n := len(rec.wait(t, "/chat.postMessage", 2)); n != 2 {
		t.Fatalf("%d replies, want 2", n)
	}
}

// pingOnSQLite is a SQLite database where alice (U1 in T1) may /ping, a Slack API stand-in
// recording what opsgate posts, and the environment of a serve with Slack on it.
func pingOnSQLite(t *testing.T) (dsn string, rec *recorder, env []string) {
	dsn = sqliteDSN(t)
	addGrants(t, dsn, [][]string{{"*", "*", "organization", "T1", "acme"}, {"*", "*", "channel", "*", "any"}, {"ping", "*", "user", "U1", "alice"}})
	rec = &recorder{}
	fs := newFakeSlackAPI(t, rec)
	return dsn, rec, []string{"OPSGATE_SLACK_ENABLED=true", "OPSGATE_SLACK_SIGNING_SECRET=" + e2eSecret, "OPSGATE_SLACK_BOT_TOKEN=xoxb-test",
		"OPSGATE_SLACK_API_URL=" + fs.GetAPIURL(), "OPSGATE_SLACK_BOT_USER_ID=" + testBotUser}
}

// pingSlash is alice's /ping slash command form, told apart by trigger.
func pingSlash(trigger string) string {
	return url.Values{"team_id": {"T1"}, "team_domain": {"acme"}, "channel_id": {"C1"}, "channel_name": {"ops"},
		"user_id": {"U1"}, "user_name": {"alice"}, "command": {"/ping"}, "trigger_id": {trigger}}.Encode()
}
