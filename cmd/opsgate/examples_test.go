package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// copyExamples copies the repository's examples/ into dir/examples, replacing old by new in every
// file (a test's own addresses); the files are otherwise exactly what a newcomer runs.
func copyExamples(t *testing.T, dir, old, new string) {
	t.Helper()
	src := filepath.Join("..", "..", "examples")
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, "examples", rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if old != "" {
			data = []byte(strings.ReplaceAll(string(data), old, new))
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The README's "try it": the shipped config, alias pack and ACL, loaded by the real loaders,
// with the README's grants, run every example alias through the real pipeline in the terminal chat.
func TestExamplesRunInTerminalChat(t *testing.T) {
	dsn := sqliteDSN(t)
	// http check asks opsgate's own /healthz: a real server, on a free port instead of 8080.
	base, _ := startServer(t, sqliteDSN(t))
	work := t.TempDir()
	copyExamples(t, work, "http://127.0.0.1:8080", base)
	t.Chdir(work) // the config's paths are relative to the repository root, where the README runs opsgate

	if r := runCLI(t, dsn, "", "alias", "match", "--aliases", "examples/aliases", "uptime"); r.code != 0 || r.stderr != "" {
		t.Fatalf("examples/aliases do not all load: %+v", r)
	}
	if r := runCLI(t, dsn, "", "acl", "check", "--acl", "examples/acl.yaml", "--user", "someone", "--plugin", "examples", "uptime"); r.code != 0 {
		t.Fatalf("examples/acl.yaml: %+v", r)
	}
	me := currentUser()
	for _, args := range [][]string{
		{"grant", "add", "--command", "*", "--type", "organization", "--value", "local"},
		{"grant", "add", "--command", "*", "--type", "channel", "--value", "*"},
		{"grant", "add", "--command", "*", "--type", "user", "--value", me},
	} {
		mustRun(t, dsn, args...)
	}
	c := startChat(t, dsn, "examples/opsgate.yaml")
	c.say(t, "help")
	c.waitOut(t, "disk usage [/path]")
	c.waitOut(t, "dns lookup <host>")
	c.say(t, "disk usage")
	c.waitOut(t, "Mounted on")
	c.say(t, "uptime")
	c.waitOut(t, "load average")
	c.say(t, "dns lookup localhost")
	c.waitOut(t, "Looking up localhost...")
	waitCount(t, c, reResolved, 1)
	c.say(t, "http check")
	c.waitOut(t, "GET /healthz: 200 ok")
	// A missing value is asked for; the answer runs the alias.
	c.say(t, "dns lookup")
	c.waitOut(t, "examples dns_lookup: please enter host")
	c.say(t, "localhost")
	waitCount(t, c, reResolved, 2)
	// The ACL rules out a path; a value that is not an absolute path matches nothing.
	c.say(t, "disk usage /proc")
	c.waitOut(t, "You're not allowed to access this command from this user")
	c.say(t, "disk usage -a")
	c.waitOut(t, `I don't know the command "disk"`)
}

// reResolved is a line of getent's answer for localhost ("127.0.0.1  localhost", "::1  localhost ip6-localhost").
var reResolved = regexp.MustCompile(`(?m)^[0-9a-fA-F:.]+\s+localhost\b`)

// waitCount waits until the chat output holds n matches of re.
func waitCount(t *testing.T, c *chat, re *regexp.Regexp, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); len(re.FindAllString(c.out.String(), -1)) < n; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("chat output lacks %d matches of %s:\n%s", n, re, c.out.String())
		}
	}
}
