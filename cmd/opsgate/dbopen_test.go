package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A command that only reads (or deletes) run where no database file exists must say so, naming the
// file, and must not leave a new empty database behind that later answers "denied".
func TestReadCommandsRefuseMissingSQLiteFile(t *testing.T) {
	for _, args := range [][]string{
		{"grant", "list"}, {"grant", "delete", "1"}, {"token", "list"}, {"token", "delete", "1"},
		{"access", "check", "--org", "o", "--channel", "c", "--user", "u", "deploy"},
		{"log", "commands"}, {"log", "audit"}, {"alias", "list"}, {"alias", "delete", "p.a"},
		{"secret", "list"}, {"secret", "check", "db"}, {"secret", "delete", "db"}, {"secret", "group", "list"},
	} {
		path := filepath.Join(t.TempDir(), "opsgate.db")
		r := runCLI(t, "sqlite://"+path, "", args...)
		if r.code != 1 || !strings.Contains(r.stderr, path) || !strings.Contains(r.stderr, "does not exist") ||
			strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("opsgate %v on a missing file: exit %d, stderr %q", args, r.code, r.stderr)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("opsgate %v created %s", args, path)
		}
	}
	// Commands that write create it, as before.
	dsn := sqliteDSN(t)
	mustRun(t, dsn, "grant", "add", "--command", "x", "--type", "user", "--value", "u")
	mustRun(t, dsn, "grant", "list")
}

// --verbose says which database each command opens, password masked.
func TestVerboseNamesTheDatabase(t *testing.T) {
	dsn := sqliteDSN(t)
	r := runCLI(t, dsn, "", "--verbose", "grant", "add", "--command", "x", "--type", "user", "--value", "u")
	if r.code != 0 || !strings.Contains(r.stderr, "database "+dsn) {
		t.Errorf("--verbose grant add: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := runCLI(t, dsn, "", "grant", "list"); strings.Contains(r.stderr, "database") {
		t.Errorf("without --verbose: stderr %q", r.stderr)
	}
	r = runCLI(t, "postgres://opsgate:hunter2@127.0.0.1:1/none?sslmode=disable&connect_timeout=1", "", "--verbose", "grant", "list")
	if strings.Contains(r.stderr, "hunter2") || !strings.Contains(r.stderr, "database postgres://opsgate:xxxxx@127.0.0.1:1/none") {
		t.Errorf("--verbose with a password: stderr %q", r.stderr)
	}
}

// A SQLite file whose directory does not exist is said in words, not SQLite's "unable to open
// database file (14)", with exit 1 like a missing file; a malformed DSN is bad input (exit 2).
func TestDatabaseSettingMistakes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "no-such-dir")
	for dsn, want := range map[string]struct {
		code int
		msg  string
	}{
		"sqlite://" + dir + "/opsgate.db": {1, "database file " + dir + "/opsgate.db cannot be created: directory " + dir + " does not exist"},
		"bogus":                           {2, `Database DSN "bogus" must start with sqlite://`},
	} {
		r := runCLI(t, dsn, "", "grant", "add", "--command", "x", "--type", "user", "--value", "u")
		if r.code != want.code || !strings.Contains(r.stderr, want.msg) {
			t.Errorf("%s: exit %d, stderr %q", dsn, r.code, r.stderr)
		}
	}
}
