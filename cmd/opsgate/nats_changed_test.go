package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// With NATS, replicas reading one ACL file and one alias directory (a shared volume) follow a
// change as soon as one of them sees it: replica b, whose own checks are an hour apart, reloads
// when replica a announces the change on PREFIX.changed.
func TestNATSFileChangesReachReplicas(t *testing.T) {
	natsURL := testNATS(t)
	dir := t.TempDir()
	aclFile, aliasDir := filepath.Join(dir, "acl.yaml"), filepath.Join(dir, "aliases")
	write := func(path, s string) {
		t.Helper()
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(aclFile, "ACCESS_CONTROLS: {deploy: {allowusers: ['@bob']}}\n")
	write(filepath.Join(aliasDir, "one.yaml"), "name: one\npack: p\naction_ref: p.one\nformats:\n  - 'one'\n")
	dsn := sqliteDSN(t)
	mustRun(t, dsn, "migrate")
	env := []string{"OPSGATE_NATS_URL=" + natsURL, "OPSGATE_NATS_STREAM_PREFIX=" + testNATSPrefix(t, natsURL),
		"OPSGATE_ACL_FILE=" + aclFile, "OPSGATE_ALIASES_DIR=" + aliasDir}
	a, _ := startServer(t, dsn, append(env, "OPSGATE_ACL_RELOAD_INTERVAL=50ms", "OPSGATE_ALIASES_RELOAD_INTERVAL=50ms")...)
	b, logB := startServer(t, dsn, append(env, "OPSGATE_ACL_RELOAD_INTERVAL=1h", "OPSGATE_ALIASES_RELOAD_INTERVAL=1h")...)
	for _, base := range []string{a, b} {
		waitUntil(t, "ready", 30*time.Second, func() bool { c, _ := getQuiet(base + "/readyz"); return c == 200 })
	}
	loads := strings.Count(logB.String(), `"aliases loaded"`)

	write(aclFile, "ACCESS_CONTROLS: {deploy: {allowusers: ['@alice']}}\n")
	waitUntil(t, "replica b reloading the ACL file", 10*time.Second, func() bool {
		return strings.Contains(logB.String(), `"acl reloaded"`)
	})
	write(filepath.Join(aliasDir, "two.yaml"), "name: two\npack: p\naction_ref: p.two\nformats:\n  - 'two'\n")
	waitUntil(t, "replica b reloading the alias directory", 10*time.Second, func() bool {
		return strings.Count(logB.String(), `"aliases loaded"`) > loads
	})
}
