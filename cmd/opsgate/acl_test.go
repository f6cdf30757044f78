package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runOpsgate(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb}
	code = m.Run(context.Background(), args)
	return out.String(), errb.String(), code
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const seedACLFile = `
ACL_SQUAD_INFRA: &infra ["@admin1", "@admin2", "@admin3", "@admin4"]
ACL_APU_USERS: &apu ['@user1']
BOT_ADMINS: ['@admin1']
ACCESS_CONTROLS:
  'st2 apu status*':
    allowrooms: ['#channel']
    allowusers: [*infra, *apu]
  'st2 apu*':
    allowrooms: ['#channel']
    allowusers: *infra
  deploy:
    denyargs: ['*--force*']
`

func TestACLCheckCLI(t *testing.T) {
	file := writeFile(t, t.TempDir(), "acl.yaml", seedACLFile)
	for _, c := range []struct {
		name     string
		args     []string
		out, err string
		code     int
	}{
		{"seed: user1 may view status", []string{"--user", "@user1", "--room", "#channel", "--plugin", "st2", "st2", "apu", "status", "web"},
			"allowed\n", "", 0},
		{"seed: user1 may not start", []string{"--user", "@user1", "--room", "#channel", "--plugin", "st2", "st2 apu start web"},
			"You're not allowed to access this command from this user\n", "", 1},
		{"seed: admin2 may start", []string{"--user", "admin2", "--room", "#channel", "--plugin", "st2", "st2 apu start web"},
			"allowed\n", "", 0},
		{"seed: wrong room", []string{"--user", "@admin2", "--room", "#random", "--plugin", "st2", "st2 apu start web"},
			"You're not allowed to access this command from this room\n", "", 1},
		{"plugin matters", []string{"--user", "@user1", "--room", "#channel", "--plugin", "other", "st2 apu start web"},
			"You're not allowed to access this command from this user\n", "", 1},
		{"args after flags are text", []string{"--user", "bob", "deploy", "web", "--force"},
			"You're not allowed to access this command using the provided arguments\n", "", 1},
		{"admin-only refused", []string{"--user", "bob", "--admin-only", "shutdown"},
			"This command requires bot-admin privileges\n", "", 1},
		{"admin-only in a room", []string{"--user", "@admin1", "--room", "#ops", "--admin-only", "shutdown"},
			"This command may only be issued through a direct message\n", "", 1},
		{"admin-only admin DM", []string{"--user", "@admin1", "--admin-only", "shutdown"}, "allowed\n", "", 0},
		{"no user", []string{"deploy"}, "", "opsgate: acl check: --acl and --user are required\n", 2},
		{"no text", []string{"--user", "bob"}, "", "opsgate: acl check: TEXT (the command to check) is required\n", 2},
		{"unknown flag", []string{"--user", "bob", "--nope", "x"}, "", "", 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"acl", "check", "--acl", file}, c.args...)
			out, errOut, code := runOpsgate(t, "", args...)
			if out != c.out || code != c.code || (c.err != "" && errOut != c.err) {
				t.Errorf("acl check %q:\n stdout %q\n stderr %q\n exit %d\nwant stdout %q stderr %q exit %d", c.args, out, errOut, code, c.out, c.err, c.code)
			}
		})
	}
}

func TestACLCheckCLIBadFile(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "acl.yaml", "ACCESS_CONTROLS:\n  deploy:\n    allowmuc: 'False'\n")
	out, errOut, code := runOpsgate(t, "", "acl", "check", "--acl", file, "--user", "bob", "deploy")
	want := "opsgate: " + file + `:3: ACCESS_CONTROLS["deploy"].allowmuc must be True or False, got the string "False"` + "\n"
	if out != "" || errOut != want || code != 2 {
		t.Errorf("stdout %q stderr %q exit %d; want stderr %q exit 2", out, errOut, code, want)
	}
}

// The ACL applies to real chat traffic: through `opsgate chat`, the same pipeline platforms use.
// whoami is exempt from grants, so the ACL alone decides.
func TestACLModuleInChat(t *testing.T) {
	dir := t.TempDir()
	aclFile := writeFile(t, dir, "acl.yaml", "ACCESS_CONTROLS:\n  whoami: {allowusers: ['@alice']}\n")
	cfg := writeFile(t, dir, "opsgate.yaml", "database: sqlite://"+filepath.Join(dir, "opsgate.db")+"\nacl:\n  file: "+aclFile+"\n")

	out, errOut, code := runOpsgate(t, "whoami\n", "--config", cfg, "chat", "--user", "U2", "--user-name", "bob", "--direct")
	if code != 0 || !strings.Contains(out, "You're not allowed to access this command from this user") {
		t.Errorf("bob: exit %d stdout %q stderr %q", code, out, errOut)
	}
	out, errOut, code = runOpsgate(t, "whoami\n", "--config", cfg, "chat", "--user", "U1", "--user-name", "alice", "--direct")
	if code != 0 || strings.Contains(out, "not allowed") || !strings.Contains(out, "U1") {
		t.Errorf("alice: exit %d stdout %q stderr %q", code, out, errOut)
	}
}

func TestACLModuleRefusesBadFile(t *testing.T) {
	dir := t.TempDir()
	aclFile := writeFile(t, dir, "acl.yaml", "ACCESS_CONTROLS:\n  whoami: {allowuser: ['@alice']}\n")
	cfg := writeFile(t, dir, "opsgate.yaml", "database: sqlite://"+filepath.Join(dir, "opsgate.db")+"\nacl:\n  file: "+aclFile+"\n")
	_, errOut, code := runOpsgate(t, "whoami\n", "--config", cfg, "chat", "--direct")
	if code != 2 || !strings.Contains(errOut, aclFile+`:2: ACCESS_CONTROLS["whoami"]: unknown ACL key "allowuser"`) {
		t.Errorf("exit %d stderr %q", code, errOut)
	}
}

// HIDE_RESTRICTED_COMMANDS reaches `help`; HIDE_RESTRICTED_ACCESS silences the denial.
func TestACLModuleHidesInHelp(t *testing.T) {
	dir := t.TempDir()
	aclFile := writeFile(t, dir, "acl.yaml", "HIDE_RESTRICTED_COMMANDS: True\nHIDE_RESTRICTED_ACCESS: True\n"+
		"ACCESS_CONTROLS:\n  whoami: {allowusers: ['@alice']}\n")
	cfg := writeFile(t, dir, "opsgate.yaml", "database: sqlite://"+filepath.Join(dir, "opsgate.db")+"\nacl:\n  file: "+aclFile+"\n")
	for _, scope := range []string{"organization", "channel", "user"} {
		if out, errOut, code := runOpsgate(t, "", "--config", cfg, "grant", "add", "--command", "*", "--type", scope, "--value", "*"); code != 0 {
			t.Fatalf("grant add: %s %s", out, errOut)
		}
	}
	chat := func(user, name, text string) string {
		out, errOut, code := runOpsgate(t, text+"\n", "--config", cfg, "chat", "--user", user, "--user-name", name, "--direct")
		if code != 0 {
			t.Fatalf("chat: exit %d %s", code, errOut)
		}
		return out
	}
	if out := chat("U1", "alice", "help"); !strings.Contains(out, "whoami") {
		t.Errorf("alice's help lacks whoami:\n%s", out)
	}
	if out := chat("U2", "bob", "help"); strings.Contains(out, "whoami") || !strings.Contains(out, "help") {
		t.Errorf("bob's help shows whoami (or nothing):\n%s", out)
	}
	if out := chat("U2", "bob", "whoami"); strings.TrimSpace(out) != "" {
		t.Errorf("bob's denied whoami got a reply despite HIDE_RESTRICTED_ACCESS:\n%s", out)
	}
}
