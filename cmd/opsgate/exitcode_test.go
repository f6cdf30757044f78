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
