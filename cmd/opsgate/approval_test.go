package main

import (
	"encoding/json"
	"strings"
	"testing"
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
	if out := chat("alice", "help"); !strings.Contains(out, "Request 1: `help` from alice waits for approval by alice, bob, group leads") ||
		!strings.Contains(out, "approve 1") || strings.Contains(out, "Commands you can use") {
		t.Fatalf("held request:\n%s", out)
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
	if out := chat("bob", "deny 1 not during the freeze"); !strings.Contains(out, "Request 1 (`help` from alice) was denied by bob. Reason: not during the freeze") {
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
