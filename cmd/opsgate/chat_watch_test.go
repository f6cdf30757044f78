package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A grant added while someone is chatting applies to their next message.
func TestChatFollowsGrantChanges(t *testing.T) {
	dsn := sqliteDSN(t)
	addGrants(t, dsn, [][]string{{"*", "*", "organization", "acme", "acme"}, {"*", "*", "channel", "*", "any"}})
	cfg := filepath.Join(t.TempDir(), "opsgate.yaml")
	os.WriteFile(cfg, []byte("grant_reload_interval: 20ms\n"), 0o600)
	c := startChat(t, dsn, cfg, "--org", "acme", "--channel", "ops", "--user", "bob")
	c.say(t, "help")
	c.waitOut(t, "not permitted by user bob")
	mustRun(t, dsn, "grant", "add", "--command", "help", "--type", "user", "--value", "bob")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(c.out.String(), "Commands you can use") {
		if time.Now().After(deadline) {
			t.Fatalf("the new grant never applied:\n%s", c.out.String())
		}
		c.say(t, "help")
		time.Sleep(50 * time.Millisecond)
	}
}
