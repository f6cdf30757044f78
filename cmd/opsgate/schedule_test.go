package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Scheduled commands go through the pipeline as their user, on two replicas sharing the
// database: on Slack the answer is posted in the channel; the terminal platform's run is in the
// command log; a user without a grant is blocked at run time; every run names its schedule.
func TestSchedulesEndToEnd(t *testing.T) {
	dsn := sqliteDSN(t)
	addGrants(t, dsn, [][]string{{"*", "*", "organization", "*", "any"}, {"*", "*", "channel", "*", "any"},
		{"ping", "*", "user", "U1", "alice"}, {"help", "*", "user", "alice", "alice"}})
	mustRun(t, dsn, "schedule", "add", "--cron", "@every 1s", "--platform", "slack", "--org", "T1", "--channel", "C1", "--as", "U1", "ping")
	mustRun(t, dsn, "schedule", "add", "--cron", "@every 1s", "--platform", "slack", "--org", "T1", "--channel", "C1", "--as", "U2", "ping")
	mustRun(t, dsn, "schedule", "add", "--cron", "@every 1s", "--platform", "terminal", "--channel", "ops", "--as", "alice", "--tz", "Europe/Paris", "help")
	if out := mustRun(t, dsn, "schedule", "list"); !strings.Contains(out, "Europe/Paris") || !strings.Contains(out, "@every 1s") {
		t.Errorf("schedule list:\n%s", out)
	}
	for _, bad := range [][]string{
		{"schedule", "add", "--cron", "61 * * * *", "--platform", "slack", "--channel", "C1", "--as", "U1", "ping"},
		{"schedule", "add", "--cron", "0 9 * * *", "--tz", "Nowhere/City", "--platform", "slack", "--channel", "C1", "--as", "U1", "ping"},
		{"schedule", "add", "--cron", "0 9 * * *", "--missed", "maybe", "--platform", "slack", "--channel", "C1", "--as", "U1", "ping"},
		{"schedule", "add", "--cron", "0 9 * * *", "--platform", "slak", "--channel", "C1", "--as", "U1", "ping"},
	} {
		if r := runCLI(t, dsn, "", bad...); r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%v: exit %d %q", bad, r.code, r.stderr)
		}
	}
	rec := &recorder{}
	fs := newFakeSlackAPI(t, rec)
	env := []string{"OPSGATE_SLACK_ENABLED=true", "OPSGATE_SLACK_SIGNING_SECRET=" + e2eSecret, "OPSGATE_SLACK_BOT_TOKEN=xoxb-test",
		"OPSGATE_SLACK_API_URL=" + fs.GetAPIURL(), "OPSGATE_SLACK_BOT_USER_ID=" + testBotUser, "OPSGATE_GRANT_RELOAD_INTERVAL=100ms"}
	env = append(env, sharedSQLite) // replicas on one SQLite file
	startServer(t, dsn, env...)
	startServer(t, dsn, env...)
	if c := rec.wait(t, "/chat.postMessage", 1)[0]; c.Form.Get("channel") != "C1" || !strings.Contains(c.Form.Get("blocks"), "pong") {
		t.Fatalf("scheduled ping: %v", c.Form)
	}
	want := map[string]bool{"slack U1 ping succeeded schedule 1": false, "slack U2 ping blocked schedule 2": false, "terminal alice help succeeded schedule 3": false}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var log []map[string]any
		json.Unmarshal([]byte(mustRun(t, dsn, "log", "commands", "--json")), &log)
		for _, e := range log {
			d, _ := e["details"].(string)
			k := strings.Join([]string{e["platform"].(string), e["user_id"].(string), e["command"].(string), e["status"].(string), strings.SplitN(d, ";", 2)[0]}, " ")
			if _, ok := want[k]; ok {
				want[k] = true
			}
		}
		done := true
		for _, seen := range want {
			done = done && seen
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("command log lacks some runs: %v\n%v", want, log)
		}
	}
	if out := mustRun(t, dsn, "log", "audit", "--object", "schedule"); strings.Count(out, "schedule") < 3 {
		t.Errorf("schedules not audited:\n%s", out)
	}
}

// The admin API adds, lists and deletes schedules by the CLI's rules, the cron parser included.
func TestSchedulesAdminAPI(t *testing.T) {
	dsn := sqliteDSN(t)
	tok := regexp.MustCompile(`ogt_\S+`).FindString(mustRun(t, dsn, "token", "add", "--platform", "admin"))
	base, _ := startServer(t, dsn)
	call := bearerCall(t, base, tok)
	if code, body := call("POST", "/api/v1/schedules", `{"cron":"0 9 * * 1-5","time_zone":"Europe/Paris","platform":"slack","channel_id":"C1","user_id":"U1","text":"ping"}`); code != 201 ||
		!strings.Contains(body, `"missed":"skip"`) {
		t.Fatalf("create: %d %s", code, body)
	}
	for body, want := range map[string]string{
		`{"cron":"0 25 * * *","platform":"slack","channel_id":"C1","user_id":"U1","text":"ping"}`:                 "Cron expression",
		`{"cron":"0 9 * * *","platform":"slack","channel_id":"C1","user_id":"U1","text":"ping","missed":"never"}`: "not skip or run_once",
		`{"cron":"0 9 * * *","platform":"slack","channel_id":"C1","text":"ping"}`:                                 "the user it runs as",
	} {
		if code, got := call("POST", "/api/v1/schedules", body); code != 400 || !strings.Contains(got, want) {
			t.Errorf("%s: %d %s; want %q", body, code, got, want)
		}
	}
	if code, body := call("GET", "/api/v1/schedules", ""); code != 200 || !strings.Contains(body, `"time_zone":"Europe/Paris"`) {
		t.Errorf("list: %d %s", code, body)
	}
	if code, _ := call("DELETE", "/api/v1/schedules/1", ""); code != 204 {
		t.Errorf("delete: %d", code)
	}
}
