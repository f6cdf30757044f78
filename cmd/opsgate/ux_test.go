package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// An interrupted `opsgate chat` (Ctrl-C) stops at once, waiting for no further line, and exits 0
// without printing "context canceled".
func TestChatStopsOnInterrupt(t *testing.T) {
	dsn := sqliteDSN(t)
	in, feed := io.Pipe()
	defer feed.Close()
	out, errb := &syncBuffer{}, &syncBuffer{}
	m := &Main{Stdin: in, Stdout: out, Stderr: errb, Environ: []string{"OPSGATE_DATABASE=" + dsn, "OPSGATE_LOG_LEVEL=warn"}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int)
	go func() { done <- m.Run(ctx, []string{"chat", "--user", "alice"}) }()
	go feed.Write([]byte("whoami\n"))
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "User:"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("chat did not answer whoami: %q %q", out.String(), errb.String())
		}
	}
	cancel() // what SIGINT does to the context main passes in
	select {
	case code := <-done:
		if code != 0 || afterBanner(errb.String()) != "" {
			t.Fatalf("interrupted chat: exit %d, stderr %q", code, errb.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("chat still waits for a line after the interrupt")
	}
}

// A line longer than the chat reads is refused with one message; the chat goes on.
func TestChatSurvivesOverlongLine(t *testing.T) {
	dsn := sqliteDSN(t)
	long := strings.Repeat("a", 2<<20)
	r := runCLI(t, dsn, long+"\nwhoami\n", "chat", "--user", "alice")
	if r.code != 0 || afterBanner(r.stderr) != "" || !strings.Contains(r.stdout, "too long") || !strings.Contains(r.stdout, "User:          alice") ||
		strings.Contains(r.stdout, "aaaa") {
		t.Fatalf("chat after an over-long line: exit %d, stderr %q, stdout %.300q", r.code, r.stderr, r.stdout)
	}
}

// whoami is exempt from the grants in chat, so `access check` must not call it denied.
func TestAccessCheckWhoamiExempt(t *testing.T) {
	dsn := sqliteDSN(t)
	r := runCLI(t, dsn, "", "access", "check", "--org", "o", "--channel", "c", "--user", "nobody", "--explain", "whoami")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "allowed\n") || !strings.Contains(r.stdout, "exempt") {
		t.Fatalf("access check whoami: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	chat := runCLI(t, dsn, "whoami\n", "chat", "--user", "nobody")
	if !strings.Contains(chat.stdout, "User:          nobody") {
		t.Fatalf("chat whoami without grants: %q", chat.stdout)
	}
}

// --expires takes an RFC 3339 time or a duration; a bad one is explained in words, and a grant that
// would be expired already is refused instead of stored.
func TestGrantExpiresInput(t *testing.T) {
	dsn := sqliteDSN(t)
	mustRun(t, dsn, "migrate")
	for _, c := range []struct{ expires, want string }{
		{"tomorrow", `--expires "tomorrow" is neither a duration like 72h nor an RFC 3339 time like 2030-01-02T15:04:05Z`},
		{"-5h", "--expires -5h is in the past"},
		{"2020-01-01T00:00:00Z", "--expires 2020-01-01T00:00:00Z is in the past"},
	} {
		r := runCLI(t, dsn, "", "grant", "add", "--command", "x", "--type", "user", "--value", "u", "--expires", c.expires)
		if r.code != 2 || r.stderr != "opsgate: "+c.want+"\n" {
			t.Errorf("--expires %s: exit %d, stderr %q; want 2, %q", c.expires, r.code, r.stderr, c.want)
		}
	}
	if out := mustRun(t, dsn, "grant", "list"); strings.Count(out, "\n") != 1 {
		t.Fatalf("refused grants were stored:\n%s", out)
	}
	mustRun(t, dsn, "grant", "add", "--command", "x", "--type", "user", "--value", "u", "--expires", "72h")
}

// A config mistake is named the way the file spells it: the key's full path, not Go's type names.
func TestConfigErrorsNameKeys(t *testing.T) {
	dir := t.TempDir()
	for body, want := range map[string]string{
		"listen: 127.0.0.1:0\nlisten_port: 3\n":                      `c.yaml: line 2: unknown key "listen_port"`,
		"slack:\n  enabld: true\n":                                   `c.yaml: line 2: unknown key "slack.enabld"`,
		"secrets:\n  vaults:\n    eu:\n      uri: x\n":               `c.yaml: line 4: unknown key "secrets.vaults.eu.uri"`,
		"secrets:\n  vaults:\n    eu:\n      auth: {mthod: token}\n": `c.yaml: line 4: unknown key "secrets.vaults.eu.auth.mthod"`,
		"- listen\n- database\n":                                     `c.yaml: line 1: the file must be a mapping of keys, not a list`,
		"restrict_help: sometimes\n":                                 `c.yaml: line 1: restrict_help must be true or false, not "sometimes"`,
		"secrets:\n  file_roots: /etc\n":                             `c.yaml: line 2: secrets.file_roots must be a list, not "/etc"`,
		"slack: yes\n":                                               `c.yaml: line 1: slack must be a mapping of keys, not a string`,
	} {
		p := filepath.Join(dir, "c.yaml")
		os.WriteFile(p, []byte(body), 0o600)
		r := runCLI(t, sqliteDSN(t), "", "--config", p, "migrate")
		if r.code != 2 || !strings.HasSuffix(r.stderr, want+"\n") || strings.Contains(r.stderr, "main.") {
			t.Errorf("%q: exit %d, stderr %q; want it to end in %q", body, r.code, r.stderr, want)
		}
	}
}

// `log commands` shows the channel even when only its id is known, a user once when name and id
// agree, and cuts long details visibly (…), one line per run.
func TestLogCommandsTable(t *testing.T) {
	dsn := sqliteDSN(t)
	runCLI(t, dsn, "help\n", "chat", "--org", "acme", "--channel", "C42", "--user", "bob")
	runCLI(t, dsn, "whoami\n", "chat", "--org", "acme", "--channel", "C42", "--channel-name", "ops", "--user", "U1", "--user-name", "alice")
	out := mustRun(t, dsn, "log", "commands")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("want a header and 2 rows:\n%s", out)
	}
	alice, bob := lines[1], lines[2]
	for _, want := range []string{" alice (U1) ", " ops (C42) ", " whoami "} {
		if !strings.Contains(alice, want) {
			t.Errorf("row lacks %q:\n%s", want, out)
		}
	}
	for _, want := range []string{" bob ", " C42 ", " blocked ", "…"} {
		if !strings.Contains(bob, want) {
			t.Errorf("row lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(bob, "bob (bob)") {
		t.Errorf("user shown twice:\n%s", out)
	}
}

// alias match prints its labels aligned, and warns about a bad alias file in the file's terms.
func TestAliasMatchOutput(t *testing.T) {
	dir := t.TempDir()
	writeAliasFile(t, dir, "apu/aliases/status.yaml", "name: apu_status\naction_ref: apu.status\nformats:\n  - display: \"apu status <role>\"\n    representation: [\"apu st {{ role }}\"]\n")
	writeAliasFile(t, dir, "apu/aliases/bad.yaml", "name: bad\naction_ref: apu.bad\nformats: [x]\ncolour: red\n")
	r := runCLI(t, sqliteDSN(t), "", "alias", "match", "--aliases", dir, "apu st web")
	want := "alias:   apu.apu_status\nformat:  apu st {{ role }}\ndisplay: apu status <role>\n  role = \"web\"\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("alias match: exit %d\n%s\nwant\n%s", r.code, r.stdout, want)
	}
	if !strings.Contains(r.stderr, `bad.yaml:4: unknown key "colour"`) || strings.Contains(r.stderr, "aliasFile") {
		t.Errorf("warning: %q", r.stderr)
	}
}

// An unknown command is named in the reply, but not echoed whole: a pasted log line must not come back 20 KB long.
func TestUnknownCommandReplyIsShort(t *testing.T) {
	r := runCLI(t, sqliteDSN(t), strings.Repeat("x", 20000)+" now\n", "chat", "--user", "alice")
	if !strings.Contains(r.stdout, `I don't know the command "xxxx`) || len(r.stdout) > 300 {
		t.Fatalf("reply to an unknown 20000-character command (%d bytes): %.200q", len(r.stdout), r.stdout)
	}
}

// --limit 0 or -1 silently showed 100 entries (more than the default 50); it is bad usage.
func TestLogLimitMustBePositive(t *testing.T) {
	dsn := sqliteDSN(t)
	for _, sub := range []string{"commands", "audit"} {
		for _, n := range []string{"0", "-1"} {
			r := runCLI(t, dsn, "", "log", sub, "--limit", n)
			if r.code != 2 || r.stderr != "opsgate: --limit must be at least 1\n" {
				t.Errorf("log %s --limit %s: exit %d, stderr %q", sub, n, r.code, r.stderr)
			}
		}
	}
}
