package main

import (
	"strings"
	"testing"
)

// A mistyped subcommand of a command group (`grant dlete 5` in a script) must fail with exit 2 and
// one line, not print the group's help and exit 0 as if the deletion had happened.
func TestUnknownSubcommandExitsTwo(t *testing.T) {
	dsn := sqliteDSN(t)
	for _, args := range [][]string{{"grant", "dlete", "5"}, {"token", "ad"}, {"log", "comands"}, {"access", "chek", "x"}} {
		r := runCLI(t, dsn, "", args...)
		if r.code != 2 || !strings.Contains(r.stderr, `unknown command "`+args[1]+`"`) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("opsgate %v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
	// The group alone still shows its help.
	if r := runCLI(t, dsn, "", "grant"); r.code != 0 || !strings.Contains(r.stdout, "Available Commands") {
		t.Errorf("opsgate grant: exit %d, stdout %q", r.code, r.stdout)
	}
}

// Every bad input exits 2 with one line; a refusal (denied, not found) exits 1.
func TestExitStatusBadInputAndRefusal(t *testing.T) {
	dsn := sqliteDSN(t)
	mustRun(t, dsn, "migrate")
	for _, c := range []struct {
		code int
		want string
		args []string
	}{
		{2, `Platform "slak" is not a chat platform opsgate knows: use one of mattermost, slack, terminal, web.`,
			[]string{"grant", "add", "--command", "x", "--type", "user", "--value", "u", "--platform", "slak"}},
		{2, `Platform "webhook" is not a chat platform`, []string{"grant", "add", "--command", "x", "--type", "user", "--value", "u", "--platform", "webhook"}},
		{2, `Platform "nope" is not a platform that takes command tokens opsgate knows: use one of admin, mattermost, webhook.`,
			[]string{"token", "add", "--platform", "nope"}},
		{2, `Platform "slack" is not a platform that takes command tokens`, []string{"token", "add", "--platform", "slack"}},
		{2, `Platform "slak" is not a chat platform`, []string{"chat", "--platform", "slak"}},
		{2, `Platform "slak" is not a chat platform`, []string{"access", "check", "--org", "o", "--channel", "c", "--user", "u", "--platform", "slak", "x"}},
		{2, `listen "nonsense" is not host:port`, []string{"serve", "--listen", "nonsense"}},
		{2, "--user cannot be empty", []string{"chat", "--user", ""}},
		{2, "Grant value is required", []string{"grant", "add", "--command", "x", "--type", "user", "--value", " "}},
		{2, `subcommand "get-[" is not a valid pattern`, []string{"grant", "add", "--command", "x", "--subcommand", "get-[", "--type", "user", "--value", "u"}},
		{2, `--limit "abc" is not a whole number`, []string{"log", "commands", "--limit", "abc"}},
		{2, `grant id "abc" is not a number`, []string{"grant", "delete", "abc"}},
		{2, "unknown flag: --nope", []string{"grant", "list", "--nope"}},
		{2, `access check takes COMMAND [SUBCOMMAND]`, []string{"access", "check", "--org", "o", "--channel", "c", "--user", "u"}},
		{2, `unknown command "nope" for "opsgate"`, []string{"nope"}},
		{1, "Grant 99 does not exist.", []string{"grant", "delete", "99"}},
		{1, "Token 99 does not exist.", []string{"token", "delete", "99"}},
	} {
		r := runCLI(t, dsn, "", c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 ||
			strings.Contains(r.stderr, "strconv.") {
			t.Errorf("opsgate %q: exit %d, stderr %q; want %d and %q", c.args, r.code, r.stderr, c.code, c.want)
		}
	}
}
