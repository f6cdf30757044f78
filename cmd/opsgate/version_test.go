package main

import (
	"regexp"
	"testing"
)

// `opsgate version` and `opsgate --version` print the same one line: module version and VCS
// revision (test binaries carry neither, so both say so rather than print nothing).
func TestVersion(t *testing.T) {
	want := regexp.MustCompile(`^opsgate \S+ \(revision [^)]+\)\n$`)
	a := runCLI(t, sqliteDSN(t), "", "version")
	b := runCLI(t, sqliteDSN(t), "", "--version")
	if a.code != 0 || !want.MatchString(a.stdout) {
		t.Errorf("opsgate version: exit %d, stdout %q, stderr %q", a.code, a.stdout, a.stderr)
	}
	if b.code != 0 || b.stdout != a.stdout {
		t.Errorf("opsgate --version: exit %d, stdout %q, want %q", b.code, b.stdout, a.stdout)
	}
}

func TestVersionFromBuildInfo(t *testing.T) {
	for _, c := range []struct {
		main, rev, modified, want string
	}{
		{"v1.2.0", "0123456789abcdef0123", "false", "opsgate v1.2.0 (revision 0123456789ab)"},
		{"(devel)", "0123456789abcdef0123", "true", "opsgate (devel) (revision 0123456789ab, modified)"},
		{"", "", "", "opsgate (devel) (revision unknown)"},
	} {
		if got := versionLine(c.main, c.rev, c.modified); got != c.want {
			t.Errorf("versionLine(%q, %q, %q) = %q, want %q", c.main, c.rev, c.modified, got, c.want)
		}
	}
}
