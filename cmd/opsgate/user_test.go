package main

import (
	"strings"
	"testing"
)

func TestUserCLI(t *testing.T) {
	dsn := sqliteDSN(t)
	r := runCLI(t, dsn, "", "user", "add", "--name", "alice", "--role", "admin")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) != 2 || !strings.Contains(lines[0], "shown only now") || len(lines[1]) < 20 {
		t.Fatalf("user add (generated): exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, dsn, "a long enough password\n", "user", "add", "--name", "bob", "--role", "viewer", "--password-stdin"); r.code != 0 ||
		r.stdout != "user bob added (viewer)\n" {
		t.Fatalf("user add --password-stdin: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, dsn, "short\n", "user", "add", "--name", "carol", "--role", "viewer", "--password-stdin"); r.code != 2 ||
		!strings.Contains(r.stderr, "too short") {
		t.Errorf("short password: exit %d, %q", r.code, r.stderr)
	}
	if r := runCLI(t, dsn, "", "user", "add", "--name", "carol", "--role", "root"); r.code != 2 || !strings.Contains(r.stderr, "admin, operator, viewer") {
		t.Errorf("bad role: exit %d, %q", r.code, r.stderr)
	}
	if r := runCLI(t, dsn, "", "user", "add", "--name", "ALICE", "--role", "viewer"); r.code != 1 || !strings.Contains(r.stderr, "already exists") {
		t.Errorf("duplicate: exit %d, %q", r.code, r.stderr)
	}
	out := mustRun(t, dsn, "user", "list")
	if !strings.Contains(out, "alice") || !strings.Contains(out, "bob") || !strings.Contains(out, "viewer") {
		t.Errorf("user list:\n%s", out)
	}
	if r := runCLI(t, dsn, "another long password\n", "user", "passwd", "bob", "--password-stdin"); r.code != 0 {
		t.Errorf("passwd: exit %d, %q", r.code, r.stderr)
	}
	mustRun(t, dsn, "user", "delete", "bob")
	if r := runCLI(t, dsn, "", "user", "delete", "bob"); r.code != 1 || !strings.Contains(r.stderr, "does not exist") {
		t.Errorf("delete twice: exit %d, %q", r.code, r.stderr)
	}
	audit := mustRun(t, dsn, "log", "audit", "--object", "user", "--json")
	if strings.Contains(audit, "argon2") || strings.Count(audit, `"action": "create"`) != 2 || !strings.Contains(audit, `"actor": "cli:`) {
		t.Errorf("audit of users:\n%s", audit)
	}
}
