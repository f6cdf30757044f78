package main

import (
	"strings"
	"testing"

	"github.com/opsgate/opsgate"
)

// The chat starts by saying who it talks as and on which database (password masked), so a
// "denied" is never a mystery about the identity or the file. It goes to stderr: stdout stays the
// replies alone for pipes.
func TestChatFirstLineSaysWhoAndWhere(t *testing.T) {
	dsn := sqliteDSN(t)
	r := runCLI(t, dsn, "whoami\n", "chat", "--platform", "slack", "--org", "T1", "--channel", "C9", "--user", "alice")
	first, _, _ := strings.Cut(r.stderr, "\n")
	want := "opsgate chat as user alice in organization T1, channel C9 on platform slack; database " + dsn
	if r.code != 0 || !strings.HasPrefix(first, want) {
		t.Errorf("first line %q, want it to start with %q (exit %d)", first, want, r.code)
	}
	if !strings.Contains(r.stdout, "alice") || strings.Contains(r.stdout, "opsgate chat as") {
		t.Errorf("stdout %q", r.stdout)
	}
}

func TestChatBannerMasksPassword(t *testing.T) {
	got := chatBanner(opsgate.Request{Platform: "terminal", OrgID: "local", ChannelID: "terminal", UserID: "bob", UserName: "Bob"},
		"postgres://opsgate:hunter2@db:5432/opsgate")
	if strings.Contains(got, "hunter2") || !strings.Contains(got, "user Bob (bob)") || !strings.Contains(got, "postgres://opsgate:xxxxx@db:5432/opsgate") {
		t.Errorf("banner %q", got)
	}
}

// afterBanner is a chat's stderr without its first line.
func afterBanner(stderr string) string {
	if strings.HasPrefix(stderr, "opsgate chat as ") {
		_, rest, _ := strings.Cut(stderr, "\n")
		return rest
	}
	return stderr
}
