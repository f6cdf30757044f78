package main

import (
	"net/url"
	"strings"
	"testing"

	oslack "github.com/opsgate/opsgate/slack"
)

// Chat-side admin in the terminal chat: the commands are subject to grants, validate and audit
// as the CLI does (actor: the chat user), and explain decisions.
func TestChatAdminTerminal(t *testing.T) {
	dsn := sqliteDSN(t)
	addGrants(t, dsn, [][]string{{"*", "*", "organization", "acme", "acme"}, {"*", "*", "channel", "*", "any"},
		{"grant", "*", "user", "root", "root"}, {"group", "*", "user", "root", "root"}, {"access", "*", "user", "root", "root"},
		{"token", "*", "user", "root", "root"}, {"approval", "*", "user", "root", "root"}})
	chat := func(user, text string) string {
		r := runCLI(t, dsn, text+"\n", "chat", "--org", "acme", "--channel", "ops", "--user", user)
		return r.stdout
	}
	if out := chat("bob", "grant list"); !strings.Contains(out, "not permitted by user bob (bob)") {
		t.Errorf("bob without a grant:\n%s", out)
	}
	out := chat("root", "group add oncall alice")
	if !strings.Contains(out, "Group oncall added (1 members).") || !strings.Contains(out, "(only you can see this)") {
		t.Errorf("group add:\n%s", out)
	}
	if out := chat("root", "grant add --command help --type user --group oncall --when channel=ops"); !strings.Contains(out, "Grant 8 added.") {
		t.Errorf("grant add:\n%s", out)
	}
	if out := chat("root", "grant add --command '*' --subcommand x --type user --value bob"); !strings.Contains(out, "must also be for all subcommands") ||
		!strings.Contains(out, "(only you can see this)") {
		t.Errorf("invalid grant:\n%s", out)
	}
	if out := chat("root", "grant add --command help --type user --value bob --bogus 1"); !strings.Contains(out, "flag provided but not defined: -bogus") {
		t.Errorf("unknown flag:\n%s", out)
	}
	if out := chat("root", "access check --user alice --channel general help"); !strings.Contains(out, "matches but its condition channel=ops does not hold") {
		t.Errorf("access check:\n%s", out)
	}
	if out := chat("alice", "help"); !strings.Contains(out, "Commands you can use") {
		t.Errorf("alice after the chat grant:\n%s", out)
	}
	if out := chat("root", "grant list"); !strings.Contains(out, "group oncall") || !strings.Contains(out, "channel=ops") {
		t.Errorf("grant list:\n%s", out)
	}
	if out := chat("root", "group member remove oncall alice"); !strings.Contains(out, "removed alice") {
		t.Errorf("member remove:\n%s", out)
	}
	if out := chat("root", "grant delete 8"); !strings.Contains(out, "Grant 8 deleted.") {
		t.Errorf("grant delete:\n%s", out)
	}
	mustRun(t, dsn, "token", "add", "--platform", "admin", "--token", "s3cr3t-admin-token-value")
	if out := chat("root", "token list"); !strings.Contains(out, "admin") || strings.Contains(out, "s3cr3t-admin-token-value") {
		t.Errorf("token list:\n%s", out)
	}
	if out := chat("root", "approval list"); !strings.Contains(out, "No approval rules.") {
		t.Errorf("approval list:\n%s", out)
	}
	if out := mustRun(t, dsn, "log", "audit"); !strings.Contains(out, "terminal:root") {
		t.Errorf("chat changes not audited as the chat user:\n%s", out)
	}
}

// On Slack the replies, errors included, are ephemeral: only the admin sees them.
func TestChatAdminSlackEphemeral(t *testing.T) {
	dsn := sqliteDSN(t)
	addGrants(t, dsn, [][]string{{"*", "*", "organization", "T1", "acme"}, {"*", "*", "channel", "*", "any"}, {"grant", "*", "user", "U1", "root"}})
	rec := &recorder{}
	fs := newFakeSlackAPI(t, rec)
	base, _ := startServer(t, dsn, "OPSGATE_SLACK_ENABLED=true", "OPSGATE_SLACK_SIGNING_SECRET="+e2eSecret, "OPSGATE_SLACK_BOT_TOKEN=xoxb-test",
		"OPSGATE_SLACK_API_URL="+fs.GetAPIURL())
	n := 0
	slash := func(text string) {
		n++
		slackPost(t, base, oslack.PathSlashCommand, url.Values{"team_id": {"T1"}, "channel_id": {"C1"}, "user_id": {"U1"}, "user_name": {"root"},
			"command": {"/grant"}, "text": {text}, "response_url": {"http://" + fs.ServerAddr + "/response/1"}, "trigger_id": {strings.Repeat("1", n)}}.Encode())
	}
	slash("add --command ping --type user --value U2")
	if c := rec.wait(t, "/chat.postEphemeral", 1)[0]; c.Form.Get("user") != "U1" || !strings.Contains(c.Form.Get("blocks"), "Grant 4 added.") {
		t.Fatalf("grant add: %v", c.Form)
	}
	slash("delete 99")
	if c := rec.wait(t, "/chat.postEphemeral", 2)[1]; !strings.Contains(c.Form.Get("blocks"), "Grant 99 does not exist.") {
		t.Fatalf("grant delete error: %v", c.Form)
	}
	if got := rec.count("/chat.postMessage"); len(got) != 0 {
		t.Errorf("admin replies posted to the channel: %v", got)
	}
}
