package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	oslack "github.com/opsgate/opsgate/slack"
)

// Groups and conditional grants from the CLI: members managed, a grant naming a group and a
// channel condition, the explanation naming the condition that failed, bad input refused.
func TestGroupsAndConditionsCLI(t *testing.T) {
	dsn := sqliteDSN(t)
	addGrants(t, dsn, [][]string{{"*", "*", "organization", "acme", "acme"}, {"*", "*", "channel", "*", "any"}})
	mustRun(t, dsn, "group", "add", "oncall", "--member", "alice", "--member", "bob")
	mustRun(t, dsn, "group", "member", "add", "oncall", "carol")
	mustRun(t, dsn, "group", "member", "remove", "oncall", "bob")
	if out := mustRun(t, dsn, "group", "list"); !strings.Contains(out, "oncall  *         alice carol") {
		t.Errorf("group list:\n%s", out)
	}
	mustRun(t, dsn, "grant", "add", "--command", "help", "--type", "user", "--group", "oncall", "--when", "channel=ops")
	if out := mustRun(t, dsn, "grant", "list"); !strings.Contains(out, "group oncall") || !strings.Contains(out, "channel=ops") {
		t.Errorf("grant list:\n%s", out)
	}
	check := func(channel, user string) result {
		return runCLI(t, dsn, "", "access", "check", "--org", "acme", "--channel", channel, "--user", user, "--explain", "help")
	}
	if r := check("ops", "carol"); r.code != 0 || !strings.Contains(r.stdout, "allowed by grant 3 (command help, subcommand *, group oncall, only channel=ops)") {
		t.Errorf("member in ops: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := check("general", "carol"); r.code != 1 || !strings.Contains(r.stdout, "grant 3 (command help, subcommand *, group oncall, only channel=ops) matches but its condition channel=ops does not hold") {
		t.Errorf("member elsewhere: exit %d\n%s", r.code, r.stdout)
	}
	if r := check("ops", "bob"); r.code != 1 || !strings.Contains(r.stdout, "user         no grant matches") {
		t.Errorf("removed member: exit %d\n%s", r.code, r.stdout)
	}
	for _, bad := range [][]string{
		{"grant", "add", "--command", "help", "--type", "user", "--group", "oncall", "--when", "room=ops"},
		{"grant", "add", "--command", "help", "--type", "user", "--group", "oncall", "--when", "channel"},
		{"grant", "add", "--command", "help", "--type", "channel", "--group", "oncall"},
		{"group", "add", "on call"},
		{"group", "member", "add", "oncall"},
	} {
		if r := runCLI(t, dsn, "", bad...); r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line", bad, r.code, r.stderr)
		}
	}
	if r := runCLI(t, dsn, "", "grant", "add", "--command", "x", "--type", "user", "--group", "nobody"); r.code != 1 || !strings.Contains(r.stderr, `Group "nobody" does not exist`) {
		t.Errorf("grant for an unknown group: %+v", r)
	}
	if r := runCLI(t, dsn, "", "group", "delete", "oncall"); r.code != 1 || !strings.Contains(r.stderr, "named by grant 3") {
		t.Errorf("deleting a group in use: %+v", r)
	}
	if out := mustRun(t, dsn, "log", "audit", "--object", "group"); strings.Count(out, "group") < 3 {
		t.Errorf("group changes not audited:\n%s", out)
	}
}

// The terminal chat decides with groups and conditions as the CLI explains them.
func TestGroupsAndConditionsTerminalChat(t *testing.T) {
	dsn := sqliteDSN(t)
	addGrants(t, dsn, [][]string{{"*", "*", "organization", "acme", "acme"}, {"*", "*", "channel", "*", "any"}})
	mustRun(t, dsn, "group", "add", "oncall", "--platform", "terminal", "--member", "alice")
	mustRun(t, dsn, "grant", "add", "--command", "help", "--type", "user", "--group", "oncall", "--when", "channel=ops")
	chat := func(channel, user string) string {
		return runCLI(t, dsn, "help\n", "chat", "--org", "acme", "--channel", channel, "--user", user).stdout
	}
	if out := chat("ops", "alice"); !strings.Contains(out, "== Commands you can use ==") {
		t.Errorf("alice in ops:\n%s", out)
	}
	if out := chat("general", "alice"); !strings.Contains(out, "not permitted by user alice (alice)") {
		t.Errorf("alice in general:\n%s", out)
	}
	if out := chat("ops", "bob"); !strings.Contains(out, "not permitted by user bob (bob)") {
		t.Errorf("bob in ops:\n%s", out)
	}
}

// On Slack, a running server follows membership changes made with the CLI (as every replica
// does, through the audit log), and a condition limits a group grant to one channel.
func TestGroupsAndConditionsSlack(t *testing.T) {
	dsn := sqliteDSN(t)
	addGrants(t, dsn, [][]string{{"*", "*", "organization", "T1", "acme"}, {"*", "*", "channel", "*", "any"}})
	mustRun(t, dsn, "group", "add", "oncall", "--platform", "slack", "--member", "U1")
	mustRun(t, dsn, "grant", "add", "--command", "ping", "--type", "user", "--group", "oncall", "--when", "channel=C1")
	tok := regexp.MustCompile(`ogt_\S+`).FindString(mustRun(t, dsn, "token", "add", "--platform", "admin"))
	rec := &recorder{}
	fs := newFakeSlackAPI(t, rec)
	base, logs := startServer(t, dsn,
		"OPSGATE_SLACK_ENABLED=true", "OPSGATE_SLACK_SIGNING_SECRET="+e2eSecret, "OPSGATE_SLACK_BOT_TOKEN=xoxb-test",
		"OPSGATE_SLACK_API_URL="+fs.GetAPIURL(), "OPSGATE_SLACK_BOT_USER_ID="+testBotUser, "OPSGATE_GRANT_RELOAD_INTERVAL=50ms")
	defer func() {
		if t.Failed() {
			t.Log(logs.String())
		}
	}()
	n := 0
	slash := func(user, channel string) string {
		n++ // Slack's trigger ids are unique; a repeated one is a retry, answered once
		return url.Values{"team_id": {"T1"}, "channel_id": {channel}, "channel_name": {"ops"}, "user_id": {user}, "user_name": {user},
			"command": {"/ping"}, "text": {""}, "response_url": {"http://" + fs.ServerAddr + "/response/1"}, "trigger_id": {fmt.Sprintf("1.2.%d", n)}}.Encode()
	}
	slackPost(t, base, oslack.PathSlashCommand, slash("U1", "C1"))
	if c := rec.wait(t, "/chat.postMessage", 1)[0]; !strings.Contains(c.Form.Get("blocks"), "pong") {
		t.Fatalf("member in C1: %v", c.Form)
	}
	// The admin API explains the same decision, naming the grant whose condition failed.
	req, _ := http.NewRequest("GET", base+"/api/v1/access/check?platform=slack&org=T1&channel=C2&user=U1&command=ping", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"unmet_condition":{"type":"channel","value":"C1"}`) || !strings.Contains(string(body), `"unmet_grant":3`) {
		t.Errorf("API check: %s", body)
	}
	slackPost(t, base, oslack.PathSlashCommand, slash("U1", "C2"))
	if c := rec.wait(t, "/chat.postEphemeral", 1)[0]; !strings.Contains(c.Form.Get("blocks"), "by user U1") {
		t.Fatalf("member in C2: %v", c.Form)
	}
	slackPost(t, base, oslack.PathSlashCommand, slash("U2", "C1"))
	if c := rec.wait(t, "/chat.postEphemeral", 2)[1]; !strings.Contains(c.Form.Get("blocks"), "by user U2") {
		t.Fatalf("non-member: %v", c.Form)
	}
	mustRun(t, dsn, "group", "member", "add", "oncall", "U2")
	// The server picks the change up within its reload interval; ask until it answers pong.
	for deadline := time.Now().Add(10 * time.Second); len(rec.count("/chat.postMessage")) < 2; {
		before := len(rec.count("/chat.postEphemeral"))
		slackPost(t, base, oslack.PathSlashCommand, slash("U2", "C1"))
		for len(rec.count("/chat.postMessage")) < 2 && len(rec.count("/chat.postEphemeral")) == before {
			if time.Now().After(deadline) {
				e := rec.count("/chat.postEphemeral")
				t.Fatalf("the new member is still denied: %d answers, the last: %s", len(e), e[len(e)-1].Form.Get("blocks"))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// The admin API manages groups by the CLI's rules, audited as the token.
func TestGroupsAdminAPI(t *testing.T) {
	dsn := sqliteDSN(t)
	tok := regexp.MustCompile(`ogt_\S+`).FindString(mustRun(t, dsn, "token", "add", "--platform", "admin"))
	base, _ := startServer(t, dsn)
	call := bearerCall(t, base, tok)
	if code, body := call("POST", "/api/v1/groups", `{"name":"oncall","platform":"slack","members":["U1"]}`); code != 201 || !strings.Contains(body, `"members":["U1"]`) {
		t.Fatalf("create: %d %s", code, body)
	}
	if code, body := call("POST", "/api/v1/groups", `{"name":"on call"}`); code != 400 || !strings.Contains(body, "may hold only letters") {
		t.Errorf("bad name: %d %s", code, body)
	}
	if code, body := call("POST", "/api/v1/groups/oncall/members", `{"users":["U2"]}`); code != 200 || !strings.Contains(body, `"members":["U1","U2"]`) {
		t.Errorf("add members: %d %s", code, body)
	}
	if code, body := call("POST", "/api/v1/grants", `{"command":"deploy","type":"user","group":"oncall","conditions":[{"type":"channel","value":"C1"}]}`); code != 201 {
		t.Errorf("group grant: %d %s", code, body)
	}
	if code, body := call("DELETE", "/api/v1/groups/oncall", ""); code != 409 || !strings.Contains(body, "named by grant 1") {
		t.Errorf("delete while used: %d %s", code, body)
	}
	if code, _ := call("DELETE", "/api/v1/groups/oncall/members/U1", ""); code != 204 {
		t.Errorf("remove member: %d", code)
	}
	if code, body := call("GET", "/api/v1/groups", ""); code != 200 || !strings.Contains(body, `"members":["U2"]`) {
		t.Errorf("list: %d %s", code, body)
	}
	if out := mustRun(t, dsn, "log", "audit", "--object", "group"); strings.Count(out, "api:token-1") != 3 {
		t.Errorf("audit:\n%s", out)
	}
}
