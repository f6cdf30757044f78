package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	oslack "github.com/opsgate/opsgate/slack"
)

// Two-person approval in the terminal chat, each chat its own process (so a held request
// survives the requester's process ending): held after the grants allow it, decided by an
// approver whose own grants allow `approve`, never the requester, and run as the requester.
func TestApprovalTerminalChat(t *testing.T) {
	dsn := sqliteDSN(t)
	addGrants(t, dsn, [][]string{{"*", "*", "organization", "acme", "acme"}, {"*", "*", "channel", "*", "any"},
		{"help", "*", "user", "alice", "alice"}, {"approve", "*", "user", "*", "all"}, {"deny", "*", "user", "bob", "bob"}})
	mustRun(t, dsn, "group", "add", "leads", "--member", "carol")
	mustRun(t, dsn, "approval", "add", "--command", "help", "--approver", "bob", "--approver", "alice", "--group", "leads", "--required", "1")
	chat := func(user, text string) string {
		r := runCLI(t, dsn, text+"\n", "chat", "--org", "acme", "--channel", "ops", "--user", user)
		return r.stdout + r.stderr
	}
	// A user the grants deny never gets as far as asking.
	if out := chat("mallory", "help"); !strings.Contains(out, "not permitted by user mallory") || strings.Contains(out, "waits for approval") {
		t.Fatalf("denied user:\n%s", out)
	}
	if out := chat("alice", "help approve"); !strings.Contains(out, "Request 1: `help approve` from alice waits for approval by alice, bob, group leads") ||
		!strings.Contains(out, "command:  approve") ||
		!strings.Contains(out, "approve 1") || strings.Contains(out, "Commands you can use") {
		t.Fatalf("held request (with its parameters):\n%s", out)
	}
	if out := chat("alice", "approve 1"); !strings.Contains(out, "You cannot decide your own request 1") {
		t.Errorf("requester approving:\n%s", out)
	}
	if out := chat("mallory", "approve 1"); !strings.Contains(out, "You are not an approver of request 1") {
		t.Errorf("stranger approving:\n%s", out)
	}
	if out := chat("carol", "deny 1 not now"); !strings.Contains(out, "not permitted by user carol") {
		t.Errorf("approver without a grant for deny:\n%s", out)
	}
	if out := chat("bob", "deny 1 not during the freeze"); !strings.Contains(out, "Request 1 (`help approve` from alice) was denied by bob. Reason: not during the freeze") {
		t.Errorf("deny:\n%s", out)
	}
	if out := chat("carol", "approve 1"); !strings.Contains(out, "Request 1 is already denied") {
		t.Errorf("deciding a decided request:\n%s", out)
	}
	chat("alice", "help")
	// carol approves as a member of the group; the command runs as alice.
	if out := chat("carol", "approve 2"); !strings.Contains(out, "Request 2 (`help` from alice) was approved by carol; it runs now.") ||
		!strings.Contains(out, "Commands you can use") {
		t.Errorf("approve:\n%s", out)
	}
	var log []map[string]any
	json.Unmarshal([]byte(mustRun(t, dsn, "log", "commands", "--json")), &log)
	var statuses []string
	for i := len(log) - 1; i >= 0; i-- {
		if e := log[i]; e["command"] == "help" && e["user_id"] == "alice" {
			statuses = append(statuses, e["status"].(string)+": "+e["details"].(string))
		}
	}
	want := []string{"awaiting_approval: request 1 waits for approval by alice, bob, group leads", "denied: request 1 denied by bob",
		"awaiting_approval: request 2 waits for approval by alice, bob, group leads", "approved: request 2 approved by carol",
		"succeeded: ran under approval request 2"}
	if strings.Join(statuses, "\n") != strings.Join(want, "\n") {
		t.Errorf("command log for alice's help:\n%s\nwant\n%s", strings.Join(statuses, "\n"), strings.Join(want, "\n"))
	}
	if out := mustRun(t, dsn, "approval", "requests"); !strings.Contains(out, "denied") || !strings.Contains(out, "approved") {
		t.Errorf("approval requests:\n%s", out)
	}
	if out := mustRun(t, dsn, "log", "audit", "--object", "approval_request"); strings.Count(out, "approval_request") < 4 {
		t.Errorf("audit:\n%s", out)
	}
}

// On Slack, across two replicas: the request is held on one, the approver presses Approve on
// the notice (a button anyone in the channel may press, access checked as the presser) and the
// other replica runs it once, as the requester, answering in the requester's channel.
func TestApprovalSlackAcrossReplicas(t *testing.T) {
	dsn := sqliteDSN(t)
	addGrants(t, dsn, [][]string{{"*", "*", "organization", "T1", "acme"}, {"*", "*", "channel", "*", "any"},
		{"ping", "*", "user", "U1", "alice"}, {"approve", "*", "user", "U2", "bob"}, {"approve", "*", "user", "U3", "carol"}})
	mustRun(t, dsn, "approval", "add", "--command", "ping", "--platform", "slack", "--approver", "U2")
	rec := &recorder{}
	fs := newFakeSlackAPI(t, rec)
	env := []string{"OPSGATE_SLACK_ENABLED=true", "OPSGATE_SLACK_SIGNING_SECRET=" + e2eSecret, "OPSGATE_SLACK_BOT_TOKEN=xoxb-test",
		"OPSGATE_SLACK_API_URL=" + fs.GetAPIURL(), "OPSGATE_SLACK_BOT_USER_ID=" + testBotUser, "OPSGATE_SLACK_CALLBACK_SECRET=shared-callback-secret"}
	env = append(env, sharedSQLite) // replicas on one SQLite file
	a, logsA := startServer(t, dsn, env...)
	b, logsB := startServer(t, dsn, env...)
	defer func() {
		if t.Failed() {
			t.Log(logsA.String(), logsB.String(), rec.calls)
		}
	}()

	form := url.Values{"team_id": {"T1"}, "channel_id": {"C1"}, "channel_name": {"ops"}, "user_id": {"U1"}, "user_name": {"alice"},
		"command": {"/ping"}, "text": {""}, "response_url": {"http://" + fs.ServerAddr + "/response/1"}, "trigger_id": {"1.2.3"}}
	slackPost(t, a, oslack.PathSlashCommand, form.Encode())
	notice := rec.wait(t, "/chat.postMessage", 1)[0]
	if !strings.Contains(notice.Form.Get("blocks"), "Request 1: `ping` from alice (U1) waits for approval by U2") {
		t.Fatalf("notice: %v", notice.Form)
	}
	var blocks []map[string]any
	json.Unmarshal([]byte(notice.Form.Get("blocks")), &blocks)
	var approve map[string]any
	var blockID string
	for _, bl := range blocks {
		if bl["type"] == "actions" {
			blockID = bl["block_id"].(string)
			approve = bl["elements"].([]any)[0].(map[string]any)
		}
	}
	presses := 0
	press := func(base, user string) {
		presses++
		payload, _ := json.Marshal(map[string]any{"type": "block_actions", "user": map[string]any{"id": user, "name": user},
			"team": map[string]any{"id": "T1"}, "channel": map[string]any{"id": "C1", "name": "ops"},
			"response_url": "http://" + fs.ServerAddr + "/response/1", "trigger_id": fmt.Sprintf("4.5.%d", presses),
			"actions": []any{map[string]any{"type": "button", "action_id": approve["action_id"], "block_id": blockID, "value": approve["value"]}}})
		if code, body := slackPost(t, base, oslack.PathInteraction, url.Values{"payload": {string(payload)}}.Encode()); code != 200 {
			t.Fatalf("press: %d %s", code, body)
		}
	}
	// carol may run approve but is not an approver of this rule.
	press(b, "U3")
	if c := rec.wait(t, "/chat.postMessage", 2)[1]; !strings.Contains(c.Form.Get("blocks"), "You are not an approver of request 1") {
		t.Fatalf("non-approver: %v", c.Form)
	}
	press(b, "U2")
	msgs := rec.wait(t, "/chat.postMessage", 4)
	var texts []string
	for _, m := range msgs[2:] {
		texts = append(texts, m.Form.Get("channel")+": "+m.Form.Get("blocks"))
	}
	all := strings.Join(texts, "\n")
	if !strings.Contains(all, "C1: ") || !strings.Contains(all, "was approved by U2; it runs now") || !strings.Contains(all, "pong") {
		t.Fatalf("after approval:\n%s", all)
	}
	// Pressing again (on either replica) runs nothing more.
	press(a, "U2")
	if c := rec.wait(t, "/chat.postMessage", 5)[4]; !strings.Contains(c.Form.Get("blocks"), "Request 1 is already approved") {
		t.Fatalf("second press: %v", c.Form)
	}
	var log []map[string]any
	json.Unmarshal([]byte(mustRun(t, dsn, "log", "commands", "--json")), &log)
	n := 0
	for _, e := range log {
		if e["command"] == "ping" && e["status"] == "succeeded" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("ping ran %d times:\n%v", n, log)
	}
}

// The admin API manages approval rules by the CLI's rules and lists held requests.
func TestApprovalAdminAPI(t *testing.T) {
	dsn := sqliteDSN(t)
	tok := regexp.MustCompile(`ogt_\S+`).FindString(mustRun(t, dsn, "token", "add", "--platform", "admin"))
	mustRun(t, dsn, "group", "add", "leads", "--member", "U9")
	base, _ := startServer(t, dsn)
	call := bearerCall(t, base, tok)
	if code, body := call("POST", "/api/v1/approval-rules", `{"command":"deploy","groups":["leads"],"required":1,"timeout":"30m"}`); code != 201 ||
		!strings.Contains(body, `"subcommand":"*"`) || !strings.Contains(body, `"timeout":"30m0s"`) {
		t.Fatalf("create: %d %s", code, body)
	}
	for body, want := range map[string]string{
		`{"command":"deploy","approvers":["U1"],"timeout":"soon"}`: `Timeout \"soon\" is not a duration`,
		`{"command":"deploy"}`:                                      "needs at least one approver or group",
		`{"command":"deploy","approvers":["U1"],"required":2}`:      "2 approvals are required but only 1 approvers",
		`{"command":"deploy","groups":["nobody"]}`:                  `Group \"nobody\" does not exist`,
		`{"command":"deploy","approvers":["U1"],"platform":"slak"}`: "not a chat platform",
	} {
		if code, got := call("POST", "/api/v1/approval-rules", body); code < 400 || !strings.Contains(got, want) {
			t.Errorf("%s: %d %s; want %q", body, code, got, want)
		}
	}
	if code, body := call("GET", "/api/v1/approval-rules", ""); code != 200 || !strings.Contains(body, `"groups":["leads"]`) {
		t.Errorf("list: %d %s", code, body)
	}
	if code, body := call("GET", "/api/v1/approval-requests?status=awaiting_approval", ""); code != 200 || strings.TrimSpace(body) != "[]" {
		t.Errorf("requests: %d %s", code, body)
	}
	if code, _ := call("DELETE", "/api/v1/approval-rules/1", ""); code != 204 {
		t.Errorf("delete: %d", code)
	}
	if code, _ := call("DELETE", "/api/v1/approval-rules/1", ""); code != 404 {
		t.Errorf("second delete: %d", code)
	}
	if out := mustRun(t, dsn, "log", "audit", "--object", "approval_rule"); strings.Count(out, "approval_rule") != 2 || !strings.Contains(out, "api:token-1") {
		t.Errorf("audit:\n%s", out)
	}
}

// The CLI's --json shows a rule as the admin API does, its timeout included (it was left out).
func TestApprovalListJSONHasTimeout(t *testing.T) {
	dsn := sqliteDSN(t)
	mustRun(t, dsn, "approval", "add", "--command", "deploy", "--approver", "U2", "--timeout", "45m")
	if out := mustRun(t, dsn, "approval", "list", "--json"); !strings.Contains(out, `"timeout": "45m0s"`) {
		t.Fatalf("approval list --json: %s", out)
	}
}
